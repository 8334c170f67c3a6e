package web

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserFindings opens the findings page: the counts it shows are the API's (checked against a direct
// engine.Detect by TestFindingsMatchesEngine), the list sorts and filters, a finding shows its evidence events'
// JSON, and its link opens the query page with the SQL of its principal's events, which runs.
func TestBrowserFindings(t *testing.T) {
	b := newBrowser(t)
	ts := newTestServer(t, nil)
	const period = "from=2014-01-01&to=2025-12-31&tz=UTC"
	var api FindingsReport
	ts.call(t, "GET", "/api/findings?"+period, "", 200, &api)
	if api.Total == 0 || len(api.ByRule) < 2 {
		t.Fatalf("the test store gives %d findings of %d rules: need several", api.Total, len(api.ByRule))
	}
	b.do(t, chromedp.Navigate(ts.URL+"/#findings?"+period))
	b.waitFor(t, `document.body.dataset.findings === "ready" && document.querySelectorAll("#findings-table tbody tr[data-id]").length > 0`)
	if !eval[bool](t, b, `document.getElementById("nav-findings").classList.contains("active")`) {
		t.Error("the nav does not mark Findings as the page shown")
	}

	// The counts: in all, by severity and by rule.
	if got := b.text(t, "#fn-total"); got != fmt.Sprint(api.Total) {
		t.Errorf("#fn-total shows %q, want %d", got, api.Total)
	}
	for _, c := range api.BySeverity {
		if got := b.text(t, "#fn-"+c.Level); got != fmt.Sprint(c.Count) {
			t.Errorf("#fn-%s shows %q, want %d", c.Level, got, c.Count)
		}
	}
	if got := b.text(t, "#fd-source"); !strings.HasPrefix(got, fmt.Sprint(api.Rules)+" rules") || !strings.Contains(got, "computed now") {
		t.Errorf("#fd-source %q: want the %d rules and that the findings were computed", got, api.Rules)
	}
	rules := eval[[][]string](t, b, `[...document.querySelectorAll("#fd-rules tbody tr[data-rule]")].map(tr => [tr.dataset.rule, tr.children[2].textContent])`)
	if len(rules) != len(api.ByRule) {
		t.Fatalf("the page lists %d rules, the API %d", len(rules), len(api.ByRule))
	}
	for i, r := range api.ByRule {
		if rules[i][0] != r.RuleID || rules[i][1] != fmt.Sprint(r.Count) {
			t.Errorf("rule row %d: %q, want %s with %d", i, rules[i], r.RuleID, r.Count)
		}
	}
	rowCount := func() int {
		return eval[int](t, b, `document.querySelectorAll("#findings-table tbody tr[data-id]").length`)
	}
	if got, want := rowCount(), min(api.Count, 50); got != want {
		t.Errorf("the list shows %d findings, want %d", got, want)
	}
	// Sorting by severity: highest first, then lowest first.
	levels := func() []int {
		var out []int
		for _, l := range eval[[]string](t, b, `[...document.querySelectorAll("#findings-table tbody tr[data-id]")].map(tr => tr.dataset.level)`) {
			out = append(out, levelRank(l))
		}
		return out
	}
	b.do(t, chromedp.Click(chromedp.CSS(`#findings-table th[data-key="severity"]`)))
	if got := levels(); !slices.IsSortedFunc(got, func(a, b int) int { return b - a }) {
		t.Errorf("sorted by severity: %v", got)
	}
	b.do(t, chromedp.Click(chromedp.CSS(`#findings-table th[data-key="severity"]`)))
	if got := levels(); !slices.IsSorted(got) {
		t.Errorf("sorted by severity, lowest first: %v", got)
	}
	// Sorting by time: newest first, then oldest first (the first column's title is the UTC time).
	times := func() []string {
		return eval[[]string](t, b, `[...document.querySelectorAll("#findings-table tbody tr[data-id] td:first-child")].map(td => td.title)`)
	}
	b.do(t, chromedp.Click(chromedp.CSS(`#findings-table th[data-key="time"]`)))
	if got := times(); !slices.IsSortedFunc(got, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Errorf("sorted by time, newest first: %q", got)
	}
	b.do(t, chromedp.Click(chromedp.CSS(`#findings-table th[data-key="time"]`)))
	if got := times(); !slices.IsSorted(got) {
		t.Errorf("sorted by time, oldest first: %q", got)
	}
	b.screenshot(t, "findings")

	// The severity filter goes to the server and into the address.
	var high FindingsReport
	ts.call(t, "GET", "/api/findings?"+period+"&severity=high", "", 200, &high)
	b.do(t, chromedp.SetValue(chromedp.CSS("#fd-severity"), "high"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("fd-severity").dispatchEvent(new Event("change"))`))
	b.waitFor(t, `location.hash.includes("severity=high") && document.body.dataset.findings === "ready" && document.getElementById("fd-rows-sub").textContent.startsWith(`+jsString(fmt.Sprint(high.Count)+" listed")+`)`)
	if got, want := rowCount(), min(high.Count, 50); got != want {
		t.Errorf("severity high or higher: %d findings listed, want %d", got, want)
	}
	for _, r := range levels() {
		if r < levelRank("high") {
			t.Errorf("severity high or higher lists a finding of rank %d", r)
		}
	}
	b.do(t, chromedp.SetValue(chromedp.CSS("#fd-severity"), ""),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("fd-severity").dispatchEvent(new Event("change"))`))
	b.waitFor(t, `!location.hash.includes("severity=") && document.body.dataset.findings === "ready"`)

	// The rule filter: a click on a rule lists its findings only.
	rule := api.ByRule[1]
	b.do(t, chromedp.Click(chromedp.CSS(`#fd-rules tbody tr[data-rule="`+rule.RuleID+`"]`)))
	b.waitFor(t, `location.hash.includes("rule=") && document.body.dataset.findings === "ready" && document.getElementById("fd-rule").value === `+jsString(rule.RuleID))
	if got, want := rowCount(), min(rule.Count, 50); got != want {
		t.Errorf("rule %s: %d findings listed, want %d", rule.RuleID, got, want)
	}

	// The hostile console sign-in's finding: its evidence event's JSON, with the markup as text.
	var hostile *FindingRow
	for i, f := range api.Findings {
		if slices.Contains(f.EventIDs, "hostile-0001") {
			hostile = &api.Findings[i]
		}
	}
	if hostile == nil {
		t.Fatal("no finding has the hostile sign-in as evidence")
	}
	b.do(t, chromedp.Navigate(ts.URL+"/#findings?"+period+"&rule="+hostile.RuleID))
	b.waitFor(t, `document.body.dataset.findings === "ready" && document.querySelector(`+jsString(`#findings-table tr[data-id="`+hostile.ID+`"]`)+`) !== null`)
	b.do(t, chromedp.Click(chromedp.CSS(`#findings-table tr[data-id="`+hostile.ID+`"]`)))
	b.waitFor(t, `document.body.dataset.evidence === "ready" && document.getElementById("finding-detail").dataset.id === `+jsString(hostile.ID))
	if got, want := eval[int](t, b, `document.querySelectorAll("#fdd-evidence .evidence").length`), min(len(hostile.EventIDs), 20); got != want {
		t.Errorf("%d evidence events shown, want %d", got, want)
	}
	ev := b.text(t, `#fdd-evidence .evidence[data-eventid="hostile-0001"] pre`)
	if !strings.Contains(ev, `"eventid": "hostile-0001"`) || !strings.Contains(ev, hostileUA) {
		t.Errorf("evidence JSON: %.400s", ev)
	}
	if n := eval[int](t, b, `document.querySelectorAll("img, main script, dialog script").length`); n != 0 {
		t.Errorf("the page holds %d img/script elements: markup from the logs became HTML", n)
	}
	b.screenshot(t, "findings-evidence")

	// The principal's other events: the query page, pre-filled, runs the finding's SQL.
	if hostile.PrincipalSQL == "" {
		t.Fatal("the hostile finding has no principal query")
	}
	b.do(t, chromedp.Click(chromedp.ID("fdd-principal")))
	b.waitFor(t, `location.hash.startsWith("#query") && !document.getElementById("page-query").hidden && document.getElementById("sql").value === `+jsString(hostile.PrincipalSQL))
	b.do(t, chromedp.Click(chromedp.ID("run")))
	b.waitFor(t, `document.body.dataset.query === "done" && document.querySelectorAll("#result tbody tr").length > 0`)
	if got := b.text(t, "#result tbody"); !strings.Contains(got, "hostile-0001") {
		t.Errorf("the principal's events do not hold the evidence event: %.300s", got)
	}
	b.noDialogs(t)
}

func levelRank(l string) int {
	for i, x := range []string{"informational", "low", "medium", "high", "critical"} {
		if x == l {
			return i + 1
		}
	}
	return 0
}
