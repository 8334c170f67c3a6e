package store_test

import (
	"context"
	"database/sql/driver"
	"path/filepath"
	"testing"

	"github.com/trailq/trailq/internal/store"
)

// TestDerivedTable: a table another package keeps is created, appended to, kept when its rules stay, emptied
// when they change, and loses the rows of objects that are gone from the table it follows.
func TestDerivedTable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.duckdb")
	loadInto(t, path, sampleDir)
	st, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d := store.Derived{Name: "test_derived", Columns: [][2]string{{"v", "VARCHAR"}, {"_file_id", "BIGINT"}}, Version: "1", From: store.SignInRowsTable}
	count := func() (n int64) {
		t.Helper()
		rows, err := st.Query(ctx, `SELECT count(*) FROM test_derived`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		rows.Next()
		v, _ := rows.Values()
		return v[0].(int64)
	}
	if w, err := st.SyncDerived(ctx, d); err != nil || w != 0 {
		t.Fatalf("first sync: watermark %d, %v", w, err)
	}
	if ok, _ := st.Current(ctx, d); !ok {
		t.Errorf("not current after its sync")
	}
	// One row of an object that has sign-in rows, one of an object that does not exist.
	var signInFile int64
	rows, err := st.Query(ctx, `SELECT min(_file_id) FROM `+store.SignInRowsTable)
	if err != nil {
		t.Fatal(err)
	}
	rows.Next()
	v, _ := rows.Values()
	rows.Close()
	signInFile = v[0].(int64)
	if err := st.AppendDerived(ctx, d, [][]driver.Value{{"kept", signInFile}, {"gone", int64(1 << 40)}}); err != nil {
		t.Fatal(err)
	}
	if w, err := st.SyncDerived(ctx, d); err != nil || w != signInFile || count() != 1 {
		t.Errorf("second sync: watermark %d (want %d), %d rows (want the kept one), %v", w, signInFile, count(), err)
	}
	d.Version = "2"
	if ok, _ := st.Current(ctx, d); ok {
		t.Errorf("current under other rules")
	}
	if _, err := st.SyncDerived(ctx, d); err != nil || count() != 0 {
		t.Errorf("sync under new rules: %d rows, %v; want the table empty again", count(), err)
	}
	bad := store.Derived{Name: "x", Columns: [][2]string{{"v", "VARCHAR"}}, Version: "1", From: store.SignInRowsTable}
	if _, err := st.SyncDerived(ctx, bad); err == nil {
		t.Errorf("a table without _file_id last was taken")
	}
}
