package preview_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/store"
	"github.com/trailq/trailq/internal/store/preview"
	"github.com/trailq/trailq/internal/store/storetest"
)

// TestStalePreviewsAreRemoved: a load removes the preview folders a killed process left (unchanged for an hour),
// not one a running query is reading.
func TestStalePreviewsAreRemoved(t *testing.T) {
	ctx := context.Background()
	p := storetest.NewStore(t)
	stale, _ := preview.Dir(p)
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
	st, err := store.Open(ctx, p, store.Options{})
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
