package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestGenWritesATreeThatLoads(t *testing.T) {
	dir, cache := t.TempDir(), t.TempDir()
	r := run(t, cache, "", "gen", "--out", dir, "--records", "400", "--days", "1", "--accounts", "1", "--seed", "5", "--org", "o-abcdefghij")
	if r.code != ExitOK || !strings.Contains(r.errOut, "400 records") {
		t.Fatalf("gen: exit %d, stderr %q", r.code, r.errOut)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "AWSLogs", "o-abcdefghij", "*", "CloudTrail", "*", "2024", "09", "01", "*.json.gz"))
	if len(files) == 0 {
		t.Fatal("no log files under AWSLogs/o-abcdefghij/<account>/CloudTrail/<region>/2024/09/01/")
	}
	r = run(t, cache, "", "query", "--source", filepath.Join(dir, "AWSLogs"), "--strict", "--format", "csv", "SELECT count(*) AS n FROM cloudtrail_logs")
	if r.code != ExitOK || r.out != "n\n400\n" {
		t.Fatalf("query: exit %d, out %q, stderr %q", r.code, r.out, r.errOut)
	}
}

func TestGenFlags(t *testing.T) {
	cache := t.TempDir()
	r := run(t, cache, "", "gen", "--dry-run", "--records", "1000", "--days", "1", "--accounts", "1")
	if r.code != ExitOK || !strings.Contains(r.out, "objects, 1000 records") {
		t.Errorf("--dry-run: exit %d, out %q", r.code, r.out)
	}
	for _, args := range [][]string{
		{"gen", "--records", "10"},                                     // no --out
		{"gen", "--out", t.TempDir(), "--org", "org-1"},                // not an organization ID
		{"gen", "--out", t.TempDir(), "--start", "1 Sept"},             // not a date
		{"gen", "--out", t.TempDir(), "--records", "0"},                // nothing to write
		{"gen", "--out", t.TempDir(), "--days", "0", "--records", "1"}, // no days
	} {
		if r := run(t, cache, "", args...); r.code != ExitUsage {
			t.Errorf("%v: exit %d, want %d (stderr %q)", args, r.code, ExitUsage, r.errOut)
		}
	}
}
