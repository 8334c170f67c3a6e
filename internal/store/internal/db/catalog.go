package db

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/trailq/trailq/internal/schema"
)

// SchemaVersion is bumped when the tables change shape; an older store is rebuilt from its sources.
const SchemaVersion = "1"

// Table names. EventsTable has every row; the views over it give Athena's shapes.
const (
	// EventsTable is a view over the part files and the native table, with the internal columns.
	EventsTable = "cloudtrail_events"
	// LogsView has exactly Athena's CloudTrail columns plus the partition columns region, year, month and day,
	// like the table of Athena's "manual partitioning" guide.
	LogsView = "cloudtrail_logs"
	// LogsExtView adds the columns other Athena table definitions have: "$path", "timestamp" (partition projection),
	// account, account_partition, region_partition and date_partition (AWS Security Analytics Bootstrap).
	LogsExtView = "cloudtrail_logs_ext"
	// SignInsView has LogsView's columns over the rows that can be sign-in events, kept in a table of their own
	// (SignInsTable) at load time so that a sign-in report does not scan every event.
	SignInsView   = "trailq_signins"
	SignInsTable  = "trailq_signin_events"
	ObjectsTable  = "trailq_objects"  // the manifest
	ProblemsTable = "trailq_problems" // the load report, up to 100 problems a file
	MetaTable     = "trailq_meta"
)

// The events are kept in part files: Parquet files written by the load into the folder next to the store file,
// one per commit. The store file lists them (PartsTable) in the same transaction as the manifest entries of their
// records, and the events view reads the listed files: a file that is not listed (a load killed before its
// commit) is never read, and is removed by the next load. NativeTable gives the view its columns when there is no
// part yet; it is otherwise empty (a store written before part files has its rows moved into a part when it is
// first opened for writing): a view over a UNION ALL would cost DuckDB its projection of struct fields into the
// Parquet reader (4× slower on useridentity.arn).
const (
	NativeTable = "trailq_native_events"
	PartsTable  = "trailq_parts"
	// PartFilesTable says which objects (file ids) have rows in which part, so that a part file that is lost or
	// damaged can be repaired: the objects it held are read again.
	PartFilesTable = "trailq_part_files"
	// PartsDirMeta is the meta key of the parts folder the events view was written for (a moved store's view is
	// rewritten, or shadowed by a temporary view when the store is opened read-only).
	PartsDirMeta = "parts_dir"
)

// PartsDDL creates the part list and the objects of each part.
var PartsDDL = []string{
	`CREATE TABLE IF NOT EXISTS ` + PartsTable + ` (name VARCHAR PRIMARY KEY, rows BIGINT, created TIMESTAMPTZ, size BIGINT, sha256 VARCHAR, mtime_ns BIGINT)`,
	`CREATE TABLE IF NOT EXISTS ` + PartFilesTable + ` (part VARCHAR, file_id BIGINT)`,
}

// PartChecksumDDL adds the checksum columns to the part list of a store made before them.
var PartChecksumDDL = []string{
	`ALTER TABLE ` + PartsTable + ` ADD COLUMN IF NOT EXISTS size BIGINT`,
	`ALTER TABLE ` + PartsTable + ` ADD COLUMN IF NOT EXISTS sha256 VARCHAR`,
	`ALTER TABLE ` + PartsTable + ` ADD COLUMN IF NOT EXISTS mtime_ns BIGINT`,
}

// DuplicatesTable records, for each record not stored because an identical one was (two trails logging one
// global event), the object that held it and the record's hash. The stored copy is kept under one object only;
// when that object changes or its part is lost, the objects that hold a copy are read again, so that an event
// stays as long as any loaded object holds it.
const DuplicatesTable = "trailq_duplicates"

// DuplicatesDDL creates DuplicatesTable.
const DuplicatesDDL = `CREATE TABLE IF NOT EXISTS ` + DuplicatesTable + ` (file_id BIGINT, hash UBIGINT)`

// RefillMeta is set, in the transaction that removes stored rows, until a load has read again the objects
// holding copies of them: a load stopped in between leaves it set and the next load finishes the work.
const RefillMeta = "refill"

