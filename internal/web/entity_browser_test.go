package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trailq/trailq/internal/trace/tracetest"
)

const entityPeriod = "from=2024-09-01&to=2024-09-20&tz=UTC"

// apiTrace asks the API for a trace over entityPeriod.
func apiTrace(t *testing.T, ts *testServer, kind, id string) TraceReport {
	t.Helper()
	var rep TraceReport
	ts.call(t, "GET", "/api/trace?"+url.Values{"kind": {kind}, "id": {id}}.Encode()+"&"+entityPeriod, "", 200, &rep)
	return rep
}

// checkEntityPage waits for the entity page of kind and id and checks that it shows the API's numbers: the
// cards, the chart's bars, the events listed and the sessions of the tree.
func checkEntityPage(t *testing.T, b *browser, ts *testServer, kind, id string) TraceReport {
	t.Helper()
	want := apiTrace(t, ts, kind, id)
	b.waitFor(t, `document.body.dataset.entity === "ready" && !document.getElementById("page-entity").hidden && `+
		`new URLSearchParams(location.hash.slice(location.hash.indexOf("?"))).get("id") === `+jsString(id)+
		` && new URLSearchParams(location.hash.slice(location.hash.indexOf("?"))).get("kind") === `+jsString(kind))
	for sel, n := range map[string]int{"#en-n-events": want.Count, "#en-n-denied": want.Profile.Denied,
		"#en-n-failed": want.Profile.Failed, "#en-n-write": want.Profile.Write, "#en-n-read": want.Profile.Read} {
		if got := b.text(t, sel); got != fmtInt(int64(n)) {
			t.Errorf("%s %s: %s shows %q, want %d", kind, id, sel, got, n)
		}
	}
	if got := b.text(t, "#en-id"); got != id {
		t.Errorf("the page's title names %q, want %q", got, id)
	}
	if got := eval[int](t, b, `[...document.querySelectorAll("#en-chart rect[data-n]")].reduce((n, r) => n + Number(r.dataset.n), 0)`); got != want.Count {
		t.Errorf("%s %s: the chart's bars hold %d events, want %d", kind, id, got, want.Count)
	}
	// The axis: 0 and equal steps of 1, 2, 2.5 or 5 times a power of ten, up to the highest bar or above it.
	ticks := eval[[]float64](t, b, `[...document.querySelectorAll('#en-chart text[text-anchor="end"]')].map(n => Number(n.textContent))`)
	top := 0
	for _, s := range want.Series {
		top = max(top, s.OK+s.Denied+s.Failed)
	}
	if len(ticks) < 2 || ticks[0] != 0 || !niceStep(ticks[1]) || ticks[len(ticks)-1] < float64(top) || len(ticks) > 6 {
		t.Errorf("%s %s: axis %v for a highest bar of %d", kind, id, ticks, top)
	}
	for i, v := range ticks {
		if v != float64(i)*ticks[1] {
			t.Errorf("%s %s: axis %v is not in equal steps", kind, id, ticks)
			break
		}
	}
	if got := eval[int](t, b, `document.querySelectorAll("#en-events tbody tr[data-eventid]").length`); got != min(want.Count, 100) {
		t.Errorf("%s %s: %d events listed, want %d", kind, id, got, min(want.Count, 100))
	}
	var sessions []string
	var walk func(s *TraceSession)
	walk = func(s *TraceSession) {
		sessions = append(sessions, s.ID)
		for _, c := range s.Children {
			walk(c)
		}
	}
	walk(want.Sessions)
	if got := eval[[]string](t, b, `[...document.querySelectorAll("#en-tree [data-session]")].map(n => n.dataset.session)`); strings.Join(got, " ") != strings.Join(sessions, " ") {
		t.Errorf("%s %s: the tree shows sessions %q, want %q", kind, id, got, sessions)
	}
	return want
}

