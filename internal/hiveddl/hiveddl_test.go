package hiveddl_test

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trailq/trailq/internal/athena"
	"github.com/trailq/trailq/internal/hiveddl"
)

// published reads testdata/athena-cloudtrail-columns.txt: the columns of the AWS documentation's CloudTrail
// table, and its other clauses as "@what value" lines.
func published(t *testing.T) (cols []column, extra map[string][]string) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "athena-cloudtrail-columns.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	extra = map[string][]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "@"):
			what, v, _ := strings.Cut(line[1:], " ")
			extra[what] = append(extra[what], v)
		default:
			name, typ, ok := strings.Cut(line, " ")
			if !ok {
				t.Fatalf("testdata: %q is not name TYPE", line)
			}
			cols = append(cols, column{name, typ})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cols, extra
}

// byName maps each column's name to its type.
func byName(cols []column) map[string]string {
	m := map[string]string{}
	for _, c := range cols {
		m[c.Name] = c.Type
	}
	return m
}

func logsTable() hiveddl.LogsTable {
	return hiveddl.LogsTable{Database: "security", Name: "org_trail", Root: "s3://trail-bucket/AWSLogs/o-abc123defg/",
		Accounts: []string{"444455556666", "111122223333"}, Regions: []string{"us-east-1", "eu-west-1", "us-east-1"},
		FirstDay: "2024/01/02", Comment: "test's"}
}

// TestLogsMatchesPublished: the raw-logs DDL parses as Hive DDL and declares the AWS documentation's columns,
// name for name and type for type (the order is the manual-partitioning page's: readonly after apiversion), with
// its SerDe and formats, and the date projection's settings.
func TestLogsMatchesPublished(t *testing.T) {
	ddl, err := hiveddl.Logs(logsTable())
	if err != nil {
		t.Fatal(err)
	}
	tb, rest, err := parseCreate(ddl)
	if err != nil {
		t.Fatalf("parse the DDL: %v\n%s", err, ddl)
	}
	if rest != "" {
		t.Errorf("after the statement: %q", rest)
	}
	want, extra := published(t)
	if len(want) < 29 {
		t.Fatalf("testdata lists %d columns", len(want))
	}
	if diff := cmp.Diff(byName(want), byName(tb.Columns)); diff != "" {
		t.Errorf("columns (-published +trailq):\n%s", diff)
	}
	if len(tb.Columns) != len(want) {
		t.Errorf("%d columns, the documentation's table has %d", len(tb.Columns), len(want))
	}
	// Same order but for readonly, which the projection page moves before resources.
	order := func(cols []column) []string {
		var names []string
		for _, c := range cols {
			if c.Name != "readonly" {
				names = append(names, c.Name)
			}
		}
		return names
	}
	if diff := cmp.Diff(order(want), order(tb.Columns)); diff != "" {
		t.Errorf("column order (-published +trailq):\n%s", diff)
	}
	for what, got := range map[string]string{"serde": tb.SerDe, "inputformat": tb.Input, "outputformat": tb.Output} {
		if w := extra[what]; len(w) != 1 || w[0] != got {
			t.Errorf("%s %q, published %q", what, got, w)
		}
	}
	for _, kv := range extra["property"] {
		k, v, _ := strings.Cut(kv, "=")
		if tb.Properties[k] != v {
			t.Errorf("property %s = %q, published %q", k, tb.Properties[k], v)
		}
	}
	if p := extra["partition"]; len(tb.Partitions) != 3 || tb.Partitions[2] != (column{"timestamp", "STRING"}) || len(p) != 1 || p[0] != "timestamp STRING" {
		t.Errorf("partitions %v; want the published day partition %v last", tb.Partitions, p)
	}
}

