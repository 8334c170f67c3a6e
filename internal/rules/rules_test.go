package rules_test

import (
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/rules"
	"github.com/trailq/trailq/internal/sigma"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestFiles: Files gives every file of builtin/, by name, in order.
func TestFiles(t *testing.T) {
	entries, err := os.ReadDir("builtin")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, e := range entries {
		want = append(want, "builtin/"+e.Name())
	}
	var got []string
	for _, f := range rules.Files() {
		got = append(got, f.Name)
		disk, err := os.ReadFile(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if string(disk) != string(f.Data) {
			t.Errorf("%s: embedded data differs from the file", f.Name)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("Files() = %q, want %q", got, want)
	}
}

// TestCompile: every built-in rule compiles, with no problem and no warning, and carries what a finding needs:
// a fresh UUID, a title and a description, trailq as author and its licence; a rule that gives findings also a
// level, MITRE ATT&CK technique and tactic tags, references, false positives and fields.
func TestCompile(t *testing.T) {
	set := compile(t, "")
	ids := map[string]string{}
	files := map[string]int{}
	for _, r := range set.Rules {
		at := r.File + ": " + r.Title
		for _, w := range r.Warnings {
			t.Errorf("%s: %s", at, w)
		}
		if !uuidRE.MatchString(r.ID) {
			t.Errorf("%s: id %q is not a random UUID", at, r.ID)
		}
		if other, dup := ids[r.ID]; dup {
			t.Errorf("%s: id %s is also %s's", at, r.ID, other)
		}
		ids[r.ID] = at
		if r.Description == "" || r.Author != "trailq" || r.License != "Apache-2.0" || r.Status == "" || r.Date == "" {
			t.Errorf("%s: description, author trailq, license Apache-2.0, status and date are needed: %+v", at, r)
		}
		if !r.Standalone {
			continue
		}
		files[r.File]++
		if r.Level == "" || len(r.Techniques) == 0 || len(r.Tactics) == 0 || len(r.References) == 0 ||
			len(r.FalsePositives) == 0 || len(r.Fields) == 0 {
			t.Errorf("%s: a rule that gives findings needs a level, ATT&CK technique and tactic tags, references, falsepositives and fields", at)
		}
		for _, ref := range r.References {
			if !strings.HasPrefix(ref, "https://") {
				t.Errorf("%s: reference %q is not an https URL", at, ref)
			}
		}
		if r.Kind == sigma.Correlation && r.Correlation.Type != sigma.TemporalOrdered && len(r.Correlation.Conditions) == 0 {
			t.Errorf("%s: a counting correlation without a threshold", at)
		}
	}
	for _, f := range rules.Files() {
		if files[f.Name] != 1 {
			t.Errorf("%s: %d rules give findings, want 1 (the others are the steps of its correlation)", f.Name, files[f.Name])
		}
	}
	if n := len(files); n < 30 {
		t.Errorf("%d rules give findings, want at least the issue's 30", n)
	}
}

// TestThresholdOverride: a correlation's threshold and window are parameters (Rule.WithThreshold), and the
// built-in rules honour them: six failed sign-ins in under five minutes are a brute force at the default (five
// in ten minutes) and not at seven, nor within a one-minute window.
func TestThresholdOverride(t *testing.T) {
	set := compile(t, "")
	var bf *sigma.Rule
	for _, r := range set.Rules {
		if r.Standalone && path.Base(r.File) == "console_login_brute_force.yml" {
			bf = r
		}
	}
	if bf == nil || bf.Correlation == nil {
		t.Fatal("no brute-force correlation")
	}
	cases := ruleCases(t, "console_login_brute_force")
	i := slices.IndexFunc(cases, func(c testCase) bool { return c.name == "fires-six-failures-in-five-minutes.json" })
	if i < 0 {
		t.Fatal("no test case fires/six-failures-in-five-minutes.json")
	}
	st := openStore(t, writeCases(t, cases[i]), true)
	for _, tc := range []struct {
		span  time.Duration
		conds []sigma.Threshold
		want  int
	}{
		{10 * time.Minute, nil, 1},
		{10 * time.Minute, []sigma.Threshold{{Op: "gte", Value: 6}}, 1},
		{10 * time.Minute, []sigma.Threshold{{Op: "gte", Value: 7}}, 0},
		{time.Minute, nil, 0},
	} {
		r, err := bf.WithThreshold(tc.span, tc.conds)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(run(t, st, r.SQL)); got != tc.want {
			t.Errorf("timespan %s, %v: %d findings, want %d", tc.span, tc.conds, got, tc.want)
		}
	}
	if _, err := bf.WithThreshold(0, nil); err == nil {
		t.Error("a timespan of 0 was taken")
	}
	if _, err := bf.WithThreshold(time.Minute, []sigma.Threshold{{Op: "gte", Value: 0}}); err == nil {
		t.Error("a threshold of 0 was taken")
	}
}
