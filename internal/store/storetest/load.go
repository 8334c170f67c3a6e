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

// ExtraLog writes a log file of one record outside the sample, in a trail's folders of its own under a new
// folder, and returns that folder (an AWSLogs folder): loaded after the sample, it makes a second part.
func ExtraLog(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "AWSLogs", "999999999999", "CloudTrail", "us-east-1", "2024", "09", "01")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rec := `{"Records":[{"eventVersion":"1.08","eventTime":"2024-09-01T00:00:00Z","eventSource":"iam.amazonaws.com","eventName":"ExtraEvent","awsRegion":"us-east-1","eventID":"extra-1","userIdentity":{"type":"Root"},"recipientAccountId":"999999999999"}]}`
	if err := os.WriteFile(filepath.Join(dir, "999999999999_CloudTrail_us-east-1_20240901T0000Z_extra.json"), []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(dir))))))
}

// Warnings returns what every answer of the store at path says it lacks (Store.Warnings), read through a
// sandboxed handle as queries are.
func Warnings(t testing.TB, path string) []string {
	t.Helper()
	st, err := store.Open(context.Background(), path, store.Options{ReadOnly: true, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w, err := st.Warnings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// NewStore creates an empty store and returns its path.
func NewStore(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s.duckdb")
	st, err := store.Open(context.Background(), p, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	return p
}
