package store

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/partfile"
	"github.com/trailq/trailq/internal/store/internal/db"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with the file testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

// The events table's columns and their DuckDB types are the store's format: the native events table and the
// sign-in table of a new store, and a part file as DuckDB reads it, all have testdata/events-columns.golden
// (written by trailq before the columns were declared in internal/schema). A change there is a new SchemaVersion.
func TestEventsColumns(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "s.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dir := t.TempDir()
	w, err := partfile.Create(dir, "p.parquet")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add(&cloudtrail.Record{EventTime: cloudtrail.Str("2024-09-01T00:00:00Z")},
		partfile.NewOrigin(1, cloudtrail.ParseKey("loose.json"), "/loose.json")); err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	describe := func(q string, args ...any) string {
		t.Helper()
		rows, err := st.h.DB.QueryContext(ctx, q, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var b strings.Builder
		for rows.Next() {
			var name, typ string
			if err := rows.Scan(&name, &typ); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s %s\n", name, typ)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	const table = `SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index`
	native := describe(table, db.NativeTable)
	golden(t, "events-columns.golden", native)
	if got := describe(table, db.SignInsTable); got != native {
		t.Errorf("the sign-in table's columns:\n%s\nthe events table's:\n%s", got, native)
	}
	part := describe(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(?))`, filepath.Join(dir, "p.parquet"))
	if diff := cmp.Diff(native, part); diff != "" {
		t.Errorf("a part file's columns as DuckDB reads them (-events table +part file):\n%s", diff)
	}
}
