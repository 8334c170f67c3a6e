package store

import "strings"

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

const userIdentityType = `STRUCT(
	type VARCHAR, principalid VARCHAR, arn VARCHAR, accountid VARCHAR, invokedby VARCHAR, accesskeyid VARCHAR,
	username VARCHAR,
	onbehalfof STRUCT(userid VARCHAR, identitystorearn VARCHAR),
	sessioncontext STRUCT(
		attributes STRUCT(mfaauthenticated VARCHAR, creationdate VARCHAR),
		sessionissuer STRUCT(type VARCHAR, principalid VARCHAR, arn VARCHAR, accountid VARCHAR, username VARCHAR),
		ec2roledelivery VARCHAR,
		webidfederationdata STRUCT(federatedprovider VARCHAR, attributes MAP(VARCHAR, VARCHAR))))`

// athenaColumns are the columns of Athena's CloudTrail table, in its order, with DuckDB types.
var athenaColumns = [][2]string{
	{"eventversion", "VARCHAR"},
	{"useridentity", userIdentityType},
	{"eventtime", "VARCHAR"},
	{"eventsource", "VARCHAR"},
	{"eventname", "VARCHAR"},
	{"awsregion", "VARCHAR"},
	{"sourceipaddress", "VARCHAR"},
	{"useragent", "VARCHAR"},
	{"errorcode", "VARCHAR"},
	{"errormessage", "VARCHAR"},
	{"requestparameters", "VARCHAR"},
	{"responseelements", "VARCHAR"},
	{"additionaleventdata", "VARCHAR"},
	{"requestid", "VARCHAR"},
	{"eventid", "VARCHAR"},
	{"resources", "STRUCT(arn VARCHAR, accountid VARCHAR, type VARCHAR)[]"},
	{"eventtype", "VARCHAR"},
	{"apiversion", "VARCHAR"},
	{"readonly", "VARCHAR"},
	{"recipientaccountid", "VARCHAR"},
	{"serviceeventdetails", "VARCHAR"},
	{"sharedeventid", "VARCHAR"},
	{"vpcendpointid", "VARCHAR"},
	{"vpcendpointaccountid", "VARCHAR"},
	{"eventcategory", "VARCHAR"},
	{"addendum", "STRUCT(reason VARCHAR, updatedfields VARCHAR, originalrequestid VARCHAR, originaleventid VARCHAR)"},
	{"sessioncredentialfromconsole", "VARCHAR"},
	{"edgedevicedetails", "VARCHAR"},
	{"tlsdetails", "STRUCT(tlsversion VARCHAR, ciphersuite VARCHAR, clientprovidedhostheader VARCHAR)"},
}

// partitionColumns follow the Athena columns in the events table; their values come from the object key.
var partitionColumns = [][2]string{
	{"region", "VARCHAR"},
	{"year", "VARCHAR"},
	{"month", "VARCHAR"},
	{"day", "VARCHAR"},
}

// internalColumns close the events table.
var internalColumns = [][2]string{
	{"account", "VARCHAR"}, // account from the key, else recipientAccountId
	{"_path", "VARCHAR"},   // Athena's "$path": where the record came from
	{"_file_id", "BIGINT"}, // trailq_objects.file_id
	{"_hash", "UBIGINT"},   // content hash: identical records are stored once
}

// AthenaColumns returns the names of Athena's CloudTrail columns in order.
func AthenaColumns() []string {
	names := make([]string, len(athenaColumns))
	for i, c := range athenaColumns {
		names[i] = c[0]
	}
	return names
}

func columnDefs(groups ...[][2]string) string {
	var b strings.Builder
	first := true
	for _, g := range groups {
		for _, c := range g {
			if !first {
				b.WriteString(",\n\t")
			}
			first = false
			b.WriteString(quoteIdent(c[0]) + " " + c[1])
		}
	}
	return b.String()
}

func columnList(groups ...[][2]string) string {
	var names []string
	for _, g := range groups {
		for _, c := range g {
			names = append(names, quoteIdent(c[0]))
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
