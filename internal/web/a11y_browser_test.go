package web

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// axeViolation is one rule axe-core found broken, with the elements that break it.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// audit runs axe-core (testdata/axe, vendored) on the page as it is, with the WCAG 2.1 A and AA rules, and
// fails the test on every serious or critical violation.
func audit(t *testing.T, b *browser, name string) {
	t.Helper()
	if !eval[bool](t, b, `typeof axe !== "undefined"`) {
		src, err := os.ReadFile("testdata/axe/axe.min.js")
		if err != nil {
			t.Fatal(err)
		}
		b.do(t, chromedp.Evaluate[chromedp.Void](string(src)))
	}
	out, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: axe: %v", name, err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if v.Impact != "serious" && v.Impact != "critical" {
			continue
		}
		var where []string
		for i, n := range v.Nodes {
			if i == 3 {
				where = append(where, "…")
				break
			}
			where = append(where, n.HTML)
		}
		t.Errorf("%s: %s (%s): %s; %d elements: %s", name, v.ID, v.Impact, v.Help, len(v.Nodes), strings.Join(where, " | "))
	}
}

// TestBrowserAccessibility audits every page with data on it, and the event view open.
func TestBrowserAccessibility(t *testing.T) {
	b := newBrowser(t)
	ts, p := plantedServer(t)
	b.do(t, chromedp.Navigate(ts.URL+"/#signins?"+entityPeriod))
	b.waitFor(t, `document.body.dataset.signins === "ready" && document.querySelectorAll("#signins-table tbody tr[data-eventid]").length > 0`)
	audit(t, b, "sign-ins")
	b.do(t, chromedp.Click(chromedp.CSS(`#signins-table tbody tr[data-eventid]`)))
	b.waitFor(t, `document.getElementById("event-dialog").dataset.state === "ready"`)
	audit(t, b, "event view")
	b.do(t, chromedp.KeyEvent("\x1b"))
	b.do(t, chromedp.Navigate(ts.URL+"/#entity?kind=session&id="+p.ConsoleLogin+"&"+entityPeriod))
	b.waitFor(t, `document.body.dataset.entity === "ready"`)
	audit(t, b, "entity")
	b.do(t, chromedp.Navigate(ts.URL+"/#query"))
	b.waitFor(t, `document.getElementById("preset").options.length > 1`)
	b.do(t, chromedp.SetValue(chromedp.ID("sql"), "SELECT eventid, sourceipaddress, useridentity.arn AS arn FROM cloudtrail_logs LIMIT 5"), chromedp.Click(chromedp.ID("run")))
	b.waitFor(t, `document.body.dataset.query === "done" && document.querySelectorAll("#result tbody tr").length === 5`)
	audit(t, b, "query")
	b.do(t, chromedp.Navigate(ts.URL+"/#data"))
	b.waitFor(t, `document.body.dataset.data === "ready" && document.getElementById("d-records").textContent !== "–"`)
	audit(t, b, "data")
	// The findings page, on the sample (whose rules find things), with a finding's evidence shown.
	fs := newTestServer(t, nil)
	b.do(t, chromedp.Navigate(fs.URL+"/#findings?from=2014-01-01&to=2025-12-31&tz=UTC"))
	b.waitFor(t, `document.body.dataset.findings === "ready" && document.querySelectorAll("#findings-table tbody tr[data-id]").length > 0`)
	b.do(t, chromedp.Click(chromedp.CSS(`#findings-table tbody tr[data-id]`)))
	b.waitFor(t, `document.body.dataset.evidence === "ready"`)
	audit(t, b, "findings")
}
