package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/trailq/trailq/internal/store"
)

// StoreInfo describes a store file: what it was loaded from and what it holds.
type StoreInfo struct {
	Path     string
	Source   string // the source of its last load
	Bytes    int64  // the file, its write-ahead log and its parts folder
	Span            // its events and their first and last time
	LastLoad time.Time
	// Problem says why the store could not be read (in use by a load, damaged); the rest is then unknown.
	Problem string
}

// Stores describes the store files in dir (the stores folder of the cache: one per source), by path.
func Stores(ctx context.Context, dir string) ([]StoreInfo, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.duckdb"))
	if err != nil {
		return nil, fmt.Errorf("list stores in %s: %w", dir, err)
	}
	slices.Sort(paths)
	out := make([]StoreInfo, 0, len(paths))
	for _, p := range paths {
		out = append(out, describeStore(ctx, p))
	}
	return out, nil
}

func describeStore(ctx context.Context, path string) StoreInfo {
	info := StoreInfo{Path: path, Bytes: storeBytes(path)}
	st, err := store.Open(ctx, path, store.Options{ReadOnly: true, NoPartCheck: true})
	if err != nil {
		info.Problem = err.Error()
		if i := strings.IndexByte(info.Problem, '\n'); i >= 0 {
			info.Problem = info.Problem[:i]
		}
		return info
	}
	defer st.Close()
	if info.Source, err = st.Meta(ctx, "source"); err != nil {
		info.Problem = err.Error()
		return info
	}
	if info.Span, err = EventSpan(ctx, st); err != nil {
		info.Problem = err.Error()
		return info
	}
	rows, err := st.Query(ctx, `SELECT max(loaded_at) FROM trailq_objects`)
	if err == nil {
		if rows.Next() {
			if v, err := rows.Values(); err == nil {
				info.LastLoad, _ = v[0].(time.Time)
			}
		}
		rows.Close()
	}
	return info
}

// storeBytes is the size of a store: its file, its write-ahead log and its parts folder.
func storeBytes(path string) int64 {
	var n int64
	for _, p := range []string{path, path + ".wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	filepath.WalkDir(store.PartsDir(path), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// RemoveStore deletes a store: its file, its write-ahead log and its parts folder. A store in use by another
// trailq process is refused.
func RemoveStore(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("remove store %s: %w", path, err)
	}
	// A writable open takes the file's lock: a store another process has open is not removed under it.
	st, err := store.Open(ctx, path, store.Options{ReadOnly: true, NoPartCheck: true})
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("remove store %s: %w", path, err)
	}
	if st != nil {
		st.Close()
	}
	var errs []error
	for _, p := range []string{store.PartsDir(path), path + ".wal", ViewsPath(path), ReportedPath(path), path} {
		if err := os.RemoveAll(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove store %s: %w", path, err)
	}
	return nil
}