// LostTable lists the log objects whose events a repair removed with a damaged or missing part file and that no
// load has read again since (their logs may be gone): every answer of the store is incomplete by their events
// until then, and says so.
const LostTable = "trailq_lost"

// LostDDL creates LostTable.
const LostDDL = `CREATE TABLE IF NOT EXISTS ` + LostTable + ` (key VARCHAR PRIMARY KEY, records BIGINT, reason VARCHAR, lost_at TIMESTAMPTZ)`

// Sign-in rows: a copy of the rows of the events table that can be sign-in events, in the same transaction.
var (
	SignInsDDL     = `CREATE TABLE IF NOT EXISTS ` + SignInsTable + ` (` + ColumnDefs(schema.Athena, schema.Partition, schema.Internal) + `)`
	SignInsViewDDL = `CREATE OR REPLACE VIEW ` + SignInsView + ` AS SELECT ` + ColumnList(schema.Athena, schema.Partition) + ` FROM ` + SignInsTable
	// SignInsFill copies the candidates of a store made before the sign-in table existed.
	SignInsFill = `INSERT INTO ` + SignInsTable + ` SELECT * FROM ` + EventsTable + ` WHERE ` + SignInCandidateSQL
)

// SignInCandidateSQL is IsSignInCandidate in SQL over the events' columns.
const SignInCandidateSQL = `(eventsource IN ('signin.amazonaws.com', 'sso.amazonaws.com') OR lower(eventtype) = 'awsconsolesignin')`

// IsSignInCandidate reports whether a record goes to the sign-in table too: the console's sign-in service, IAM
// Identity Center's, and any event typed AwsConsoleSignIn.
func IsSignInCandidate(eventSource, eventType string) bool {
	return eventSource == "signin.amazonaws.com" || eventSource == "sso.amazonaws.com" ||
		len(eventType) == len("AwsConsoleSignIn") && strings.EqualFold(eventType, "AwsConsoleSignIn") // (the length first: EqualFold does not)
}

// DuckType returns t as DuckDB writes it: VARCHAR, BIGINT, UBIGINT, STRUCT(name type, …), type[] and
// MAP(key, value).
func DuckType(t *schema.Type) string {
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
			fields[i] = QuoteIdent(f.Name) + " " + DuckType(f.Type)
		}
		return "STRUCT(" + strings.Join(fields, ", ") + ")"
	case schema.List:
		return DuckType(t.Elem) + "[]"
	case schema.Map:
		return "MAP(" + DuckType(t.Key) + ", " + DuckType(t.Value) + ")"
	}
	panic(fmt.Sprintf("store: no DuckDB type for kind %d", t.Kind))
}

// ColumnDefs returns the columns' definitions (name and DuckDB type) for CREATE TABLE.
func ColumnDefs(groups ...[]schema.Column) string {
	var b strings.Builder
	first := true
	for _, g := range groups {
		for _, c := range g {
			if !first {
				b.WriteString(",\n\t")
			}
			first = false
			b.WriteString(QuoteIdent(c.Name) + " " + DuckType(c.Type))
		}
	}
	return b.String()
}

// ColumnList returns the columns' quoted names, comma-separated.
func ColumnList(groups ...[]schema.Column) string {
	var names []string
	for _, g := range groups {
		for _, c := range g {
			names = append(names, QuoteIdent(c.Name))
		}
	}
	return strings.Join(names, ", ")
}

// EventsColumns is the quoted list of every column of the events table: Athena's, the partition columns, the
// internal ones.
func EventsColumns() string { return ColumnList(schema.Athena, schema.Partition, schema.Internal) }

// QuoteIdent quotes an SQL identifier.
func QuoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// SQLString quotes an SQL text literal.
func SQLString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// IDList returns the SQL list of the ids: (1, 2, 3).
func IDList(ids []int64) string {
	strs := make([]string, len(ids))
	for i, id := range ids {
		strs[i] = strconv.FormatInt(id, 10)
	}
	return "(" + strings.Join(strs, ", ") + ")"
}

