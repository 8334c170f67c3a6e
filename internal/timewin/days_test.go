package timewin_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailq/trailq/internal/timewin"
)

func day(t *testing.T, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDays(t *testing.T) {
	tokyo := mustZone(t, "Asia/Tokyo")
	tests := []struct {
		name     string
		d        timewin.Days
		dates    []string
		in, out  []string // instants, RFC 3339
		asString string
	}{
		{
			name: "closed", d: timewin.Days{From: day(t, "2024-09-01"), To: day(t, "2024-09-03")},
			dates: []string{"2024-09-01", "2024-09-02", "2024-09-03"},
			// 2024-09-01T09:00:00+09:00 is 2024-09-01 in UTC, 2024-09-01T08:59:59+09:00 is 2024-08-31.
			in:       []string{"2024-09-01T00:00:00Z", "2024-09-03T23:59:59.999Z", "2024-09-01T09:00:00+09:00"},
			out:      []string{"2024-08-31T23:59:59Z", "2024-09-04T00:00:00Z", "2024-09-01T08:59:59+09:00"},
			asString: "2024-09-01 to 2024-09-03",
		},
		{
			// Only the dates count: instants of a day, in any zone, are their UTC date.
			name: "times of day", d: timewin.Days{From: time.Date(2024, 9, 1, 1, 0, 0, 0, tokyo), To: time.Date(2024, 9, 2, 23, 0, 0, 0, time.UTC)},
			dates:    []string{"2024-08-31", "2024-09-01", "2024-09-02"},
			in:       []string{"2024-08-31T00:00:00Z", "2024-09-02T23:59:59Z"},
			out:      []string{"2024-08-30T23:59:59Z", "2024-09-03T00:00:00Z"},
			asString: "2024-08-31 to 2024-09-02",
		},
		{
			name: "one day", d: timewin.Days{From: day(t, "2024-02-29"), To: day(t, "2024-02-29")},
			dates: []string{"2024-02-29"}, in: []string{"2024-02-29T12:00:00Z"}, out: []string{"2024-03-01T00:00:00Z"},
			asString: "2024-02-29 to 2024-02-29",
		},
		{
			name: "empty", d: timewin.Days{From: day(t, "2024-09-03"), To: day(t, "2024-09-01")},
			out:      []string{"2024-09-01T00:00:00Z", "2024-09-02T00:00:00Z", "2024-09-03T00:00:00Z"},
			asString: "2024-09-03 to 2024-09-01",
		},
		{
			name: "open end", d: timewin.Days{From: day(t, "2024-09-01")},
			in: []string{"2024-09-01T00:00:00Z", "9999-12-31T00:00:00Z"}, out: []string{"2024-08-31T23:59:59Z"},
			asString: "from 2024-09-01",
		},
		{
			name: "open start", d: timewin.Days{To: day(t, "2024-09-01")},
			in: []string{"2024-09-01T23:59:59Z", "1970-01-01T00:00:00Z"}, out: []string{"2024-09-02T00:00:00Z"},
			asString: "to 2024-09-01",
		},
		{name: "open", in: []string{"2024-09-01T23:59:59Z"}, asString: "any date"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.dates, dates(tt.d)); diff != "" {
			t.Errorf("%s: dates (-want +got):\n%s", tt.name, diff)
		}
		for _, s := range tt.in {
			if !tt.d.Contains(mustUTC(t, s)) {
				t.Errorf("%s: %s does not contain %s", tt.name, tt.d, s)
			}
		}
		for _, s := range tt.out {
			if tt.d.Contains(mustUTC(t, s)) {
				t.Errorf("%s: %s contains %s", tt.name, tt.d, s)
			}
		}
		if got := tt.d.String(); got != tt.asString {
			t.Errorf("%s: String() = %q, want %q", tt.name, got, tt.asString)
		}
	}
}

func TestDaysIntersect(t *testing.T) {
	d := func(from, to string) timewin.Days { return timewin.Days{From: day(t, from), To: day(t, to)} }
	for _, tt := range []struct{ a, b, want timewin.Days }{
		{d("2024-09-01", "2024-09-10"), d("2024-09-05", "2024-09-20"), d("2024-09-05", "2024-09-10")},
		{d("2024-09-01", "2024-09-10"), d("2024-09-03", "2024-09-04"), d("2024-09-03", "2024-09-04")},
		{d("2024-09-01", ""), d("", "2024-09-04"), d("2024-09-01", "2024-09-04")},
		{d("2024-09-01", ""), d("2024-08-01", ""), d("2024-09-01", "")},
		{d("", ""), d("2024-09-01", "2024-09-02"), d("2024-09-01", "2024-09-02")},
		{d("", ""), d("", ""), d("", "")},
		// Ranges that do not meet: empty.
		{d("2024-09-01", "2024-09-02"), d("2024-09-05", "2024-09-06"), d("2024-09-05", "2024-09-02")},
	} {
		for _, pair := range [][2]timewin.Days{{tt.a, tt.b}, {tt.b, tt.a}} {
			if got := pair[0].Intersect(pair[1]); got != tt.want {
				t.Errorf("%s ∩ %s = %s, want %s", pair[0], pair[1], got, tt.want)
			}
		}
	}
	if got := d("2024-09-05", "2024-09-02").Dates(); got != nil {
		t.Errorf("an empty range has dates %v", got)
	}
}

func TestDaysUpTo(t *testing.T) {
	now := time.Date(2024, 9, 10, 23, 30, 0, 0, time.FixedZone("", -5*3600)) // 2024-09-11 in UTC
	d := func(from, to string) timewin.Days { return timewin.Days{From: day(t, from), To: day(t, to)} }
	for _, tt := range []struct{ in, want timewin.Days }{
		{d("2024-09-01", ""), d("2024-09-01", "2024-09-11")},
		{d("2024-09-01", "2024-12-31"), d("2024-09-01", "2024-09-11")},
		{d("2024-09-01", "2024-09-11"), d("2024-09-01", "2024-09-11")},
		{d("2024-09-01", "2024-09-05"), d("2024-09-01", "2024-09-05")},
	} {
		if got := tt.in.UpTo(now); got != tt.want {
			t.Errorf("%s.UpTo(%s) = %s, want %s", tt.in, now, got, tt.want)
		}
	}
}

// The period of a range of dates is UTC midnight to UTC midnight, the last date included.
func TestDaysPeriod(t *testing.T) {
	for _, tt := range []struct {
		d          timewin.Days
		start, end string
	}{
		{timewin.Days{From: day(t, "2024-09-01"), To: day(t, "2024-09-01")}, "2024-09-01T00:00:00Z", "2024-09-02T00:00:00Z"},
		{timewin.Days{From: day(t, "2024-09-01"), To: day(t, "2024-09-30")}, "2024-09-01T00:00:00Z", "2024-10-01T00:00:00Z"},
		{timewin.Days{From: time.Date(2024, 9, 1, 15, 0, 0, 0, time.UTC)}, "2024-09-01T00:00:00Z", ""},
		{timewin.Days{To: day(t, "2024-12-31")}, "", "2025-01-01T00:00:00Z"},
	} {
		p := tt.d.Period()
		if got, want := p.Start, parseOrZero(t, tt.start); !got.Equal(want) {
			t.Errorf("%s: start %s, want %s", tt.d, got, want)
		}
		if got, want := p.End, parseOrZero(t, tt.end); !got.Equal(want) {
			t.Errorf("%s: end %s, want %s", tt.d, got, want)
		}
	}
}

func parseOrZero(t *testing.T, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	return mustUTC(t, s)
}
