package web

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/progress"
	"github.com/trailq/trailq/internal/store"
)

// The browser tests drive the pages in a real headless Chromium (Debian's chromium package; TRAILQ_CHROMIUM
// names another binary). Without one they are skipped, except under CI, where they fail.

func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TRAILQ_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium binary found, and CI is set: the browser tests must run in CI (apt-get install chromium, or set TRAILQ_CHROMIUM)")
	}
	t.Skip("no chromium binary found: skipping the browser tests (apt-get install chromium, or set TRAILQ_CHROMIUM)")
	return ""
}

// browser is one headless Chromium tab that records every JavaScript dialog (alert, confirm, prompt) it sees.
type browser struct {
	ctx     context.Context
	mu      sync.Mutex
	dialogs []string
	errors  []string // uncaught exceptions and console.error calls
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 900),
		chromedp.Env("TZ=UTC"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
	})
	b := &browser{ctx: ctx}
	exceptions := chromedp.Events(ctx, cdpruntime.ExceptionThrown)
	console := chromedp.Events(ctx, cdpruntime.ConsoleAPICalled)
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			msg := ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				msg += " " + ev.ExceptionDetails.Exception.Description
			}
			b.mu.Lock()
			b.errors = append(b.errors, "exception: "+msg)
			b.mu.Unlock()
		}
	}()
	go func() {
		for ev, err := range console {
			if err != nil {
				return
			}
			if ev.Type == cdpruntime.ConsoleAPICalledTypeError {
				b.mu.Lock()
				b.errors = append(b.errors, fmt.Sprintf("console.error: %v", ev.Args))
				b.mu.Unlock()
			}
		}
	}()
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.dialogs = append(b.dialogs, string(ev.Type)+": "+ev.Message)
			b.mu.Unlock()
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return b
}

func (b *browser) do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, b *browser, js string) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// waitFor polls a JavaScript condition.
func (b *browser) waitFor(t *testing.T, js string) {
	t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("wait for %s: %v", js, err)
	}
}

func (b *browser) text(t *testing.T, sel string) string {
	t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// screenshot saves the whole page as a PNG test artifact (in $TRAILQ_ARTIFACTS, else a temporary folder).
func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	dir := os.Getenv("TRAILQ_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	buf, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
}

func (b *browser) noDialogs(t *testing.T) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.dialogs) > 0 {
		t.Errorf("the page opened JavaScript dialogs (a script from the logs ran?): %q", b.dialogs)
	}
	if len(b.errors) > 0 {
		t.Errorf("the page had script errors: %q", b.errors)
	}
}