// TestBrowserEntityPages follows the links a user follows: from a sign-in row to its principal's page, from
// the principal's sign-in to the console session it opened, from there to a role session's key and to an IP;
// each page shows the API's numbers (the API is checked against engine.Trace by TestTraceMatchesEngine).
func TestBrowserEntityPages(t *testing.T) {
	b := newBrowser(t)
	ts, p := plantedServer(t)
	b.do(t, chromedp.Navigate(ts.URL+"/#signins?"+entityPeriod))
	row := `#signins-table tbody tr[data-eventid="` + p.ConsoleLogin + `"]`
	b.waitFor(t, `document.body.dataset.signins === "ready" && document.querySelector(`+jsString(row)+`) !== null`)
	b.do(t, chromedp.Click(chromedp.CSS(row+` a.entity[data-kind="principal"]`)))
	alice := checkEntityPage(t, b, ts, "principal", p.AliceARN)
	if n := eval[int](t, b, `document.querySelectorAll("#en-signins tbody tr").length`); n != len(alice.SignIns) || n != 2 {
		t.Errorf("Alice's page lists %d sign-ins, want %d (the API's) and 2 (planted)", n, len(alice.SignIns))
	}
	if eval[bool](t, b, `document.getElementById("event-dialog").open`) {
		t.Error("the click on the link also opened the row's event view")
	}
	b.screenshot(t, "entity-principal")

	// The sign-in's row opens its record; the view links to the console session it opened.
	b.do(t, chromedp.Click(chromedp.CSS(`#en-signins tbody tr[data-eventid="`+p.ConsoleLogin+`"]`)))
	b.waitFor(t, `document.getElementById("event-dialog").dataset.state === "ready" && document.querySelector("#event-links a[data-kind=session]") !== null`)
	if got := b.text(t, "#event-title"); !strings.HasSuffix(got, "(UTC)") || !strings.Contains(got, plantedDay.Format(dateLayout)+" 09:12:07") {
		t.Errorf("event title %q: want the time in the page's zone", got)
	}
	b.do(t, chromedp.Click(chromedp.CSS(`#event-links a[data-kind=session]`)))
	session := checkEntityPage(t, b, ts, "session", p.ConsoleLogin)
	if eval[bool](t, b, `document.getElementById("event-dialog").open`) {
		t.Error("the event view stayed open over the session's page")
	}
	var never time.Time
	if got, want := session.Count, len(p.IDs(never, never, tracetest.Console, tracetest.Deploy, tracetest.Audit)); got != want {
		t.Errorf("the console session has %d events, the plan %d", got, want)
	}
	b.screenshot(t, "entity-session")

	// The deploy session's key (session 1.1), and its page.
	b.do(t, chromedp.Click(chromedp.CSS(`#en-tree li li > .session-facts a[data-kind="access-key"]`)))
	key := checkEntityPage(t, b, ts, "access-key", p.DeployKey)
	if key.Sessions.OpenedBy == nil || key.Sessions.OpenedBy.EventID != p.AssumeDeploy {
		t.Fatalf("the key's session: %+v", key.Sessions)
	}
	// Its session: the AssumeRole that opened it.
	b.do(t, chromedp.Click(chromedp.CSS(`#en-tree > li > .session-facts a[data-kind="session"]`)))
	checkEntityPage(t, b, ts, "session", p.AssumeDeploy)
	// An IP of its events, and from there one of the IP's principals.
	b.do(t, chromedp.Click(chromedp.CSS(`#en-events tbody tr a.entity[data-kind="ip"]`)))
	checkEntityPage(t, b, ts, "ip", tracetest.AliceIP)
	if got := eval[[]string](t, b, `[...document.querySelectorAll('#en-profile table[data-facet="arn"] a.entity')].map(a => a.textContent)`); len(got) < 2 {
		t.Errorf("the IP's page links %q as its principals: want Alice and her role sessions", got)
	}
	b.noDialogs(t)
}

