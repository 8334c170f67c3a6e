package web

import (
	"context"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trailq/trailq/internal/engine"
)

// TestBrowserFollowing: with a follower (serve --follow), the header says "following: last poll 12 s ago, 3
// new objects" and so does the data page; after a poll that loaded something (a real load through LoadWith)
// the data page reads its numbers again; a failing follower is shown as failing.
func TestBrowserFollowing(t *testing.T) {
	b := newBrowser(t)
	extra := writeHostileLogs(t, "followed")
	var mu sync.Mutex
	status := engine.FollowStatus{Interval: time.Minute, Polls: 3, LastPoll: fixedNow.Add(-12 * time.Second), LastNew: 3, Changes: 1,
		NextFull: fixedNow.Add(40 * time.Minute)}
	set := func(f func(*engine.FollowStatus)) { mu.Lock(); f(&status); mu.Unlock() }
	ts := newTestServer(t, func(o *Options) {
		o.Follow = func() engine.FollowStatus { mu.Lock(); defer mu.Unlock(); return status }
	})
	b.do(t, chromedp.Navigate(ts.URL+"/#data"))
	b.waitFor(t, `document.body.dataset.data === "ready" && document.getElementById("d-records").textContent !== "–"`)
	b.waitFor(t, `/^following: last poll 1[2-9] s ago, 3 new objects$/.test(document.getElementById("following").textContent)`)
	if got := b.text(t, "#d-following"); !regexpMatch(`^following: last poll 12 s ago, 3 new objects; next whole listing .+; 0 objects loaded since the server started$`, got) {
		t.Errorf("data page's line %q", got)
	}
	var d DataReport
	ts.call(t, "GET", "/api/data", "", 200, &d)
	if d.Following == nil || d.Following.LastPollAgoS != 12 || d.Following.LastNew != 3 {
		t.Fatalf("GET /api/data following = %+v", d.Following)
	}
	b.screenshot(t, "following")

	// A poll loads a file; the page sees its changes count grow and reads the numbers again.
	if _, err := ts.srv.LoadWith(context.Background(), loader(extra)); err != nil {
		t.Fatal(err)
	}
	set(func(s *engine.FollowStatus) {
		s.Polls, s.LastPoll, s.LastNew, s.Loaded, s.Changes = 4, fixedNow, 1, 1, 2
	})
	b.waitFor(t, `document.getElementById("d-objects").textContent === `+jsString(fmtInt(d.Objects+1)))
	b.waitFor(t, `document.getElementById("following").textContent.includes(", 1 new object")`)

	set(func(s *engine.FollowStatus) {
		s.Failures, s.LastError = 2, "list s3://trail/AWSLogs/: InternalError (HTTP 500)"
	})
	b.waitFor(t, `document.getElementById("following").classList.contains("failing") &&
		document.getElementById("following").textContent.includes("failing (2 polls in a row): list s3://trail/AWSLogs/: InternalError (HTTP 500)")`)
	b.noDialogs(t)
}

// TestBrowserNotFollowing: without a follower the header has no following line.
func TestBrowserNotFollowing(t *testing.T) {
	b := newBrowser(t)
	ts := newTestServer(t, nil)
	b.do(t, chromedp.Navigate(ts.URL+"/#data"))
	b.waitFor(t, `document.body.dataset.data === "ready" && document.getElementById("d-records").textContent !== "–"`)
	if !eval[bool](t, b, `document.getElementById("following").hidden`) {
		t.Error("the following line is shown without a follower")
	}
	if got := b.text(t, "#d-following"); !regexpMatch(`^no \(trailq serve --follow`, got) {
		t.Errorf("data page's line %q", got)
	}
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }
