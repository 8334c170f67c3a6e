package hiveddl

import (
	"fmt"
	"strings"
)

// The SerDe and formats of the table the CloudTrail console makes, and of the Athena user guide's CloudTrail
// tables: the Hive JSON SerDe over CloudTrail's input format, which reads each record of a {"Records":[…]} file
// as a row.
const (
	LogsSerDe        = "org.apache.hive.hcatalog.data.JsonSerDe"
	LogsInputFormat  = "com.amazon.emr.cloudtrail.CloudTrailInputFormat"
	LogsOutputFormat = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
)

// LogsPartitions are the partition columns of the raw-logs table, in the order of the folders.
var LogsPartitions = []string{"account", "region", "timestamp"}

// LogsTable is one raw-logs table: the trail folder its accounts are in (a bucket's AWSLogs/, or an organization
// trail's AWSLogs/o-…/) and what it holds.
type LogsTable struct {
	Database, Name string
	// Root is the location of the folder whose subfolders are the accounts, ending in "/":
	// s3://bucket/[prefix/]AWSLogs/ or s3://bucket/[prefix/]AWSLogs/o-xxxxxxxxxx/.
	Root              string
	Accounts, Regions []string
	// FirstDay is the earliest day folder, yyyy/MM/dd: the start of the date projection, which ends at NOW.
	FirstDay string
	// Comment, when set, is the table's COMMENT.
	Comment string
}

// Logs returns the CREATE EXTERNAL TABLE of t over the raw CloudTrail logs: the columns, types, SerDe and
// formats of the table the CloudTrail console makes, partitioned by account, region and timestamp (the day
// folder, yyyy/MM/dd) with partition projection: the accounts and regions as enums, the days from FirstDay to
// NOW, and the folders' template, so that no partition is ever added by hand.
func Logs(t LogsTable) (string, error) {
	switch {
	case t.Name == "":
		return "", fmt.Errorf("write the logs table's DDL: no table name")
	case len(t.Accounts) == 0 || len(t.Regions) == 0:
		return "", fmt.Errorf("write the DDL of %s: no account or region folders under %s", t.Name, t.Root)
	case t.FirstDay == "":
		return "", fmt.Errorf("write the DDL of %s: no day folders (yyyy/MM/dd) under %s yet: the date projection needs a first day", t.Name, t.Root)
	case len(t.FirstDay) != len("2006/01/02"):
		return "", fmt.Errorf("write the DDL of %s: first day %q is not yyyy/MM/dd", t.Name, t.FirstDay)
	}
	root := dir(t.Root)
	var b strings.Builder
	b.WriteString("CREATE EXTERNAL TABLE IF NOT EXISTS " + tableName(t.Database, t.Name) + " (\n")
	columns(&b)
	b.WriteString(")\n")
	if t.Comment != "" {
		b.WriteString("COMMENT " + quote(t.Comment) + "\n")
	}
	cols := make([]string, len(LogsPartitions))
	for i, p := range LogsPartitions {
		cols[i] = "`" + p + "` STRING"
	}
	b.WriteString("PARTITIONED BY (" + strings.Join(cols, ", ") + ")\n")
	b.WriteString("ROW FORMAT SERDE " + quote(LogsSerDe) + "\n")
	b.WriteString("STORED AS INPUTFORMAT " + quote(LogsInputFormat) + "\n")
	b.WriteString("OUTPUTFORMAT " + quote(LogsOutputFormat) + "\n")
	b.WriteString("LOCATION " + quote(root) + "\n")
	props := []property{{"projection.enabled", "true"}}
	props = append(props, enum("account", sorted(t.Accounts))...)
	props = append(props, enum("region", sorted(t.Regions))...)
	props = append(props,
		property{"projection.timestamp.type", "date"},
		property{"projection.timestamp.format", "yyyy/MM/dd"},
		property{"projection.timestamp.range", t.FirstDay + ",NOW"},
		property{"projection.timestamp.interval", "1"},
		property{"projection.timestamp.interval.unit", "DAYS"},
		property{"storage.location.template", root + "${account}/CloudTrail/${region}/${timestamp}"},
	)
	properties(&b, props)
	return b.String(), nil
}
