package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailq/trailq/internal/athena"
	"github.com/trailq/trailq/internal/store"
	"github.com/trailq/trailq/internal/store/storetest"
)

func cookieName(ts *testServer) string {
	u, _ := url.Parse(ts.URL)
	return "trailq_token_" + u.Port()
}

// sandboxOpener opens the store as trailq serve does: read-only handles sandboxed, with the Athena macros and a
// memory limit.
func sandboxOpener(path string) OpenFunc {
	return func(ctx context.Context, readOnly bool) (*store.Store, error) {
		if !readOnly {
			return store.Open(ctx, path, store.Options{InitSQL: athena.InitSQL()})
		}
		return store.Open(ctx, path, store.Options{ReadOnly: true, Sandbox: true, InitSQL: athena.InitSQL(), MemoryLimit: 256 << 20})
	}
}

// TestQueryHostileCorpus sends every statement of the hostile corpus to POST /api/query in both dialects, as a
// grid and as a download: each is refused with 400 and an error, and afterwards the store's files are
// byte-for-byte the same and the server's own answers (the dashboard's numbers, a query's rows, an Athena macro)
// are those it gave before: nothing outlived its statement on the server's connections.
func TestQueryHostileCorpus(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.Open = nil })
	out := t.TempDir()
	os.WriteFile(filepath.Join(out, "in.csv"), []byte("key,value\nschema,9\n"), 0o600)
	attacks := storetest.Attacks(ts.path, storetest.FirstPart(t, ts.path), out)
	probe := func() string {
		var rep SignInReport
		ts.call(t, "GET", "/api/signins?from=2014-01-01&to=2025-12-31&tz=UTC", "", 200, &rep)
		var res QueryResult
		ts.call(t, "POST", "/api/query", queryBody(`SELECT eventname, count(*) AS n, json_extract_scalar('{"a":"b"}', '$.a') AS m FROM cloudtrail_logs GROUP BY 1 ORDER BY 1`, ""), 200, &res)
		b, _ := json.Marshal([]any{rep.Summary, res.Rows})
		return string(b)
	}
	want := probe()
	before := storetest.Fingerprint(t, ts.path)
	for _, a := range attacks {
		for _, extra := range []string{`,"dialect":"athena"`, `,"dialect":"duckdb"`, `,"dialect":"duckdb","format":"csv"`} {
			res, b := ts.do(t, "POST", "/api/query", queryBody(a.SQL, extra), nil)
			var e apiError
			if res.StatusCode != http.StatusBadRequest || json.Unmarshal(b, &e) != nil || e.Error == "" {
				t.Errorf("%s (%s): status %d, body %.300s; want 400 with an error", a.Name, extra, res.StatusCode, b)
			}
		}
	}
	if got := probe(); got != want {
		t.Errorf("the server's answers changed after the attacks:\n got %s\nwant %s", got, want)
	}
	// The fingerprint opens the store itself: the server's handle must let go of it first.
	ts.Close()
	if err := ts.srv.Close(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, storetest.Fingerprint(t, ts.path)); diff != "" {
		t.Errorf("the store changed (-before +after):\n%s", diff)
	}
}

// TestQueryRefusalSaysWhy: a second statement is named as such.
func TestQueryRefusalSaysWhy(t *testing.T) {
	ts := newTestServer(t, nil)
	var e apiError
	ts.call(t, "POST", "/api/query", queryBody("SELECT 1; SELECT 2", ""), http.StatusBadRequest, &e)
	if !strings.Contains(e.Error, "more than one statement") {
		t.Errorf("error %q", e.Error)
	}
	ts.call(t, "POST", "/api/query", queryBody("SELECT 1; COPY (SELECT 1) TO 'x.csv'", `,"dialect":"duckdb"`), http.StatusBadRequest, &e)
	if !strings.Contains(e.Error, "only queries") {
		t.Errorf("error %q", e.Error)
	}
}