func TestBrowserDashboard(t *testing.T) {
	b := newBrowser(t)
	ts := newTestServer(t, nil)
	const from, to = "2014-01-01", "2025-12-31"
	b.do(t, chromedp.Navigate(ts.URL+"/#signins?from="+from+"&to="+to+"&tz=UTC"))
	b.waitFor(t, `document.body.dataset.signins === "ready" && document.querySelectorAll("#signins-table tbody tr").length > 0`)

	// The numbers of the API (checked against the reference by TestSignInsMatchesReference), and the reference.
	var api SignInReport
	ts.call(t, "GET", "/api/signins?from="+from+"&to="+to+"&tz=UTC", "", 200, &api)
	f, _ := time.Parse(dateLayout, from)
	l, _ := time.Parse(dateLayout, to)
	want := refSummary(refSignIns(t, ts.dirs, f, l.AddDate(0, 0, 1)))
	want.Users, want.NoMFA = api.Summary.Users, api.Summary.NoMFA
	if want != api.Summary {
		t.Fatalf("API summary %+v, reference %+v", api.Summary, want)
	}
	for sel, n := range map[string]int{
		"#n-signins": want.SignIns, "#n-failures": want.Failures, "#n-root": want.Root,
		"#n-nomfa": want.NoMFA, "#n-users": want.Users, "#n-ips": want.IPs,
	} {
		if got := b.text(t, sel); got != fmt.Sprint(n) {
			t.Errorf("%s shows %q, want %d", sel, got, n)
		}
	}
	if got := eval[int](t, b, `document.querySelectorAll("#signins-table tbody tr").length`); got != min(want.SignIns, 50) {
		t.Errorf("table shows %d rows, want %d", got, min(want.SignIns, 50))
	}
	// The chart: one bar group per month, with rectangles for the sign-ins.
	if got := eval[int](t, b, `document.querySelectorAll("#chart svg rect.ok, #chart svg rect.bad").length`); got == 0 {
		t.Error("the chart has no bars")
	}
	if got := b.text(t, "#chart-sub"); !strings.Contains(got, "per month") {
		t.Errorf("chart subtitle %q", got)
	}
	// Sorting by principal puts the table in principal order.
	b.do(t, chromedp.Click(chromedp.CSS(`#signins-table th[data-key="principal"]`)))
	users := eval[[]string](t, b, `[...document.querySelectorAll("#signins-table tbody tr td:nth-child(6)")].map(td => td.textContent)`)
	for i := 1; i < len(users); i++ {
		if users[i-1] > users[i] {
			t.Fatalf("after sorting by user: %q", users)
		}
	}
	// Filtering to failures.
	b.do(t, chromedp.SetValue(chromedp.CSS("#f-result"), "Failure"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("f-result").dispatchEvent(new Event("change"))`))
	if got := eval[int](t, b, `document.querySelectorAll("#signins-table tbody tr").length`); got != want.Failures {
		t.Errorf("failures filter shows %d rows, want %d", got, want.Failures)
	}
	b.do(t, chromedp.SetValue(chromedp.CSS("#f-result"), ""),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("f-result").dispatchEvent(new Event("change"))`))
	b.screenshot(t, "dashboard")
	// The server-side filters of trailq signins: root only.
	b.do(t, chromedp.Click(chromedp.ID("q-root")))
	b.waitFor(t, `location.hash.includes("root=true") && document.body.dataset.signins === "ready" && document.getElementById("n-signins").textContent === document.getElementById("n-root").textContent`)
	if got := b.text(t, "#n-signins"); got != fmt.Sprint(want.Root) {
		t.Errorf("root only: %s sign-ins, want %d", got, want.Root)
	}
	b.do(t, chromedp.Click(chromedp.ID("q-root")))
	b.waitFor(t, `!location.hash.includes("root=true") && document.body.dataset.signins === "ready" && document.getElementById("n-signins").textContent === `+jsString(fmt.Sprint(want.SignIns)))
	// A click on a row shows the event's JSON.
	b.do(t, chromedp.Click(chromedp.CSS(`#signins-table tbody tr`)))
	b.waitFor(t, `document.getElementById("event-dialog").open && document.getElementById("event-json").textContent.includes('"eventname"')`)
	if got := b.text(t, "#event-json"); !strings.Contains(got, `"eventname": `) {
		t.Errorf("event JSON: %.300s", got)
	}
	b.screenshot(t, "dashboard-event")
	b.noDialogs(t)
}

// TestBrowserDashboardDefaults opens the landing page as a user does: the last 30 days in the browser's zone
// (the sample has no sign-ins then), and a button that shows the whole span of the store.
func TestBrowserDashboardDefaults(t *testing.T) {
	b := newBrowser(t)
	ts := newTestServer(t, nil)
	b.do(t, chromedp.Navigate(ts.URL+"/"))
	b.waitFor(t, `document.body.dataset.signins === "ready" && document.getElementById("whole-period") !== null`)
	if got := eval[string](t, b, `document.getElementById("tz").value`); got != "UTC" {
		t.Errorf("default zone %q, want the browser's (UTC)", got)
	}
	today := time.Now().UTC()
	if got, want := b.text(t, "#chart-sub"), "per day, "+today.AddDate(0, 0, -29).Format(dateLayout)+" to "+today.Format(dateLayout)+" (UTC)"; got != want {
		t.Errorf("default period %q, want %q", got, want)
	}
	// The notice is at the top, above the numbers, and says what the store holds.
	if got := b.text(t, "#signins-empty"); !strings.HasPrefix(got, "No sign-ins from "+today.AddDate(0, 0, -29).Format(dateLayout)) || !strings.Contains(got, "The store holds ") {
		t.Errorf("notice %q", got)
	}
	if !eval[bool](t, b, `document.getElementById("whole-period").getBoundingClientRect().bottom < document.querySelector("#page-signins .cards").getBoundingClientRect().top`) {
		t.Error("the offer of the store's span is not above the numbers")
	}
	b.screenshot(t, "dashboard-empty")
	b.do(t, chromedp.Click(chromedp.ID("whole-period")))
	b.waitFor(t, `location.hash.includes("from=2014-") && document.body.dataset.signins === "ready" && document.getElementById("n-signins").textContent !== "0"`)
	b.waitFor(t, `document.getElementById("signins-empty").hidden`)
	b.noDialogs(t)
}

