package cli

import (
	"strings"
	"testing"
)

// TestHelpGroupsFlags: a command's help lists its flags under Logs and store, Period, What to keep and Output,
// each flag once.
func TestHelpGroupsFlags(t *testing.T) {
	r := run(t, t.TempDir(), "", "signins", "--help")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	last := -1
	for _, g := range []string{"\nLogs and store:\n", "\nPeriod:\n", "\nWhat to keep:\n", "\nOutput:\n", "\nGlobal Flags:\n"} {
		i := strings.Index(r.out, g)
		if i < last {
			t.Errorf("group %q missing or out of order", strings.TrimSpace(g))
		}
		last = i
	}
	for _, fl := range []string{"--source", "--since", "--user", "--format"} {
		if n := strings.Count(r.out, "  "+fl+" ") + strings.Count(r.out, ", "+fl+" "); n != 1 {
			t.Errorf("%s is listed %d times", fl, n)
		}
	}
	period := r.out[strings.Index(r.out, "\nPeriod:\n"):strings.Index(r.out, "\nWhat to keep:\n")]
	if !strings.Contains(period, "--tz") || strings.Contains(period, "--user") {
		t.Errorf("the Period group holds:\n%s", period)
	}
}

// TestCompletions: the shells complete formats (sarif for detect only), zones and sign-in kinds.
func TestCompletions(t *testing.T) {
	for _, c := range []struct {
		args      []string
		want, not string
	}{
		{[]string{"__complete", "detect", "--format", ""}, "sarif", ""},
		{[]string{"__complete", "query", "--format", ""}, "xlsx", "sarif"},
		{[]string{"__complete", "signins", "--kind", ""}, "ConsoleLogin", ""},
		{[]string{"__complete", "signins", "--tz", ""}, "UTC", ""},
	} {
		r := run(t, t.TempDir(), "", c.args...)
		if !strings.Contains(r.out, c.want+"\n") || c.not != "" && strings.Contains(r.out, c.not) {
			t.Errorf("%q: %q, want %s and not %q", c.args, r.out, c.want, c.not)
		}
	}
}
