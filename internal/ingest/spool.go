package ingest

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/trailq/trailq/internal/source"
)

// Spool keeps a copy of the objects read through it on the local disk, so that a second read of them (the load
// after an answer first) does not fetch them again from a remote source. Only objects read to their end are
// kept; a copy that cannot be written (a full disk) is given up, and the object is fetched again.
type Spool struct {
	src source.Source
	dir string

	mu   sync.Mutex
	kept map[string]string // key -> file in dir
	n    int
}

var _ source.Source = (*Spool)(nil)

// NewSpool returns a Spool of src that keeps its copies in dir (created when needed; the caller removes it).
func NewSpool(src source.Source, dir string) *Spool {
	return &Spool{src: src, dir: dir, kept: map[string]string{}}
}

// List lists src.
func (s *Spool) List(ctx context.Context, prefix string, fn func(source.Object) error) error {
	return s.src.List(ctx, prefix, fn)
}

// String names src.
func (s *Spool) String() string { return s.src.String() }

// Location names an object as src names it (Athena's "$path").
func (s *Spool) Location(key string) string { return location(s.src, key) }

// Open opens the object in src, and copies what is read of it into the spool.
func (s *Spool) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := s.src.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return rc, nil // no copy: the object is fetched again
	}
	s.mu.Lock()
	s.n++
	name := strconv.Itoa(s.n)
	s.mu.Unlock()
	f, err := os.Create(filepath.Join(s.dir, name))
	if err != nil {
		return rc, nil
	}
	return &teeReader{s: s, key: key, name: name, rc: rc, f: f}, nil
}

// Replay returns a source that reads the objects the spool kept from the disk, and the others from src.
func (s *Spool) Replay() source.Source { return &replay{s} }

// teeReader copies an object into the spool as it is read.
type teeReader struct {
	s         *Spool
	key, name string
	rc        io.ReadCloser
	f         *os.File // nil once the copy is given up
	eof       bool
}

func (t *teeReader) Read(p []byte) (int, error) {
	n, err := t.rc.Read(p)
	if n > 0 && t.f != nil {
		if _, werr := t.f.Write(p[:n]); werr != nil {
			t.giveUp()
		}
	}
	if errors.Is(err, io.EOF) {
		t.eof = true
	}
	return n, err
}

func (t *teeReader) giveUp() {
	t.f.Close()
	os.Remove(t.f.Name())
	t.f = nil
}

// Close keeps the copy when the object was read to its end.
func (t *teeReader) Close() error {
	err := t.rc.Close()
	if t.f == nil {
		return err
	}
	if !t.eof {
		t.giveUp()
		return err
	}
	if cerr := t.f.Close(); cerr != nil {
		os.Remove(t.f.Name())
		return err
	}
	t.s.mu.Lock()
	t.s.kept[t.key] = t.name
	t.s.mu.Unlock()
	return err
}

// replay serves a spool's copies.
type replay struct{ s *Spool }

func (r *replay) List(ctx context.Context, prefix string, fn func(source.Object) error) error {
	return r.s.src.List(ctx, prefix, fn)
}

func (r *replay) String() string { return r.s.src.String() }

func (r *replay) Location(key string) string { return location(r.s.src, key) }

// Open reads the spool's copy of the object, or the object in the source when there is none.
func (r *replay) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.s.mu.Lock()
	name, ok := r.s.kept[key]
	r.s.mu.Unlock()
	if ok {
		if f, err := os.Open(filepath.Join(r.s.dir, name)); err == nil {
			return f, nil
		}
	}
	return r.s.src.Open(ctx, key)
}