// TestBrowserToken opens the page with the access token in the URL, as trailq serve prints it for --addr on a
// non-loopback address: the page and its API calls work, and the token leaves the address bar.
func TestBrowserToken(t *testing.T) {
	b := newBrowser(t)
	ts := newTestServer(t, func(o *Options) { o.Token = "t0ken-for-the-browser-test" })
	b.do(t, chromedp.Navigate(ts.URL+"/?token=t0ken-for-the-browser-test#signins?from=2024-09-01&to=2024-09-30&tz=UTC"))
	b.waitFor(t, `document.body.dataset.signins === "ready" && document.getElementById("n-signins").textContent === "1"`)
	if got := eval[string](t, b, `location.search`); got != "" {
		t.Errorf("the token is still in the URL: %q", got)
	}
	// A reload without the token in the URL works from the cookie; a fresh browser without it does not.
	b.do(t, chromedp.Reload())
	b.waitFor(t, `document.body.dataset.signins === "ready" && document.getElementById("n-signins").textContent === "1"`)
	b.do(t, chromedp.Navigate(ts.URL+"/#query"))
	b.waitFor(t, `document.getElementById("preset").options.length > 1`)
	b.do(t, chromedp.SetValue(chromedp.ID("sql"), "SELECT 1 AS one"), chromedp.Click(chromedp.ID("run")))
	b.waitFor(t, `document.body.dataset.query === "done" && document.querySelectorAll("#result tbody tr").length === 1`)
	b2 := newBrowser(t)
	b2.do(t, chromedp.Navigate(ts.URL+"/"))
	if got := eval[string](t, b2, `document.body.textContent`); !strings.Contains(got, "access token") {
		t.Errorf("without the token: %.200s", got)
	}
	b.noDialogs(t)
}

func TestBrowserHostileUserAgent(t *testing.T) {
	b := newBrowser(t)
	ts := newTestServer(t, nil)
	b.do(t, chromedp.Navigate(ts.URL+"/#signins?from=2024-09-01&to=2024-09-30&tz=UTC"))
	b.waitFor(t, `document.body.dataset.signins === "ready" && document.querySelectorAll("#signins-table tbody tr[data-eventid]").length > 0`)
	// The user agent and the user name are text nodes holding the literal markup; no element was made of them.
	found := eval[bool](t, b, `[...document.querySelectorAll("#signins-table td")].some(td =>
		td.textContent === `+jsString(hostileUA)+` && td.childNodes.length === 1 && td.firstChild.nodeType === Node.TEXT_NODE)`)
	if !found {
		t.Errorf("no table cell holds the user agent %s as text", hostileUA)
	}
	if !eval[bool](t, b, `[...document.querySelectorAll("#signins-table td, #principals-table td")].some(td => td.textContent === `+jsString(hostileUser)+`)`) {
		t.Errorf("no cell holds the user name %s as text", hostileUser)
	}
	if n := eval[int](t, b, `document.querySelectorAll("img, main script, dialog script").length`); n != 0 {
		t.Errorf("the page holds %d img/script elements: markup from the logs became HTML", n)
	}
	// The same in the event view and in the query grid.
	b.do(t, chromedp.Click(chromedp.CSS(`#signins-table tbody tr[data-eventid="hostile-0001"]`)))
	b.waitFor(t, `document.getElementById("event-json").textContent.includes('"eventid": "hostile-0001"')`)
	if got := b.text(t, "#event-json"); !strings.Contains(got, hostileUA) {
		t.Errorf("event JSON does not show the user agent as text: %.300s", got)
	}
	b.screenshot(t, "hostile-event")
	b.do(t, chromedp.Evaluate[chromedp.Void](`document.getElementById("event-dialog").close()`),
		chromedp.Navigate(ts.URL+"/#query"))
	b.waitFor(t, `document.getElementById("preset").options.length > 1`)
	b.do(t, chromedp.SetValue(chromedp.ID("sql"), "SELECT useragent, useridentity FROM cloudtrail_logs WHERE eventid = 'hostile-0001'"),
		chromedp.Click(chromedp.ID("run")))
	b.waitFor(t, `document.body.dataset.query === "done" && document.querySelectorAll("#result tbody tr").length === 1`)
	if got := b.text(t, "#result tbody td"); got != hostileUA {
		t.Errorf("grid cell %q", got)
	}
	if n := eval[int](t, b, `document.querySelectorAll("img").length`); n != 0 {
		t.Errorf("%d img elements after the query", n)
	}
	// Give an onerror handler time to fire, had an <img> been made.
	time.Sleep(300 * time.Millisecond)
	b.noDialogs(t)
	// The dialog check itself works: a script that does run is seen.
	b.do(t, chromedp.Evaluate[chromedp.Void](`setTimeout(() => alert("probe"), 0)`))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		b.mu.Lock()
		n := len(b.dialogs)
		b.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the dialog recorder did not see alert(\"probe\")")
		}
	}
	// So does the script-error check.
	b.do(t, chromedp.Evaluate[chromedp.Void](`setTimeout(() => { throw new Error("probe") }, 0)`))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		b.mu.Lock()
		n := len(b.errors)
		b.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the error recorder did not see a thrown Error(\"probe\")")
		}
	}
}