// TestBrowserEntityKeyboard uses an entity page with the keyboard only: a sortable header sorts on Enter and
// keeps the focus, Enter on a focused row opens the event view and the same keypress does not close it,
// Escape closes it.
func TestBrowserEntityKeyboard(t *testing.T) {
	b := newBrowser(t)
	ts, p := plantedServer(t)
	b.do(t, chromedp.Navigate(ts.URL+"/#entity?kind=session&id="+p.ConsoleLogin+"&"+entityPeriod))
	checkEntityPage(t, b, ts, "session", p.ConsoleLogin)
	b.do(t, chromedp.Focus(chromedp.CSS(`#en-events th[data-key="event"]`)), chromedp.KeyEvent("\r"))
	if got := eval[string](t, b, `document.activeElement.dataset.key + " " + document.activeElement.getAttribute("aria-sort")`); got != "event ascending" {
		t.Errorf("after Enter on the Event header the focus is on %q, want the header, sorted ascending", got)
	}
	names := eval[[]string](t, b, `[...document.querySelectorAll("#en-events tbody tr td:nth-child(6)")].map(td => td.textContent)`)
	for i := 1; i < len(names); i++ {
		if names[i-1] > names[i] {
			t.Fatalf("sorted by event: %q", names)
		}
	}
	b.do(t, chromedp.KeyEvent(" "))
	if got := eval[string](t, b, `document.activeElement.getAttribute("aria-sort")`); got != "descending" {
		t.Errorf("after Space: aria-sort %q, want descending", got)
	}
	b.do(t, chromedp.Focus(chromedp.CSS(`#en-events tbody tr`)), chromedp.KeyEvent("\r"))
	if !eval[bool](t, b, `document.getElementById("event-dialog").open`) {
		t.Fatal("Enter on a focused row did not leave the event view open")
	}
	b.waitFor(t, `document.getElementById("event-dialog").dataset.state === "ready" && document.getElementById("event-json").textContent.includes('"eventid"')`)
	if !eval[bool](t, b, `document.getElementById("event-dialog").open`) {
		t.Fatal("the event view closed")
	}
	b.do(t, chromedp.KeyEvent("\x1b"))
	b.waitFor(t, `!document.getElementById("event-dialog").open`)
	b.noDialogs(t)
}

// TestBrowserEntityHostile opens the page of the hostile sign-in's principal: its name and user agent are
// text, nowhere markup.
func TestBrowserEntityHostile(t *testing.T) {
	b := newBrowser(t)
	ts, _ := plantedServer(t)
	arn := "arn:aws:iam::111122223333:user/" + hostileUser
	b.do(t, chromedp.Navigate(ts.URL+"/#entity?"+url.Values{"kind": {"principal"}, "id": {arn}}.Encode()+"&"+entityPeriod))
	checkEntityPage(t, b, ts, "principal", arn)
	for _, want := range []string{hostileUA, hostileUser} {
		if !eval[bool](t, b, `[...document.querySelectorAll("#page-entity td, #page-entity a, #en-id")].some(n => n.textContent.includes(`+jsString(want)+`))`) {
			t.Errorf("the page does not show %s as text", want)
		}
	}
	b.do(t, chromedp.Click(chromedp.CSS(`#en-events tbody tr`)))
	b.waitFor(t, `document.getElementById("event-dialog").dataset.state === "ready"`)
	if n := eval[int](t, b, `document.querySelectorAll("img, main script, dialog script").length`); n != 0 {
		t.Errorf("the page holds %d img/script elements: markup from the logs became HTML", n)
	}
	b.noDialogs(t)
}

