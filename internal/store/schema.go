package store

import (
	"github.com/trailq/trailq/internal/schema"
	"github.com/trailq/trailq/internal/store/internal/db"
)

// SchemaVersion is bumped when the tables change shape; an older store is rebuilt from its sources.
const SchemaVersion = db.SchemaVersion

// Table names. EventsTable has every row; the views over it give Athena's shapes.
const (
	// EventsTable is a view over the part files and the native table (see internal/store/parts), with the
	// internal columns.
	EventsTable = db.EventsTable
	// LogsView has exactly Athena's CloudTrail columns plus the partition columns region, year, month and day,
	// like the table of Athena's "manual partitioning" guide.
	LogsView = db.LogsView
	// LogsExtView adds the columns other Athena table definitions have: "$path", "timestamp" (partition projection),
	// account, account_partition, region_partition and date_partition (AWS Security Analytics Bootstrap).
	LogsExtView = db.LogsExtView
	// SignInsView has LogsView's columns over the rows that can be sign-in events (IsSignInCandidate), kept in
	// a table of their own at load time so that a sign-in report does not scan every event.
	SignInsView = db.SignInsView
)

// AthenaColumns returns the names of Athena's CloudTrail columns in order.
func AthenaColumns() []string { return schema.Names(schema.Athena) }

// SignInCandidateSQL is IsSignInCandidate in SQL over the events' columns. Every sign-in query trailq runs
// selects a subset of these rows.
const SignInCandidateSQL = db.SignInCandidateSQL

// IsSignInCandidate reports whether a record goes to the sign-in table too: the console's sign-in service, IAM
// Identity Center's, and any event typed AwsConsoleSignIn.
func IsSignInCandidate(eventSource, eventType string) bool {
	return db.IsSignInCandidate(eventSource, eventType)
}
