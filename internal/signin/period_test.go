package signin_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/signin"
)

func TestParseTime(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 9, 10, 3, 30, 0, 0, time.UTC) // 12:30 in Tokyo
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		in   string
		loc  *time.Location
		end  bool
		want time.Time
	}{
		{"2024-09-01", tokyo, false, utc("2024-08-31T15:00:00Z")},
		{"2024-09-01", tokyo, true, utc("2024-09-01T15:00:00Z")},
		{"2024-09", tokyo, true, utc("2024-09-30T15:00:00Z")},
		{"2024-09-01T09:30", tokyo, false, utc("2024-09-01T00:30:00Z")},
		{"2024-09-01 09:30:15", tokyo, true, utc("2024-09-01T00:30:16Z")},
		{"2024-09-01T00:00:00Z", tokyo, false, utc("2024-09-01T00:00:00Z")},
		{"2024-09-01T00:00:00+02:00", tokyo, false, utc("2024-08-31T22:00:00Z")},
		{"7d", tokyo, false, utc("2024-09-03T03:30:00Z")},
		{"24h", tokyo, false, utc("2024-09-09T03:30:00Z")},
		{"30m", tokyo, true, utc("2024-09-10T03:00:00Z")},
		{"2w", time.UTC, false, utc("2024-08-27T03:30:00Z")},
		{"now", tokyo, true, now},
		{"today", tokyo, false, utc("2024-09-09T15:00:00Z")},
		{"yesterday", tokyo, true, utc("2024-09-09T15:00:00Z")},
		// Daylight saving time: New York is UTC-4 in summer and UTC-5 in winter.
		{"2024-07-01", ny, false, utc("2024-07-01T04:00:00Z")},
		{"2024-12-01", ny, false, utc("2024-12-01T05:00:00Z")},
	}
	for _, tt := range tests {
		got, err := signin.ParseTime(tt.in, now, tt.loc, tt.end)
		if err != nil {
			t.Errorf("ParseTime(%q): %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) {
			t.Errorf("ParseTime(%q, %s, end=%v) = %s, want %s", tt.in, tt.loc, tt.end, got.UTC(), tt.want)
		}
	}
	for _, bad := range []string{"", "yesterday-ish", "2024-13-01", "7y", "09/01/2024"} {
		if _, err := signin.ParseTime(bad, now, tokyo, false); err == nil {
			t.Errorf("ParseTime(%q) did not fail", bad)
		}
	}
}

// logFile is one CloudTrail log object of a test tree.
type logFile struct {
	account, region string
	delivered       string // UTC delivery time, YYYYMMDDTHHmmZ: names the file and its day folder
	events          []tzEvent
}

type tzEvent struct{ id, time string }

