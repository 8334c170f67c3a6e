package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailq/trailq/internal/athena"
	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/progress"
	"github.com/trailq/trailq/internal/signin"
	"github.com/trailq/trailq/internal/store"
	"github.com/trailq/trailq/internal/timewin"
)

func TestSignInsMatchesReference(t *testing.T) {
	ts := newTestServer(t, nil)
	for _, tc := range []struct{ from, to, tz string }{
		{"2014-01-01", "2025-12-31", "UTC"},
		{"2020-10-01", "2020-11-30", "UTC"},
		{"2020-10-01", "2020-11-30", "Asia/Tokyo"},
		{"2024-09-15", "2024-09-15", "America/New_York"},
	} {
		t.Run(tc.from+"_"+tc.tz, func(t *testing.T) {
			var rep SignInReport
			ts.call(t, "GET", fmt.Sprintf("/api/signins?from=%s&to=%s&tz=%s", tc.from, tc.to, tc.tz), "", 200, &rep)
			loc, _ := time.LoadLocation(tc.tz)
			from, _ := time.ParseInLocation(dateLayout, tc.from, loc)
			to, _ := time.ParseInLocation(dateLayout, tc.to, loc)
			want := refSummary(refSignIns(t, ts.dirs, from, to.AddDate(0, 0, 1)))
			got := rep.Summary
			got.Users, got.NoMFA = -1, -1
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("summary (-reference +got):\n%s", diff)
			}
			// Users and NoMFA as trailq signins reads them.
			events := signinEvents(t, ts.path, from, to.AddDate(0, 0, 1))
			noMFA := 0
			for _, e := range events {
				if e.Result == signin.Success && e.MFA == signin.MFANo {
					noMFA++
				}
			}
			if rep.Summary.Users != len(signin.Summarize(events)) || rep.Summary.NoMFA != noMFA {
				t.Errorf("users %d, no MFA %d; trailq signins reads %d and %d", rep.Summary.Users, rep.Summary.NoMFA, len(signin.Summarize(events)), noMFA)
			}
			if want.SignIns == 0 {
				t.Fatalf("the reference has no sign-ins from %s to %s: the test proves nothing", tc.from, tc.to)
			}
			var bars, ok, bad int
			for _, b := range rep.Series {
				bars += b.Success + b.Failure + b.Other
				ok += b.Success
				bad += b.Failure
			}
			if bars != rep.Summary.SignIns || ok != rep.Summary.Successes || bad != rep.Summary.Failures {
				t.Errorf("chart holds %d sign-ins (%d ok, %d failed), summary %+v", bars, ok, bad, rep.Summary)
			}
			if got, want := len(rep.Rows), rep.Summary.SignIns; got != want {
				t.Errorf("%d rows, want %d", got, want)
			}
			n := 0
			for _, p := range rep.Principals {
				n += p.SignIns
			}
			for i := 1; i < len(rep.Rows); i++ {
				if rep.Rows[i-1].TimeUTC < rep.Rows[i].TimeUTC {
					t.Fatalf("rows not newest first at %d: %s < %s", i, rep.Rows[i-1].TimeUTC, rep.Rows[i].TimeUTC)
				}
			}
			if n != rep.Summary.SignIns || len(rep.Principals) != rep.Summary.Users {
				t.Errorf("principals hold %d sign-ins in %d principals, summary %+v", n, len(rep.Principals), rep.Summary)
			}
			if rep.TZ != tc.tz || rep.From != tc.from || rep.To != tc.to {
				t.Errorf("period echoed as %s..%s %s", rep.From, rep.To, rep.TZ)
			}
		})
	}
}

