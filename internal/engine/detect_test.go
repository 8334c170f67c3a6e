package engine_test

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/sigma"
	"github.com/trailq/trailq/internal/timewin"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const stratusFile = "testdata/stratus-red-team__detonation-logs.json"

// detectNow is the time the tests' findings are computed at.
var detectNow = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// sigmaHQ compiles SigmaHQ's CloudTrail rules (internal/sigma's test copy), with the licence and rule set their
// findings must carry.
func sigmaHQ(t testing.TB) *sigma.Set {
	t.Helper()
	set, err := sigma.Load([]string{"../sigma/testdata/rules", "../sigma/testdata/unsupported"},
		sigma.Options{License: "DRL-1.1", RuleSet: "https://github.com/SigmaHQ/sigma"})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// stratusTechniques maps the eventIDs of the Stratus Red Team detonation logs to the technique whose detonation
// logged them (from the provenance file).
func stratusTechniques(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(stratusFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Records []struct{ EventID string } }
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("testdata/_provenance/stratus-red-team__detonation-logs.provenance.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var p struct {
			Index int
			Path  string
		}
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		out[doc.Records[p.Index].EventID] = strings.TrimSuffix(strings.TrimPrefix(path.Base(p.Path), "aws."), ".json")
	}
	return out
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", p, diff)
	}
}

// ruleFile names a rule by its file.
func ruleFile(set *sigma.Set, id string) string {
	if r := set.Rule(id); r != nil {
		return path.Base(r.File)
	}
	return id
}

// The Stratus Red Team techniques and the SigmaHQ rule meant to trip each (as internal/sigma's tests have them).
var stratusTargets = map[string]string{
	"defense-evasion.cloudtrail-stop":                      "aws_cloudtrail_disable_logging.yml",
	"defense-evasion.cloudtrail-delete":                    "aws_cloudtrail_disable_logging.yml",
	"defense-evasion.vpc-remove-flow-logs":                 "aws_cloudtrail_vpc_flow_logs_deleted.yml",
	"initial-access.console-login-without-mfa":             "aws_cloudtrail_console_login_success_without_mfa.yml",
	"exfiltration.ec2-security-group-open-port-22-ingress": "aws_cloudtrail_security_group_change_ingress_egress.yml",
	"exfiltration.ec2-share-ebs-snapshot":                  "aws_snapshot_backup_exfiltration.yml",
	"execution.ssm-send-command":                           "aws_cloudtrail_ssm_malicious_usage.yml",
	"persistence.lambda-layer-extension":                   "aws_new_lambda_layer_attached.yml",
	"persistence.iam-backdoor-user":                        "aws_iam_backdoor_users_keys.yml",
	"privilege-escalation.iam-update-user-login-profile":   "aws_update_login_profile.yml",
	"discovery.ec2-download-user-data":                     "aws_ec2_download_userdata.yml",
	"credential-access.ec2-get-password-data":              "aws_enum_backup.yml",
}

// matches runs a detection rule's own query on the store: the eventids it matches.
func matches(t *testing.T, o engine.Options, r *sigma.Rule) []string {
	t.Helper()
	ctx := context.Background()
	var e engine.Engine
	o.NoLoad = true
	st, _, err := e.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	q, err := engine.Prepare(ctx, "SELECT eventid FROM cloudtrail_logs WHERE "+r.Where, engine.Athena)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := q.Run(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, fmt.Sprint(v[0]))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	return ids
}

// TestDetectStratus runs SigmaHQ's rules over the Stratus Red Team detonations: each technique fires the rule
// meant for it, every detection rule's findings hold exactly the events the rule matches (each once), grouped by
// account, principal and hour, all in one scan, and the findings are those of testdata/detect_stratus.golden.
func TestDetectStratus(t *testing.T) {
	ctx := context.Background()
	set := sigmaHQ(t)
	techniques := stratusTechniques(t)
	o := options(t, stratusFile, filepath.Join(t.TempDir(), "s.duckdb"))
	var e engine.Engine
	res, err := e.Detect(ctx, o, set, engine.DetectOptions{Now: detectNow})
	if err != nil {
		t.Fatal(err)
	}
	if res.Report == nil || res.Report.Inserted != 310 {
		t.Fatalf("load: %+v", res.Report)
	}

	// One scan for every detection rule, one query per correlation, one lookup of the correlations' evidence.
	var dets, corrs int
	for _, r := range res.Rules {
		if r.Kind == sigma.Detection {
			dets++
		} else {
			corrs++
		}
	}
	if dets < 40 || corrs < 5 {
		t.Fatalf("%d detection and %d correlation rules run", dets, corrs)
	}
	if got, want := len(res.Queries), 1+corrs+1; got != want {
		t.Errorf("%d queries, want %d (one scan, %d correlations, one evidence lookup)", got, want, corrs)
	}
	if got := strings.Count(res.Queries[0], "CASE WHEN"); got != dets {
		t.Errorf("the scan has %d rules' conditions, want all %d", got, dets)
	}

	fired := map[string]map[string]bool{} // rule file → techniques of its findings' events
	byRule := map[string][]string{}       // detection rule id → its findings' events
	type key struct{ rule, account, principal, hour string }
	seen := map[key]bool{}
	var b strings.Builder
	b.WriteString("# trailq detect with SigmaHQ's CloudTrail rules over the Stratus Red Team detonation logs:\n" +
		"# rule file | level | first .. last (UTC) | principal | account | region | events | techniques\n#     what happened\n" +
		"# Written by TestDetectStratus (go test -run TestDetectStratus -update).\n\n")
	for _, f := range res.Findings {
		file := ruleFile(set, f.RuleID)
		if f.License != "DRL-1.1" || f.RuleSet != "https://github.com/SigmaHQ/sigma" || f.Author == "" || f.Title == "" || f.Level == "" {
			t.Errorf("%s: a finding must carry the rule's title, level, author, licence and rule set: %+v", file, f)
		}
		if int(f.Count) != len(f.EventIDs) || f.Count == 0 || f.Summary == "" || f.ID == "" {
			t.Errorf("%s: count %d, %d event IDs, summary %q, id %q", file, f.Count, len(f.EventIDs), f.Summary, f.ID)
		}
		techs := map[string]bool{}
		for _, id := range f.EventIDs {
			techs[techniques[id]] = true
		}
		if fired[file] == nil {
			fired[file] = map[string]bool{}
		}
		var names []string
		for tech := range techs {
			fired[file][tech] = true
			names = append(names, tech)
		}
		sort.Strings(names)
		if r := set.Rule(f.RuleID); r.Kind == sigma.Detection {
			byRule[f.RuleID] = append(byRule[f.RuleID], f.EventIDs...)
			k := key{f.RuleID, f.Account, f.Principal, f.First.Truncate(time.Hour).String()}
			if seen[k] {
				t.Errorf("%s: two findings for %+v", file, k)
			}
			seen[k] = true
			if !f.First.Truncate(time.Hour).Equal(f.Last.Truncate(time.Hour)) {
				t.Errorf("%s: a finding spans hours: %s .. %s", file, f.First, f.Last)
			}
		}
		fmt.Fprintf(&b, "%s | %s | %s .. %s | %s | %s | %s | %d | %s\n    %s\n", file, f.Level,
			f.First.Format(time.RFC3339), f.Last.Format(time.RFC3339), f.Principal, f.Account, f.Region, f.Count,
			strings.Join(names, " "), f.Summary)
	}
	golden(t, "detect_stratus.golden", b.String())

	for tech, file := range stratusTargets {
		if !fired[file][tech] {
			t.Errorf("%s did not fire on the Stratus technique %s it targets", file, tech)
		}
	}
	// Dedup without loss: a detection rule's findings hold each event it matches once.
	for _, r := range res.Rules {
		if r.Kind != sigma.Detection {
			continue
		}
		got := slices.Clone(byRule[r.ID])
		slices.Sort(got)
		if want := matches(t, o, r); !slices.Equal(got, want) {
			t.Errorf("%s: findings hold events %q, the rule matches %q", path.Base(r.File), got, want)
		}
	}
}