// TestQueryConcurrencyLimit: with one slot, a second query waits for it, and one that waits too long gets 429.
func TestQueryConcurrencyLimit(t *testing.T) {
	ts := newTestServer(t, func(o *Options) {
		o.MaxQueries = 1
		o.QueueWait = 300 * time.Millisecond
		o.QueryTimeout = 5 * time.Second
	})
	slow := queryBody("SELECT count(*) FROM range(100000000000) a", `,"dialect":"duckdb"`)
	var wg sync.WaitGroup
	wg.Add(1)
	started := make(chan struct{})
	go func() {
		defer wg.Done()
		close(started)
		ts.do(t, "POST", "/api/query", slow, nil) // holds the slot until its timeout
	}()
	<-started
	deadline := time.Now().Add(5 * time.Second)
	for len(ts.srv.slots) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	res, b := ts.do(t, "POST", "/api/query", queryBody("SELECT 1 AS one", ""), nil)
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(b), "busy") || res.Header.Get("Retry-After") == "" {
		t.Errorf("status %d, body %s; want 429 busy with Retry-After", res.StatusCode, b)
	}
	wg.Wait()
	// The slot is free again.
	ts.call(t, "POST", "/api/query", queryBody("SELECT 1 AS one", ""), 200, nil)
}

// TestQueryGridSizeCap: rows past the byte limit are not sent; the answer says so, and the download has them all.
func TestQueryGridSizeCap(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.srv.gridBytes = 10_000
	q := queryBody("SELECT repeat('x', 1000) AS a FROM range(100)", `,"dialect":"duckdb","limit":1000`)
	var res QueryResult
	ts.call(t, "POST", "/api/query", q, 200, &res)
	if !res.Truncated || res.TruncatedBy != "bytes" || res.Count >= 100 || res.Count < 5 {
		t.Errorf("truncated %v by %q with %d rows; want about 10 rows cut by bytes", res.Truncated, res.TruncatedBy, res.Count)
	}
	_, b := ts.do(t, "POST", "/api/query", queryBody("SELECT repeat('x', 1000) AS a FROM range(100)", `,"dialect":"duckdb","format":"csv"`), nil)
	if n := strings.Count(string(b), "\n"); n != 101 {
		t.Errorf("download has %d lines, want 101", n)
	}
}

// TestDownloadNeutralizesFormulas: a CSV download does not hand a spreadsheet a formula.
func TestDownloadNeutralizesFormulas(t *testing.T) {
	ts := newTestServer(t, nil)
	_, b := ts.do(t, "POST", "/api/query", queryBody(`SELECT '=HYPERLINK("http://x")' AS a, '+1' AS b, '@SUM(A1)' AS c, -5 AS d, 'plain' AS e`, `,"dialect":"duckdb","format":"csv"`), nil)
	recs, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"a", "b", "c", "d", "e"}, {`'=HYPERLINK("http://x")`, "'+1", "'@SUM(A1)", "-5", "plain"}}
	if diff := cmp.Diff(want, recs); diff != "" {
		t.Errorf("CSV (-want +got):\n%s", diff)
	}
}

// TestDownloadCutShortIsVisible: a download that the query timeout stops while its rows are being sent is
// aborted, not ended as if whole. The timeout must fall after the result is ready and before it is all sent:
// timeouts are tried from short to long until one does.
func TestDownloadCutShortIsVisible(t *testing.T) {
	const rows = 4_000_000
	for _, timeout := range []time.Duration{400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond, 3200 * time.Millisecond} {
		ts := newTestServer(t, func(o *Options) { o.QueryTimeout = timeout })
		req, _ := http.NewRequest("POST", ts.URL+"/api/query", strings.NewReader(queryBody(fmt.Sprintf("SELECT range AS n, 'some padding text' AS pad FROM range(%d)", rows), `,"dialect":"duckdb","format":"csv"`)))
		req.Header.Set(CSRFHeader, "1")
		req.Header.Set("Content-Type", "application/json")
		res, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusOK {
			res.Body.Close()
			continue // stopped before its first row: a clean error, and too soon for this test
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		lines := bytes.Count(b, []byte("\n"))
		if err == nil && lines != rows+1 {
			t.Fatalf("timeout %s: the download ended cleanly with %d of %d lines", timeout, lines-1, rows)
		}
		if err == nil {
			t.Skipf("timeout %s: the whole download was sent in time; no timeout fell between its first and last row", timeout)
		}
		return // broken off, as it must be
	}
	t.Skip("every timeout stopped the query before its first row")
}