func TestSignInsDefaultPeriodAndZone(t *testing.T) {
	ts := newTestServer(t, nil)
	var rep SignInReport
	ts.call(t, "GET", "/api/signins?tz=Europe/Paris", "", 200, &rep)
	if rep.From != "2024-08-22" || rep.To != "2024-09-20" || rep.Bucket != "day" || len(rep.Series) != 30 {
		t.Fatalf("default period %s..%s by %s with %d bars, want the 30 days to 2024-09-20 by day", rep.From, rep.To, rep.Bucket, len(rep.Series))
	}
	if rep.Start != "2024-08-22T00:00:00+02:00" {
		t.Errorf("start %s, want midnight in Paris", rep.Start)
	}
	var hostile *SignIn
	for i := range rep.Rows {
		if rep.Rows[i].EventID == "hostile-0001" {
			hostile = &rep.Rows[i]
		}
	}
	if hostile == nil {
		t.Fatalf("the hostile sign-in of 2024-09-15 is not listed: %+v", rep.Rows)
	}
	// The API returns the value as data; escaping is the page's job (and JSON's: < is \u003c on the wire).
	if hostile.UserAgent != hostileUA || hostile.Principal != hostileUser || hostile.Local != "2024-09-15 12:00:00" ||
		hostile.Time != "2024-09-15T12:00:00+02:00" || hostile.MFA != "No" || hostile.Result != "Success" {
		t.Errorf("hostile row %+v", *hostile)
	}
	if got := rep.Series[24]; got.Label != "2024-09-15" || got.Success != 1 {
		t.Errorf("bar of 2024-09-15: %+v", got)
	}
}

func TestSignInsBadParameters(t *testing.T) {
	ts := newTestServer(t, nil)
	for _, q := range []string{"from=yesterday", "to=2024-13-01", "tz=Mars/Olympus", "from=2024-09-10&to=2024-09-01",
		"from=1800-01-01&to=2024-01-01", "ip=300.1.1.1", "failed=maybe"} {
		var e apiError
		ts.call(t, "GET", "/api/signins?"+q, "", http.StatusBadRequest, &e)
		if e.Error == "" {
			t.Errorf("%s: no error message", q)
		}
	}
}

// TestSignInsFilters checks the filters of trailq signins against the reference.
func TestSignInsFilters(t *testing.T) {
	ts := newTestServer(t, nil)
	const period = "from=2014-01-01&to=2025-12-31&tz=UTC"
	from, _ := time.Parse(dateLayout, "2014-01-01")
	ref := refSignIns(t, ts.dirs, from, from.AddDate(12, 0, 0))
	count := func(keep func(map[string]any) bool) int {
		n := 0
		for _, r := range ref {
			if keep(r) {
				n++
			}
		}
		return n
	}
	idType := func(r map[string]any) any { id, _ := r["userIdentity"].(map[string]any); return id["type"] }
	for _, tc := range []struct {
		query string
		want  int
	}{
		{"failed=true", count(func(r map[string]any) bool { return refResult(r) == "Failure" })},
		{"root=true", count(func(r map[string]any) bool { return idType(r) == "Root" })},
		{"account=493859302102", count(func(r map[string]any) bool { return r["recipientAccountId"] == "493859302102" })},
		{"ip=92.55.146.0/24", count(func(r map[string]any) bool { return strings.HasPrefix(r["sourceIPAddress"].(string), "92.55.146.") })},
		{"user=anaya", count(func(r map[string]any) bool {
			id, _ := r["userIdentity"].(map[string]any)
			return id["userName"] == "anaya"
		})},
		{"root=true&failed=true", count(func(r map[string]any) bool { return idType(r) == "Root" && refResult(r) == "Failure" })},
	} {
		var rep SignInReport
		ts.call(t, "GET", "/api/signins?"+period+"&"+tc.query, "", 200, &rep)
		if rep.Summary.SignIns != tc.want || len(rep.Rows) != tc.want || tc.want == 0 {
			t.Errorf("%s: %d sign-ins, %d rows; the reference has %d", tc.query, rep.Summary.SignIns, len(rep.Rows), tc.want)
		}
	}
	var all, attempts SignInReport
	ts.call(t, "GET", "/api/signins?"+period+"&all=true", "", 200, &all)
	ts.call(t, "GET", "/api/signins?"+period, "", 200, &attempts)
	if all.Summary.SignIns <= attempts.Summary.SignIns {
		t.Errorf("every step: %d events, attempts only: %d", all.Summary.SignIns, attempts.Summary.SignIns)
	}
}