func TestBrowserQueryEditor(t *testing.T) {
	b := newBrowser(t)
	ts := newTestServer(t, nil)
	b.do(t, chromedp.Navigate(ts.URL+"/#query"))
	// The first preset (the seed query) fills the editor.
	b.waitFor(t, `document.getElementById("sql").value.includes("AwsConsoleSignIn")`)
	if got := eval[string](t, b, `document.getElementById("preset").options[1].textContent`); !strings.HasPrefix(got, "Console sign-ins") {
		t.Errorf("first preset %q", got)
	}
	// The seed query as the Athena guide writes it, for the whole sample period, run with Ctrl-Enter.
	seed := `SELECT eventtime, eventname, useridentity, sourceipaddress, useragent, responseelements
FROM cloudtrail_logs_mybucket
WHERE eventtype = 'AwsConsoleSignIn'
  AND eventtime >= '2014-01-01T00:00:00Z' AND eventtime <= '2025-12-31T23:59:59Z'
ORDER BY eventtime`
	b.do(t, chromedp.SetValue(chromedp.ID("sql"), seed),
		chromedp.Focus(chromedp.ID("sql")),
		chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitFor(t, `document.body.dataset.query === "done"`)
	var wantRows int
	{
		f, _ := time.Parse(dateLayout, "2014-01-01")
		l, _ := time.Parse(dateLayout, "2026-01-01")
		wantRows = len(refSignInEvents(t, ts.dirs, f, l))
	}
	if got := eval[int](t, b, `document.querySelectorAll("#result tbody tr").length`); got != wantRows || wantRows == 0 {
		t.Errorf("the grid shows %d rows, want %d", got, wantRows)
	}
	if got := b.text(t, "#query-status"); !strings.HasPrefix(got, fmt.Sprintf("%d rows in ", wantRows)) {
		t.Errorf("status %q", got)
	}
	headers := eval[[]string](t, b, `[...document.querySelectorAll("#result thead th")].map(th => th.textContent)`)
	if strings.Join(headers, ",") != "eventtime,eventname,useridentity,sourceipaddress,useragent,responseelements" {
		t.Errorf("headers %q", headers)
	}
	// Nested values are readable: useridentity as indented JSON.
	if got := b.text(t, "#result tbody tr td:nth-child(3) pre"); !strings.Contains(got, `"type": `) {
		t.Errorf("useridentity cell %q", got)
	}
	if !eval[bool](t, b, `JSON.parse(localStorage.getItem("trailq.history"))[0].sql.includes("cloudtrail_logs_mybucket")`) {
		t.Error("the query is not in the history")
	}
	if got := eval[int](t, b, `document.querySelectorAll("#history li").length`); got != 1 {
		t.Errorf("history lists %d queries", got)
	}
	b.screenshot(t, "query")

	// Download CSV: the page fetches the whole result and saves it; capture the file it makes.
	b.do(t, chromedp.Evaluate[chromedp.Void](`window.__blobs = []; const orig = URL.createObjectURL;
		URL.createObjectURL = (blob) => { window.__blobs.push(blob); return orig(blob); };`),
		chromedp.Click(chromedp.ID("dl-csv")))
	b.waitFor(t, `window.__blobs.length === 1`)
	csvText, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`window.__blobs[0].text()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(csvText), "\n"); lines[0] != "eventtime,eventname,useridentity,sourceipaddress,useragent,responseelements" || len(lines) < wantRows+1 {
		t.Errorf("downloaded CSV: %d lines, header %q", len(lines), lines[0])
	}

	// An error is shown with its position, and the editor selects it.
	b.do(t, chromedp.SetValue(chromedp.ID("sql"), "SELECT eventname\nFROM cloudtrail_logs\nWHERE eventname = 'x' ORDR BY 1"),
		chromedp.Click(chromedp.ID("run")))
	b.waitFor(t, `!document.getElementById("query-error").hidden`)
	if got := b.text(t, "#query-error-msg"); !strings.Contains(got, "line 3, column 23") {
		t.Errorf("error %q", got)
	}
	if got := eval[int](t, b, `document.getElementById("sql").selectionStart`); got != len("SELECT eventname\nFROM cloudtrail_logs\nWHERE eventname = 'x' ") {
		t.Errorf("selection at %d", got)
	}
	b.screenshot(t, "query-error")

	// Cancel stops a long query.
	b.do(t, chromedp.SetValue(chromedp.CSS("#dialect"), "duckdb"),
		chromedp.SetValue(chromedp.ID("sql"), "SELECT count(*) FROM range(100000000) a, range(1000000) b WHERE a.range + b.range = 7"),
		chromedp.Click(chromedp.ID("run")))
	b.waitFor(t, `document.body.dataset.query === "running"`)
	time.Sleep(200 * time.Millisecond)
	b.do(t, chromedp.Click(chromedp.ID("cancel")))
	b.waitFor(t, `document.body.dataset.query === "done"`)
	if got := b.text(t, "#query-status"); got != "cancelled" {
		t.Errorf("status after cancel %q", got)
	}
	b.noDialogs(t)
}

func TestBrowserDataPage(t *testing.T) {
	b := newBrowser(t)
	extra := writeHostileLogs(t, "later")
	gate := make(chan struct{})
	ts := newTestServer(t, func(o *Options) {
		load := loader(extra)
		o.Load = func(ctx context.Context, st *store.Store, c *progress.Counter) (*ingest.Report, error) {
			c.Total.Store(4)
			c.Done.Store(1)
			c.Records.Store(1234)
			<-gate
			c.Total.Store(0)
			c.Done.Store(0)
			return load(ctx, st, c)
		}
	})
	b.do(t, chromedp.Navigate(ts.URL+"/#data"))
	b.waitFor(t, `document.body.dataset.data === "ready" && document.getElementById("d-records").textContent !== "–"`)
	var d DataReport
	ts.call(t, "GET", "/api/data", "", 200, &d)
	if got := b.text(t, "#d-records"); got != fmtInt(d.Records) {
		t.Errorf("records %q, want %s", got, fmtInt(d.Records))
	}
	if got := eval[int](t, b, `document.querySelectorAll("#coverage tbody tr").length`); got != len(d.Coverage) {
		t.Errorf("coverage rows %d, want %d", got, len(d.Coverage))
	}
	if got := eval[int](t, b, `document.querySelectorAll("#broken .broken-file").length`); got != len(d.Broken) || got == 0 {
		t.Errorf("broken files %d, want %d", got, len(d.Broken))
	}
	b.do(t, chromedp.Click(chromedp.ID("load")))
	// Live progress while the load runs.
	b.waitFor(t, `!document.getElementById("load-progress").hidden && document.getElementById("load-progress").value === 1 &&
		document.getElementById("load-status").textContent.includes("1 of 4 objects") && !document.getElementById("busy").hidden`)
	b.screenshot(t, "data-loading")
	close(gate)
	b.waitFor(t, `document.getElementById("load-status").textContent.startsWith("last load:")`)
	if got := b.text(t, "#load-status"); !strings.Contains(got, "1 new object, 0 records added") || !strings.Contains(got, "1 duplicate not stored again") {
		t.Errorf("load status %q", got)
	}
	b.waitFor(t, `document.getElementById("d-objects").textContent === `+jsString(fmtInt(d.Objects+1)))
	b.screenshot(t, "data")
	b.noDialogs(t)
}

// fmtInt formats n as the page does (en-US grouping).
func fmtInt(n int64) string {
	s := fmt.Sprint(n)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

func jsString(s string) string {
	return "`" + strings.NewReplacer("\\", "\\\\", "`", "\\`", "$", "\\$").Replace(s) + "`"
}
