package cli

import (
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := run(t, t.TempDir(), "", args...)
		if r.code != 0 || !strings.HasPrefix(r.out, "trailq ") || !strings.Contains(r.out, "DuckDB v") || !strings.Contains(r.out, "go1.") {
			t.Errorf("%v: exit %d, out %q: want trailq's, DuckDB's and Go's versions", args, r.code, r.out)
		}
	}
}