// signinEvents reads the sign-in events of a period with internal/signin, as trailq signins does.
func signinEvents(t *testing.T, path string, from, to time.Time) []signin.Event {
	t.Helper()
	ctx := context.Background()
	q := &signin.Query{Period: timewin.Period{Start: from, End: to}}
	sql, err := athena.NewTranslator(athena.Tables{Logs: store.LogsView, LogsExt: store.LogsExtView}).Translate(q.SQL())
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, path, store.Options{ReadOnly: true, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	events, err := signin.Fetch(ctx, st, sql, q)
	if err != nil {
		t.Fatal(err)
	}
	return events
}

func TestEvent(t *testing.T) {
	ts := newTestServer(t, nil)
	var res EventsResult
	ts.call(t, "GET", "/api/events?eventid=hostile-0001", "", 200, &res)
	if res.Count != 1 || len(res.Events) != 1 {
		t.Fatalf("hostile-0001: %d events", res.Count)
	}
	b := string(res.Events[0])
	var ev map[string]any
	if err := json.Unmarshal(res.Events[0], &ev); err != nil {
		t.Fatal(err)
	}
	if ev["useragent"] != hostileUA || ev["eventid"] != "hostile-0001" {
		t.Errorf("event %s", b)
	}
	if re, ok := ev["responseelements"].(map[string]any); !ok || re["ConsoleLogin"] != "Success" {
		t.Errorf("responseelements should be a JSON object: %#v", ev["responseelements"])
	}
	if id, ok := ev["useridentity"].(map[string]any); !ok || id["username"] != hostileUser {
		t.Errorf("useridentity %#v", ev["useridentity"])
	}
	// Column order is the table's.
	if i, j := strings.Index(b, `"eventversion"`), strings.Index(b, `"useridentity"`); i < 0 || j < i {
		t.Errorf("keys out of order: %s", b)
	}
	raw := ts.call(t, "GET", "/api/events?eventid=hostile-0001", "", 200, nil)
	if strings.Contains(string(raw), "<img") {
		t.Errorf("raw < in the JSON body (want \\u003c): %s", raw)
	}

	// Every row of the dashboard finds its record, also where records share an event ID or have none.
	var rep SignInReport
	ts.call(t, "GET", "/api/signins?from=2014-01-01&to=2025-12-31&tz=UTC&all=true", "", 200, &rep)
	shared := 0
	for _, row := range rep.Rows {
		q := url.Values{"eventid": {row.EventID}, "time": {row.TimeUTC}, "ip": {row.SourceIP}, "arn": {row.ARN}}
		var res EventsResult
		ts.call(t, "GET", "/api/events?"+q.Encode(), "", 200, &res)
		for _, e := range res.Events {
			var ev map[string]any
			json.Unmarshal(e, &ev)
			id, _ := ev["eventid"].(string)
			if id != row.EventID || ev["sourceipaddress"] != row.SourceIP || !strings.HasPrefix(ev["eventtime"].(string), row.TimeUTC[:19]) {
				t.Errorf("row %+v found %s", row, e)
			}
		}
		var byID EventsResult
		ts.call(t, "GET", "/api/events?"+url.Values{"eventid": {row.EventID}}.Encode(), "", 200, &byID)
		if byID.Count > res.Count {
			shared++
		}
	}
	if shared == 0 {
		t.Error("no row shares its event ID with another record: the narrowing is not tested")
	}

	var e apiError
	ts.call(t, "GET", "/api/events?eventid=no-such-event", "", http.StatusNotFound, &e)
	ts.call(t, "GET", "/api/events?eventid="+url.QueryEscape("x' OR '1'='1"), "", http.StatusNotFound, &e)
	ts.call(t, "GET", "/api/events", "", http.StatusBadRequest, &e)
	ts.call(t, "GET", "/api/events?eventid=1&time=yesterday", "", http.StatusBadRequest, &e)
}

func queryBody(sql string, extra string) string {
	b, _ := json.Marshal(sql)
	return `{"sql":` + string(b) + extra + `}`
}

func TestQuerySeed(t *testing.T) {
	ts := newTestServer(t, nil)
	seed := presets(fixedNow)[0].SQL
	if !strings.Contains(seed, "eventtype = 'AwsConsoleSignIn'") || !strings.HasPrefix(seed, "SELECT eventtime, eventname, useridentity, sourceipaddress, useragent, responseelements") {
		t.Fatalf("first preset is not the seed query: %s", seed)
	}
	var res QueryResult
	ts.call(t, "POST", "/api/query", queryBody(strings.Replace(seed, "FROM cloudtrail_logs", "FROM cloudtrail_logs_mybucket", 1), ""), 200, &res)
	names := []string{}
	for _, c := range res.Columns {
		names = append(names, c.Name)
	}
	if diff := cmp.Diff([]string{"eventtime", "eventname", "useridentity", "sourceipaddress", "useragent", "responseelements"}, names); diff != "" {
		t.Errorf("columns: %s", diff)
	}
	if !res.Columns[2].Nested || res.Columns[0].Nested {
		t.Errorf("nested flags: %+v", res.Columns)
	}
	if res.Count != 1 || len(res.Rows) != 1 || res.Truncated {
		t.Fatalf("seed query over the last 30 days: %d rows (%+v), want the hostile sign-in", res.Count, res.Rows)
	}
	row := res.Rows[0]
	if row[4] != hostileUA {
		t.Errorf("useragent %v", row[4])
	}
	if id, ok := row[2].(map[string]any); !ok || id["type"] != "IAMUser" {
		t.Errorf("useridentity is not an object: %#v", row[2])
	}
	if !strings.Contains(res.SQL, `AS "cloudtrail_logs_mybucket"`) {
		t.Errorf("translated SQL %s", res.SQL)
	}
}

func TestQueryLimitAndDownloads(t *testing.T) {
	ts := newTestServer(t, nil)
	const q = "SELECT eventid, eventtime FROM cloudtrail_logs WHERE eventid IS NOT NULL ORDER BY eventid LIMIT 25"
	var res QueryResult
	ts.call(t, "POST", "/api/query", queryBody(q, `,"limit":10`), 200, &res)
	if res.Count != 10 || !res.Truncated {
		t.Errorf("limit 10: count %d truncated %v", res.Count, res.Truncated)
	}
	res2, b := ts.do(t, "POST", "/api/query", queryBody(q, `,"format":"csv","limit":10`), nil)
	if res2.StatusCode != 200 || !strings.HasPrefix(res2.Header.Get("Content-Type"), "text/csv") || !strings.Contains(res2.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("csv: %d %v", res2.StatusCode, res2.Header)
	}
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 26 || lines[0] != "eventid,eventtime" {
		t.Errorf("csv has %d lines (want header + 25, downloads are not limited): %q", len(lines), lines[0])
	}
	res3, b := ts.do(t, "POST", "/api/query", queryBody(q, `,"format":"json"`), nil)
	var rows []map[string]any
	if res3.StatusCode != 200 || json.Unmarshal(b, &rows) != nil || len(rows) != 25 {
		t.Errorf("json download: %d, %d rows: %.200s", res3.StatusCode, len(rows), b)
	}
}

func TestQueryErrors(t *testing.T) {
	ts := newTestServer(t, nil)
	for _, tc := range []struct {
		name, body   string
		status       int
		line, column int
		contains     string
	}{
		{"syntax", queryBody("SELECT eventname\nFROM cloudtrail_logs_mybucket\nWHERE eventname = 'x' ORDR BY 1", ""), 400, 3, 23, "ORDR"},
		{"binder", queryBody("SELECT nosuchcolumn FROM cloudtrail_logs", ""), 400, 1, 8, "nosuchcolumn"},
		{"lexer", queryBody("SELECT 'open", ""), 400, 1, 8, "unterminated"},
		{"empty", queryBody("  ;", ""), 400, 0, 0, "empty"},
		{"dialect", queryBody("SELECT 1", `,"dialect":"mysql"`), 400, 0, 0, "dialect"},
		{"format", queryBody("SELECT 1", `,"format":"xml"`), 400, 0, 0, "format"},
		{"limit", queryBody("SELECT 1", `,"limit":1000000`), 400, 0, 0, "limit"},
		{"unknown field", `{"sql":"SELECT 1","drop":true}`, 400, 0, 0, "unknown field"},
		{"not json", `SELECT 1`, 400, 0, 0, "read request"},
		{"too big", queryBody("SELECT '"+strings.Repeat("x", 2<<20)+"'", ""), 413, 0, 0, "too large"},
		{"read-only", queryBody("CREATE TABLE evil AS SELECT 1", `,"dialect":"duckdb"`), 400, 0, 0, "read-only"},
		{"no file access", queryBody("SELECT * FROM read_text('/etc/passwd')", `,"dialect":"duckdb"`), 400, 1, 15, "read_text"},
		{"no settings", queryBody("SET threads = 1", `,"dialect":"duckdb"`), 400, 0, 0, "read-only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e apiError
			ts.call(t, "POST", "/api/query", tc.body, tc.status, &e)
			if !strings.Contains(e.Error, tc.contains) {
				t.Errorf("error %q does not mention %q", e.Error, tc.contains)
			}
			if e.Line != tc.line || e.Column != tc.column {
				t.Errorf("position %d:%d, want %d:%d (%s)", e.Line, e.Column, tc.line, tc.column, e.Error)
			}
		})
	}
	res, b := ts.do(t, "POST", "/api/query", "SELECT 1", map[string]string{"Content-Type": "text/plain"})
	if res.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain body: %d %s", res.StatusCode, b)
	}
}

