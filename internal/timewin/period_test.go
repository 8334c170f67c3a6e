package timewin_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailq/trailq/internal/timewin"
)

func TestPeriodContains(t *testing.T) {
	start, end := mustUTC(t, "2024-09-01T00:00:00Z"), mustUTC(t, "2024-09-02T00:00:00Z")
	for _, tt := range []struct {
		p    timewin.Period
		at   string
		want bool
	}{
		{timewin.Period{Start: start, End: end}, "2024-09-01T00:00:00Z", true},
		{timewin.Period{Start: start, End: end}, "2024-09-01T23:59:59.999999999Z", true},
		{timewin.Period{Start: start, End: end}, "2024-09-02T00:00:00Z", false},
		{timewin.Period{Start: start, End: end}, "2024-08-31T23:59:59.999999999Z", false},
		// The instant counts, not the offset it is written with.
		{timewin.Period{Start: start, End: end}, "2024-09-02T08:59:59+09:00", true},
		{timewin.Period{Start: start, End: end}, "2024-09-02T09:00:00+09:00", false},
		{timewin.Period{Start: start}, "9999-12-31T23:59:59Z", true},
		{timewin.Period{Start: start}, "2024-08-31T23:59:59Z", false},
		{timewin.Period{End: end}, "1970-01-01T00:00:00Z", true},
		{timewin.Period{End: end}, "2024-09-02T00:00:00Z", false},
		{timewin.Period{}, "2024-09-02T00:00:00Z", true},
	} {
		if got := tt.p.Contains(mustUTC(t, tt.at)); got != tt.want {
			t.Errorf("%v.Contains(%s) = %v, want %v", tt.p, tt.at, got, tt.want)
		}
	}
}

// dates lists a Days' dates as text.
func dates(d timewin.Days) []string {
	var out []string
	for _, day := range d.Dates() {
		out = append(out, day.Format(time.DateOnly))
	}
	return out
}

