package hiveddl

import (
	"strconv"
	"strings"
)

// ExportPartitions are the Hive partition columns of an export, in folder order.
var ExportPartitions = []string{"account", "region", "year", "month", "day"}

// HiveNull is Hive's name for a NULL partition value (records whose key and body give no date or account).
const HiveNull = "__HIVE_DEFAULT_PARTITION__"

// ExportLayout is what an export's partition folders hold: the values its projection enumerates.
type ExportLayout struct {
	Accounts, Regions []string
	// FirstYear is the earliest year=… folder ("" when there is none: the export is empty).
	FirstYear string
	// Unplaced is the number of events under a year, month or day folder of HiveNull (no key date): a projected
	// table does not read them.
	Unplaced int64
}

// exportColumns writes the statement's start, its columns and its PARTITIONED BY, STORED AS and LOCATION.
func exportColumns(b *strings.Builder, name, location string) {
	b.WriteString("CREATE EXTERNAL TABLE IF NOT EXISTS " + name + " (\n")
	columns(b)
	cols := make([]string, len(ExportPartitions))
	for i, p := range ExportPartitions {
		cols[i] = "`" + p + "` STRING"
	}
	b.WriteString(")\nPARTITIONED BY (" + strings.Join(cols, ", ") + ")\nSTORED AS PARQUET\n")
	b.WriteString("LOCATION " + quote(dir(location)) + "\n")
}

// ExportRepair returns the Athena statements that make table over an export copied to location (an s3://
// folder): CREATE EXTERNAL TABLE with Athena's CloudTrail columns as Hive types, partitioned as the export is,
// then MSCK REPAIR TABLE to find the partitions (run it again after each new export).
func ExportRepair(table, location string) string {
	var b strings.Builder
	exportColumns(&b, Ident(table), location)
	b.WriteString("TBLPROPERTIES ('parquet.compression' = 'ZSTD');\n\n")
	b.WriteString("MSCK REPAIR TABLE " + Ident(table) + ";\n")
	return b.String()
}

// ExportProjected returns the CREATE EXTERNAL TABLE of the same table with partition projection: the accounts
// and regions the export holds as enums, the years from the first to NOW as dates (yyyy), months and days as
// two-digit integers, and the folders' template, so that Athena finds every partition without MSCK REPAIR or
// a Glue crawler. A later export with new accounts or regions needs the table made again with its DDL.
func ExportProjected(table, location string, l ExportLayout) string {
	var b strings.Builder
	if l.Unplaced > 0 {
		b.WriteString("-- " + strconv.FormatInt(l.Unplaced, 10) + " events have no key date (year, month or day " + HiveNull + "): this table does\n")
		b.WriteString("-- not read them; the table made with MSCK REPAIR does.\n")
	}
	exportColumns(&b, Ident(table), location)
	first := l.FirstYear
	if first == "" || first == HiveNull {
		first = "NOW"
	}
	props := []property{{"parquet.compression", "ZSTD"}, {"projection.enabled", "true"}}
	props = append(props, enum("account", orNull(l.Accounts))...)
	props = append(props, enum("region", orNull(l.Regions))...)
	props = append(props,
		property{"projection.year.type", "date"},
		property{"projection.year.format", "yyyy"},
		property{"projection.year.range", first + ",NOW"},
		property{"projection.year.interval", "1"},
		property{"projection.year.interval.unit", "YEARS"},
		property{"projection.month.type", "integer"},
		property{"projection.month.range", "1,12"},
		property{"projection.month.digits", "2"},
		property{"projection.day.type", "integer"},
		property{"projection.day.range", "1,31"},
		property{"projection.day.digits", "2"},
		property{"storage.location.template", dir(location) + "account=${account}/region=${region}/year=${year}/month=${month}/day=${day}/"},
	)
	properties(&b, props)
	return b.String()
}

// orNull is the sorted values, or the Hive NULL partition alone when there are none (an enum needs a value).
func orNull(vs []string) []string {
	if len(vs) == 0 {
		return []string{HiveNull}
	}
	return sorted(vs)
}