// TestBrowserEntityNotFound opens the page of a key one letter off a stored one: the error, and a link to the
// stored key's page, which shows it.
func TestBrowserEntityNotFound(t *testing.T) {
	b := newBrowser(t)
	ts, p := plantedServer(t)
	near := p.DeployKey[:len(p.DeployKey)-1] + "Z"
	if near == p.DeployKey {
		near = p.DeployKey[:len(p.DeployKey)-1] + "Y"
	}
	b.do(t, chromedp.Navigate(ts.URL+"/#entity?kind=access-key&id="+near+"&"+entityPeriod))
	b.waitFor(t, `document.body.dataset.entity === "error" && !document.getElementById("entity-suggest").hidden`)
	if got := b.text(t, "#entity-error"); !strings.Contains(got, near) {
		t.Errorf("error %q", got)
	}
	if !eval[bool](t, b, `document.getElementById("entity-body").hidden`) {
		t.Error("the page still shows an answer under the error")
	}
	b.do(t, chromedp.Click(chromedp.CSS(`#entity-suggest a.suggestion`)))
	checkEntityPage(t, b, ts, "access-key", p.DeployKey)
	b.noDialogs(t)
}

// gate holds the requests whose query string contains a marker until it is opened.
type gate struct {
	marker string
	open   chan struct{}
	mu     sync.Mutex
	held   int
}

func (g *gate) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.RawQuery, g.marker) {
			g.mu.Lock()
			g.held++
			g.mu.Unlock()
			<-g.open
		}
		h.ServeHTTP(w, r)
	})
}

func (g *gate) heldCount() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.held
}

// TestBrowserEntityRace changes the period twice: the first answer is held by the server until the second has
// been shown, then let go. The page must end with the second answer, not the first that came last.
func TestBrowserEntityRace(t *testing.T) {
	b := newBrowser(t)
	g := &gate{marker: "from=2024-09-01", open: make(chan struct{})}
	ts, p := plantedServerWith(t, g.wrap)
	first := "/#entity?kind=principal&id=" + url.QueryEscape(p.AliceARN) + "&from=2024-09-01&to=2024-09-20&tz=UTC"
	b.do(t, chromedp.Navigate(ts.URL+first))
	for deadline := time.Now().Add(30 * time.Second); g.heldCount() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first request did not come")
		}
	}
	if got := eval[string](t, b, `document.body.dataset.entity`); got != "loading" {
		t.Errorf("while the answer is awaited the page is %q, want loading", got)
	}
	// The second period: the planted day after the console session only (Alice's decoy sign-in).
	next := plantedDay.AddDate(0, 0, 1).Format(dateLayout)
	answered := eval[int](t, b, `api.answered`)
	b.do(t, chromedp.SetValue(chromedp.ID("en-from"), next), chromedp.SetValue(chromedp.ID("en-to"), next),
		chromedp.Click(chromedp.CSS(`#en-form button[type=submit]`)))
	var want TraceReport
	ts.call(t, "GET", "/api/trace?"+url.Values{"kind": {"principal"}, "id": {p.AliceARN}, "from": {next}, "to": {next}, "tz": {"UTC"}}.Encode(), "", 200, &want)
	b.waitFor(t, fmt.Sprintf(`api.answered === %d && document.body.dataset.entity === "ready"`, answered+1))
	if got := b.text(t, "#en-n-events"); got != fmtInt(int64(want.Count)) {
		t.Fatalf("the second answer shows %s events, want %d", got, want.Count)
	}
	close(g.open)
	b.waitFor(t, fmt.Sprintf(`api.answered === %d`, answered+2))
	all := apiTrace(t, ts, "principal", p.AliceARN)
	if all.Count == want.Count {
		t.Fatal("the two periods have as many events: the test cannot tell them apart")
	}
	if got := b.text(t, "#en-n-events"); got != fmtInt(int64(want.Count)) {
		t.Errorf("after the first answer came last the page shows %s events, want the second's %d", got, want.Count)
	}
	if got := b.text(t, "#en-chart-sub"); !strings.Contains(got, next+" to "+next) {
		t.Errorf("chart subtitle %q: want the second period", got)
	}
	b.noDialogs(t)
}

// niceStep reports whether s is 1, 2, 2.5 or 5 times a power of ten.
func niceStep(s float64) bool {
	for s >= 10 {
		s /= 10
	}
	return s == 1 || s == 2 || s == 2.5 || s == 5
}