// writeTree writes the files with CloudTrail's key layout under root/AWSLogs and returns the folder.
func writeTree(t *testing.T, root string, files []logFile) string {
	t.Helper()
	for i, f := range files {
		d, err := time.Parse("20060102T1504Z", f.delivered)
		if err != nil {
			t.Fatal(err)
		}
		var recs []map[string]any
		for _, e := range f.events {
			recs = append(recs, signinRecord(f.account, f.region, e.id, e.time))
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if err := json.NewEncoder(zw).Encode(map[string]any{"Records": recs}); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(root, "AWSLogs", f.account, "CloudTrail", f.region, d.Format("2006/01/02"))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("%s_CloudTrail_%s_%s_f%04d.json.gz", f.account, f.region, f.delivered, i)
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(root, "AWSLogs")
}

// signinRecord is an IAM user's successful ConsoleLogin as AWS logs it.
func signinRecord(account, region, id, at string) map[string]any {
	return map[string]any{
		"eventVersion": "1.08",
		"userIdentity": map[string]any{"type": "IAMUser", "principalId": "AIDACKCEVSQ6C2EXAMPLE",
			"arn": "arn:aws:iam::" + account + ":user/alice", "accountId": account, "userName": "alice"},
		"eventTime": at, "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "awsRegion": region,
		"sourceIPAddress": "198.51.100.7", "userAgent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
		"requestParameters": nil, "responseElements": map[string]any{"ConsoleLogin": "Success"},
		"additionalEventData": map[string]any{"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": "Yes"},
		"eventID":             id, "eventType": "AwsConsoleSignIn", "recipientAccountId": account,
	}
}

// tzFiles surround one Tokyo day, 2024-09-01 JST = [2024-08-31T15:00Z, 2024-09-01T15:00Z), in two regions.
var tzFiles = []logFile{
	{"111122223333", "us-east-1", "20240830T1010Z", []tzEvent{{"far-before", "2024-08-30T10:00:00Z"}}},
	{"111122223333", "us-east-1", "20240831T1505Z", []tzEvent{
		{"jst-0831-235959", "2024-08-31T14:59:59Z"}, // the last second of the day before, in Tokyo
		{"jst-0901-000000", "2024-08-31T15:00:00Z"}, // the first second of the day
	}},
	// Written just before UTC midnight, delivered on the next UTC day.
	{"111122223333", "us-east-1", "20240901T0004Z", []tzEvent{{"utc-0831-2358", "2024-08-31T23:58:00Z"}}},
	{"111122223333", "eu-north-1", "20240901T1505Z", []tzEvent{
		{"jst-0901-235959", "2024-09-01T14:59:59Z"}, // the last second of the day, in Tokyo
		{"jst-0902-000000", "2024-09-01T15:00:00Z"}, // the next day, in Tokyo
	}},
	// Delivered late, but within the margin.
	{"111122223333", "eu-north-1", "20240901T1720Z", []tzEvent{{"late-delivery", "2024-09-01T14:58:00Z"}}},
	// After the margin: its day folder is not read.
	{"111122223333", "us-east-1", "20240902T0930Z", []tzEvent{{"next-utc-day", "2024-09-02T09:25:00Z"}}},
	// The next UTC day: read only when the window ends at UTC midnight.
	{"111122223333", "us-east-1", "20240902T0003Z", []tzEvent{{"utc-0901-2359", "2024-09-01T23:59:00Z"}}},
}

func TestTimeZoneWindow(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		loc         *time.Location
		since, till string
		// wantDays are the UTC key dates read (a folder is listed whole and filtered by key).
		wantDays   []string
		wantLoaded int
		wantIDs    []string
	}{
		{
			name: "one Tokyo day", loc: tokyo, since: "2024-09-01", till: "2024-09-01",
			wantDays: []string{"2024-08-31", "2024-09-01"}, wantLoaded: 4,
			wantIDs: []string{"jst-0901-000000", "jst-0901-235959", "late-delivery", "utc-0831-2358"},
		},
		{
			name: "one UTC day reads the next day too", loc: time.UTC, since: "2024-09-01", till: "2024-09-01",
			wantDays: []string{"2024-09-01", "2024-09-02"}, wantLoaded: 5,
			wantIDs: []string{"jst-0901-235959", "jst-0902-000000", "late-delivery", "utc-0901-2359"},
		},
		{
			name: "Tokyo hours across UTC midnight", loc: tokyo, since: "2024-09-01T08:58", till: "2024-09-01T09:00",
			wantDays: []string{"2024-08-31", "2024-09-01"}, wantLoaded: 4,
			wantIDs: []string{"utc-0831-2358"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := writeTree(t, t.TempDir(), tzFiles)
			var w signin.Window
			if w.Start, err = signin.ParseTime(tt.since, now, tt.loc, false); err != nil {
				t.Fatal(err)
			}
			if w.End, err = signin.ParseTime(tt.till, now, tt.loc, true); err != nil {
				t.Fatal(err)
			}
			lw, ok := signin.LoadWindow(w, now, signin.DefaultLag)
			if !ok {
				t.Fatal("no load window")
			}
			var days []string
			for _, d := range lw.Days() {
				days = append(days, d.Format("2006-01-02"))
			}
			if diff := cmp.Diff(tt.wantDays, days); diff != "" {
				t.Errorf("key dates (-want +got):\n%s", diff)
			}
			st, rep := loadStore(t, src, ingest.Options{Window: &lw})
			if got, want := rep.Loaded, tt.wantLoaded; got != want {
				t.Errorf("read %d objects, want %d", got, want)
			}
			q := &signin.Query{Window: w}
			var ids []string
			for _, e := range fetch(t, st, q) {
				ids = append(ids, e.EventID)
			}
			sort.Strings(ids)
			if diff := cmp.Diff(tt.wantIDs, ids); diff != "" {
				t.Errorf("events (-want +got):\n%s\nSQL:\n%s", diff, q.SQL())
			}
		})
	}
}

// The window is exact for eventTimes with a fraction of a second, and for the space-separated form some exports
// write: compared as whole strings, '2024-09-01T00:00:00.5Z' sorts before '2024-09-01T00:00:00Z' ('.' < 'Z')
// and '2024-09-01 12:00:00' before '2024-09-01T00:00:00'.
func TestWindowFractionalSeconds(t *testing.T) {
	tests := []struct{ id, at string }{
		{"before-frac", "2024-08-31T23:59:59.999Z"},
		{"start-frac", "2024-09-01T00:00:00.5Z"},
		{"start", "2024-09-01T00:00:00Z"},
		{"start-millis", "2024-09-01T00:00:00.000Z"},
		{"space", "2024-09-01 12:00:00"},
		{"space-frac", "2024-09-01 23:59:59.25"},
		{"last-frac", "2024-09-01T23:59:59.999999Z"},
		{"end", "2024-09-02T00:00:00Z"},
		{"end-frac", "2024-09-02T00:00:00.5Z"},
		{"space-end", "2024-09-02 00:00:00.1"},
	}
	var recs []map[string]any
	for _, e := range tests {
		recs = append(recs, signinRecord("111122223333", "us-east-1", e.id, e.at))
	}
	dir := t.TempDir()
	b, err := json.Marshal(map[string]any{"Records": recs})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "frac.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	st, _ := loadStoreLenient(t, dir)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var w signin.Window
	if w.Start, err = signin.ParseTime("2024-09-01", now, time.UTC, false); err != nil {
		t.Fatal(err)
	}
	if w.End, err = signin.ParseTime("2024-09-01", now, time.UTC, true); err != nil {
		t.Fatal(err)
	}
	q := &signin.Query{Window: w}
	var ids []string
	for _, e := range fetch(t, st, q) {
		if !e.Time.IsZero() && (e.Time.Before(w.Start) || !e.Time.Before(w.End)) {
			t.Errorf("%s at %s is outside the window", e.EventID, e.Time.Format(time.RFC3339Nano))
		}
		ids = append(ids, e.EventID)
	}
	sort.Strings(ids)
	want := []string{"last-frac", "space", "space-frac", "start", "start-frac", "start-millis"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("events (-want +got):\n%s\nSQL:\n%s", diff, q.SQL())
	}
}

// Relative times and "now" are whole seconds, as the window's SQL compares to the second.
func TestParseTimeWholeSeconds(t *testing.T) {
	now := time.Date(2024, 9, 10, 3, 30, 0, 700_000_000, time.UTC)
	for _, tt := range []struct {
		in   string
		end  bool
		want time.Time
	}{
		{"now", true, time.Date(2024, 9, 10, 3, 30, 0, 0, time.UTC)},
		{"24h", false, time.Date(2024, 9, 9, 3, 30, 0, 0, time.UTC)},
		{"2024-09-01T00:00:00.5Z", false, time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC)},
		{"2024-09-01T00:00:00.5Z", true, time.Date(2024, 9, 1, 0, 0, 1, 0, time.UTC)},
	} {
		got, err := signin.ParseTime(tt.in, now, time.UTC, tt.end)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(tt.want) {
			t.Errorf("ParseTime(%q, end=%v) = %s, want %s", tt.in, tt.end, got.Format(time.RFC3339Nano), tt.want)
		}
	}
}