// TestQueryErrorPositionLongLine checks the position of an error far into a long line, where DuckDB shows only
// a window of the line, and after a table name that the translation changed.
func TestQueryErrorPositionLongLine(t *testing.T) {
	ts := newTestServer(t, nil)
	cols := strings.Repeat("eventname, ", 30)
	for _, table := range []string{"cloudtrail_logs", "cloudtrail_logs_mybucket", `"awsdatacatalog"."default"."cloudtrail_x"`} {
		q := "SELECT " + cols + "eventsource FROM " + table + " WHERE eventname = 'ConsoleLogin' " + strings.Repeat("AND eventname <> 'x' ", 10) + "ORDR BY 1"
		var e apiError
		ts.call(t, "POST", "/api/query", queryBody(q, ""), 400, &e)
		want := strings.Index(q, "ORDR")
		if e.Offset == nil || *e.Offset != want || e.Line != 1 || e.Column != want+1 {
			t.Errorf("%s: position %v line %d col %d, want offset %d (%s)", table, e.Offset, e.Line, e.Column, want, e.Error)
		}
		if strings.Contains(e.Error, "LINE 1") {
			t.Errorf("DuckDB's excerpt (of the translated SQL) is in the message: %s", e.Error)
		}
	}
}

func TestQueryTimeout(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.QueryTimeout = 200 * time.Millisecond })
	start := time.Now()
	var e apiError
	ts.call(t, "POST", "/api/query", queryBody("SELECT count(*) FROM range(100000000) a, range(1000000) b WHERE a.range + b.range = 7", `,"dialect":"duckdb"`), http.StatusGatewayTimeout, &e)
	if el := time.Since(start); el > 20*time.Second {
		t.Errorf("the query ran %s after its deadline", el)
	}
	if !strings.Contains(e.Error, "longer than 200ms") {
		t.Errorf("error %q", e.Error)
	}
	// The store is still usable.
	var res QueryResult
	ts.call(t, "POST", "/api/query", queryBody("SELECT 1 AS one", ""), 200, &res)
}

