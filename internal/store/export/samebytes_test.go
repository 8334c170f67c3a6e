package export_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trailq/trailq/internal/gen"
	"github.com/trailq/trailq/internal/store"
	"github.com/trailq/trailq/internal/store/storetest"
)

// sums returns the SHA-256 of each file under dir.
func sums(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for rel := range exported(t, dir) {
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(b)
		m[rel] = hex.EncodeToString(s[:])
	}
	return m
}

// TestExportSameBytes: two exports of the same events are the same files, byte for byte, even with partitions
// larger than a row group (where parallel writers would split them into files differently each time): what lets
// a re-run of export --out s3:// upload nothing that is already there.
func TestExportSameBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and loads 300,000 events")
	}
	ctx := context.Background()
	logs := t.TempDir()
	plan, err := gen.NewPlan(gen.Options{Records: 300_000, Days: 3, Accounts: 2, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gen.Generate(ctx, plan, logs, nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "s.duckdb")
	storetest.LoadInto(t, path, filepath.Join(logs, "AWSLogs"))
	st, err := store.Open(ctx, path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var runs []map[string]string
	for i := range 3 {
		dir := filepath.Join(t.TempDir(), "export")
		res, err := st.Export(ctx, dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 && res.Rows != 300_000 {
			t.Fatalf("exported %d rows", res.Rows)
		}
		runs = append(runs, sums(t, dir))
	}
	for i := 1; i < len(runs); i++ {
		if diff := cmp.Diff(runs[0], runs[i]); diff != "" {
			t.Errorf("export %d differs from the first (-first +this):\n%s", i+1, diff)
		}
	}
}
