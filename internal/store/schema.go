package store

import (
	"fmt"
	"strings"

	"github.com/trailq/trailq/internal/schema"
)

// SchemaVersion is bumped when the tables change shape; an older store is rebuilt from its sources.
const SchemaVersion = "1"

// Table names. EventsTable has every row; the views over it give Athena's shapes.
const (
	// EventsTable is a view over the part files and the native table (see parts.go), with the internal columns.
	EventsTable = "cloudtrail_events"
	// LogsView has exactly Athena's CloudTrail columns plus the partition columns region, year, month and day,
	// like the table of Athena's "manual partitioning" guide.
	LogsView = "cloudtrail_logs"
	// LogsExtView adds the columns other Athena table definitions have: "$path", "timestamp" (partition projection),
	// account, account_partition, region_partition and date_partition (AWS Security Analytics Bootstrap).
	LogsExtView = "cloudtrail_logs_ext"
	// SignInsView has LogsView's columns over the rows that can be sign-in events (IsSignInCandidate), kept in
	// a table of their own at load time so that a sign-in report does not scan every event.
	SignInsView   = "trailq_signins"
	signInsTable  = "trailq_signin_events"
	objectsTable  = "trailq_objects"
	problemsTable = "trailq_problems"
	metaTable     = "trailq_meta"
)

// The events table's columns (declared in internal/schema): Athena's CloudTrail columns in its order, then the
// partition columns, whose values come from the object key, and the internal ones.
var (
	athenaColumns    = schema.Athena
	partitionColumns = schema.Partition
	internalColumns  = schema.Internal
)

// AthenaColumns returns the names of Athena's CloudTrail columns in order.
func AthenaColumns() []string { return schema.Names(athenaColumns) }

// duckType returns t as DuckDB writes it: VARCHAR, BIGINT, UBIGINT, STRUCT(name type, …), type[] and
// MAP(key, value).
func duckType(t *schema.Type) string {
	switch t.Kind {
	case schema.String:
		return "VARCHAR"
	case schema.Int64:
		return "BIGINT"
	case schema.Uint64:
		return "UBIGINT"
	case schema.Struct:
		fields := make([]string, len(t.Fields))
		for i, f := range t.Fields {
			fields[i] = quoteIdent(f.Name) + " " + duckType(f.Type)
		}
		return "STRUCT(" + strings.Join(fields, ", ") + ")"
	case schema.List:
		return duckType(t.Elem) + "[]"
	case schema.Map:
		return "MAP(" + duckType(t.Key) + ", " + duckType(t.Value) + ")"
	}
	panic(fmt.Sprintf("store: no DuckDB type for kind %d", t.Kind))
}

func columnDefs(groups ...[]schema.Column) string {
	var b strings.Builder
	first := true
	for _, g := range groups {
		for _, c := range g {
			if !first {
				b.WriteString(",\n\t")
			}
			first = false
			b.WriteString(quoteIdent(c.Name) + " " + duckType(c.Type))
		}
	}
	return b.String()
}

func columnList(groups ...[]schema.Column) string {
	var names []string
	for _, g := range groups {
		for _, c := range g {
			names = append(names, quoteIdent(c.Name))
		}
	}
	return strings.Join(names, ", ")
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func schemaDDL() []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS ` + metaTable + ` (key VARCHAR PRIMARY KEY, value VARCHAR)`,
		`CREATE TABLE IF NOT EXISTS ` + objectsTable + ` (
	file_id BIGINT PRIMARY KEY,
	key VARCHAR NOT NULL,
	kind VARCHAR,
	size BIGINT,
	version VARCHAR,
	records BIGINT,
	problems BIGINT,
	outcome VARCHAR,
	detail VARCHAR,
	loaded_at TIMESTAMPTZ)`,
		`CREATE TABLE IF NOT EXISTS ` + problemsTable + ` (
	file_id BIGINT,
	record INTEGER,
	field VARCHAR,
	message VARCHAR,
	skipped BOOLEAN)`,
		`CREATE TABLE IF NOT EXISTS ` + nativeTable + ` (
	` + columnDefs(athenaColumns, partitionColumns, internalColumns) + `)`,
		partsDDL[0],
		partsDDL[1],
		duplicatesDDL,
		eventsViewSQL("", nil, false),
		`CREATE OR REPLACE VIEW ` + LogsView + ` AS SELECT ` + columnList(athenaColumns, partitionColumns) + ` FROM ` + EventsTable,
		signInsDDL,
		signInsViewDDL,
		`CREATE OR REPLACE VIEW ` + LogsExtView + ` AS SELECT ` + columnList(athenaColumns, partitionColumns) + `,
	year || '/' || month || '/' || day AS "timestamp",
	account,
	_path AS "$path",
	account AS account_partition,
	region AS region_partition,
	year || '/' || month || '/' || day AS date_partition
	FROM ` + EventsTable,
	}
}

// Sign-in rows: a copy of the rows of the events table that can be sign-in events, in the same transaction.
var (
	signInsDDL     = `CREATE TABLE IF NOT EXISTS ` + signInsTable + ` (` + columnDefs(athenaColumns, partitionColumns, internalColumns) + `)`
	signInsViewDDL = `CREATE OR REPLACE VIEW ` + SignInsView + ` AS SELECT ` + columnList(athenaColumns, partitionColumns) + ` FROM ` + signInsTable
	// signInsFill copies the candidates of a store made before the sign-in table existed.
	signInsFill = `INSERT INTO ` + signInsTable + ` SELECT * FROM ` + EventsTable + ` WHERE ` + SignInCandidateSQL
)

// SignInCandidateSQL is IsSignInCandidate in SQL over the events' columns. Every sign-in query trailq runs
// selects a subset of these rows.
const SignInCandidateSQL = `(eventsource IN ('signin.amazonaws.com', 'sso.amazonaws.com') OR lower(eventtype) = 'awsconsolesignin')`

// IsSignInCandidate reports whether a record goes to the sign-in table too: the console's sign-in service, IAM
// Identity Center's, and any event typed AwsConsoleSignIn.
func IsSignInCandidate(eventSource, eventType string) bool {
	return eventSource == "signin.amazonaws.com" || eventSource == "sso.amazonaws.com" ||
		len(eventType) == len("AwsConsoleSignIn") && strings.EqualFold(eventType, "AwsConsoleSignIn") // (the length first: EqualFold does not)
}
