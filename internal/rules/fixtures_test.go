package rules_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailq/trailq/internal/sigma"
)

// testCase is a file of CloudTrail records under testdata/<rule file>/fires or quiet.
type testCase struct {
	path  string // testdata/<rule>/<kind>/<name>.json
	kind  string // fires or quiet
	name  string // a name unique in the rule's store: <kind>-<name>.json
	data  []byte
	recs  []json.RawMessage
	rname string
}

// ruleCases reads the test cases of a rule file (by name without .yml).
func ruleCases(t *testing.T, rule string) []testCase {
	t.Helper()
	var out []testCase
	for _, kind := range []string{"fires", "quiet"} {
		files, err := filepath.Glob(filepath.Join("testdata", rule, kind, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Errorf("no test cases under testdata/%s/%s", rule, kind)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct{ Records []json.RawMessage }
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if len(doc.Records) == 0 {
				t.Fatalf("%s: no records", f)
			}
			out = append(out, testCase{path: f, kind: kind, name: kind + "-" + filepath.Base(f), data: data, recs: doc.Records, rname: rule})
		}
	}
	return out
}

// writeCases writes test cases into a new folder for a store, each under its name.
func writeCases(t *testing.T, cases ...testCase) string {
	t.Helper()
	dir := t.TempDir()
	for _, c := range cases {
		if err := os.WriteFile(filepath.Join(dir, c.name), c.data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// compact is a record's JSON without insignificant space, to compare records.
func compact(t *testing.T, r json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestFixtures runs each built-in rule, as `trailq detect` runs it (its SQL through the engine's Athena
// translation), over its test cases in testdata/<rule file>/: every file under fires/ must give at least one
// finding, every file under quiet/ none.
//
// A detection rule matches events one by one, so its cases share one store and each match is traced to its file
// by "$path"; the store keeps one copy of identical records, so no record may be in two cases of a rule (the test
// checks it). A correlation counts events together, so each of its cases gets a store of its own.
func TestFixtures(t *testing.T) {
	set := compile(t, "")
	ext := compile(t, "cloudtrail_logs_ext")
	byFile := map[string]*sigma.Rule{}
	extRule := map[*sigma.Rule]*sigma.Rule{}
	for i, r := range set.Rules {
		extRule[r] = ext.Rules[i]
		if !r.Standalone {
			continue
		}
		name := strings.TrimSuffix(path.Base(r.File), ".yml")
		if other := byFile[name]; other != nil {
			t.Errorf("%s has two rules that give findings: %s and %s", r.File, other.ID, r.ID)
		}
		byFile[name] = r
	}
	for _, f := range filesOf(set) {
		if byFile[f] == nil {
			t.Errorf("builtin/%s.yml has no rule that gives findings", f)
		}
	}
	dirs, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if d.IsDir() && d.Name() != "real" && byFile[d.Name()] == nil {
			t.Errorf("testdata/%s: no built-in rule file %s.yml", d.Name(), d.Name())
		}
	}
	for name, r := range byFile {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cases := ruleCases(t, name)
			check := func(c testCase, findings int) {
				switch {
				case c.kind == "fires" && findings == 0:
					t.Errorf("%s: no finding, want at least one", c.path)
				case c.kind == "quiet" && findings != 0:
					t.Errorf("%s: %d findings, want none", c.path, findings)
				}
			}
			if r.Kind == sigma.Correlation {
				for _, c := range cases {
					check(c, len(run(t, openStore(t, writeCases(t, c), true), r.SQL)))
				}
				return
			}
			seen := map[string]string{}
			total := 0
			for _, c := range cases {
				total += len(c.recs)
				for _, rec := range c.recs {
					k := compact(t, rec)
					if other, dup := seen[k]; dup && other != c.path {
						t.Fatalf("%s and %s hold the same record: the store keeps one, so it cannot tell which case matched; keep it in one", other, c.path)
					}
					seen[k] = c.path
				}
			}
			st := openStore(t, writeCases(t, cases...), true)
			hits := map[string]int{}
			matched := 0
			for _, row := range run(t, st, `SELECT "$path" FROM cloudtrail_logs_ext WHERE `+extRule[r].Where) {
				hits[path.Base(fmt.Sprint(row[0]))]++
				matched++
			}
			for _, c := range cases {
				check(c, hits[c.name])
			}
			// The rule's own SQL, as detect runs it, finds the same rows.
			if got := len(run(t, st, r.SQL)); got != matched {
				t.Errorf("the rule's SQL gives %d rows, its condition over cloudtrail_logs_ext %d", got, matched)
			}
			if got := len(run(t, st, `SELECT eventid FROM cloudtrail_logs`)); got != total {
				t.Errorf("the store holds %d of the cases' %d records", got, total)
			}
		})
	}
}

// filesOf returns the names (without .yml) of the rule files of a set.
func filesOf(set *sigma.Set) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range set.Rules {
		n := strings.TrimSuffix(path.Base(r.File), ".yml")
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}