// PartsDir returns the folder of the part files of the store at path. Deleting a store means deleting both.
func PartsDir(path string) string { return path + ".parts" }

// PartsList returns the SQL list of the paths of the files named in the parts folder dir.
func PartsList(dir string, names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = SQLString(filepath.Join(dir, n))
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// EventsViewSQL defines the events view over the part files named (in the parts folder dir), or over the (empty)
// native table when there are none; temp makes it a temporary view, for one handle.
func EventsViewSQL(dir string, names []string, temp bool) string {
	kind := "VIEW"
	if temp {
		kind = "TEMP VIEW"
	}
	q := `CREATE OR REPLACE ` + kind + ` ` + EventsTable + ` AS SELECT ` + EventsColumns() + ` FROM `
	if len(names) == 0 {
		return q + NativeTable
	}
	return q + `read_parquet(` + PartsList(dir, names) + `)`
}

// SchemaDDL returns the statements that create a new store's tables and views.
func SchemaDDL() []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS ` + MetaTable + ` (key VARCHAR PRIMARY KEY, value VARCHAR)`,
		`CREATE TABLE IF NOT EXISTS ` + ObjectsTable + ` (
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
		`CREATE TABLE IF NOT EXISTS ` + ProblemsTable + ` (
	file_id BIGINT,
	record INTEGER,
	field VARCHAR,
	message VARCHAR,
	skipped BOOLEAN)`,
		`CREATE TABLE IF NOT EXISTS ` + NativeTable + ` (
	` + ColumnDefs(schema.Athena, schema.Partition, schema.Internal) + `)`,
		PartsDDL[0],
		PartsDDL[1],
		DuplicatesDDL,
		EventsViewSQL("", nil, false),
		`CREATE OR REPLACE VIEW ` + LogsView + ` AS SELECT ` + ColumnList(schema.Athena, schema.Partition) + ` FROM ` + EventsTable,
		SignInsDDL,
		SignInsViewDDL,
		`CREATE OR REPLACE VIEW ` + LogsExtView + ` AS SELECT ` + ColumnList(schema.Athena, schema.Partition) + `,
	year || '/' || month || '/' || day AS "timestamp",
	account,
	_path AS "$path",
	account AS account_partition,
	region AS region_partition,
	year || '/' || month || '/' || day AS date_partition
	FROM ` + EventsTable,
	}
}

// TraceKeysTable is the trace index: for each object (_file_id), every distinct access key id
// (useridentity.accesskeyid) and principal ARN (useridentity.arn, useridentity.sessioncontext.sessionissuer.arn)
// its records hold, as stored (the empty text too), written by the load as it reads the records (all of an
// object's records, those stored under another object as copies too, so that reading an object again for its
// copies adds no key it lacks). A trace reads it to name the objects whose row groups it must read.
// TraceKeysMeta holds the highest object id whose keys it has: it answers only while that is the manifest's
// highest (a load by a binary before the index leaves it behind, and the next open for writing makes it again).
const (
	TraceKeysTable = "trailq_trace_keys"
	TraceKeysMeta  = "trace_keys_through"
	TraceKeysDDL   = `CREATE TABLE IF NOT EXISTS ` + TraceKeysTable + ` (k VARCHAR, _file_id BIGINT)`
)

// TraceKeysFill fills TraceKeysTable from the stored rows (a store made before the index, or loaded since by a
// binary that did not keep it): each object's keys from its own rows and from the stored copies of its records
// kept under another object (DuplicatesTable).
const TraceKeysFill = `INSERT INTO ` + TraceKeysTable + ` SELECT DISTINCT k, f FROM (
	SELECT f, unnest([u.accesskeyid, u.arn, u.sessioncontext.sessionissuer.arn]) AS k FROM (
		SELECT _file_id AS f, useridentity AS u FROM ` + EventsTable + `
		UNION ALL
		SELECT d.file_id, e.useridentity FROM ` + DuplicatesTable + ` d JOIN ` + EventsTable + ` e ON e._hash = d.hash))
	WHERE k IS NOT NULL`