func TestPresetsRun(t *testing.T) {
	ts := newTestServer(t, nil)
	var ps []Preset
	ts.call(t, "GET", "/api/presets", "", 200, &ps)
	if len(ps) < 5 {
		t.Fatalf("%d presets", len(ps))
	}
	for _, p := range ps {
		var res QueryResult
		ts.call(t, "POST", "/api/query", queryBody(p.SQL, ""), 200, &res)
	}
}

func TestCSRF(t *testing.T) {
	ts := newTestServer(t, nil)
	body := queryBody("SELECT 1", "")
	for _, tc := range []struct {
		name   string
		hdr    map[string]string
		status int
	}{
		{"no header", map[string]string{CSRFHeader: ""}, http.StatusForbidden},
		{"form post", map[string]string{CSRFHeader: "", "Content-Type": "application/x-www-form-urlencoded"}, http.StatusForbidden},
		{"other origin", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"cross site", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"same origin", map[string]string{"Origin": ts.URL, "Sec-Fetch-Site": "same-origin"}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, b := ts.do(t, "POST", "/api/query", body, tc.hdr)
			if res.StatusCode != tc.status {
				t.Errorf("status %d, want %d: %s", res.StatusCode, tc.status, b)
			}
		})
	}
	// POST /api/load is refused the same way (and would do nothing here: no source).
	res, _ := ts.do(t, "POST", "/api/load", "", map[string]string{CSRFHeader: ""})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("load without header: %d", res.StatusCode)
	}
}

