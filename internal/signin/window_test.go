package signin_test

import (
	"bytes"
	"compress/gzip"
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
