package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	detectStratus = "../../testdata/cloudtrail/real/stratus-red-team__detonation-logs.json"
	detectSigmaHQ = "../sigma/testdata/rules"
)

// detectNow is the pinned "now" of the detect tests.
var detectNow = time.Date(2025, 1, 15, 12, 0, 0, 0, time.UTC)

// detectCmd runs trailq detect over the Stratus Red Team detonations, in a store of the test's own.
func detectCmd(t *testing.T, storePath string, args ...string) runResult {
	t.Helper()
	var out, errOut bytes.Buffer
	cache := t.TempDir()
	f := NewFactory(strings.NewReader(""), &out, &errOut, func(k string) string {
		if k == "TRAILQ_CACHE_DIR" {
			return cache
		}
		return ""
	})
	f.Now = func() time.Time { return detectNow }
	all := append([]string{"detect", "--source", detectStratus, "--store", storePath}, args...)
	code := Run(context.Background(), f, all)
	return runResult{code, out.String(), errOut.String()}
}

func TestDetectFormats(t *testing.T) {
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	r := detectCmd(t, storePath, "--no-builtin", "--sigma", detectSigmaHQ, "--utc", "--format", "csv")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	recs, err := csv.NewReader(strings.NewReader(r.out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], findingColumns) {
		t.Fatalf("CSV header %q, want %q", recs[0], findingColumns)
	}
	n := len(recs) - 1
	if n < 10 {
		t.Fatalf("%d findings:\n%s", n, r.out)
	}
	if !strings.Contains(r.errOut, "findings (") || !strings.Contains(r.errOut, "times in UTC") {
		t.Errorf("summary: %s", r.errOut)
	}

	// JSON and JSON Lines: the same findings, lists as arrays, times in the zone with their offset.
	r = detectCmd(t, storePath, "--no-load", "--no-builtin", "--sigma", detectSigmaHQ, "--tz", "Asia/Tokyo", "--format", "json")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(r.out), &rows); err != nil || len(rows) != n {
		t.Fatalf("JSON: %d rows (want %d), %v: %s", len(rows), n, err, r.out)
	}
	for _, row := range rows {
		ids, ok := row["event_ids"].([]any)
		if !ok || len(ids) == 0 || float64(len(ids)) != row["event_count"] {
			t.Errorf("event_ids %v, event_count %v", row["event_ids"], row["event_count"])
		}
		if first, _ := row["first_seen"].(string); !strings.HasSuffix(first, "+09:00") {
			t.Errorf("first_seen %q is not in Tokyo time", first)
		}
		if row["license"] != "DRL-1.1" || row["rule_set"] != "https://github.com/SigmaHQ/sigma" || row["author"] == "" {
			t.Errorf("a SigmaHQ finding must carry author, licence and rule set: %v", row)
		}
	}
	r = detectCmd(t, storePath, "--no-load", "--no-builtin", "--sigma", detectSigmaHQ, "--format", "jsonl")
	if lines := strings.Split(strings.TrimSpace(r.out), "\n"); len(lines) != n || !json.Valid([]byte(lines[0])) {
		t.Errorf("JSON Lines: %d lines, want %d", len(lines), n)
	}
	r = detectCmd(t, storePath, "--no-load", "--no-builtin", "--sigma", detectSigmaHQ, "--format", "table")
	if lines := strings.Split(strings.TrimSpace(r.out), "\n"); len(lines) != n+2 || !strings.HasPrefix(lines[0], "level") {
		t.Errorf("table: %d lines, want %d:\n%s", len(lines), n+2, r.out)
	}

	// SARIF 2.1.0: the properties the standard requires, the rules run, a result per finding.
	r = detectCmd(t, storePath, "--no-load", "--no-builtin", "--sigma", detectSigmaHQ, "--format", "sarif")
	if r.code != ExitOK {
		t.Fatalf("sarif: exit %d: %s", r.code, r.errOut)
	}
	checkSARIF(t, []byte(r.out), n)
}

