package parts_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trailq/trailq/internal/store"
	"github.com/trailq/trailq/internal/store/storetest"
)

// reload loads the sample logs again into the store at path (a writable open first repairs what is damaged).
func reload(t *testing.T, path string) string {
	return storetest.LoadInto(t, path, storetest.SampleDir())
}

// reloadWithMore loads one more log file into the store, into a part of its own.
func reloadWithMore(t *testing.T, path string) { storetest.LoadInto(t, path, storetest.ExtraLog(t)) }

// TestDamagedPartIsRefusedAndRepaired damages a part file in the ways a disk, a copy or a hand can: each is
// refused by a read-only open (naming the part and the fix), and the next load repairs it so that the store
// answers as a clean load's does.
func TestDamagedPartIsRefusedAndRepaired(t *testing.T) {
	ref := storetest.LoadedStore(t)
	reloadWithMore(t, ref)
	clean := storetest.Fingerprint(t, ref).Answers
	damages := map[string]func(t *testing.T, part, other string){
		"a bit flipped": func(t *testing.T, part, _ string) {
			f, err := os.OpenFile(part, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			b := make([]byte, 1)
			f.ReadAt(b, 5000)
			b[0] ^= 0x10
			f.WriteAt(b, 5000)
		},
		"truncated": func(t *testing.T, part, _ string) { os.Truncate(part, 1000) },
		"the parts folder removed": func(t *testing.T, part, _ string) {
			os.RemoveAll(filepath.Dir(part))
		},
		"removed": func(t *testing.T, part, _ string) { os.Remove(part) },
		"another part copied over it": func(t *testing.T, part, other string) {
			b, err := os.ReadFile(other)
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(part, b, 0o600)
		},
	}
	for name, damage := range damages {
		t.Run(name, func(t *testing.T) {
			path := storetest.LoadedStore(t)
			reloadWithMore(t, path) // a second part, to copy over the first
			parts, _ := filepath.Glob(filepath.Join(store.PartsDir(path), "part-*.parquet"))
			if len(parts) < 2 {
				t.Fatalf("%d parts; want 2", len(parts))
			}
			damage(t, parts[0], parts[1])
			_, err := store.Open(context.Background(), path, store.Options{ReadOnly: true, Sandbox: true})
			var de *store.DamagedError
			if !errors.As(err, &de) || len(de.Parts) == 0 || de.Parts[0].Name != filepath.Base(parts[0]) || !strings.Contains(err.Error(), "trailq load") {
				t.Fatalf("read-only open: %v; want a DamagedError naming %s and the fix", err, filepath.Base(parts[0]))
			}
			notes := reload(t, path)
			if !strings.Contains(notes, "Repairing") || !strings.Contains(notes, filepath.Base(parts[0])) {
				t.Errorf("the load did not say what it repaired: %q", notes)
			}
			// The extra log file is read again too (a part of its own may be the one lost): nothing is lost then.
			reloadWithMore(t, path)
			if w := storetest.Warnings(t, path); len(w) != 0 {
				t.Errorf("warnings once every log file was read again: %q", w)
			}
			got := storetest.Fingerprint(t, path).Answers
			if diff := cmp.Diff(clean, got); diff != "" {
				t.Errorf("answers after the repair (-clean +got):\n%s", diff)
			}
		})
	}
}

// TestBitFlipsAnywhereAreFoundAndRepaired flips one bit at offsets across a part (magic, pages, footer): each
// is refused by a read-only open, and the next load's answers equal a clean load's. (Before part checksums, 9 of
// 19 such flips gave a different answer with no error.)
func TestBitFlipsAnywhereAreFoundAndRepaired(t *testing.T) {
	ref := storetest.LoadedStore(t)
	reloadWithMore(t, ref)
	clean := storetest.Fingerprint(t, ref).Answers
	for i := range 6 {
		path := storetest.LoadedStore(t)
		reloadWithMore(t, path)
		parts, _ := filepath.Glob(filepath.Join(store.PartsDir(path), "part-*.parquet"))
		info, err := os.Stat(parts[0])
		if err != nil {
			t.Fatal(err)
		}
		off := []int64{1, info.Size() / 5, info.Size() / 2, 3 * info.Size() / 4, info.Size() - 30, info.Size() - 3}[i]
		f, err := os.OpenFile(parts[0], os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 1)
		f.ReadAt(b, off)
		b[0] ^= 1 << (i % 8)
		f.WriteAt(b, off)
		f.Close()
		if _, err := store.Open(context.Background(), path, store.Options{ReadOnly: true, Sandbox: true}); !errors.As(err, new(*store.DamagedError)) {
			t.Errorf("bit flipped at %d of %d: read-only open gave %v, want a DamagedError", off, info.Size(), err)
			continue
		}
		reload(t, path)
		if diff := cmp.Diff(clean, storetest.Fingerprint(t, path).Answers); diff != "" {
			t.Errorf("bit flipped at %d: answers after the repair (-clean +got):\n%s", off, diff)
		}
	}
}
