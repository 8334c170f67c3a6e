package sourcetest

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"sort"
	"strings"
	"testing"

	"github.com/trailq/trailq/internal/source"
)

// Objects is the content every implementation is given: keys with nested folders, names that sort differently
// from a naive folder-first walk, and an empty object.
var Objects = map[string]string{
	"AWSLogs/111111111111/CloudTrail/us-east-1/2024/09/01/111111111111_CloudTrail_us-east-1_20240901T0000Z_a.json": `{"Records":[]}`,
	"AWSLogs/111111111111/CloudTrail/us-east-1/2024/09/02/111111111111_CloudTrail_us-east-1_20240902T0000Z_b.json": `{"Records":[{}]}`,
	"AWSLogs/111111111111/CloudTrail/eu-west-1/2024/09/01/111111111111_CloudTrail_eu-west-1_20240901T0005Z_c.json": `{"Records":[]}`,
	"AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2024/09/01/d.json.gz":                                        "not really gzip",
	"AWSLogs-x/e.json": "",
	"z.json":           `{}`,
}

// Run checks the Source contract on src, which must hold exactly Objects.
func Run(t *testing.T, src source.Source) {
	t.Helper()
	ctx := context.Background()
	var want []string
	for k := range Objects {
		want = append(want, k)
	}
	sort.Strings(want)

	t.Run("ListAllInOrder", func(t *testing.T) {
		got := list(t, src, "")
		if !equal(got, want) {
			t.Fatalf("List(\"\") = %q, want %q", got, want)
		}
	})
	t.Run("ListPrefix", func(t *testing.T) {
		for _, prefix := range []string{"AWSLogs/", "AWSLogs/111111111111/CloudTrail/us-east-1/", "AWSLogs/111111111111/CloudTrail/us-east-1/2024/09/0", "AWSLogs-", "nothing/here/", "z"} {
			var w []string
			for _, k := range want {
				if len(k) >= len(prefix) && k[:len(prefix)] == prefix {
					w = append(w, k)
				}
			}
			if got := list(t, src, prefix); !equal(got, w) {
				t.Errorf("List(%q) = %q, want %q", prefix, got, w)
			}
		}
	})
	t.Run("ListSizes", func(t *testing.T) {
		err := src.List(ctx, "", func(o source.Object) error {
			if got, want := o.Size, int64(len(Objects[o.Key])); got != want {
				t.Errorf("%s: size %d, want %d", o.Key, got, want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ListStopsAtFnError", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := src.List(ctx, "", func(source.Object) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Fatalf("List returned %v after %d calls, want the fn error after 1", err, n)
		}
	})
	t.Run("OpenReadsContent", func(t *testing.T) {
		for k, v := range Objects {
			rc, err := src.Open(ctx, k)
			if err != nil {
				t.Fatalf("Open(%q): %v", k, err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatalf("read %q: %v", k, err)
			}
			if string(b) != v {
				t.Errorf("Open(%q) = %q, want %q", k, b, v)
			}
		}
	})
	t.Run("OpenMissing", func(t *testing.T) {
		_, err := src.Open(ctx, "AWSLogs/nope.json")
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Open(missing) = %v, want an error matching fs.ErrNotExist", err)
		}
	})
	if al, ok := src.(source.AfterLister); ok {
		t.Run("ListAfter", func(t *testing.T) { listAfter(t, al, want) })
	}
	t.Run("Cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		err := src.List(cctx, "", func(source.Object) error { return nil })
		if !errors.Is(err, context.Canceled) {
			t.Errorf("List with a cancelled context = %v, want context.Canceled", err)
		}
		if _, err := src.Open(cctx, "z.json"); !errors.Is(err, context.Canceled) {
			t.Errorf("Open with a cancelled context = %v, want context.Canceled", err)
		}
	})
}

// listAfter checks an AfterLister: ListAfter(prefix, after) lists List(prefix)'s keys that sort after after.
func listAfter(t *testing.T, al source.AfterLister, all []string) {
	for _, tc := range []struct{ prefix, after string }{
		{"", ""}, {"", all[0]}, {"", all[len(all)-1]}, {"AWSLogs/", all[1]}, {"AWSLogs/", "AWSLogs/1"}, {"AWSLogs/", "B"},
		{"AWSLogs/111111111111/CloudTrail/us-east-1/", "AWSLogs/111111111111/CloudTrail/us-east-1/2024/09/01/"},
	} {
		var w []string
		for _, k := range all {
			if strings.HasPrefix(k, tc.prefix) && k > tc.after {
				w = append(w, k)
			}
		}
		var got []string
		if err := al.ListAfter(context.Background(), tc.prefix, tc.after, func(o source.Object) error {
			got = append(got, o.Key)
			return nil
		}); err != nil {
			t.Fatalf("ListAfter(%q, %q): %v", tc.prefix, tc.after, err)
		}
		if !equal(got, w) {
			t.Errorf("ListAfter(%q, %q) = %q, want %q", tc.prefix, tc.after, got, w)
		}
	}
}

func list(t *testing.T, src source.Source, prefix string) []string {
	t.Helper()
	var keys []string
	if err := src.List(context.Background(), prefix, func(o source.Object) error {
		keys = append(keys, o.Key)
		return nil
	}); err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return keys
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