// A window bound within a second (given to Query directly, not by ParseTime) is widened to whole seconds.
func TestSQLWidensFractionalBounds(t *testing.T) {
	q := &signin.Query{Window: signin.Window{
		Start: time.Date(2024, 9, 1, 0, 0, 0, 500_000_000, time.UTC),
		End:   time.Date(2024, 9, 2, 0, 0, 0, 500_000_000, time.UTC),
	}}
	sql := q.SQL()
	for _, want := range []string{">= '2024-09-01T00:00:00'", "< '2024-09-02T00:00:01'"} {
		if !strings.Contains(sql, want) {
			t.Errorf("SQL lacks %q:\n%s", want, sql)
		}
	}
	q.Window.End = time.Date(2024, 9, 2, 0, 0, 0, 0, time.UTC)
	if sql := q.SQL(); !strings.Contains(sql, "< '2024-09-02T00:00:00'") {
		t.Errorf("whole-second end changed:\n%s", sql)
	}
}

// A window holds the events whose instant falls in it, whatever form eventTime takes: an offset other than Z
// (the text's date and hour are not UTC's), a lower-case z or t (RFC 3339 allows both), a fraction of a second,
// which the listing keeps. Both ways of answering (classifying as the rows are read, the classified table) agree.
func TestWindowComparesInstants(t *testing.T) {
	tests := []struct {
		id, at string
		in     bool
		listed string // the time_utc column
	}{
		{"jst-before", "2024-09-01T08:30:00+09:00", false, "2024-08-31T23:30:00Z"},
		{"jst-inside", "2024-09-02T08:30:00+09:00", true, "2024-09-01T23:30:00Z"},
		{"jst-after", "2024-09-02T09:00:00+09:00", false, "2024-09-02T00:00:00Z"},
		{"ny-inside", "2024-08-31T20:00:00-05:00", true, "2024-09-01T01:00:00Z"},
		{"ny-after", "2024-09-01T19:00:00-05:00", false, "2024-09-02T00:00:00Z"},
		{"frac-offset", "2024-09-01T09:00:00.25+09:00", true, "2024-09-01T00:00:00.25Z"},
		{"lower-z", "2024-09-01T00:00:00z", true, "2024-09-01T00:00:00Z"},
		{"lower-t", "2024-09-01t23:59:59z", true, "2024-09-01T23:59:59Z"},
		{"frac", "2024-09-01T12:00:00.123Z", true, "2024-09-01T12:00:00.123Z"},
		{"plain", "2024-09-01T12:00:00Z", true, "2024-09-01T12:00:00Z"},
	}
	var recs []map[string]any
	for _, e := range tests {
		recs = append(recs, signinRecord("111122223333", "us-east-1", e.id, e.at))
	}
	dir := t.TempDir()
	b, err := json.Marshal(map[string]any{"Records": recs})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "offsets.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	st, _ := loadStore(t, dir, ingest.Options{})
	w := signin.Window{Start: time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 9, 2, 0, 0, 0, 0, time.UTC)}
	var want []string
	listed := map[string]string{}
	for _, e := range tests {
		if e.in {
			want = append(want, e.id)
		}
		listed[e.id] = e.listed
	}
	sort.Strings(want)
	check := func(how string, q *signin.Query) {
		t.Helper()
		var ids []string
		for _, e := range fetch(t, st, q) {
			ids = append(ids, e.EventID)
			if got := signin.FormatTime(e.Time, time.UTC); got != listed[e.EventID] {
				t.Errorf("%s: %s listed at %q, want %q", how, e.EventID, got, listed[e.EventID])
			}
		}
		sort.Strings(ids)
		if diff := cmp.Diff(want, ids); diff != "" {
			t.Errorf("%s: events (-want +got):\n%s\nSQL:\n%s", how, diff, q.SQL())
		}
	}
	check("classified as read", &signin.Query{Window: w})
	if err := signin.Classify(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	check("classified table", &signin.Query{Window: w})

	// Unbounded, every event is listed with its instant.
	want = nil
	for _, e := range tests {
		want = append(want, e.id)
	}
	sort.Strings(want)
	check("no window", &signin.Query{})
}

