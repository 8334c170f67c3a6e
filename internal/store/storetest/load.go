package storetest

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/source/local"
	"github.com/trailq/trailq/internal/store"
)

// SampleDir returns the folder of the repository's sample logs (testdata/sample/AWSLogs).
func SampleDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", "sample", "AWSLogs")
}

// LoadedStore loads the sample logs into a new store and returns its path.
func LoadedStore(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.duckdb")
	LoadInto(t, path, SampleDir())
	return path
}

// LoadInto loads the logs under dir into the store at path (creating it) as trailq load does, and returns what
// the store said as it opened (a repair).
func LoadInto(t testing.TB, path, dir string) string {
	t.Helper()
	ctx := context.Background()
	var notes []string
	st, err := store.Open(ctx, path, store.Options{Notify: func(m string) { notes = append(notes, m) }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	src, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Run(ctx, src, st, ingest.Options{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	return strings.Join(notes, "\n")
}

// Listing returns every file and folder under dir with its mode and, for a file, its content: two listings
// differ when anything under dir changed.
func Listing(t testing.TB, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil {
			m[p] = fi.Mode().String()
			if !fi.IsDir() {
				b, _ := os.ReadFile(p)
				m[p] += " " + string(b)
			}
		}
		return nil
	})
	return m
}
