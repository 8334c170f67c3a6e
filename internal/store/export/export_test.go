package export_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trailq/trailq/internal/store"
	"github.com/trailq/trailq/internal/store/storetest"
)

// exported lists the files under dir (relative, slash-separated) with their sizes.
func exported(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	m := map[string]int64{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		m[filepath.ToSlash(rel)] = fi.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func copyFile(t *testing.T, from, to string, n int) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if n >= 0 {
		b = b[:n]
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestExportOverStoppedExport: an export stopped midway (its staging folder with a half-written file, some
// files already in place, one not yet) is cleaned up and written again by the next export into the same folder;
// a folder with anything else in it is refused and left alone, as is a finished export; an export that fails
// leaves its folder as it found it.
func TestExportOverStoppedExport(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, storetest.LoadedStore(t), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	extra := map[string][]byte{"athena.sql": []byte("CREATE EXTERNAL TABLE x;\n")}
	clean := filepath.Join(t.TempDir(), "clean")
	want, err := st.Export(ctx, clean, extra)
	if err != nil {
		t.Fatal(err)
	}
	files := exported(t, clean)
	var names []string
	for n := range files {
		if strings.HasSuffix(n, ".parquet") {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	if len(names) < 2 || len(names) != want.Files || want.Rows == 0 {
		t.Fatalf("the sample's export: %d files listed, %+v; want at least two files and rows", len(names), want)
	}
	if _, ok := files["athena.sql"]; !ok {
		t.Fatalf("no athena.sql in %v", files)
	}

	// Stopped while moving files in place: the first is there, the second half-written in the staging folder.
	out := filepath.Join(t.TempDir(), "out")
	staging := filepath.Join(out, ".trailq-export-unfinished")
	copyFile(t, filepath.Join(clean, names[0]), filepath.Join(out, names[0]), -1)
	copyFile(t, filepath.Join(clean, names[1]), filepath.Join(staging, names[1]+".tmp"), int(files[names[1]]/2))
	copyFile(t, filepath.Join(clean, "athena.sql"), filepath.Join(staging, "athena.sql.tmp"), 3)
	got, err := st.Export(ctx, out, extra)
	if err != nil {
		t.Fatalf("export over a stopped export: %v", err)
	}
	if got != want {
		t.Errorf("export over a stopped export: %+v, want %+v", got, want)
	}
	if diff := cmp.Diff(files, exported(t, out)); diff != "" {
		t.Errorf("export over a stopped export: files (-clean +got):\n%s", diff)
	}
	var rows int64
	q := `SELECT count(*) FROM (SELECT * FROM read_parquet('` + out + `/**/*.parquet') EXCEPT ALL SELECT * FROM read_parquet('` + clean + `/**/*.parquet'))`
	if err := queryRow(t, st, q, &rows); err != nil || rows != 0 {
		t.Errorf("rows that differ from a clean export: %d (%v)", rows, err)
	}

	// Anything but a stopped export's files refuses the export, with the folder unchanged.
	for name, fill := range map[string]func(dir string){
		"a finished export": func(dir string) { os.CopyFS(dir, os.DirFS(clean)) },
		"a stopped export with a file of the user's": func(dir string) {
			copyFile(t, filepath.Join(clean, names[0]), filepath.Join(dir, ".trailq-export-unfinished", names[0]+".tmp"), 10)
			copyFile(t, filepath.Join(clean, names[0]), filepath.Join(dir, names[0]), -1)
			os.WriteFile(filepath.Join(dir, filepath.Dir(names[0]), "notes.txt"), []byte("mine"), 0o644)
		},
		"a stopped export with a folder of the user's": func(dir string) {
			os.MkdirAll(filepath.Join(dir, ".trailq-export-unfinished"), 0o755)
			os.MkdirAll(filepath.Join(dir, "account=1", "mine"), 0o755)
		},
	} {
		dir := filepath.Join(t.TempDir(), "out")
		os.MkdirAll(dir, 0o755)
		fill(dir)
		before := storetest.Listing(t, dir)
		_, err := st.Export(ctx, dir, extra)
		if err == nil || !strings.Contains(err.Error(), "give a new or empty folder") {
			t.Errorf("%s: %v; want it refused", name, err)
		}
		if diff := cmp.Diff(before, storetest.Listing(t, dir)); diff != "" {
			t.Errorf("%s: the refused export changed the folder (-before +after):\n%s", name, diff)
		}
	}

	// A failed export takes back what it wrote.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	failed := filepath.Join(t.TempDir(), "failed")
	if _, err := st.Export(cancelled, failed, extra); err == nil {
		t.Error("a cancelled export succeeded")
	}
	if entries, err := os.ReadDir(failed); err != nil || len(entries) > 0 {
		t.Errorf("after a failed export the folder holds %v (%v); want it empty", entries, err)
	}
}

func queryRow(t *testing.T, st *store.Store, q string, dst *int64) error {
	t.Helper()
	rows, err := st.Query(context.Background(), q)
	if err != nil {
		return err
	}
	defer rows.Close()
	rows.Next()
	v, err := rows.Values()
	if err != nil {
		return err
	}
	*dst, _ = v[0].(int64)
	return rows.Err()
}