func TestToken(t *testing.T) {
	const token = "s3cret-token"
	ts := newTestServer(t, func(o *Options) { o.Token = token })
	for _, tc := range []struct {
		name, path string
		hdr        map[string]string
		status     int
	}{
		{"none", "/api/data", nil, http.StatusUnauthorized},
		{"page without token", "/", nil, http.StatusUnauthorized},
		{"wrong", "/api/data?token=nope", nil, http.StatusUnauthorized},
		{"query", "/api/data?token=" + token, nil, http.StatusOK},
		{"header", "/api/data", map[string]string{"X-Trailq-Token": token}, http.StatusOK},
		{"wrong header", "/api/data", map[string]string{"X-Trailq-Token": "x"}, http.StatusUnauthorized},
		{"cookie", "/api/data", map[string]string{"Cookie": cookieName(ts) + "=" + token}, http.StatusOK},
		{"wrong cookie", "/api/data", map[string]string{"Cookie": cookieName(ts) + "=x"}, http.StatusUnauthorized},
		{"any host with token", "/api/data?token=" + token, map[string]string{"Host": "trailq.example:8080"}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", ts.URL+tc.path, nil)
			for k, v := range tc.hdr {
				req.Header.Set(k, v)
				if k == "Host" {
					req.Host = v
				}
			}
			res, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tc.status {
				t.Errorf("status %d, want %d", res.StatusCode, tc.status)
			}
			if strings.Contains(tc.path, "token="+token) {
				name := cookieName(ts)
				if tc.hdr["Host"] != "" {
					name = "trailq_token_8080" // named after the port the request came to
				}
				if c := res.Header.Get("Set-Cookie"); !strings.Contains(c, name+"="+token) || !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Strict") {
					t.Errorf("Set-Cookie %q", c)
				}
			}
		})
	}
}

func TestLoopbackHostOnly(t *testing.T) {
	ts := newTestServer(t, nil)
	for host, want := range map[string]int{"evil.example": http.StatusMisdirectedRequest, "localhost:1234": 200, "127.0.0.1": 200, "[::1]:80": 200} {
		req, _ := http.NewRequest("GET", ts.URL+"/api/load", nil)
		req.Host = host
		res, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("Host %s: %d, want %d", host, res.StatusCode, want)
		}
	}
}

func TestPagesAndHeaders(t *testing.T) {
	ts := newTestServer(t, nil)
	for _, tc := range []struct {
		method, path string
		status       int
		ctype        string
	}{
		{"GET", "/", 200, "text/html"},
		{"GET", "/assets/app.js", 200, "text/javascript"},
		{"GET", "/assets/style.css", 200, "text/css"},
		{"GET", "/assets/nope.js", 404, ""},
		{"GET", "/assets/", 404, ""},
		{"GET", "/api/nope", 404, ""},
		{"GET", "/api/query", 405, ""},
		{"DELETE", "/api/load", 405, ""},
	} {
		res, b := ts.do(t, tc.method, tc.path, "", map[string]string{CSRFHeader: "1"})
		if res.StatusCode != tc.status || !strings.HasPrefix(res.Header.Get("Content-Type"), tc.ctype) {
			t.Errorf("%s %s: %d %s, want %d %s (%.100s)", tc.method, tc.path, res.StatusCode, res.Header.Get("Content-Type"), tc.status, tc.ctype, b)
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP %q", tc.path, csp)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", tc.path)
		}
	}
	_, b := ts.do(t, "GET", "/", "", nil)
	for _, banned := range []string{"http://", "https://", "<script>"} {
		if strings.Contains(string(b), banned) {
			t.Errorf("index.html contains %q (no CDN, no inline script)", banned)
		}
	}
}

