package sigma

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseOverride(t *testing.T) {
	for _, c := range []struct {
		in, want, err string
	}{
		{in: "brute=10", want: "brute  10 true 0s"},
		{in: "brute=10/30m", want: "brute  10 true 30m0s"},
		{in: " brute = >=20 / 2h", want: "brute gte 20 true 2h0m0s"},
		{in: "brute=gt:3", want: "brute gt 3 true 0s"},
		{in: "brute=/1d", want: "brute  0 false 24h0m0s"},
		{in: "brute", err: "write RULE=N"},
		{in: "=10", err: "write RULE=N"},
		{in: "brute=", err: "write RULE=N"},
		{in: "brute=>=", err: "write RULE=N"},
		{in: "brute=10/30", err: "write RULE=N"},
		{in: "brute=ten", err: "write RULE=N"},
		{in: "brute=/0m", err: "a timespan of 0m makes no sense"},
		{in: "brute=99999999999999999999", err: "is too large"},
	} {
		o, err := ParseOverride(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got := strings.Join([]string{o.Rule, o.Op, itoa(o.Value), boolText(o.HasValue), o.Timespan.String()}, " "); got != c.want {
			t.Errorf("%q: %q, want %q", c.in, got, c.want)
		}
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// TestOverride: --threshold finds a correlation by id, name, title or file name, keeps the rule's operator when
// none is given, changes what the SQL finds, leaves the rule it was given alone, and refuses what is not a
// correlation, what matches nothing (listing the correlations) and thresholds that make no sense.
func TestOverride(t *testing.T) {
	compileSet := func() *Set {
		set := Compile([]File{{Name: "rules/base.yml", Data: []byte(corrBase)}, {Name: "rules/brute_force.yml", Data: []byte(`
title: Brute force
id: 6b2a0c9e-0000-4000-8000-000000000002
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [userIdentity.userName, sourceIPAddress]
  timespan: 5m
  condition: {gte: 5}
level: high
`)}}, Options{})
		if len(set.Problems) > 0 {
			t.Fatal(set.Problems)
		}
		return set
	}
	st := openStore(t, writeRecords(t, corrRecords()))
	const id = "6b2a0c9e-0000-4000-8000-000000000002"
	base := len(run(t, st, compileSet().Rule(id).SQL))
	if base != 3 {
		t.Fatalf("the rule as written finds %d, want 3 (corrRecords changed?)", base)
	}
	for _, c := range []struct {
		spec  string
		conds string
		span  time.Duration
		want  int
	}{
		{"brute_force=10", "[gte 10]", 5 * time.Minute, 0},
		{"Brute Force=10/2h", "[gte 10]", 2 * time.Hour, 1},
		{id + "=/2h", "[gte 5]", 2 * time.Hour, -1},
		{"brute_force=>=5", "[gte 5]", 5 * time.Minute, 3},
	} {
		set := compileSet()
		o, err := ParseOverride(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		if err := set.Override(o); err != nil {
			t.Fatalf("%s: %v", c.spec, err)
		}
		r := set.Rule(id)
		if got := strings.TrimSpace(strings.Join([]string{fmtConds(r.Correlation.Conditions), r.Correlation.Timespan.String()}, " ")); got != c.conds+" "+c.span.String() {
			t.Errorf("%s: %s, want %s %s", c.spec, got, c.conds, c.span)
		}
		if n := len(run(t, st, r.SQL)); c.want >= 0 && n != c.want {
			t.Errorf("%s: %d findings, want %d", c.spec, n, c.want)
		}
	}
	for spec, want := range map[string]string{
		"failed_login=3":    "is not a correlation",
		"nothing=3":         `no correlation rule is called "nothing"; the correlation rules are: brute_force (Brute force, id ` + id + ")",
		"brute_force=0":     "a threshold of 0",
		"brute_force=lt:-1": "write RULE=N",
	} {
		set := compileSet()
		o, err := ParseOverride(spec)
		if err == nil {
			err = set.Override(o)
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", spec, err, want)
		}
	}
}

func fmtConds(ts []Threshold) string { return "[" + thresholdList(ts) + "]" }
