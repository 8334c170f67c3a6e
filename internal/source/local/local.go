package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/trailq/trailq/internal/source"
)

var _ source.Source = (*Local)(nil)

// Local reads log objects from a folder tree (or one file). Keys are slash-separated paths relative to the root;
// for a single file the key is the file's base name.
type Local struct {
	root   string // absolute folder path, or the folder of the single file
	single string // base name of the single file, or ""
}

// New returns a Local source for path, a folder or one file.
func New(path string) (*Local, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", path, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("open source %s: %w", path, err)
	}
	if fi.IsDir() {
		return &Local{root: abs}, nil
	}
	return &Local{root: filepath.Dir(abs), single: filepath.Base(abs)}, nil
}

// String returns the absolute path of the folder or file.
func (l *Local) String() string {
	if l.single != "" {
		return filepath.Join(l.root, l.single)
	}
	return l.root
}

// List walks the folder in lexical order. Symbolic links to files are followed; links to folders are not
// (which also rules out link loops). What it cannot list — a sub-folder it cannot read, a link that leads
// nowhere or in a loop, a link to a folder — does not stop it: once it listed the rest, it returns an
// *IncompleteError that names each.
func (l *Local) List(ctx context.Context, prefix string, fn func(source.Object) error) error {
	if l.single != "" {
		if !strings.HasPrefix(l.single, prefix) {
			return nil
		}
		fi, err := os.Stat(filepath.Join(l.root, l.single))
		if err != nil {
			return fmt.Errorf("stat %s: %w", l.single, err)
		}
		return fn(source.Object{Key: l.single, Size: fi.Size(), ModTime: fi.ModTime()})
	}
	start := l.root
	// Walk only the part of the tree the prefix can be in.
	if dir := prefix[:strings.LastIndex(prefix, "/")+1]; dir != "" {
		start = filepath.Join(l.root, filepath.FromSlash(dir))
		if _, err := os.Stat(start); errors.Is(err, fs.ErrNotExist) {
			return nil
		}
	}
	w := walker{root: l.root, prefix: prefix, fn: fn}
	entries, err := os.ReadDir(start)
	if err != nil {
		return fmt.Errorf("read folder %s: %w", start, err)
	}
	if err := w.walk(ctx, start, entries); err != nil {
		return err
	}
	if len(w.skipped) > 0 {
		return &IncompleteError{Unlisted: w.skipped}
	}
	return nil
}

// IncompleteError is List's error when it listed everything but the parts it names.
type IncompleteError struct {
	// Unlisted has an *fs.PathError for each: its Path is the key (the slash-separated path from the root).
	Unlisted []*fs.PathError
}

func (e *IncompleteError) Error() string {
	msg := fmt.Sprintf("%d parts of the folder not listed", len(e.Unlisted))
	if len(e.Unlisted) == 1 {
		msg = "a part of the folder not listed"
	}
	return msg + ": " + e.Unlisted[0].Error()
}

// Incomplete returns the parts not listed, as errors that name them (*fs.PathError with the key as Path).
func (e *IncompleteError) Incomplete() []error {
	out := make([]error, len(e.Unlisted))
	for i, pe := range e.Unlisted {
		out[i] = pe
	}
	return out
}

// walker lists the regular files under a folder.
type walker struct {
	root, prefix string
	fn           func(source.Object) error
	skipped      []*fs.PathError
}

func (w *walker) skip(p, op string, err error) {
	key := w.key(p)
	if !strings.HasPrefix(key, w.prefix) && !strings.HasPrefix(w.prefix, key+"/") {
		return // outside what was asked for
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the path is named once, as a key
	}
	w.skipped = append(w.skipped, &fs.PathError{Op: op, Path: key, Err: err})
}

func (w *walker) key(p string) string {
	rel, err := filepath.Rel(w.root, p)
	if err != nil {
		return p
	}
	return filepath.ToSlash(rel)
}

// walk visits the regular files of dir (whose entries are given) and below in lexical order of their
// slash-separated keys.
func (w *walker) walk(ctx context.Context, dir string, entries []fs.DirEntry) error {
	// Key order: "a/b" < "a-c" must compare as strings of the full key, which is the order of names + "/" for folders.
	type item struct {
		name string
		sort string
		dir  bool
	}
	items := make([]item, 0, len(entries))
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		isDir := e.IsDir()
		if e.Type()&fs.ModeSymlink != 0 {
			fi, err := os.Stat(p)
			switch {
			case err != nil:
				w.skip(p, "follow link", err) // dangling, or a loop of links
				continue
			case fi.IsDir():
				w.skip(p, "follow link", errors.New("a link to a folder, not followed"))
				continue
			}
		}
		s := e.Name()
		if isDir {
			s += "/"
		}
		items = append(items, item{name: e.Name(), sort: s, dir: isDir})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].sort < items[j].sort })
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := filepath.Join(dir, it.name)
		if it.dir {
			sub, err := os.ReadDir(p)
			if err != nil {
				w.skip(p, "read folder", err)
				if len(sub) == 0 {
					continue
				}
			}
			if err := w.walk(ctx, p, sub); err != nil {
				return err
			}
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			w.skip(p, "stat", err)
			continue
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		key := w.key(p)
		if !strings.HasPrefix(key, w.prefix) {
			continue
		}
		if err := w.fn(source.Object{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
			return err
		}
	}
	return nil
}

// Open opens the file at key.
func (l *Local) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !fs.ValidPath(key) {
		return nil, fmt.Errorf("open %s: invalid key: %w", key, fs.ErrNotExist)
	}
	if l.single != "" && key != l.single {
		return nil, fmt.Errorf("open %s: %w", key, fs.ErrNotExist)
	}
	f, err := os.Open(filepath.Join(l.root, filepath.FromSlash(key)))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", key, err)
	}
	return f, nil
}

var _ source.DirLister = (*Local)(nil)

// ListsLocally reports that listing the whole folder is cheap (source.LocalLister).
func (l *Local) ListsLocally() bool { return true }

// ListDirs returns the sub-folders of prefix.
func (l *Local) ListDirs(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if l.single != "" {
		return nil, nil
	}
	entries, err := os.ReadDir(filepath.Join(l.root, filepath.FromSlash(prefix)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read folder %s: %w", prefix, err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	sort.Strings(dirs)
	return dirs, nil
}
