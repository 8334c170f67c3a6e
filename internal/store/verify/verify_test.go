package verify_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/store"
	"github.com/trailq/trailq/internal/store/storetest"
)

// reload loads the sample logs again into the store at path (a writable open first repairs what is damaged).
func reload(t *testing.T, path string) string {
	return storetest.LoadInto(t, path, storetest.SampleDir())
}

// TestCopiedStoreIsNotDamaged: a store copied without its files' times is hashed, found intact and answered from.
func TestCopiedStoreIsNotDamaged(t *testing.T) {
	path := storetest.LoadedStore(t)
	parts, _ := filepath.Glob(filepath.Join(store.PartsDir(path), "part-*.parquet"))
	later := time.Now().Add(time.Hour)
	for _, p := range parts {
		os.Chtimes(p, later, later)
	}
	st, err := store.Open(context.Background(), path, store.Options{ReadOnly: true, Sandbox: true})
	if err != nil {
		t.Fatalf("read-only open of an intact copy: %v", err)
	}
	st.Close()
	if notes := reload(t, path); strings.Contains(notes, "Repairing") {
		t.Errorf("an intact copy was repaired: %s", notes)
	}
}

// TestVerifyFindsWhatTheOpenCannot: a byte changed with the file's time put back passes the cheap check of
// an open; VerifyParts hashes every part and names it.
func TestVerifyFindsWhatTheOpenCannot(t *testing.T) {
	path := storetest.LoadedStore(t)
	parts, _ := filepath.Glob(filepath.Join(store.PartsDir(path), "part-*.parquet"))
	fi, _ := os.Stat(parts[0])
	f, _ := os.OpenFile(parts[0], os.O_RDWR, 0)
	b := make([]byte, 1)
	f.ReadAt(b, 3000)
	b[0] ^= 1
	f.WriteAt(b, 3000)
	f.Close()
	os.Chtimes(parts[0], fi.ModTime(), fi.ModTime())
	st, err := store.Open(context.Background(), path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	checks, err := st.VerifyParts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var bad []string
	for _, c := range checks {
		if c.Problem != "" {
			bad = append(bad, c.Name+": "+c.Problem)
		}
	}
	if len(bad) != 1 || !strings.Contains(bad[0], "content changed") {
		t.Errorf("verify found %v; want the changed part", bad)
	}
}
