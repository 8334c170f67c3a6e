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
	"github.com/trailq/trailq/internal/timewin"
)

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
	// The next UTC day: read only when the period ends at UTC midnight.
	{"111122223333", "us-east-1", "20240902T0003Z", []tzEvent{{"utc-0901-2359", "2024-09-01T23:59:00Z"}}},
}

func TestTimeZonePeriod(t *testing.T) {
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
			var p timewin.Period
			if p.Start, err = timewin.ParseSince(tt.since, now, tt.loc); err != nil {
				t.Fatal(err)
			}
			if p.End, err = timewin.ParseUntil(tt.till, now, tt.loc); err != nil {
				t.Fatal(err)
			}
			kd, ok := p.KeyDays(now, timewin.DefaultLag)
			if !ok {
				t.Fatal("no key dates")
			}
			var days []string
			for _, d := range kd.Dates() {
				days = append(days, d.Format("2006-01-02"))
			}
			if diff := cmp.Diff(tt.wantDays, days); diff != "" {
				t.Errorf("key dates (-want +got):\n%s", diff)
			}
			st, rep := loadStore(t, src, ingest.Options{Window: &kd})
			if got, want := rep.Loaded, tt.wantLoaded; got != want {
				t.Errorf("read %d objects, want %d", got, want)
			}
			q := &signin.Query{Period: p}
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

// The period is exact for eventTimes with a fraction of a second, and for the space-separated form some exports
// write: compared as whole strings, '2024-09-01T00:00:00.5Z' sorts before '2024-09-01T00:00:00Z' ('.' < 'Z')
// and '2024-09-01 12:00:00' before '2024-09-01T00:00:00'.
func TestPeriodFractionalSeconds(t *testing.T) {
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
	var p timewin.Period
	if p.Start, err = timewin.ParseSince("2024-09-01", now, time.UTC); err != nil {
		t.Fatal(err)
	}
	if p.End, err = timewin.ParseUntil("2024-09-01", now, time.UTC); err != nil {
		t.Fatal(err)
	}
	q := &signin.Query{Period: p}
	var ids []string
	for _, e := range fetch(t, st, q) {
		if !e.Time.IsZero() && !p.Contains(e.Time) {
			t.Errorf("%s at %s is outside the period", e.EventID, e.Time.Format(time.RFC3339Nano))
		}
		ids = append(ids, e.EventID)
	}
	sort.Strings(ids)
	want := []string{"last-frac", "space", "space-frac", "start", "start-frac", "start-millis"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("events (-want +got):\n%s\nSQL:\n%s", diff, q.SQL())
	}
}

// A period bound within a second (given to Query directly, not by timewin) is widened to whole seconds.
func TestSQLWidensFractionalBounds(t *testing.T) {
	q := &signin.Query{Period: timewin.Period{
		Start: time.Date(2024, 9, 1, 0, 0, 0, 500_000_000, time.UTC),
		End:   time.Date(2024, 9, 2, 0, 0, 0, 500_000_000, time.UTC),
	}}
	sql := q.SQL()
	for _, want := range []string{">= '2024-09-01T00:00:00'", "< '2024-09-02T00:00:01'"} {
		if !strings.Contains(sql, want) {
			t.Errorf("SQL lacks %q:\n%s", want, sql)
		}
	}
	q.Period.End = time.Date(2024, 9, 2, 0, 0, 0, 0, time.UTC)
	if sql := q.SQL(); !strings.Contains(sql, "< '2024-09-02T00:00:00'") {
		t.Errorf("whole-second end changed:\n%s", sql)
	}
}

// A period holds the events whose instant falls in it, whatever form eventTime takes: an offset other than Z
// (the text's date and hour are not UTC's), a lower-case z or t (RFC 3339 allows both), a fraction of a second,
// which the listing keeps. Both ways of answering (classifying as the rows are read, the classified table) agree.
func TestPeriodComparesInstants(t *testing.T) {
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
	p := timewin.Period{Start: time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 9, 2, 0, 0, 0, 0, time.UTC)}
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
	check("classified as read", &signin.Query{Period: p})
	if err := signin.Classify(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	check("classified table", &signin.Query{Period: p})

	// Unbounded, every event is listed with its instant.
	want = nil
	for _, e := range tests {
		want = append(want, e.id)
	}
	sort.Strings(want)
	check("no period", &signin.Query{})
}

// A period that ends after the year 9999 (the web UI's last day 9999-12-31) is open at the end: its bound
// cannot be written as eventtime's text, which would leave out everything.
func TestPeriodEndBeyond9999(t *testing.T) {
	dir := t.TempDir()
	b, err := json.Marshal(map[string]any{"Records": []any{signinRecord("111122223333", "us-east-1", "e1", "2024-09-01T12:00:00Z")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "one.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	st, _ := loadStore(t, dir, ingest.Options{})
	q := &signin.Query{Period: timewin.Period{Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}
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