// checkSARIF checks a SARIF log structurally against SARIF 2.1.0's required properties.
func checkSARIF(t *testing.T, data []byte, results int) {
	t.Helper()
	var log struct {
		Schema  string `json:"$schema"`
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID               string `json:"id"`
						ShortDescription struct {
							Text string `json:"text"`
						} `json:"shortDescription"`
						Properties map[string]any `json:"properties"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string                 `json:"ruleId"`
				RuleIndex *int                   `json:"ruleIndex"`
				Level     string                 `json:"level"`
				Message   *struct{ Text string } `json:"message"`
				Locations []struct {
					LogicalLocations []struct{ Name, Kind, FullyQualifiedName string } `json:"logicalLocations"`
				} `json:"locations"`
				PartialFingerprints map[string]string `json:"partialFingerprints"`
				Properties          map[string]any    `json:"properties"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(data, &log); err != nil {
		t.Fatalf("SARIF is not JSON: %v", err)
	}
	if log.Version != "2.1.0" || !strings.Contains(log.Schema, "sarif-2.1.0") || len(log.Runs) != 1 {
		t.Fatalf("version %q, schema %q, %d runs", log.Version, log.Schema, len(log.Runs))
	}
	run := log.Runs[0]
	if run.Tool.Driver.Name != "trailq" || len(run.Tool.Driver.Rules) == 0 {
		t.Fatalf("driver %q with %d rules", run.Tool.Driver.Name, len(run.Tool.Driver.Rules))
	}
	ids := map[string]int{}
	for i, r := range run.Tool.Driver.Rules {
		if r.ID == "" || r.ShortDescription.Text == "" || r.Properties["author"] == "" || r.Properties["license"] == "" {
			t.Errorf("rule %d: id %q, description %q, properties %v", i, r.ID, r.ShortDescription.Text, r.Properties)
		}
		if _, dup := ids[r.ID]; dup {
			t.Errorf("rule %s listed twice", r.ID)
		}
		ids[r.ID] = i
	}
	if len(run.Results) != results {
		t.Errorf("%d results, want %d", len(run.Results), results)
	}
	for i, res := range run.Results {
		if res.Message == nil || res.Message.Text == "" {
			t.Errorf("result %d has no message (required)", i)
		}
		if j, ok := ids[res.RuleID]; !ok || res.RuleIndex == nil || *res.RuleIndex != j {
			t.Errorf("result %d: ruleId %q, ruleIndex %v: not the driver's rule", i, res.RuleID, res.RuleIndex)
		}
		if !slices.Contains([]string{"error", "warning", "note", "none"}, res.Level) {
			t.Errorf("result %d: level %q", i, res.Level)
		}
		if len(res.Locations) != 1 || len(res.Locations[0].LogicalLocations) == 0 || res.Locations[0].LogicalLocations[0].Name == "" {
			t.Errorf("result %d: locations %+v", i, res.Locations)
		}
		if res.PartialFingerprints["trailqFinding/v1"] == "" {
			t.Errorf("result %d: no fingerprint", i)
		}
		if ev, _ := res.Properties["eventIds"].([]any); len(ev) == 0 {
			t.Errorf("result %d: no evidence events", i)
		}
	}
}

// TestDetectFailOnFindings: exit status 3 with findings when asked, 0 without the flag or without findings.
func TestDetectFailOnFindings(t *testing.T) {
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	r := detectCmd(t, storePath, "--fail-on-findings", "--format", "csv")
	if r.code != ExitFindings || !strings.Contains(r.errOut, "exit status 3") || strings.Contains(r.errOut, "Error:") {
		t.Fatalf("exit %d, want %d: %s", r.code, ExitFindings, r.errOut)
	}
	if strings.Count(r.out, "\n") < 2 {
		t.Errorf("the findings were not written: %s", r.out)
	}
	if r = detectCmd(t, storePath, "--no-load", "--format", "csv"); r.code != ExitOK {
		t.Errorf("without --fail-on-findings: exit %d", r.code)
	}
	// No events in the period: no findings, exit 0.
	r = detectCmd(t, storePath, "--no-load", "--fail-on-findings", "--since", "2024-12-31", "--utc", "--format", "csv")
	if r.code != ExitOK || strings.Count(r.out, "\n") != 1 {
		t.Errorf("no findings: exit %d: %s%s", r.code, r.out, r.errOut)
	}
}

// TestDetectBuiltinFromTheStore: the built-in rules run by default; a detect after the load reads their findings
// from the store's table, and says when they were computed.
func TestDetectBuiltinFromTheStore(t *testing.T) {
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	r := detectCmd(t, storePath, "--utc", "--format", "jsonl")
	if r.code != ExitOK || !strings.Contains(r.out, `"rule":"Console sign-in without MFA"`) || !strings.Contains(r.out, `"license":"Apache-2.0"`) {
		t.Fatalf("exit %d: %s\n%s", r.code, r.out, r.errOut)
	}
	if !strings.Contains(r.errOut, "computed after the last load, at 2025-01-15T12:00:00Z") {
		t.Errorf("not said to come from the store: %s", r.errOut)
	}
	again := detectCmd(t, storePath, "--no-load", "--utc", "--format", "jsonl")
	if again.out != r.out {
		t.Errorf("a second detect differs:\n%s\nfirst:\n%s", again.out, r.out)
	}
}

// TestDetectRuleProblems: a rule that does not parse and one with an unknown modifier are named with their file
// and line, and the other rules run; --strict stops before anything runs.
func TestDetectRuleProblems(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(filepath.Join(detectSigmaHQ, "aws_cloudtrail_disable_logging.yml"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"good.yml":   string(good),
		"broken.yml": "title: Broken\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection: [unclosed\n",
		"modifier.yml": `title: Unknown modifier
id: 11111111-2222-3333-4444-555555555555
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventName|sounds_like: StopLogging
    condition: selection
level: high
`,
		"windows.yml": "title: Not CloudTrail\nlogsource:\n  product: windows\ndetection:\n  s:\n    EventID: 1\n  condition: s\n",
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	r := detectCmd(t, storePath, "--no-builtin", "--sigma", dir, "--format", "csv")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	for _, want := range []string{filepath.Join(dir, "broken.yml") + ":4: parse YAML", filepath.Join(dir, "modifier.yml") + ":8:19:", "sounds_like",
		"1 rule for other log sources than CloudTrail skipped"} {
		if !strings.Contains(r.errOut, want) {
			t.Errorf("stderr does not name %q:\n%s", want, r.errOut)
		}
	}
	if got := strings.Count(r.out, "AWS CloudTrail Important Change"); got != 2 {
		t.Errorf("the good rule's findings: %d, want 2 (StopLogging, DeleteTrail):\n%s", got, r.out)
	}
	r = detectCmd(t, filepath.Join(t.TempDir(), "s.duckdb"), "--no-builtin", "--sigma", dir, "--strict", "--format", "csv")
	if r.code != ExitError || r.out != "" || !strings.Contains(r.errOut, "2 rules not compiled (--strict)") {
		t.Errorf("--strict: exit %d, out %q: %s", r.code, r.out, r.errOut)
	}
}

// TestDetectExplain prints every rule's SQL and the scan's, and loads nothing.
func TestDetectExplain(t *testing.T) {
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	r := detectCmd(t, storePath, "--no-builtin", "--sigma", detectSigmaHQ, "--explain")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	for _, want := range []string{"-- AWS CloudTrail Important Change\n", "-- not compiled (invalid):", "-- The scan trailq runs",
		"FROM cloudtrail_logs\nWHERE", "trailq_rules"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("--explain does not have %q", want)
		}
	}
	if _, err := os.Stat(storePath); err == nil {
		t.Errorf("--explain created the store")
	}
}

func TestDetectFlags(t *testing.T) {
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"--severity", "urgent"}, "unknown --severity"},
		{[]string{"--tz", "Asia/Tokyo", "--utc"}, "not both"},
		{[]string{"--no-builtin"}, "no rules given"},
		{[]string{"--format", "xml"}, "sarif"},
		{[]string{"--since", "2099-01-01"}, "in the future"},
		{[]string{"--lag", "-1h"}, "--lag"},
		{[]string{"--since", "2024-09-02", "--until", "2024-09-01"}, "is not after"},
	} {
		r := detectCmd(t, storePath, c.args...)
		if r.code != ExitUsage || !strings.Contains(r.errOut, c.says) {
			t.Errorf("%q: exit %d, want %d saying %q: %s", c.args, r.code, ExitUsage, c.says, r.errOut)
		}
	}
	r := detectCmd(t, storePath, "--rules", filepath.Join(t.TempDir(), "none"))
	if r.code != ExitError || !strings.Contains(r.errOut, "Try: --rules") {
		t.Errorf("a missing --rules path: exit %d: %s", r.code, r.errOut)
	}
	if _, err := os.Stat(storePath); err == nil {
		t.Errorf("a refused command created the store")
	}
	// --severity keeps the rules of that level and higher.
	r = detectCmd(t, storePath, "--severity", "high", "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(r.out)).ReadAll()
	if err != nil || r.code != ExitOK || len(recs) < 2 {
		t.Fatalf("--severity high: exit %d, %v: %s", r.code, err, r.errOut)
	}
	for _, rec := range recs[1:] {
		if rec[1] != "high" && rec[1] != "critical" {
			t.Errorf("--severity high gave a %s finding", rec[1])
		}
	}
}