// TestLogsShape: the projection enumerates the accounts and regions (sorted, once each), runs from the first day
// to NOW, its template names every partition column once, in CloudTrail's folder layout under LOCATION; quotes
// in the comment are escaped; trailq's own table-DDL reader (query --table-ddl) maps each partition to the part
// of the key it holds.
func TestLogsShape(t *testing.T) {
	ddl, err := hiveddl.Logs(logsTable())
	if err != nil {
		t.Fatal(err)
	}
	tb, _, err := parseCreate(ddl)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tb.Name, "security.org_trail"; got != want {
		t.Errorf("name %q, want %q", got, want)
	}
	if tb.Comment != "test's" {
		t.Errorf("comment %q", tb.Comment)
	}
	for k, want := range map[string]string{
		"projection.enabled":         "true",
		"projection.account.type":    "enum",
		"projection.account.values":  "111122223333,444455556666",
		"projection.region.type":     "enum",
		"projection.region.values":   "eu-west-1,us-east-1",
		"projection.timestamp.range": "2024/01/02,NOW",
		"storage.location.template":  "s3://trail-bucket/AWSLogs/o-abc123defg/${account}/CloudTrail/${region}/${timestamp}",
	} {
		if got := tb.Properties[k]; got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	checkTemplate(t, tb)
	def, err := athena.ParseTableDDL(ddl)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, p := range def.Partitions {
		parts = append(parts, p.Name+"="+p.Part+p.Format)
	}
	if diff := cmp.Diff([]string{"account=account", "region=region", "timestamp=dateyyyy/MM/dd"}, parts); diff != "" {
		t.Errorf("trailq's reading of the partitions (-want +got):\n%s", diff)
	}
	for _, bad := range []hiveddl.LogsTable{{Name: "x", Root: "s3://b/AWSLogs/", FirstDay: "2024/01/01"},
		{Name: "x", Root: "s3://b/AWSLogs/", Accounts: []string{"1"}, Regions: []string{"r"}},
		{Name: "x", Root: "s3://b/AWSLogs/", Accounts: []string{"1"}, Regions: []string{"r"}, FirstDay: "2024-01-01T"}} {
		if _, err := hiveddl.Logs(bad); err == nil {
			t.Errorf("Logs(%+v) gave no error", bad)
		}
	}
}

var placeholderRE = regexp.MustCompile(`\$\{([a-z_]+)\}`)

// checkTemplate checks that a table's storage.location.template is below its LOCATION and names each partition
// column once, in order.
func checkTemplate(t *testing.T, tb *table) {
	t.Helper()
	tmpl := tb.Properties["storage.location.template"]
	if !strings.HasPrefix(tmpl, tb.Location) || !strings.HasSuffix(tb.Location, "/") {
		t.Errorf("template %q is not below LOCATION %q", tmpl, tb.Location)
	}
	var names, placed []string
	for _, p := range tb.Partitions {
		names = append(names, p.Name)
		if tb.Properties["projection."+p.Name+".type"] == "" {
			t.Errorf("partition %s has no projection type", p.Name)
		}
	}
	for _, m := range placeholderRE.FindAllStringSubmatch(tmpl, -1) {
		placed = append(placed, m[1])
	}
	if !slices.Equal(names, placed) {
		t.Errorf("template %q places %v; want the partitions %v", tmpl, placed, names)
	}
}

// TestExportProjected: the export's DDL with projection parses, declares the same columns as the one with MSCK
// REPAIR (the AWS documentation's, as Parquet columns) and the five partition folders, and projects them: accounts and regions as enums (Hive's NULL value when
// the export has none), the years from the first to NOW, two-digit months and days, the folders' template.
func TestExportProjected(t *testing.T) {
	l := hiveddl.ExportLayout{Accounts: []string{"222", "111"}, Regions: []string{"us-east-1"}, FirstYear: "2019", Unplaced: 3}
	ddl := hiveddl.ExportProjected("ct", "s3://analytics/ct", l)
	if !strings.HasPrefix(ddl, "-- 3 events have no key date") {
		t.Errorf("no note of the events without a key date:\n%s", ddl)
	}
	tb, rest, err := parseCreate(ddl)
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, ddl)
	}
	repair, after, err := parseCreate(hiveddl.ExportRepair("ct", "s3://analytics/ct"))
	if err != nil {
		t.Fatal(err)
	}
	if rest != "" || !regexp.MustCompile("^MSCK REPAIR TABLE `ct`;\\s*$").MatchString(after) {
		t.Errorf("after the statements: %q and %q", rest, after)
	}
	if diff := cmp.Diff(repair.Columns, tb.Columns); diff != "" {
		t.Errorf("columns differ from the MSCK table's (-repair +projected):\n%s", diff)
	}
	want, _ := published(t)
	if diff := cmp.Diff(byName(want), byName(tb.Columns)); diff != "" {
		t.Errorf("the export's columns (-published +trailq):\n%s", diff)
	}
	if tb.StoredAs != "PARQUET" || tb.Location != "s3://analytics/ct/" {
		t.Errorf("stored as %q at %q", tb.StoredAs, tb.Location)
	}
	for k, want := range map[string]string{
		"projection.account.values": "111,222", "projection.region.values": "us-east-1",
		"projection.year.range": "2019,NOW", "projection.year.format": "yyyy", "projection.year.interval.unit": "YEARS",
		"projection.month.range": "1,12", "projection.month.digits": "2", "projection.day.range": "1,31", "projection.day.digits": "2",
		"storage.location.template": "s3://analytics/ct/account=${account}/region=${region}/year=${year}/month=${month}/day=${day}/",
	} {
		if got := tb.Properties[k]; got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	checkTemplate(t, tb)
	empty, _, err := parseCreate(hiveddl.ExportProjected("ct", "s3://analytics/ct/", hiveddl.ExportLayout{}))
	if err != nil {
		t.Fatal(err)
	}
	if v := empty.Properties["projection.account.values"]; v != hiveddl.HiveNull {
		t.Errorf("an empty export's accounts: %q", v)
	}
}
