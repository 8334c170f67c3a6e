package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/source/local"
	"github.com/trailq/trailq/internal/store"
)

// A query string that Go's net/url cannot read whole (a ';' between parameters, a bad % escape) loses the
// pair it is in: the request is refused with 400 and the reason, on every path, rather than answered without
// the filter. A ';' written as %3B is a character of its value.
func TestQueryStringRefusedWhenUnreadable(t *testing.T) {
	ts := newTestServer(t, nil)
	const period = "from=2014-01-01&to=2025-12-31&tz=UTC"
	var root SignInReport
	ts.call(t, "GET", "/api/signins?"+period+"&root=true", "", 200, &root)
	if root.Summary.SignIns == 0 {
		t.Fatal("no root sign-ins: the filter is not tested")
	}
	for _, path := range []string{
		"/api/signins?" + period + "&root=true;failed=true",
		"/api/signins?" + period + ";root=true",
		"/api/signins?" + period + "&user=ana%zzya",
		"/api/events?eventid=hostile-0001;ip=1.2.3.4",
		"/api/data?x=1;2",
		"/api/load?x=1;2",
		"/?x=1;2",
	} {
		res, b := ts.do(t, "GET", path, "", nil)
		var e apiError
		json.Unmarshal(b, &e)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(e.Error, "query string") || !strings.Contains(e.Error, "%3B") {
			t.Errorf("GET %s: status %d, body %.200s; want 400 naming the query string and %%3B", path, res.StatusCode, b)
		}
	}
	// Encoded, a ';' is part of a value: no user is called that.
	var rep SignInReport
	ts.call(t, "GET", "/api/signins?"+period+"&user=root%3Bx", "", 200, &rep)
	if rep.Summary.SignIns != 0 {
		t.Errorf("user=root;x: %d sign-ins", rep.Summary.SignIns)
	}
}

// A token given with a ';' after it is refused as unreadable (400), not as a wrong token.
func TestQueryStringBeforeToken(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.Token = "s3cret" })
	res, b := ts.do(t, "GET", "/?token=s3cret;x=1", "", nil)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "query string") {
		t.Errorf("status %d, body %s; want 400", res.StatusCode, b)
	}
}

// The dashboard lists an event by its instant, with its fraction of a second, whatever form its eventTime has
// (an offset other than Z, a lower-case z, a space-separated time), and each row opens its record.
func TestSignInTimesAsInstants(t *testing.T) {
	events := map[string]string{
		"tokyo":      "2024-09-02T08:30:00+09:00", // 2024-09-01T23:30:00Z
		"tokyo-out":  "2024-09-01T08:30:00+09:00", // 2024-08-31T23:30:00Z: outside the day
		"lower-z":    "2024-09-01T10:00:00.5z",
		"space-form": "2024-09-01 11:00:00",
		"plain":      "2024-09-01T12:00:00.123Z",
	}
	wantUTC := map[string]string{
		"tokyo": "2024-09-01T23:30:00Z", "lower-z": "2024-09-01T10:00:00.5Z", "space-form": "2024-09-01T11:00:00Z",
		"plain": "2024-09-01T12:00:00.123Z",
	}
	var recs []any
	for id, at := range events {
		recs = append(recs, map[string]any{
			"eventVersion": "1.08", "eventTime": at, "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
			"awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.9", "eventID": id, "eventType": "AwsConsoleSignIn",
			"userIdentity":       map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice", "accountId": "111122223333", "userName": "alice"},
			"responseElements":   map[string]any{"ConsoleLogin": "Success"},
			"recipientAccountId": "111122223333",
		})
	}
	dir := t.TempDir()
	b, err := json.Marshal(map[string]any{"Records": recs})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "times.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "s.duckdb")
	ctx := context.Background()
	st, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	src, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Run(ctx, src, st, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, func(o *Options) { o.Open = sandboxOpener(path) })

	var rep SignInReport
	ts.call(t, "GET", "/api/signins?from=2024-09-01&to=2024-09-01&tz=UTC", "", 200, &rep)
	got := map[string]string{}
	for _, row := range rep.Rows {
		got[row.EventID] = row.TimeUTC
		q := url.Values{"eventid": {row.EventID}, "time": {row.TimeUTC}, "ip": {row.SourceIP}, "arn": {row.ARN}}
		var res EventsResult
		if r, body := ts.do(t, "GET", "/api/events?"+q.Encode(), "", nil); r.StatusCode != 200 {
			t.Errorf("row %s at %s does not open its record: %d %s", row.EventID, row.TimeUTC, r.StatusCode, body)
		} else if json.Unmarshal(body, &res); res.Count != 1 {
			t.Errorf("row %s: %d records", row.EventID, res.Count)
		}
	}
	if len(got) != len(wantUTC) {
		t.Errorf("rows %v, want %v", got, wantUTC)
	}
	for id, want := range wantUTC {
		if got[id] != want {
			t.Errorf("%s: time_utc %q, want %q", id, got[id], want)
		}
	}
	for _, row := range rep.Rows {
		if row.EventID == "plain" && row.Local != "2024-09-01 12:00:00.123" {
			t.Errorf("plain: local %q, want the fraction of a second kept", row.Local)
		}
	}
}
