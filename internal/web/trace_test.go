package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/source/local"
	"github.com/trailq/trailq/internal/timewin"
	"github.com/trailq/trailq/internal/trace"
	"github.com/trailq/trailq/internal/trace/tracetest"
)

// plantedDay is the first day of the planted sessions: inside the default period of the tests' clock.
var plantedDay = time.Date(2024, 9, 10, 0, 0, 0, 0, time.UTC)

// plantedServer serves a store of the planted sessions (tracetest) and the hostile sign-in, loaded by the engine
// as trailq serve loads them (the sign-ins classified).
func plantedServer(t *testing.T) (*testServer, *tracetest.Planted) {
	t.Helper()
	return plantedServerWith(t, nil)
}

// plantedServerWith is plantedServer with wrap (when not nil) around the server's handler.
func plantedServerWith(t *testing.T, wrap func(http.Handler) http.Handler) (*testServer, *tracetest.Planted) {
	t.Helper()
	p := tracetest.Plant(7, plantedDay)
	dir := filepath.Join(t.TempDir(), "AWSLogs")
	tracetest.WriteFiles(t, filepath.Dir(dir), p.Files)
	path := filepath.Join(t.TempDir(), "store.duckdb")
	for _, d := range []string{dir, writeHostileLogs(t, "hostile")} {
		src, err := local.New(d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := (&engine.Engine{}).Sync(context.Background(), engine.Options{Source: src, StorePath: path}); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := New(context.Background(), Options{Open: sandboxOpener(path), Source: "planted", Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(srv)
	}
	ts := &testServer{Server: newHTTPTest(t, srv, h), srv: srv, path: path, dirs: []string{dir}}
	return ts, p
}

// traceCase is a start of each kind the entity pages show, with the planted sessions it reaches.
type traceCase struct {
	kind, id string
	want     []string // the planted events' IDs
}

func traceCases(p *tracetest.Planted) []traceCase {
	var never time.Time
	return []traceCase{
		{"session", p.ConsoleLogin, p.IDs(never, never, tracetest.Console, tracetest.Deploy, tracetest.Audit)},
		{"access-key", p.DeployKey, p.IDs(never, never, tracetest.Deploy, tracetest.Audit)},
		{"principal", p.AliceARN, p.IDs(never, never, tracetest.Console, tracetest.Decoy, tracetest.AliceKey, tracetest.Deploy, tracetest.Audit)},
		{"ip", tracetest.BobIP, p.Where(func(e *tracetest.Event) bool { return e.IP == tracetest.BobIP })},
		{"role", p.DeployRoleARN, p.IDs(never, never, tracetest.Deploy, tracetest.BobDeploy, tracetest.Audit)},
		{"resource", p.BucketARN, p.Where(func(e *tracetest.Event) bool { return slices.Contains(e.Resources, p.BucketARN) })},
	}
}

// TestTraceMatchesEngine asks GET /api/trace for a start of every kind: its events are exactly the planted
// sessions' it reaches, and the whole answer is engine.Trace's over the same store and period.
func TestTraceMatchesEngine(t *testing.T) {
	ts, p := plantedServer(t)
	const from, to, tz = "2024-09-01", "2024-09-20", "Asia/Tokyo"
	loc, _ := time.LoadLocation(tz)
	f, _ := time.ParseInLocation(dateLayout, from, loc)
	l, _ := time.ParseInLocation(dateLayout, to, loc)
	for _, c := range traceCases(p) {
		t.Run(c.kind, func(t *testing.T) {
			var rep TraceReport
			ts.call(t, "GET", "/api/trace?"+url.Values{"kind": {c.kind}, "id": {c.id}, "from": {from}, "to": {to}, "tz": {tz}}.Encode(), "", 200, &rep)
			var got []string
			for _, e := range rep.Events {
				got = append(got, e.EventID)
			}
			slices.Sort(got)
			if diff := cmp.Diff(c.want, got); diff != "" || len(c.want) == 0 {
				t.Errorf("events (-planted +API):\n%s", diff)
			}
			q := trace.Query{Kind: trace.Kind(c.kind), Value: c.id, Depth: trace.DefaultDepth, Period: timewin.Period{Start: f, End: l.AddDate(0, 0, 1)}}
			if c.kind == "ip" || c.kind == "resource" {
				q.Depth = 0
			}
			direct, err := (&engine.Engine{}).Trace(context.Background(), engine.Options{StorePath: ts.path}, engine.TraceOptions{Query: q, Now: fixedNow})
			if err != nil {
				t.Fatal(err)
			}
			want := traceReport(direct.Result, f, l, loc)
			if diff := cmp.Diff(want, &rep); diff != "" {
				t.Errorf("API answer (-engine.Trace +API):\n%s", diff)
			}
			if rep.Count != len(c.want) || rep.Profile.Events != len(c.want) || rep.Bucket != "day" || len(rep.Series) != 20 {
				t.Errorf("count %d, profile %d, %d %s buckets: want %d events over 20 days", rep.Count, rep.Profile.Events, len(rep.Series), rep.Bucket, len(c.want))
			}
			n := 0
			for _, b := range rep.Series {
				n += b.OK + b.Denied + b.Failed
			}
			if n != len(c.want) {
				t.Errorf("the chart's bars add up to %d events, want %d", n, len(c.want))
			}
		})
	}
}

// TestTraceSeriesByResult checks the chart of the console session per hour of one day: each planted event in
// the bar of its hour, denied calls (AccessDenied, UnauthorizedOperation) apart from other results.
func TestTraceSeriesByResult(t *testing.T) {
	ts, p := plantedServer(t)
	day := plantedDay.Format(dateLayout)
	var rep TraceReport
	ts.call(t, "GET", "/api/trace?"+url.Values{"kind": {"session"}, "id": {p.ConsoleLogin}, "from": {day}, "to": {day}, "tz": {"UTC"}}.Encode(), "", 200, &rep)
	if rep.Bucket != "hour" || len(rep.Series) != 24 {
		t.Fatalf("%d buckets of an %s, want 24 hours", len(rep.Series), rep.Bucket)
	}
	want := make([]TraceBucket, 24)
	for i := range want {
		want[i].Start = plantedDay.Add(time.Duration(i) * time.Hour).Format(time.RFC3339)
		want[i].Label = plantedDay.Add(time.Duration(i) * time.Hour).Format("2006-01-02 15:00")
	}
	for _, e := range rep.Events {
		tm, _ := time.Parse(time.RFC3339Nano, e.TimeUTC)
		b := &want[tm.Hour()]
		switch {
		case e.Result == "AccessDenied" || e.Result == "Client.UnauthorizedOperation":
			b.Denied++
		case e.Result != "OK":
			b.Failed++
		default:
			b.OK++
		}
	}
	if diff := cmp.Diff(want, rep.Series); diff != "" {
		t.Errorf("series (-want +got):\n%s", diff)
	}
}

// TestTraceNotFound asks for a key one letter off a stored one: 404, the engine's message, and the stored key
// as a suggestion with the request that traces it; a start outside the period names a period that holds it.
func TestTraceNotFound(t *testing.T) {
	ts, p := plantedServer(t)
	near := p.DeployKey[:len(p.DeployKey)-1] + "Z"
	if near == p.DeployKey {
		near = p.DeployKey[:len(p.DeployKey)-1] + "Y"
	}
	var nf TraceNotFound
	ts.call(t, "GET", "/api/trace?"+url.Values{"kind": {"access-key"}, "id": {near}, "from": {"2024-09-01"}, "to": {"2024-09-20"}}.Encode(), "", 404, &nf)
	if !strings.Contains(nf.Error, near) || nf.Hint == "" || len(nf.Suggestions) == 0 {
		t.Fatalf("not found: %+v", nf)
	}
	s := nf.Suggestions[0]
	if s.Kind != "access-key" || s.ID != p.DeployKey || s.Events == 0 {
		t.Errorf("first suggestion %+v, want %s", s, p.DeployKey)
	}
	var rep TraceReport
	ts.call(t, "GET", strings.TrimPrefix(s.Href, ts.URL), "", 200, &rep)
	if rep.ID != p.DeployKey || rep.From != "2024-09-01" {
		t.Errorf("the suggestion's request traced %s from %s", rep.ID, rep.From)
	}
	// The console sign-in, asked for in August: the suggestion is the event itself, over its own dates.
	ts.call(t, "GET", "/api/trace?"+url.Values{"kind": {"session"}, "id": {p.ConsoleLogin}, "from": {"2024-08-01"}, "to": {"2024-08-31"}}.Encode(), "", 404, &nf)
	if len(nf.Suggestions) != 1 || nf.Suggestions[0].ID != p.ConsoleLogin {
		t.Fatalf("the sign-in outside the period: %+v", nf)
	}
	ts.call(t, "GET", nf.Suggestions[0].Href, "", 200, &rep)
	if rep.Count == 0 || rep.From != plantedDay.Format(dateLayout) {
		t.Errorf("the suggestion's period (%s) traced %d events from %s", nf.Suggestions[0].Href, rep.Count, rep.From)
	}
	// Alice, asked for in August: the period that holds her events.
	ts.call(t, "GET", "/api/trace?"+url.Values{"kind": {"principal"}, "id": {p.AliceARN}, "from": {"2024-08-01"}, "to": {"2024-08-31"}}.Encode(), "", 404, &nf)
	if nf.Outside == nil || nf.Outside.Events == 0 {
		t.Fatalf("outside the period: %+v", nf)
	}
	ts.call(t, "GET", nf.Outside.Href, "", 200, &rep)
	if rep.Count == 0 {
		t.Errorf("the period that holds them (%s) traced nothing", nf.Outside.Href)
	}
}

func TestTraceBadParameters(t *testing.T) {
	ts, p := plantedServer(t)
	for q, want := range map[string]string{
		"kind=user&id=x":                 "kind: want session",
		"id=x":                           "kind: want session",
		"kind=principal":                 "id: give the principal",
		"kind=principal&id=%20":          "id: give the principal",
		"kind=ip&id=10.0.0.0/99":         "--ip",
		"kind=role&id=r&depth=-1":        "depth:",
		"kind=role&id=r&depth=x":         "depth:",
		"kind=role&id=r&from=2024-09-31": "from: want a date",
		"kind=role&id=r&tz=Mars/Olympus": "Mars/Olympus",
		"kind=session&id=" + p.ConsoleLogin + "&from=2024-09-20&to=2024-09-01": "ends",
	} {
		var e apiError
		ts.call(t, "GET", "/api/trace?"+q, "", 400, &e)
		if !strings.Contains(e.Error, want) {
			t.Errorf("%s: error %q, want it to say %q", q, e.Error, want)
		}
	}
}

// newHTTPTest serves srv on loopback until the test ends, then closes the server and the store.
func newHTTPTest(t *testing.T, srv *Server, h http.Handler) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		ts.Close()
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	return ts
}
