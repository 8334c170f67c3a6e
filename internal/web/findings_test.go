package web

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/rules"
	"github.com/trailq/trailq/internal/sigma"
	"github.com/trailq/trailq/internal/timewin"
)

// builtinSet compiles the built-in rules, as trailq serve gives them to the engine.
func builtinSet(t testing.TB) *sigma.Set {
	t.Helper()
	set := sigma.Compile(rules.Files(), sigma.Options{RuleSet: "builtin"})
	if len(set.Rules) == 0 {
		t.Fatal("no built-in rules compiled")
	}
	return set
}

// detector runs the built-in rules on the store file read-only, as trailq serve's Options.Detect does.
func detector(path string) DetectFunc {
	set := sigma.Compile(rules.Files(), sigma.Options{RuleSet: "builtin"})
	e := &engine.Engine{Rules: func() *sigma.Set { return set }}
	return func(ctx context.Context, p timewin.Period) (*engine.DetectResult, error) {
		return e.Detect(ctx, engine.Options{StorePath: path}, set, engine.DetectOptions{Period: p, Now: fixedNow})
	}
}

// directFindings runs engine.Detect itself over the test store for [start, end).
func directFindings(t *testing.T, ts *testServer, start, end time.Time) *engine.DetectResult {
	t.Helper()
	set := builtinSet(t)
	e := &engine.Engine{Rules: func() *sigma.Set { return set }}
	res, err := e.Detect(context.Background(), engine.Options{StorePath: ts.path}, set,
		engine.DetectOptions{Period: timewin.Period{Start: start, End: end}, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// wantRows are the rows the API should list for res's findings, newest first, kept by keep.
func wantRows(res *engine.DetectResult, loc *time.Location, keep func(*engine.Finding) bool) []FindingRow {
	out := []FindingRow{}
	for i := len(res.Findings) - 1; i >= 0; i-- {
		if keep == nil || keep(&res.Findings[i]) {
			out = append(out, findingRow(&res.Findings[i], loc))
		}
	}
	return out
}

func TestFindingsMatchesEngine(t *testing.T) {
	ts := newTestServer(t, nil)
	for _, tc := range []struct{ from, to, tz string }{
		{"2014-01-01", "2025-12-31", "UTC"},
		{"2014-01-01", "2025-12-31", "Asia/Tokyo"},
		{"2024-09-01", "2024-09-30", "America/New_York"},
	} {
		t.Run(tc.from+"/"+tc.to+"/"+tc.tz, func(t *testing.T) {
			loc, err := time.LoadLocation(tc.tz)
			if err != nil {
				t.Fatal(err)
			}
			f, _ := time.ParseInLocation(dateLayout, tc.from, loc)
			l, _ := time.ParseInLocation(dateLayout, tc.to, loc)
			direct := directFindings(t, ts, f, l.AddDate(0, 0, 1))
			var rep FindingsReport
			ts.call(t, "GET", "/api/findings?"+url.Values{"from": {tc.from}, "to": {tc.to}, "tz": {tc.tz}}.Encode(), "", 200, &rep)
			if got, want := rep.Total, len(direct.Findings); got != want {
				t.Errorf("total %d, engine.Detect %d", got, want)
			}
			if got, want := rep.Rules, len(direct.Rules); got != want {
				t.Errorf("rules %d, engine.Detect ran %d", got, want)
			}
			// computed_at is when each was computed: the same clock here.
			if diff := cmp.Diff(wantRows(direct, loc, nil), rep.Findings); diff != "" {
				t.Errorf("findings differ from engine.Detect's (-engine +api):\n%s", diff)
			}
			// Times carry the zone's offset.
			for _, r := range rep.Findings {
				if r.First == "" {
					continue
				}
				ft, err := time.Parse(time.RFC3339Nano, r.First)
				if err != nil {
					t.Fatalf("first %q: %v", r.First, err)
				}
				if _, off := ft.Zone(); func() int { _, o := ft.In(loc).Zone(); return o }() != off {
					t.Errorf("first %q is not in %s", r.First, tc.tz)
				}
			}
			// Counts by severity and by rule.
			levels := map[string]int{}
			byRule := map[string]int{}
			for _, fd := range direct.Findings {
				levels[string(fd.Level)]++
				byRule[fd.RuleID]++
			}
			n := 0
			for _, c := range rep.BySeverity {
				if c.Count != levels[c.Level] {
					t.Errorf("by_severity %s: %d, want %d", c.Level, c.Count, levels[c.Level])
				}
				n += c.Count
			}
			if n != rep.Total || len(rep.BySeverity) != 5 {
				t.Errorf("by_severity %+v does not add up to %d", rep.BySeverity, rep.Total)
			}
			if len(rep.ByRule) != len(byRule) {
				t.Errorf("by_rule has %d rules, want %d", len(rep.ByRule), len(byRule))
			}
			for i, c := range rep.ByRule {
				if c.Count != byRule[c.RuleID] {
					t.Errorf("by_rule %s: %d, want %d", c.RuleID, c.Count, byRule[c.RuleID])
				}
				if i > 0 && rep.ByRule[i-1].Count < c.Count {
					t.Errorf("by_rule not most first: %+v", rep.ByRule)
				}
			}
		})
	}
}

// TestFindingsSample checks that the test store has findings to show, the hostile sign-in's among them.
func TestFindingsSample(t *testing.T) {
	ts := newTestServer(t, nil)
	var rep FindingsReport
	ts.call(t, "GET", "/api/findings?from=2014-01-01&to=2025-12-31&tz=UTC", "", 200, &rep)
	if rep.Total == 0 || len(rep.ByRule) < 2 {
		t.Fatalf("the sample gives %d findings of %d rules: the tests need several", rep.Total, len(rep.ByRule))
	}
	found := false
	for _, f := range rep.Findings {
		if slices.Contains(f.EventIDs, "hostile-0001") {
			found = true
		}
	}
	if !found {
		t.Errorf("no finding has the hostile console sign-in without MFA as evidence")
	}
}

func TestFindingsFilters(t *testing.T) {
	ts := newTestServer(t, nil)
	const period = "from=2014-01-01&to=2025-12-31&tz=UTC"
	direct := directFindings(t, ts, time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var all FindingsReport
	ts.call(t, "GET", "/api/findings?"+period, "", 200, &all)
	if len(all.ByRule) < 2 {
		t.Fatalf("need findings of two rules, have %+v", all.ByRule)
	}
	r0, r1 := all.ByRule[0].RuleID, all.ByRule[1].RuleID
	for _, tc := range []struct {
		query string
		keep  func(*engine.Finding) bool
	}{
		{"severity=high", func(f *engine.Finding) bool { return f.Level.Rank() >= sigma.High.Rank() }},
		{"severity=Medium", func(f *engine.Finding) bool { return f.Level.Rank() >= sigma.Medium.Rank() }},
		{"severity=critical", func(f *engine.Finding) bool { return f.Level == sigma.Critical }},
		{"rule=" + url.QueryEscape(r0), func(f *engine.Finding) bool { return f.RuleID == r0 }},
		{"rule=" + url.QueryEscape(r0+","+r1), func(f *engine.Finding) bool { return f.RuleID == r0 || f.RuleID == r1 }},
		{"rule=" + url.QueryEscape(r0) + "&rule=" + url.QueryEscape(r1), func(f *engine.Finding) bool { return f.RuleID == r0 || f.RuleID == r1 }},
		{"rule=" + url.QueryEscape(r0) + "&severity=critical", func(f *engine.Finding) bool { return f.RuleID == r0 && f.Level == sigma.Critical }},
	} {
		t.Run(tc.query, func(t *testing.T) {
			var rep FindingsReport
			ts.call(t, "GET", "/api/findings?"+period+"&"+tc.query, "", 200, &rep)
			want := wantRows(direct, time.UTC, tc.keep)
			if diff := cmp.Diff(want, rep.Findings); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if rep.Count != len(want) {
				t.Errorf("count %d, want %d", rep.Count, len(want))
			}
			// The counts are the period's, before the filters.
			if diff := cmp.Diff(all.BySeverity, rep.BySeverity); diff != "" {
				t.Errorf("by_severity changed with the filter:\n%s", diff)
			}
			if rep.Total != all.Total {
				t.Errorf("total %d, want %d", rep.Total, all.Total)
			}
		})
	}
	// A filter that keeps some but not all: the test would pass with the filter ignored otherwise.
	var one FindingsReport
	ts.call(t, "GET", "/api/findings?"+period+"&rule="+url.QueryEscape(r1), "", 200, &one)
	if one.Count == 0 || one.Count == all.Count {
		t.Errorf("rule=%s lists %d of %d findings", r1, one.Count, all.Count)
	}
}

func TestFindingsBadParameters(t *testing.T) {
	ts := newTestServer(t, nil)
	for _, tc := range []struct{ query, want string }{
		{"from=2024-13-01", "from: want a date"},
		{"to=yesterday", "to: want a date"},
		{"from=2024-09-10&to=2024-09-01", "ends (2024-09-01) before it starts"},
		{"tz=Mars/Olympus", "Mars/Olympus"},
		{"severity=urgent", `severity: want informational, low, medium, high or critical, got "urgent"`},
		{"rule=no-such-rule", `no built-in rule has the id "no-such-rule"`},
	} {
		t.Run(tc.query, func(t *testing.T) {
			var e struct{ Error string }
			ts.call(t, "GET", "/api/findings?"+tc.query, "", 400, &e)
			if !strings.Contains(e.Error, tc.want) {
				t.Errorf("error %q, want it to contain %q", e.Error, tc.want)
			}
		})
	}
}

func TestFindingsNotConfigured(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.srv.opts.Detect = nil
	ts.call(t, "GET", "/api/findings", "", 501, nil)
}

// TestFindingsActivitySQL runs each finding's activity queries on the query page's endpoint: they are valid
// Athena SQL, and what they return holds the evidence events (the principal's) or only the finding's source IPs.
func TestFindingsActivitySQL(t *testing.T) {
	ts := newTestServer(t, nil)
	var rep FindingsReport
	ts.call(t, "GET", "/api/findings?from=2014-01-01&to=2025-12-31&tz=UTC", "", 200, &rep)
	if len(rep.Findings) == 0 {
		t.Fatal("no findings")
	}
	run := func(sql string) (map[string]bool, []map[string]any) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"sql": sql, "dialect": "athena", "limit": 100000})
		var res QueryResult
		ts.call(t, "POST", "/api/query", string(body), 200, &res)
		col := map[string]int{}
		for i, c := range res.Columns {
			col[c.Name] = i
		}
		ids := map[string]bool{}
		var rows []map[string]any
		for _, r := range res.Rows {
			m := map[string]any{}
			for name, i := range col {
				m[name] = r[i]
			}
			rows = append(rows, m)
			if id, ok := m["eventid"].(string); ok {
				ids[id] = true
			}
		}
		return ids, rows
	}
	withIP, withPrincipal := 0, 0
	for _, f := range rep.Findings {
		hasID := slices.ContainsFunc(f.EventIDs, func(id string) bool { return id != "" })
		if hasID != (f.PrincipalSQL != "") {
			t.Errorf("finding %s (%s), event IDs %q: principal query %q", f.ID, f.Title, f.EventIDs, f.PrincipalSQL)
		}
		if f.PrincipalSQL != "" {
			withPrincipal++
			ids, rows := run(f.PrincipalSQL)
			for _, id := range f.EventIDs {
				if id != "" && !ids[id] {
					t.Errorf("%s (%s): evidence event %s is not among the principal query's %d events:\n%s", f.ID, f.Title, id, len(rows), f.PrincipalSQL)
				}
			}
		}
		if f.IPSQL == "" {
			continue
		}
		withIP++
		ids, rows := run(f.IPSQL)
		for _, r := range rows {
			if ip, _ := r["sourceipaddress"].(string); !slices.Contains(f.SourceIPs, ip) {
				t.Errorf("%s: the IP query returns an event from %q, not one of %q", f.ID, ip, f.SourceIPs)
			}
		}
		for _, id := range f.EventIDs {
			if id != "" && !ids[id] {
				t.Errorf("%s (%s): evidence event %s is not among the IP query's %d events", f.ID, f.Title, id, len(rows))
			}
		}
	}
	if withPrincipal == 0 {
		t.Error("no finding has a principal query: it is not tested")
	}
	if withIP == 0 {
		t.Error("no finding has source IPs: the IP query is not tested")
	}
}

// TestFindingsFromTable: when the period holds every event and the store's findings table is current (trailq
// detect ran after the last load), the answer is read from the table, and it is the findings engine.Detect
// computes for the period.
func TestFindingsFromTable(t *testing.T) {
	ctx := context.Background()
	path, dirs := testStore(t)
	// A detect over the whole store with no server holding the file keeps the findings.
	set := builtinSet(t)
	keptAt := fixedNow.Add(-time.Hour)
	e := &engine.Engine{Rules: func() *sigma.Set { return set }, Now: func() time.Time { return keptAt }}
	if _, err := e.Detect(ctx, engine.Options{StorePath: path}, set, engine.DetectOptions{Now: keptAt}); err != nil {
		t.Fatal(err)
	}
	srv, err := New(ctx, Options{Open: opener(path), Detect: detector(path), Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	ts := &testServer{Server: hs, srv: srv, path: path, dirs: dirs}
	ignoreComputed := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".ComputedAt" }, cmp.Ignore())

	var all FindingsReport
	ts.call(t, "GET", "/api/findings?from=2014-01-01&to=2025-12-31&tz=UTC", "", 200, &all)
	if !all.Stored || all.StoredAt != keptAt.Format(time.RFC3339) {
		t.Errorf("the whole store's findings: stored %v at %q, want from the table computed at %s", all.Stored, all.StoredAt, keptAt.Format(time.RFC3339))
	}
	direct := directFindings(t, ts, time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if diff := cmp.Diff(wantRows(direct, time.UTC, nil), all.Findings, ignoreComputed); diff != "" {
		t.Errorf("stored findings differ from engine.Detect's over the period (-engine +api):\n%s", diff)
	}
	for _, f := range all.Findings {
		if f.ComputedAt != all.StoredAt {
			t.Fatalf("finding %s computed at %s, not read from the table (%s)", f.ID, f.ComputedAt, all.StoredAt)
		}
	}
	// A period that leaves events out is computed.
	var sep FindingsReport
	ts.call(t, "GET", "/api/findings?from=2024-09-01&to=2024-09-30&tz=UTC", "", 200, &sep)
	if sep.Stored || sep.StoredAt != "" || sep.Total == 0 || sep.Total >= all.Total {
		t.Errorf("September 2024: stored %v at %q, %d of the store's %d findings", sep.Stored, sep.StoredAt, sep.Total, all.Total)
	}
}

// TestFindingsWholeStoreComputed: without a current findings table, a period that holds every event is computed.
func TestFindingsWholeStoreComputed(t *testing.T) {
	ts := newTestServer(t, nil)
	var rep FindingsReport
	ts.call(t, "GET", "/api/findings?from=2014-01-01&to=2025-12-31&tz=UTC", "", 200, &rep)
	if rep.Stored || rep.Total == 0 {
		t.Errorf("stored %v, %d findings: want computed ones", rep.Stored, rep.Total)
	}
}
