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

func TestUnknownCommandIsAUsageError(t *testing.T) {
	r := run(t, t.TempDir(), "", "qurey", "SELECT 1")
	if r.code != ExitUsage || !strings.Contains(r.errOut, "Did you mean this?") || !strings.Contains(r.errOut, "query") {
		t.Errorf("exit %d, stderr %q: want exit 2 and a suggestion of query", r.code, r.errOut)
	}
}

func TestZoneForms(t *testing.T) {
	for _, tz := range []string{"JST", "+09:00", "UTC+9", "Asia/Tokyo"} {
		r := run(t, t.TempDir(), "", "signins", "--source", sampleDir, "--since", "2010-01-01", "--tz", tz, "--format", "csv")
		if r.code != 0 || !strings.Contains(r.out, "+09:00") {
			t.Errorf("--tz %s: exit %d, %s: want times at +09:00", tz, r.code, r.errOut)
		}
	}
	if r := run(t, t.TempDir(), "", "signins", "--source", sampleDir, "--tz", "IST"); r.code != ExitUsage || !strings.Contains(r.errOut, "India") {
		t.Errorf("--tz IST: exit %d, %s: want a usage error naming what IST may mean", r.code, r.errOut)
	}
}

// TestNoSignInsSaysWhatTheStoreHolds: an empty period is not a silent success.
func TestNoSignInsSaysWhatTheStoreHolds(t *testing.T) {
	cache := t.TempDir()
	r := run(t, cache, "", "signins", "--source", sampleDir, "--since", "2000-01-01", "--until", "2000-01-31", "--utc", "--format", "csv")
	if r.code != 0 || !strings.Contains(r.errOut, "only the log files of the period's dates were read") {
		t.Errorf("exit %d, stderr %q: want a word on what was read", r.code, r.errOut)
	}
	if r := run(t, cache, "", "load", "--source", sampleDir); r.code != 0 {
		t.Fatalf("load: %s", r.errOut)
	}
	r = run(t, cache, "", "signins", "--source", sampleDir, "--since", "2000-01-01", "--until", "2000-01-31", "--utc", "--format", "csv")
	if r.code != 0 || !strings.Contains(r.errOut, "0 sign-in events") || !strings.Contains(r.errOut, "The store holds") || !strings.Contains(r.errOut, "--since 20") {
		t.Errorf("exit %d, stderr %q: want the store's span and a period that takes it in", r.code, r.errOut)
	}
}

func TestUnknownKindIsNamed(t *testing.T) {
	r := run(t, t.TempDir(), "", "signins", "--source", sampleDir, "--since", "2010-01-01", "--kind", "ConsoleLogn", "--format", "csv")
	if r.code != 0 || !strings.Contains(r.errOut, "--kind ConsoleLogn is not a sign-in step") || !strings.Contains(r.errOut, "ConsoleLogin") {
		t.Errorf("exit %d, stderr %q: want the unknown kind named with the known ones", r.code, r.errOut)
	}
}