func TestData(t *testing.T) {
	ts := newTestServer(t, nil)
	var d DataReport
	ts.call(t, "GET", "/api/data", "", 200, &d)
	if d.Records == 0 || d.Objects == 0 || d.Outcomes["loaded"] == 0 || d.LastLoad == "" || d.First == "" || d.Last < d.First {
		t.Errorf("data report %+v", d)
	}
	var sum int64
	for _, c := range d.Coverage {
		sum += c.Records
	}
	if sum != d.Records {
		t.Errorf("coverage holds %d records, total %d", sum, d.Records)
	}
	if len(d.Broken) == 0 || len(d.Broken[0].Details) == 0 || d.Broken[0].Problems == 0 {
		t.Errorf("the sample has files with problems: %+v", d.Broken)
	}
	if d.CanLoad {
		t.Errorf("can_load without a Load function")
	}
}

// TestLoad checks "load new logs": 202 and progress, 503 for requests while the load holds the store, 409 for a
// second load, the new records afterwards, and the store read-only again.
func TestLoad(t *testing.T) {
	extra := writeHostileLogs(t, "again") // one more object, with the same record: read, not stored twice
	gate := make(chan struct{})
	ts := newTestServer(t, func(o *Options) {
		load := loader(extra)
		o.Load = func(ctx context.Context, st *store.Store, c *progress.Counter) (*ingest.Report, error) {
			c.Total.Store(3)
			c.Done.Store(1)
			<-gate
			return load(ctx, st, c)
		}
	})
	var before DataReport
	ts.call(t, "GET", "/api/data", "", 200, &before)
	if !before.CanLoad {
		t.Fatal("can_load is false")
	}
	var st LoadStatus
	ts.call(t, "POST", "/api/load", "", http.StatusAccepted, &st)
	if !st.Running || !st.Available {
		t.Errorf("after POST: %+v", st)
	}
	var e apiError
	ts.call(t, "POST", "/api/load", "", http.StatusConflict, &e)
	// The load waits at the gate holding the store: requests are answered 503, progress still works.
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, _ := ts.do(t, "GET", "/api/data", "", nil)
		if res.StatusCode == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /api/data during a load: %d, want 503", res.StatusCode)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for ts.call(t, "GET", "/api/load", "", 200, &st); st.Total != 3; ts.call(t, "GET", "/api/load", "", 200, &st) {
		if !st.Running || time.Now().After(deadline) {
			t.Fatalf("progress during the load: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st.Done != 1 {
		t.Errorf("progress during the load: %+v", st)
	}
	close(gate)
	for deadline := time.Now().Add(30 * time.Second); st.Running; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the load did not finish")
		}
		ts.call(t, "GET", "/api/load", "", 200, &st)
	}
	if st.Error != "" || st.Report == nil || st.Report.Loaded != 1 || st.Report.Records != 1 || st.Report.Duplicates != 1 || st.Finished == "" {
		t.Fatalf("finished load: %+v report %+v", st, st.Report)
	}
	var after DataReport
	ts.call(t, "GET", "/api/data", "", 200, &after)
	if after.Objects != before.Objects+1 || after.Records != before.Records+int64(st.Report.Inserted) {
		t.Errorf("objects %d -> %d, records %d -> %d; want one more object and %d more records", before.Objects, after.Objects, before.Records, after.Records, st.Report.Inserted)
	}
	// Back on a read-only handle.
	ts.call(t, "POST", "/api/query", queryBody("CREATE TABLE evil AS SELECT 1", `,"dialect":"duckdb"`), 400, &e)
	if !strings.Contains(e.Error, "read-only") {
		t.Errorf("after the load, a write gave %q", e.Error)
	}
}

func TestLoadUnavailable(t *testing.T) {
	ts := newTestServer(t, nil)
	var e apiError
	ts.call(t, "POST", "/api/load", "", http.StatusConflict, &e)
	if !strings.Contains(e.Error, "no source") {
		t.Errorf("error %q", e.Error)
	}
	var st LoadStatus
	ts.call(t, "GET", "/api/load", "", 200, &st)
	if st.Available || st.Running {
		t.Errorf("status %+v", st)
	}
}
