package web

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserQuerySupersedes runs a long query and, while it runs, a short one: the short one's answer is the
// grid's, and the page ends done, not cancelled.
func TestBrowserQuerySupersedes(t *testing.T) {
	b := newBrowser(t)
	ts, _ := plantedServer(t)
	b.do(t, chromedp.Navigate(ts.URL+"/#query"))
	b.waitFor(t, `document.getElementById("preset").options.length > 1`)
	b.do(t, chromedp.SetValue(chromedp.CSS("#dialect"), "duckdb"),
		chromedp.SetValue(chromedp.ID("sql"), "SELECT count(*) AS n FROM range(100000000) a, range(1000000) b WHERE a.range + b.range = 7"),
		chromedp.Click(chromedp.ID("run")))
	b.waitFor(t, `document.body.dataset.query === "running" && document.getElementById("result").classList.contains("stale")`)
	b.do(t, chromedp.SetValue(chromedp.ID("sql"), "SELECT 2 AS two"), chromedp.Click(chromedp.ID("run")))
	b.waitFor(t, `document.body.dataset.query === "done" && document.querySelector("#result thead th") !== null && document.querySelector("#result thead th").textContent === "two"`)
	if got := b.text(t, "#query-status"); !strings.HasPrefix(got, "1 row in ") {
		t.Errorf("status %q, want the second query's", got)
	}
	if eval[bool](t, b, `document.getElementById("result").classList.contains("stale")`) {
		t.Error("the grid is still marked stale")
	}
	b.noDialogs(t)
}

// TestBrowserDataStaleAfterError refreshes the data page while the server fails: the error says that the
// numbers shown answer the previous request, and the page marks them stale until an answer comes.
func TestBrowserDataStaleAfterError(t *testing.T) {
	b := newBrowser(t)
	var failing atomic.Bool
	ts, _ := plantedServerWith(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if failing.Load() && r.URL.Path == "/api/data" {
				writeError(w, http.StatusServiceUnavailable, "injected failure")
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	b.do(t, chromedp.Navigate(ts.URL+"/#data"))
	b.waitFor(t, `document.body.dataset.data === "ready" && document.getElementById("d-records").textContent !== "–"`)
	failing.Store(true)
	b.do(t, chromedp.Navigate(ts.URL+"/#signins"), chromedp.Navigate(ts.URL+"/#data"))
	b.waitFor(t, `document.body.dataset.data === "ready" && !document.getElementById("data-error").hidden`)
	if got := b.text(t, "#data-error"); !strings.Contains(got, "injected failure") || !strings.Contains(got, "answers the previous request") {
		t.Errorf("error %q", got)
	}
	if !eval[bool](t, b, `document.getElementById("page-data").classList.contains("stale")`) {
		t.Error("the old numbers are not marked stale")
	}
	failing.Store(false)
	b.do(t, chromedp.Navigate(ts.URL+"/#signins"), chromedp.Navigate(ts.URL+"/#data"))
	b.waitFor(t, `document.body.dataset.data === "ready" && document.getElementById("data-error").hidden && !document.getElementById("page-data").classList.contains("stale")`)
	b.noDialogs(t)
}
