package local

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/trailq/trailq/internal/source"
	"github.com/trailq/trailq/internal/source/sourcetest"
)

func TestConformance(t *testing.T) {
	dir := t.TempDir()
	for k, v := range sourcetest.Objects {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	sourcetest.Run(t, src)
}

func TestSymlinkLoopIsNotFollowed(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.json"), []byte(`{"Records":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dir, filepath.Join(dir, "loop")); err != nil {
		t.Fatal(err)
	}
	src, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	if err := src.List(t.Context(), "", func(o source.Object) error { keys = append(keys, o.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != "a.json" {
		t.Fatalf("List = %q, want only a.json (the link to the folder itself is not followed)", keys)
	}
}

func TestSingleFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "events.json")
	if err := os.WriteFile(p, []byte(`{"Records":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	if err := src.List(t.Context(), "", func(o source.Object) error { keys = append(keys, o.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != "events.json" {
		t.Fatalf("List = %q, want [events.json]", keys)
	}
	rc, err := src.Open(t.Context(), "events.json")
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
}