// TestDetectThreshold: --threshold sets a correlation's threshold and timespan (by file name or title), which
// changes its findings and the SQL --explain shows; a bad one is a usage error that says what to write, and a
// rule that is not a correlation or does not exist is named.
func TestDetectThreshold(t *testing.T) {
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	count := func(r runResult, rule string) int {
		t.Helper()
		if r.code != ExitOK {
			t.Fatalf("exit %d: %s", r.code, r.errOut)
		}
		return strings.Count(r.out, `"rule":"`+rule+`"`)
	}
	const storm = "Access-denied storm"
	if n := count(detectCmd(t, storePath, "--format", "jsonl"), storm); n == 0 {
		t.Fatal("the access-denied storm does not fire on the Stratus detonations at its default threshold")
	}
	if n := count(detectCmd(t, storePath, "--no-load", "--format", "jsonl", "--threshold", "access_denied_storm=10000"), storm); n != 0 {
		t.Errorf("a threshold of 10000 still gives %d findings", n)
	}
	if n := count(detectCmd(t, storePath, "--no-load", "--format", "jsonl", "--threshold", storm+"=>=10000/2h"), storm); n != 0 {
		t.Errorf("by title, >=10000 in 2h: %d findings", n)
	}
	explain := detectCmd(t, storePath, "--explain", "--threshold", "access_denied_storm=/2h")
	if explain.code != ExitOK || !strings.Contains(explain.out, "7200") {
		t.Errorf("--explain does not show the 2h timespan (7200 s): exit %d %s", explain.code, explain.errOut)
	}
	for arg, want := range map[string]string{
		"access_denied_storm":      "write RULE=N",
		"access_denied_storm=0":    "a threshold of 0",
		"iam_user_created=3":       "is not a correlation",
		"no_such_rule=3":           "the correlation rules are: access_denied_storm (Access-denied storm",
		"access_denied_storm=5/0m": "a timespan of 0m makes no sense",
	} {
		r := detectCmd(t, storePath, "--no-load", "--threshold", arg)
		if r.code != ExitUsage || !strings.Contains(r.errOut, want) {
			t.Errorf("--threshold %s: exit %d, want %d and %q: %s", arg, r.code, ExitUsage, want, r.errOut)
		}
	}
}
