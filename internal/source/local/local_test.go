package local

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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
	err = src.List(t.Context(), "", func(o source.Object) error { keys = append(keys, o.Key); return nil })
	if len(keys) != 1 || keys[0] != "a.json" {
		t.Fatalf("List = %q, want only a.json (the link to the folder itself is not followed)", keys)
	}
	// Not followed, but named.
	var ie *IncompleteError
	if !errors.As(err, &ie) || len(ie.Unlisted) != 1 || ie.Unlisted[0].Error() != "follow link loop: a link to a folder, not followed" {
		t.Fatalf("List error %v, want the link named", err)
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

// TestUnreadableFolderIsNamed: a sub-folder that cannot be read is named with the OS error, and the rest of the
// tree is listed. Root reads every folder, so as root the listing runs in a child process as nobody.
func TestUnreadableFolderIsNamed(t *testing.T) {
	dir := os.Getenv("TRAILQ_TEST_UNREADABLE")
	if dir == "" {
		dir = makeWorldTempDir(t)
		for _, k := range []string{"a/1.json", "b/locked/2.json", "b/open/3.json", "c.json"} {
			p := filepath.Join(dir, filepath.FromSlash(k))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(`{"Records":[]}`), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chmod(filepath.Join(dir, "b", "locked"), 0); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(filepath.Join(dir, "b", "locked"), 0o755) })
		if os.Geteuid() == 0 {
			runAsNobody(t, dir)
			return
		}
	}
	src, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	err = src.List(t.Context(), "", func(o source.Object) error { keys = append(keys, o.Key); return nil })
	if fmt.Sprint(keys) != "[a/1.json b/open/3.json c.json]" {
		t.Errorf("List = %q, want every file but the locked folder's", keys)
	}
	var ie *IncompleteError
	if !errors.As(err, &ie) || len(ie.Unlisted) != 1 || ie.Unlisted[0].Error() != "read folder b/locked: permission denied" {
		t.Errorf("List error %v, want the locked folder named", err)
	}
}

// makeWorldTempDir returns a new folder that every user can read, removed after the test.
func makeWorldTempDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "trailq-local-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if d != nil && d.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
		os.RemoveAll(dir)
	})
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runAsNobody runs the test in a child process as the user nobody, on dir.
func runAsNobody(t *testing.T, dir string) {
	bin := filepath.Join(makeWorldTempDir(t), "test.bin")
	b, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^"+t.Name()+"$", "-test.v")
	cmd.Env = append(os.Environ(), "TRAILQ_TEST_UNREADABLE="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
}
