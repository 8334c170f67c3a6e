package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trailq/trailq/internal/store/storetest"
)

// TestQueryHostileCorpus runs every statement of the hostile corpus through trailq query, in both dialects:
// each exits 1 with an error, and the store (files and answers) is byte-for-byte what it was.
func TestQueryHostileCorpus(t *testing.T) {
	cache := t.TempDir()
	path := filepath.Join(t.TempDir(), "s.duckdb")
	if r := run(t, cache, "", "load", "--source", sampleDir, "--store", path); r.code != 0 {
		t.Fatalf("load: %s", r.errOut)
	}
	out := t.TempDir()
	os.WriteFile(filepath.Join(out, "in.csv"), []byte("key,value\nschema,9\n"), 0o600)
	before := storetest.Fingerprint(t, path)
	for i, a := range storetest.Attacks(path, storetest.FirstPart(t, path), out) {
		for _, dialect := range []string{"athena", "duckdb"} {
			// The SQL on standard input, as -f - reads it (an argument that starts with -- would be a flag).
			args := []string{"query", "--store", path, "--no-load", "--dialect", dialect, "--memory-limit", "256MiB", "-f", "-"}
			if i < 12 && dialect == "athena" {
				// The first attacks also after a load, which answers from a handle opened anew.
				args = []string{"query", "--source", sampleDir, "--store", path, "--memory-limit", "256MiB", "-f", "-"}
			}
			r := run(t, cache, a.SQL, args...)
			if r.code != ExitError || !strings.Contains(r.errOut, "Error") {
				t.Errorf("%s (%s): exit %d, stderr %q, stdout %q; want exit 1 with an error", a.Name, dialect, r.code, r.errOut, r.out)
			}
		}
	}
	if diff := cmp.Diff(before, storetest.Fingerprint(t, path)); diff != "" {
		t.Errorf("the store changed (-before +after):\n%s", diff)
	}
}

// TestQueryOneStatement: a second statement is an error that says so, before anything is loaded.
func TestQueryOneStatement(t *testing.T) {
	cache := t.TempDir()
	r := run(t, cache, "", "query", "--source", sampleDir, "SELECT 1; SELECT 2")
	if r.code != ExitError || !strings.Contains(r.errOut, "more than one statement") {
		t.Errorf("exit %d, stderr %q", r.code, r.errOut)
	}
	if strings.Contains(r.errOut, "Loaded") {
		t.Errorf("it loaded before refusing: %q", r.errOut)
	}
	r = run(t, cache, "", "query", "--source", sampleDir, "--dialect", "duckdb", "SELECT 1; COPY (SELECT 1) TO 'x.csv'")
	if r.code != ExitError || !strings.Contains(r.errOut, "only queries") || strings.Contains(r.errOut, "Loaded") {
		t.Errorf("exit %d, stderr %q", r.code, r.errOut)
	}
}

func TestMemoryLimitFlag(t *testing.T) {
	cache := t.TempDir()
	if r := run(t, cache, "", "load", "--source", sampleDir); r.code != 0 {
		t.Fatalf("load: %s", r.errOut)
	}
	for _, bad := range []string{"lots", "1MiB", "-3GiB", "5 parsecs"} {
		if r := run(t, cache, "", "query", "--source", sampleDir, "--no-load", "--memory-limit", bad, "SELECT 1"); r.code != ExitUsage {
			t.Errorf("--memory-limit %s: exit %d, want 2; %s", bad, r.code, r.errOut)
		}
	}
	// A query that needs more than the limit stops with DuckDB's error, not the machine's memory.
	r := run(t, cache, "", "query", "--source", sampleDir, "--no-load", "--memory-limit", "128MiB", "--dialect", "duckdb",
		"SELECT length(string_agg(repeat('x', 1000000), '')) FROM range(10000)")
	if r.code != ExitError || !strings.Contains(strings.ToLower(r.errOut), "memory") {
		t.Errorf("exit %d, stderr %q; want 1 naming the memory limit", r.code, r.errOut)
	}
	if r := run(t, cache, "", "query", "--source", sampleDir, "--no-load", "--memory-limit", "1GiB", "SELECT count(*) FROM cloudtrail_logs"); r.code != 0 {
		t.Errorf("exit %d: %s", r.code, r.errOut)
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"512MiB": 512 << 20, "4GiB": 4 << 30, "2GB": 2e9, "1073741824": 1 << 30, "1.5g": 3 << 29} {
		if got, err := parseBytes(in); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}

func TestQueryCSVNeutralized(t *testing.T) {
	cache := t.TempDir()
	if r := run(t, cache, "", "load", "--source", sampleDir); r.code != 0 {
		t.Fatalf("load: %s", r.errOut)
	}
	r := run(t, cache, "", "query", "--source", sampleDir, "--no-load", "--format", "csv", "SELECT '=cmd()' AS a")
	if r.out != "a\n'=cmd()\n" {
		t.Errorf("csv %q", r.out)
	}
	r = run(t, cache, "", "query", "--source", sampleDir, "--no-load", "--format", "csv", "--raw-csv", "SELECT '=cmd()' AS a")
	if r.out != "a\n=cmd()\n" {
		t.Errorf("raw csv %q", r.out)
	}
}

// TestVerifyAndRepair: verify names a changed part; a query refuses to answer from it; the next load repairs it.
func TestVerifyAndRepair(t *testing.T) {
	cache := t.TempDir()
	path := filepath.Join(t.TempDir(), "s.duckdb")
	if r := run(t, cache, "", "load", "--source", sampleDir, "--store", path); r.code != 0 {
		t.Fatalf("load: %s", r.errOut)
	}
	want := run(t, cache, "", "query", "--store", path, "--no-load", "SELECT count(*) AS n FROM cloudtrail_logs").out
	if r := run(t, cache, "", "verify", "--store", path); r.code != 0 || !strings.Contains(r.out, ",ok") {
		t.Fatalf("verify of a clean store: exit %d, %s %s", r.code, r.out, r.errOut)
	}
	part := filepath.Join(path+".parts", storetest.FirstPart(t, path))
	f, err := os.OpenFile(part, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte{0xff, 0xfe}, 4000)
	f.Close()
	r := run(t, cache, "", "verify", "--store", path)
	if r.code != ExitError || !strings.Contains(r.out, filepath.Base(part)) || !strings.Contains(r.out, "content changed") {
		t.Errorf("verify: exit %d, out %q, stderr %q", r.code, r.out, r.errOut)
	}
	if r := run(t, cache, "", "query", "--store", path, "--no-load", "SELECT count(*) FROM cloudtrail_logs"); r.code != ExitError || !strings.Contains(r.errOut, "damaged part") {
		t.Errorf("query of a damaged store: exit %d, stderr %q", r.code, r.errOut)
	}
	r = run(t, cache, "", "load", "--source", sampleDir, "--store", path)
	if r.code != 0 || !strings.Contains(r.errOut, "Repairing") {
		t.Fatalf("load: exit %d, %s", r.code, r.errOut)
	}
	if got := run(t, cache, "", "query", "--store", path, "--no-load", "SELECT count(*) AS n FROM cloudtrail_logs").out; got != want {
		t.Errorf("after the repair %q, want %q", got, want)
	}
	if r := run(t, cache, "", "verify", "--store", path); r.code != 0 {
		t.Errorf("verify after the repair: exit %d, %s", r.code, r.out)
	}
}
