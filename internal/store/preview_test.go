package store

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/store/internal/db"
)

func TestScanColumns(t *testing.T) {
	all := append(AthenaColumns(), "region", "year", "month", "day")
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
	st, err := Open(context.Background(), newStore(t), Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	names, err := db.Column[string](context.Background(), st.h.DB, `SELECT name FROM duckdb_optimizers() WHERE name NOT IN ('unused_columns', 'column_lifetime') ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	have := slices.Sorted(slices.Values(hidingOptimizers))
	if !slices.Equal(names, have) {
		t.Errorf("DuckDB's optimizers other than unused_columns and column_lifetime:\n%s\nhidingOptimizers:\n%s",
			strings.Join(names, ","), strings.Join(have, ","))
	}
}

// TestStalePreviewsAreRemoved: a load removes the preview folders a killed process left (unchanged for an hour),
// not one a running query is reading.
func TestStalePreviewsAreRemoved(t *testing.T) {
	ctx := context.Background()
	p := newStore(t)
	stale, _ := PreviewDir(p)
	fresh := stale + "-fresh"
	for _, d := range []string{stale, fresh} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "preview-0.parquet"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	st, err := Open(ctx, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ld, err := st.BeginLoad(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ld.Close()
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the stale preview folder is still there (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(fresh, "preview-0.parquet")); err != nil {
		t.Errorf("the fresh preview folder was touched: %v", err)
	}
}

func newStore(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s.duckdb")
	st, err := Open(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	return p
}