// TestDetectPeriodAndLevel: a period keeps the events of its instants only, --severity the rules of a level or
// higher.
func TestDetectPeriodAndLevel(t *testing.T) {
	ctx := context.Background()
	set := sigmaHQ(t)
	o := options(t, stratusFile, filepath.Join(t.TempDir(), "s.duckdb"))
	var e engine.Engine
	all, err := e.Detect(ctx, o, set, engine.DetectOptions{Now: detectNow})
	if err != nil {
		t.Fatal(err)
	}
	o.NoLoad = true
	// The detonations run from 2024-07-30T21 to 2024-07-31T16 (UTC): a period of one hour of them.
	p := timewin.Period{Start: time.Date(2024, 7, 31, 13, 0, 0, 0, time.UTC), End: time.Date(2024, 7, 31, 14, 0, 0, 0, time.UTC)}
	some, err := e.Detect(ctx, o, set, engine.DetectOptions{Now: detectNow, Period: p})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range all.Findings {
		if r := set.Rule(f.RuleID); r.Kind == sigma.Detection && p.Contains(f.First) {
			want = append(want, f.ID)
		}
	}
	var got []string
	for _, f := range some.Findings {
		if !p.Contains(f.First) || !p.Contains(f.Last) {
			t.Errorf("%s: %s .. %s is outside the period", f.RuleID, f.First, f.Last)
		}
		if set.Rule(f.RuleID).Kind == sigma.Detection {
			got = append(got, f.ID)
		}
	}
	if len(want) == 0 || len(want) == len(all.Findings) {
		t.Fatalf("the period has %d of %d findings: pick another", len(want), len(all.Findings))
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings of the period: %q, want %q", got, want)
	}

	high, err := e.Detect(ctx, o, set, engine.DetectOptions{Now: detectNow, MinLevel: sigma.High})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range all.Findings {
		if f.Level.Rank() >= sigma.High.Rank() {
			n++
		}
	}
	if len(high.Findings) != n || n == 0 {
		t.Errorf("%d findings of level high or more, want %d", len(high.Findings), n)
	}
	for _, r := range high.Rules {
		if r.Level.Rank() < sigma.High.Rank() {
			t.Errorf("rule %s of level %s run", r.ID, r.Level)
		}
	}
}

// splitStratus writes the Stratus records into two log files under dir: before and after 2024-07-31T14:00Z
// (the second only when second is set).
func splitStratus(t *testing.T, dir string, second bool) {
	t.Helper()
	data, err := os.ReadFile(stratusFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Records []json.RawMessage }
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var a, b []json.RawMessage
	for _, r := range doc.Records {
		var ev struct{ EventTime string }
		if err := json.Unmarshal(r, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.EventTime < "2024-07-31T14:00:00Z" {
			a = append(a, r)
		} else {
			b = append(b, r)
		}
	}
	write := func(name string, recs []json.RawMessage) {
		out, err := json.Marshal(map[string]any{"Records": recs})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.json", a)
	if second {
		write("b.json", b)
	}
}

func findingIDs(fs []engine.Finding) []string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.ID+" "+fmt.Sprint(f.Count)+" "+f.Summary)
	}
	return ids
}

