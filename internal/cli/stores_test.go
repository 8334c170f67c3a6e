package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStoresListAndRemove(t *testing.T) {
	cache := t.TempDir()
	if r := run(t, cache, "", "load", "--source", sampleDir); r.code != 0 {
		t.Fatalf("load: %s", r.errOut)
	}
	r := run(t, cache, "", "stores", "--format", "csv")
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	if r.code != 0 || len(lines) != 2 || !strings.Contains(lines[1], "sample/AWSLogs") || !strings.Contains(r.errOut, "1 store in") {
		t.Fatalf("stores: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	path := strings.Split(lines[1], ",")[0]
	if fields := strings.Split(lines[1], ","); fields[3] == "0" || fields[4] == "" || fields[6] == "" {
		t.Errorf("stores row %q: want its events, first time and last load", lines[1])
	}
	if r := run(t, cache, "", "stores", "rm", filepath.Base(path)); r.code != 0 || !strings.Contains(r.errOut, "Removed") {
		t.Fatalf("stores rm: exit %d: %s", r.code, r.errOut)
	}
	for _, p := range []string{path, path + ".parts"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s still there after stores rm (%v)", p, err)
		}
	}
	if r := run(t, cache, "", "stores", "rm", "not-a-store"); r.code != ExitUsage {
		t.Errorf("stores rm of a name that is no store file: exit %d, want 2", r.code)
	}
}

// TestOddFieldsInOneLine: the shipped sample's records without an eventID are one summary line for a command
// that answers (load lists each file).
func TestOddFieldsInOneLine(t *testing.T) {
	r := run(t, t.TempDir(), "", "signins", "--source", sampleDir, "--since", "2010-01-01", "--format", "csv")
	if r.code != 0 || !strings.Contains(r.errOut, "files with odd fields, every record loaded: field eventID: missing in") || strings.Contains(r.errOut, "record 0 at byte") {
		t.Errorf("exit %d, stderr:\n%s\nwant one line for the odd fields", r.code, r.errOut)
	}
	r = run(t, t.TempDir(), "", "load", "--source", sampleDir)
	if !strings.Contains(r.errOut, "record 0 at byte") {
		t.Errorf("load does not list each file:\n%s", r.errOut)
	}
}