// The key dates of a period run from its start to its end (or now) plus the delivery lag, in UTC whatever zone
// the period was read in.
func TestKeyDays(t *testing.T) {
	tokyo, ny := mustZone(t, "Asia/Tokyo"), mustZone(t, "America/New_York")
	now := time.Date(2024, 9, 10, 12, 0, 0, 0, time.UTC)
	later := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) // after the changes of the clocks of 2024
	// period reads since and until as --since and --until are read (at now).
	period := func(since, until string, loc *time.Location) timewin.Period {
		t.Helper()
		var p timewin.Period
		var err error
		if since != "" {
			if p.Start, err = timewin.ParseSince(since, now, loc); err != nil {
				t.Fatal(err)
			}
		}
		if until != "" {
			if p.End, err = timewin.ParseUntil(until, now, loc); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	type keyDaysCase struct {
		name string
		p    timewin.Period
		lag  time.Duration
		want []string
	}
	tests := []struct {
		now   time.Time
		cases []keyDaysCase
	}{{now, []keyDaysCase{
		// No end: up to now, plus the lag.
		{"open end", period("2024-09-08", "", time.UTC), timewin.DefaultLag, []string{"2024-09-08", "2024-09-09", "2024-09-10"}},
		{"open end near midnight", period("2024-09-08", "", time.UTC), 13 * time.Hour, []string{"2024-09-08", "2024-09-09", "2024-09-10", "2024-09-11"}},
		// An end in the future is now.
		{"future end", period("2024-09-08", "2024-12-01", time.UTC), timewin.DefaultLag, []string{"2024-09-08", "2024-09-09", "2024-09-10"}},
		// A UTC day: the next day is read for files delivered after midnight.
		{"utc day", period("2024-09-01", "2024-09-01", time.UTC), timewin.DefaultLag, []string{"2024-09-01", "2024-09-02"}},
		{"utc day, no lag", period("2024-09-01", "2024-09-01", time.UTC), 0, []string{"2024-09-01"}},
		// The lag reaches the last instant before midnight: still one day.
		{"lag to midnight", period("2024-09-01T00:00", "2024-09-01T20:59:59", time.UTC), 3 * time.Hour, []string{"2024-09-01"}},
		{"lag past midnight", period("2024-09-01T00:00", "2024-09-01T21:00", time.UTC), 3 * time.Hour, []string{"2024-09-01", "2024-09-02"}},
		// A Tokyo day is 15:00 UTC to 15:00 UTC: two UTC dates, and the lag stays on the second.
		{"tokyo day", period("2024-09-01", "2024-09-01", tokyo), timewin.DefaultLag, []string{"2024-08-31", "2024-09-01"}},
		{"tokyo day, 9h lag", period("2024-09-01", "2024-09-01", tokyo), 9 * time.Hour, []string{"2024-08-31", "2024-09-01"}},
		{"tokyo day, 10h lag", period("2024-09-01", "2024-09-01", tokyo), 10 * time.Hour, []string{"2024-08-31", "2024-09-01", "2024-09-02"}},
		// 08:00 to 08:59 in Tokyo is 23:00 to 23:59 UTC the day before; a lag of an hour reaches the next.
		{"tokyo morning", period("2024-09-01T08:00", "2024-09-01T08:59", tokyo), 0, []string{"2024-08-31"}},
		{"tokyo morning, lag", period("2024-09-01T08:00", "2024-09-01T08:59", tokyo), time.Hour, []string{"2024-08-31", "2024-09-01"}},
		// A New York day ends at 04:00 UTC (summer) or 05:00 UTC (winter): the next UTC date is read even
		// without lag.
		{"new york summer day", period("2024-07-01", "2024-07-01", ny), 0, []string{"2024-07-01", "2024-07-02"}},
		{"new york evening, summer", period("2024-07-01T19:00", "2024-07-01T19:59", ny), 0, []string{"2024-07-01"}},
		{"new york evening, winter", period("2024-01-15T19:00", "2024-01-15T19:59", ny), 0, []string{"2024-01-16"}},
		// The days the clocks changed: 23 hours (spring) and 25 hours (autumn), 04:00 to 04:00 UTC and
		// 04:00 to 05:00 UTC.
		{"new york spring day", period("2024-03-10", "2024-03-10", ny), 0, []string{"2024-03-10", "2024-03-11"}},
		// A relative start: 7 calendar days in the zone, then up to now.
		{"7d in tokyo", period("7d", "", tokyo), 0, []string{"2024-09-03", "2024-09-04", "2024-09-05", "2024-09-06", "2024-09-07", "2024-09-08", "2024-09-09", "2024-09-10"}},
		// An end before the start, or a start after now: the start's date alone.
		{"end before start", timewin.Period{Start: mustUTC(t, "2024-09-05T10:00:00Z"), End: mustUTC(t, "2024-09-01T00:00:00Z")}, 0, []string{"2024-09-05"}},
		{"start after now", timewin.Period{Start: mustUTC(t, "2024-09-12T10:00:00Z")}, timewin.DefaultLag, []string{"2024-09-12"}},
		// A start with an offset: its UTC date.
		{"offset start", timewin.Period{Start: mustUTC(t, "2024-09-02T01:00:00+09:00"), End: mustUTC(t, "2024-09-02T02:00:00+09:00")}, 0, []string{"2024-09-01"}},
	}}, {later, []keyDaysCase{
		// After the clocks went back in New York (2024-11-03).
		{"new york autumn day", period("2024-11-03", "2024-11-03", ny), 0, []string{"2024-11-03", "2024-11-04"}},
		{"new york autumn night", period("2024-11-03T20:00", "2024-11-03T23:00", ny), 0, []string{"2024-11-04"}},
		// The autumn day ends at 05:00 UTC, an hour later than the spring day: a lag of 19h stays on the next UTC
		// date, a minute more reaches the one after (the spring day takes 20h).
		{"new york autumn day, lag", period("2024-11-03", "2024-11-03", ny), 19 * time.Hour, []string{"2024-11-03", "2024-11-04"}},
		{"new york autumn day, longer lag", period("2024-11-03", "2024-11-03", ny), 19*time.Hour + time.Minute, []string{"2024-11-03", "2024-11-04", "2024-11-05"}},
		{"new york spring day, lag", period("2024-03-10", "2024-03-10", ny), 20 * time.Hour, []string{"2024-03-10", "2024-03-11"}},
	}}}
	for _, tc := range tests {
		for _, tt := range tc.cases {
			d, ok := tt.p.KeyDays(tc.now, tt.lag)
			if !ok {
				t.Errorf("%s: no key dates", tt.name)
				continue
			}
			if diff := cmp.Diff(tt.want, dates(d)); diff != "" {
				t.Errorf("%s: %v.KeyDays(lag %s) (-want +got):\n%s", tt.name, tt.p, tt.lag, diff)
			}
			if d.From.Location() != time.UTC || d.To.Location() != time.UTC || d.From.Truncate(24*time.Hour) != d.From {
				t.Errorf("%s: key dates %s, %s are not UTC dates", tt.name, d.From, d.To)
			}
		}
	}
	for _, p := range []timewin.Period{{}, {End: now}} {
		if d, ok := p.KeyDays(now, timewin.DefaultLag); ok {
			t.Errorf("%v without a start has key dates %s", p, d)
		}
	}
}