// TestDetectFindingsTable: with built-in rules, each load computes their findings into the store's table; a
// detect without a period reads them from it (one query) and gets what computing them gives; a load of more
// logs computes them again; rules of another version are computed, not read.
func TestDetectFindingsTable(t *testing.T) {
	ctx := context.Background()
	set := sigmaHQ(t)
	dir := t.TempDir()
	splitStratus(t, dir, false)
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	e := engine.Engine{Rules: func() *sigma.Set { return set }, Now: func() time.Time { return detectNow }}
	if _, err := e.Sync(ctx, options(t, dir, storePath)); err != nil {
		t.Fatal(err)
	}
	ro := engine.Options{StorePath: storePath}
	first, err := e.Detect(ctx, ro, set, engine.DetectOptions{Now: detectNow.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if first.Stored != len(first.Rules) || len(first.Queries) != 1 || !first.StoredAt.Equal(detectNow) {
		t.Fatalf("stored %d of %d rules, queries %q, computed at %s: want every rule's findings from the table, computed at the load", first.Stored, len(first.Rules), first.Queries, first.StoredAt)
	}
	var plain engine.Engine // no built-in rules: everything is computed
	want, err := plain.Detect(ctx, ro, set, engine.DetectOptions{Now: detectNow})
	if err != nil {
		t.Fatal(err)
	}
	if want.Stored != 0 || len(want.Findings) == 0 {
		t.Fatalf("computed: stored %d, %d findings", want.Stored, len(want.Findings))
	}
	if diff := cmp.Diff(want.Findings, first.Findings, cmp.AllowUnexported(engine.Finding{})); diff != "" {
		t.Errorf("findings from the table differ from those computed (-computed +table):\n%s", diff)
	}

	// A load that adds nothing leaves the table as it is; one that adds logs computes it again.
	e.Now = func() time.Time { return detectNow.Add(time.Hour) }
	if _, err := e.Sync(ctx, options(t, dir, storePath)); err != nil {
		t.Fatal(err)
	}
	again, err := e.Detect(ctx, ro, set, engine.DetectOptions{})
	if err != nil || again.Stored == 0 || !again.StoredAt.Equal(detectNow) {
		t.Fatalf("after a load of nothing new: stored %d, computed at %s (want %s: not again), %v", again.Stored, again.StoredAt, detectNow, err)
	}
	splitStratus(t, dir, true)
	later := detectNow.Add(24 * time.Hour)
	e.Now = func() time.Time { return later }
	if _, err := e.Sync(ctx, options(t, dir, storePath)); err != nil {
		t.Fatal(err)
	}
	second, err := e.Detect(ctx, ro, set, engine.DetectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if second.Stored != len(second.Rules) || !second.StoredAt.Equal(later) {
		t.Fatalf("after a load of new logs: stored %d of %d, computed at %s, want %s", second.Stored, len(second.Rules), second.StoredAt, later)
	}
	want, err = plain.Detect(ctx, ro, set, engine.DetectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(findingIDs(want.Findings), findingIDs(second.Findings)); diff != "" || len(second.Findings) <= len(first.Findings) {
		t.Errorf("after the second load (%d findings, %d before): (-computed +table):\n%s", len(second.Findings), len(first.Findings), diff)
	}

	// A rule changed (another threshold) is not the built-in one: computed, the others read.
	mixed := &sigma.Set{}
	changed := false
	for _, r := range set.Rules {
		switch {
		case r.Kind == sigma.Detection:
			mixed.Rules = append(mixed.Rules, r)
		case !changed && r.Correlation.Type == sigma.EventCount:
			c, err := r.WithThreshold(r.Correlation.Timespan, []sigma.Threshold{{Op: "gte", Value: 1}})
			if err != nil {
				t.Fatal(err)
			}
			mixed.Rules, changed = append(mixed.Rules, c), true
		}
	}
	m, err := e.Detect(ctx, ro, mixed, engine.DetectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Stored != len(m.Rules)-1 || len(m.Queries) != 1+1+1 {
		t.Errorf("stored %d of %d rules, queries %d: want all but the changed one from the table, then its query and its evidence", m.Stored, len(m.Rules), len(m.Queries))
	}
	// With a period, everything is computed over the period's events.
	p, err := e.Detect(ctx, ro, set, engine.DetectOptions{Period: timewin.Period{Start: time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)}})
	if err != nil || p.Stored != 0 {
		t.Errorf("with a period: stored %d, %v", p.Stored, err)
	}
}

// TestDetectFindingsCutOff: a table whose computation did not finish (its rows written, not marked done) is not
// read: the next detect computes it again, keeps it, and answers from it.
func TestDetectFindingsCutOff(t *testing.T) {
	ctx := context.Background()
	set := sigmaHQ(t)
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	e := engine.Engine{Rules: func() *sigma.Set { return set }}
	o := options(t, stratusFile, storePath)
	if _, err := e.Sync(ctx, o); err != nil {
		t.Fatal(err)
	}
	w, err := e.Writer(ctx, storePath)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SetMeta(ctx, "findings_complete", ""); err != nil {
		t.Fatal(err)
	}
	w.Close()
	ro := engine.Options{StorePath: storePath}
	// Computed over every event, without the table (a period that holds them all).
	res, err := e.Detect(ctx, ro, set, engine.DetectOptions{Period: timewin.Period{Start: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}})
	if err != nil || res.Stored != 0 || len(res.Findings) == 0 {
		t.Fatalf("computed: stored %d, %d findings, %v", res.Stored, len(res.Findings), err)
	}
	again, err := e.Detect(ctx, ro, set, engine.DetectOptions{})
	if err != nil || again.Stored != len(again.Rules) {
		t.Fatalf("a table not marked done: stored %d of %d, %v: want it computed again, kept and read", again.Stored, len(again.Rules), err)
	}
	if diff := cmp.Diff(findingIDs(res.Findings), findingIDs(again.Findings)); diff != "" {
		t.Errorf("(-computed +table):\n%s", diff)
	}
}

// TestDetectFindingsRuleFails: a built-in rule that fails as it runs is told when the findings are kept (the
// load never runs the rules); a detect that runs it says why.
func TestDetectFindingsRuleFails(t *testing.T) {
	ctx := context.Background()
	broken := &sigma.Set{Rules: []*sigma.Rule{{ID: "broken", Title: "Broken", Level: sigma.High, Kind: sigma.Detection,
		Standalone: true, Where: "CAST(eventname AS INTEGER) = 1", File: "broken.yml", Line: 1}}}
	r := newRecorder()
	r.Rules = func() *sigma.Set { return broken }
	o := options(t, stratusFile, filepath.Join(t.TempDir(), "s.duckdb"))
	rep, err := r.Sync(ctx, o)
	if err != nil || rep.Inserted != 310 {
		t.Fatalf("the load: %+v, %v", rep, err)
	}
	o.NoLoad = true
	if _, err := r.Detect(ctx, o, broken, engine.DetectOptions{}); err == nil || !strings.Contains(err.Error(), "INTEGER") {
		t.Errorf("detect with the broken rule: %v, want DuckDB's conversion error", err)
	}
	if !r.said("notify: Warning: the findings of the built-in rules were not computed") {
		t.Errorf("not told: %q", r.events)
	}

	// The guard judges the rules the load runs on its writable handle too: a rule reading a file is refused.
	secret := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(secret, []byte("ConsoleLogin"), 0o600); err != nil {
		t.Fatal(err)
	}
	reader := &sigma.Set{Rules: []*sigma.Rule{{ID: "reader", Title: "Reader", Level: sigma.High, Kind: sigma.Detection,
		Standalone: true, Where: "eventname IN (SELECT content FROM read_text('" + secret + "'))", File: "reader.yml", Line: 1}}}
	r = newRecorder()
	r.Rules = func() *sigma.Set { return reader }
	o = options(t, stratusFile, filepath.Join(t.TempDir(), "s.duckdb"))
	if _, err := r.Sync(ctx, o); err != nil {
		t.Fatal(err)
	}
	o.NoLoad = true
	if _, err := r.Detect(ctx, o, reader, engine.DetectOptions{}); err == nil {
		t.Errorf("detect with a rule reading a file: no error")
	}
	if !r.said("notify: Warning: the findings of the built-in rules were not computed") || !strings.Contains(strings.Join(r.events, "\n"), "read_text") {
		t.Errorf("a rule reading a file was not refused: %q", r.events)
	}
}

// TestDetectAccountsAndRegions: --account and --region keep the events of those accounts and regions only, and
// the findings table (of every event) is not the answer then.
func TestDetectAccountsAndRegions(t *testing.T) {
	ctx := context.Background()
	set := sigmaHQ(t)
	o := options(t, stratusFile, filepath.Join(t.TempDir(), "s.duckdb"))
	e := engine.Engine{Rules: func() *sigma.Set { return set }}
	all, err := e.Detect(ctx, o, set, engine.DetectOptions{})
	if err != nil || len(all.Findings) == 0 {
		t.Fatalf("all: %d findings, %v", len(all.Findings), err)
	}
	const account = "056392974792"
	want := 0
	for _, f := range all.Findings {
		if f.Account == account {
			want++
		}
	}
	if want == 0 || want == len(all.Findings) {
		t.Fatalf("the test needs findings of %s and of other accounts: %d of %d", account, want, len(all.Findings))
	}
	ro := o
	ro.NoLoad = true
	one, err := e.Detect(ctx, ro, set, engine.DetectOptions{Accounts: []string{account}})
	if err != nil || one.Stored != 0 {
		t.Fatalf("one account: stored %d, %v", one.Stored, err)
	}
	for _, f := range one.Findings {
		if f.Account != account {
			t.Errorf("finding %s of account %s", f.ID, f.Account)
		}
	}
	if len(one.Findings) == 0 || len(one.Findings) > want {
		t.Errorf("%d findings of %s, want between 1 and %d (a correlation may count fewer events)", len(one.Findings), account, want)
	}
	none, err := e.Detect(ctx, ro, set, engine.DetectOptions{Regions: []string{"xx-nowhere-1"}})
	if err != nil || len(none.Findings) != 0 {
		t.Errorf("a region with no events: %d findings, %v", len(none.Findings), err)
	}
}