// ParseTime takes RFC 3339's lower-case t and z, and refuses times it cannot keep: before 1970, after the
// year 9999, or a relative time too long to count.
func TestParseTimeRange(t *testing.T) {
	now := time.Date(2024, 9, 10, 3, 30, 0, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Time
	}{
		{"2024-09-01T00:00:00z", time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC)},
		{"2024-09-01t09:00:00+09:00", time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC)},
		{"1970-01-01", time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"9999-12-31T23:59:59Z", time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
		{"19976d", time.Date(1970, 1, 1, 3, 30, 0, 0, time.UTC)},
	} {
		got, err := signin.ParseTime(tt.in, now, time.UTC, false)
		if err != nil {
			t.Errorf("ParseTime(%q): %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) {
			t.Errorf("ParseTime(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
	for _, tt := range []struct{ in, msg string }{
		{"100000000d", "before 1970: give at most 19976d"},
		{"100000000h", "before 1970: give at most 479427h"},
		{"99999999999999999999d", "before 1970: give at most 19976d"},
		{"3000w", "before 1970: give at most 2853w"},
		{"19977d", "before 1970: give at most 19976d"},
		{"1969-12-31", "before 1970"},
		{"0001-01-01T00:00:00Z", "before 1970"},
		{"0000-06", "before 1970"},
	} {
		_, err := signin.ParseTime(tt.in, now, time.UTC, false)
		if err == nil || !strings.Contains(err.Error(), tt.msg) || !strings.Contains(err.Error(), tt.in) {
			t.Errorf("ParseTime(%q) = %v, want an error naming it with %q", tt.in, err, tt.msg)
		}
	}
}

// A window that ends after the year 9999 (the web UI's last day 9999-12-31) is open at the end: its bound
// cannot be written as eventtime's text, which would leave out everything.
func TestWindowEndBeyond9999(t *testing.T) {
	dir := t.TempDir()
	b, err := json.Marshal(map[string]any{"Records": []any{signinRecord("111122223333", "us-east-1", "e1", "2024-09-01T12:00:00Z")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "one.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	st, _ := loadStore(t, dir, ingest.Options{})
	q := &signin.Query{Window: signin.Window{Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}
	for _, how := range []string{"classified as read", "classified table"} {
		if how == "classified table" {
			if err := signin.Classify(context.Background(), st); err != nil {
				t.Fatal(err)
			}
		}
		if got := fetch(t, st, q); len(got) != 1 {
			t.Errorf("%s: %d events, want 1\nSQL:\n%s", how, len(got), q.SQL())
		}
	}
}
