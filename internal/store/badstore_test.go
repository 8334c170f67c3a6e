package store_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/trailq/trailq/internal/store"
)

// openBoth opens path read-only and then for writing, expecting both to fail with a *store.BadStoreError whose
// message has every one of want and none of the words of a raw DuckDB error or of a deletion; the folder that
// holds path must be byte for byte as it was (no table added, no .wal, no parts folder).
func openBoth(t *testing.T, path string, want ...string) {
	t.Helper()
	before := listing(t, filepath.Dir(path))
	for _, ro := range []bool{true, false} {
		st, err := store.Open(context.Background(), path, store.Options{ReadOnly: ro})
		if err == nil {
			st.Close()
			t.Errorf("read-only %v: opened; want it refused", ro)
			continue
		}
		var bad *store.BadStoreError
		if !errors.As(err, &bad) {
			t.Errorf("read-only %v: %v (%T); want a *store.BadStoreError", ro, err, err)
		}
		msg := err.Error()
		for _, w := range append([]string{path}, want...) {
			if !strings.Contains(msg, w) {
				t.Errorf("read-only %v: the message lacks %q:\n%s", ro, w, msg)
			}
		}
		for _, no := range []string{"IO Error", "database/sql/driver", "delete", "Catalog Error"} {
			if strings.Contains(msg, no) {
				t.Errorf("read-only %v: the message has %q:\n%s", ro, no, msg)
			}
		}
	}
	if diff := cmp.Diff(before, listing(t, filepath.Dir(path))); diff != "" {
		t.Errorf("the refused open changed the folder (-before +after):\n%s", diff)
	}
}

func sum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// TestNewerFormatIsKept: a store written by a newer trailq (a store format above this one's, or a newer DuckDB
// storage version) is refused with the version it needs, never with advice to delete it, and is not changed.
func TestNewerFormatIsKept(t *testing.T) {
	path := loadedStore(t)
	st, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetMeta(context.Background(), "schema", "2"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	openBoth(t, path, "this store has format 2", "this trailq reads up to format "+store.SchemaVersion, "use a newer trailq")

	// A newer trailq's DuckDB may write a newer storage version: its header says so (with the header's checksum
	// made again, as DuckDB checks it first).
	path = loadedStore(t)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := binary.LittleEndian.Uint64(b), duckdbChecksum(b[8:4096]); got != want {
		t.Fatalf("DuckDB's header checksum is %d, the test computes %d: DuckDB changed its checksum, update duckdbChecksum", got, want)
	}
	binary.LittleEndian.PutUint64(b[12:], 69) // the storage version, after the checksum and "DUCK"
	binary.LittleEndian.PutUint64(b, duckdbChecksum(b[8:4096]))
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	openBoth(t, path, "newer DuckDB", "storage version 69", "use a newer trailq")
}

// duckdbChecksum is DuckDB's block checksum (src/common/checksum.cpp) of a buffer of whole 64-bit words.
func duckdbChecksum(b []byte) uint64 {
	r := uint64(5381)
	for i := 0; i+8 <= len(b); i += 8 {
		r ^= binary.LittleEndian.Uint64(b[i:]) * 0xbf58476d1ce4e5b9
	}
	return r
}

// TestUnusableStoreFile: a store file that is zeroed, truncated or empty, a folder, or another kind of file given
// as the store is named in words with what to do, and left as it is.
func TestUnusableStoreFile(t *testing.T) {
	good, err := os.ReadFile(loadedStore(t))
	if err != nil {
		t.Fatal(err)
	}
	damaged := []string{"restore it", "from a copy", "load again from them", "cannot bring back events whose logs are gone"}
	cases := []struct {
		name string
		make func(dir string) string // returns the store path
		want func(dir string) []string
	}{
		{"zeroed", func(dir string) string {
			return write(t, dir, "s.duckdb", make([]byte, len(good)))
		}, func(string) []string { return append([]string{"only zero bytes"}, damaged...) }},
		{"truncated in the header", func(dir string) string {
			return write(t, dir, "s.duckdb", good[:5000])
		}, func(string) []string { return append([]string{"is truncated"}, damaged...) }},
		{"truncated in the blocks", func(dir string) string {
			return write(t, dir, "s.duckdb", good[:len(good)/2])
		}, func(string) []string { return append([]string{"is truncated"}, damaged...) }},
		{"a byte changed", func(dir string) string {
			b := append([]byte(nil), good...)
			b[4096+100] ^= 0x10
			return write(t, dir, "s.duckdb", b)
		}, func(string) []string { return append([]string{"is damaged"}, damaged...) }},
		{"empty", func(dir string) string {
			return write(t, dir, "s.duckdb", nil)
		}, func(string) []string {
			return append([]string{"is empty (0 bytes)", "a path that does not exist yet"}, damaged...)
		}},
		{"a folder with a store", func(dir string) string {
			write(t, dir, "cloudtrail.duckdb", good)
			return dir
		}, func(dir string) []string {
			return []string{"is a folder", "point --store at the store's .duckdb file: " + filepath.Join(dir, "cloudtrail.duckdb")}
		}},
		{"an empty folder", func(dir string) string {
			return dir
		}, func(dir string) []string {
			return []string{"is a folder", "point --store at a store's .duckdb file", filepath.Join(dir, "trailq.duckdb")}
		}},
		{"the parts folder", func(dir string) string {
			write(t, dir, "s.duckdb", good)
			os.Mkdir(filepath.Join(dir, "s.duckdb.parts"), 0o700)
			return filepath.Join(dir, "s.duckdb.parts")
		}, func(dir string) []string {
			return []string{"is the part folder of the store " + filepath.Join(dir, "s.duckdb"), "--store " + filepath.Join(dir, "s.duckdb")}
		}},
		{"a log file", func(dir string) string {
			return write(t, dir, "s.duckdb", []byte(`{"Records":[]}`))
		}, func(string) []string { return []string{"not a DuckDB file", "JSON", "--source"} }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			openBoth(t, c.make(dir), c.want(dir)...)
		})
	}
}

func write(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestForeignDatabaseIsRefused: another application's DuckDB file given as the store is refused, naming what it
// holds, and not changed (trailq's tables are not added to it); an empty path is still made a store.
func TestForeignDatabaseIsRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.duckdb")
	c, err := duckdb.NewConnector(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	for _, q := range []string{
		`CREATE TABLE invoices (id INTEGER, total DECIMAL(10, 2))`,
		`INSERT INTO invoices VALUES (1, 9.99), (2, 20)`,
		`CREATE VIEW big AS SELECT * FROM invoices WHERE total > 10`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	before := sum(t, path)
	openBoth(t, path, "not a trailq store", "invoices", "big", "trailq added nothing to it", "a path that does not exist yet")
	if sum(t, path) != before {
		t.Error("the file's SHA-256 changed")
	}

	fresh := filepath.Join(dir, "new", "s.duckdb")
	st, err := store.Open(context.Background(), fresh, store.Options{})
	if err != nil {
		t.Fatalf("a new path: %v", err)
	}
	st.Close()
	if st, err = store.Open(context.Background(), fresh, store.Options{ReadOnly: true}); err != nil {
		t.Fatalf("the new store, read-only: %v", err)
	}
	st.Close()
}
