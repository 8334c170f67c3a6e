package preview

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/trailq/trailq/internal/schema"
	"github.com/trailq/trailq/internal/store/internal/db"
)

func TestScanColumns(t *testing.T) {
	all := append(schema.Names(schema.Athena), "region", "year", "month", "day")
	slices.Sort(all)
	tests := []struct {
		sql  string
		want []string // nil: every column of cloudtrail_logs
	}{
		// A column only a filter reads is still read (DuckDB would otherwise push it into the scan, out of its
		// projection).
		{`SELECT eventname FROM cloudtrail_logs WHERE eventtype = 'AwsConsoleSignIn' AND eventtime >= '2024-09-01'`,
			[]string{"eventname", "eventtime", "eventtype"}},
		{`SELECT useridentity.arn, count(*) FROM cloudtrail_logs GROUP BY 1`, []string{"useridentity"}},
		{`SELECT count(*) FROM cloudtrail_logs WHERE useridentity.sessioncontext.attributes.mfaauthenticated = 'true'`,
			[]string{"useridentity"}},
		{`SELECT count(*) FROM cloudtrail_logs`, []string{}},
		// A filter that cannot hold on an empty table is not folded away.
		{`SELECT eventname FROM cloudtrail_logs WHERE errorcode = 'x' AND 1 = 1 LIMIT 5`, []string{"errorcode", "eventname"}},
		{`SELECT a.eventname FROM cloudtrail_logs a JOIN cloudtrail_logs b ON a.eventid = b.sharedeventid WHERE b.readonly = 'false'`,
			[]string{"eventid", "eventname", "readonly", "sharedeventid"}},
		{`WITH x AS (SELECT * FROM cloudtrail_logs) SELECT eventsource FROM x WHERE eventtime IN (SELECT eventtime FROM cloudtrail_logs WHERE requestparameters IS NULL)`,
			[]string{"eventsource", "eventtime", "requestparameters"}},
		{`SELECT r.arn FROM cloudtrail_logs, UNNEST(resources) AS t(r) WHERE awsregion = 'us-east-1'`, []string{"awsregion", "resources"}},
		{`SELECT "$path", "timestamp" FROM cloudtrail_logs_ext WHERE account = '1'`, []string{"_path", "account", "day", "month", "year"}},
		{`SELECT json_extract_string(responseelements, '$.ConsoleLogin') FROM cloudtrail_logs ORDER BY eventtime DESC`,
			[]string{"eventtime", "responseelements"}},
		{`SELECT * FROM cloudtrail_logs WHERE eventname = 'x'`, nil},
		{`SELECT t FROM cloudtrail_logs t`, nil},
	}
	for _, tt := range tests {
		got, err := ScanColumns(context.Background(), tt.sql, nil)
		if err != nil {
			t.Errorf("%s: %v", tt.sql, err)
			continue
		}
		want := tt.want
		if want == nil {
			want = all
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n got %v\nwant %v", tt.sql, got, want)
		}
	}
}

func TestScanColumnsRefusesOtherTables(t *testing.T) {
	for _, q := range []string{
		`SELECT count(*) FROM trailq_objects`,
		`SELECT eventname FROM cloudtrail_logs WHERE eventid IN (SELECT eventid FROM trailq_signins)`,
	} {
		if _, err := ScanColumns(context.Background(), q, nil); !errors.Is(err, ErrNotPreviewable) {
			t.Errorf("%s: err = %v, want ErrNotPreviewable", q, err)
		}
	}
	for _, q := range []string{
		`DELETE FROM cloudtrail_events`,
		`SELECT * FROM nowhere`,
		`SELECT * FROM read_csv('/etc/passwd')`,
		`SELEC 1`,
	} {
		if _, err := ScanColumns(context.Background(), q, nil); err == nil {
			t.Errorf("%s: no error", q)
		}
	}
}

// TestHidingOptimizersAreDuckDBs fails when DuckDB's optimizers change (a new DuckDB): hidingOptimizers must then
// be every optimizer but the two that drop unread columns, or ScanColumns may miss a column.
func TestHidingOptimizersAreDuckDBs(t *testing.T) {
	duck, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	names, err := db.Column[string](context.Background(), duck, `SELECT name FROM duckdb_optimizers() WHERE name NOT IN ('unused_columns', 'column_lifetime') ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	have := slices.Sorted(slices.Values(hidingOptimizers))
	if !slices.Equal(names, have) {
		t.Errorf("DuckDB's optimizers other than unused_columns and column_lifetime:\n%s\nhidingOptimizers:\n%s",
			strings.Join(names, ","), strings.Join(have, ","))
	}
}
