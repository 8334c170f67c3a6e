package timewin_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/timewin"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustUTC(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// parse reads in with ParseUntil when end is set, else with ParseSince.
func parse(in string, now time.Time, loc *time.Location, end bool) (time.Time, error) {
	if end {
		return timewin.ParseUntil(in, now, loc)
	}
	return timewin.ParseSince(in, now, loc)
}

func TestParse(t *testing.T) {
	tokyo, ny, berlin := mustZone(t, "Asia/Tokyo"), mustZone(t, "America/New_York"), mustZone(t, "Europe/Berlin")
	now := time.Date(2024, 9, 10, 3, 30, 0, 0, time.UTC) // 12:30 in Tokyo
	// 2024-03-10 12:00 in New York, the day its clocks went forward (02:00 EST became 03:00 EDT).
	springNY := time.Date(2024, 3, 10, 16, 0, 0, 0, time.UTC)
	// 2024-10-27 12:00 in Berlin, the day its clocks went back (03:00 CEST became 02:00 CET).
	autumnBerlin := time.Date(2024, 10, 27, 11, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		now  time.Time
		loc  *time.Location
		end  bool
		want string
	}{
		{"2024-09-01", now, tokyo, false, "2024-08-31T15:00:00Z"},
		{"2024-09-01", now, tokyo, true, "2024-09-01T15:00:00Z"},
		{"2024-09", now, tokyo, false, "2024-08-31T15:00:00Z"},
		{"2024-09", now, tokyo, true, "2024-09-30T15:00:00Z"},
		{"2024-12", now, time.UTC, true, "2025-01-01T00:00:00Z"},
		{"2024-09-01T09:30", now, tokyo, false, "2024-09-01T00:30:00Z"},
		{"2024-09-01 09:30", now, tokyo, true, "2024-09-01T00:30:01Z"}, // the whole second, as for any date-time
		{"2024-09-01T09:30:15", now, tokyo, false, "2024-09-01T00:30:15Z"},
		{"2024-09-01 09:30:15", now, tokyo, true, "2024-09-01T00:30:16Z"},
		{"2024-09-01t09:30", now, tokyo, false, "2024-09-01T00:30:00Z"},
		{"  2024-09-01  ", now, time.UTC, false, "2024-09-01T00:00:00Z"},
		// An RFC 3339 time keeps its own offset, whatever the zone.
		{"2024-09-01T00:00:00Z", now, tokyo, false, "2024-09-01T00:00:00Z"},
		{"2024-09-01T00:00:00+02:00", now, tokyo, false, "2024-08-31T22:00:00Z"},
		{"2024-09-01T00:00:00-05:00", now, tokyo, true, "2024-09-01T05:00:01Z"},
		{"7d", now, tokyo, false, "2024-09-03T03:30:00Z"},
		{"7D", now, tokyo, false, "2024-09-03T03:30:00Z"},
		{"7 d", now, tokyo, false, "2024-09-03T03:30:00Z"},
		{"24h", now, tokyo, false, "2024-09-09T03:30:00Z"},
		{"30m", now, tokyo, true, "2024-09-10T03:00:00Z"},
		{"90s", now, tokyo, false, "2024-09-10T03:28:30Z"},
		{"2w", now, time.UTC, false, "2024-08-27T03:30:00Z"},
		{"now", now, tokyo, true, "2024-09-10T03:30:00Z"},
		{"NOW", now, tokyo, false, "2024-09-10T03:30:00Z"},
		{"today", now, tokyo, false, "2024-09-09T15:00:00Z"},
		{"today", now, tokyo, true, "2024-09-10T15:00:00Z"},
		{"yesterday", now, tokyo, false, "2024-09-08T15:00:00Z"},
		{"yesterday", now, tokyo, true, "2024-09-09T15:00:00Z"},
		// "today" is the zone's day: 03:30 UTC is still 2024-09-09 in New York.
		{"today", now, ny, false, "2024-09-09T04:00:00Z"},
		// Daylight saving time: New York is UTC-4 in summer and UTC-5 in winter.
		{"2024-07-01", now, ny, false, "2024-07-01T04:00:00Z"},
		{"2024-12-01", now, ny, false, "2024-12-01T05:00:00Z"},
		// The day the clocks went forward has 23 hours, the day they went back 25.
		{"2024-03-10", now, ny, false, "2024-03-10T05:00:00Z"},
		{"2024-03-10", now, ny, true, "2024-03-11T04:00:00Z"},
		{"2024-10-27", now, berlin, false, "2024-10-26T22:00:00Z"},
		{"2024-10-27", now, berlin, true, "2024-10-27T23:00:00Z"},
		{"2024-03-10T12:00", now, ny, false, "2024-03-10T16:00:00Z"},
		{"2024-03-09T12:00", now, ny, false, "2024-03-09T17:00:00Z"},
		// d and w are calendar days in the zone: 1d before noon is noon the day before, not 24 hours.
		{"1d", springNY, ny, false, "2024-03-09T17:00:00Z"},
		{"24h", springNY, ny, false, "2024-03-09T16:00:00Z"},
		{"1w", springNY, ny, false, "2024-03-03T17:00:00Z"},
		{"1d", autumnBerlin, berlin, false, "2024-10-26T10:00:00Z"},
		{"24h", autumnBerlin, berlin, false, "2024-10-26T11:00:00Z"},
		{"today", autumnBerlin, berlin, true, "2024-10-27T23:00:00Z"},
		{"yesterday", springNY, ny, false, "2024-03-09T05:00:00Z"},
	}
	for _, tt := range tests {
		got, err := parse(tt.in, tt.now, tt.loc, tt.end)
		if err != nil {
			t.Errorf("parse(%q, %s, end=%v): %v", tt.in, tt.loc, tt.end, err)
			continue
		}
		if want := mustUTC(t, tt.want); !got.Equal(want) {
			t.Errorf("parse(%q, %s, end=%v) = %s, want %s", tt.in, tt.loc, tt.end, got.UTC().Format(time.RFC3339), tt.want)
		}
	}
	for _, bad := range []string{"", "  ", "yesterday-ish", "2024-13-01", "2024-02-30", "7y", "-7d", "09/01/2024", "2024-09-01T25:00", "tomorrow"} {
		for _, end := range []bool{false, true} {
			if got, err := parse(bad, now, tokyo, end); err == nil {
				t.Errorf("parse(%q, end=%v) = %s, want an error", bad, end, got)
			}
		}
	}
	if _, err := timewin.ParseSince("09/01/2024", now, tokyo); err == nil || !strings.Contains(err.Error(), `read time "09/01/2024": use a date (2024-09-01)`) {
		t.Errorf("ParseSince(09/01/2024) = %v, want the forms it takes", err)
	}
}

// Relative times and "now" are whole seconds, as a query comparing eventTime to the second needs; an --until
// date-time includes its whole second.
func TestParseWholeSeconds(t *testing.T) {
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
		{"2024-09-01T00:00:00Z", true, time.Date(2024, 9, 1, 0, 0, 1, 0, time.UTC)},
	} {
		got, err := parse(tt.in, now, time.UTC, tt.end)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(tt.want) {
			t.Errorf("parse(%q, end=%v) = %s, want %s", tt.in, tt.end, got.Format(time.RFC3339Nano), tt.want)
		}
	}
}

// Parsing takes RFC 3339's lower-case t and z, and refuses times it cannot keep: before 1970, or a relative
// time too long to count, naming the most it takes. The year 9999 is the last a date names.
func TestParseRange(t *testing.T) {
	now := time.Date(2024, 9, 10, 3, 30, 0, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		end  bool
		want time.Time
	}{
		{"2024-09-01T00:00:00z", false, time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC)},
		{"2024-09-01t09:00:00+09:00", false, time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC)},
		{"1970-01-01", false, time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"1970-01", false, time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"9999-12-31T23:59:59Z", false, time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
		// The end of the last day a date names is in the year 10000 (a query leaves that end open).
		{"9999-12-31", true, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"9999-12", true, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"19976d", false, time.Date(1970, 1, 1, 3, 30, 0, 0, time.UTC)},
	} {
		got, err := parse(tt.in, now, time.UTC, tt.end)
		if err != nil {
			t.Errorf("parse(%q, end=%v): %v", tt.in, tt.end, err)
			continue
		}
		if !got.Equal(tt.want) {
			t.Errorf("parse(%q, end=%v) = %s, want %s", tt.in, tt.end, got, tt.want)
		}
	}
	for _, tt := range []struct {
		in, msg string
		loc     *time.Location
	}{
		{"100000000d", "before 1970: give at most 19976d", time.UTC},
		{"100000000h", "before 1970: give at most 479427h", time.UTC},
		{"99999999999999999999d", "before 1970: give at most 19976d", time.UTC},
		{"3000w", "before 1970: give at most 2853w", time.UTC},
		{"19977d", "before 1970: give at most 19976d", time.UTC},
		{"1969-12-31", "before 1970", time.UTC},
		{"1969-12-31T23:59:59Z", "before 1970: give a time from 1970-01-01 on", time.UTC},
		{"0001-01-01T00:00:00Z", "before 1970", time.UTC},
		{"0000-06", "before 1970", time.UTC},
		// The year is the zone's: 1970-01-01 in Tokyo starts in 1969 in UTC, and is taken; 1969 in Tokyo is not.
		{"1969-12-31", "before 1970", mustZone(t, "Asia/Tokyo")},
	} {
		for _, end := range []bool{false, true} {
			_, err := parse(tt.in, now, tt.loc, end)
			if err == nil || !strings.Contains(err.Error(), tt.msg) || !strings.Contains(err.Error(), tt.in) {
				t.Errorf("parse(%q, end=%v) = %v, want an error naming it with %q", tt.in, end, err, tt.msg)
			}
		}
	}
	if got, err := timewin.ParseSince("1970-01-01", now, mustZone(t, "Asia/Tokyo")); err != nil || !got.Equal(time.Date(1969, 12, 31, 15, 0, 0, 0, time.UTC)) {
		t.Errorf("ParseSince(1970-01-01, Tokyo) = %s, %v; want 1969-12-31T15:00:00Z", got, err)
	}
	// In a zone behind UTC, the most days back still lands on 1970-01-01 or after, in the zone.
	ny := mustZone(t, "America/New_York")
	_, err := timewin.ParseSince("100000d", now, ny)
	if err == nil || !strings.Contains(err.Error(), "give at most ") {
		t.Fatalf("ParseSince(100000d, New York) = %v, want the most it takes", err)
	}
	m := regexp.MustCompile(`give at most (\d+)d`).FindStringSubmatch(err.Error())
	if m == nil {
		t.Fatalf("ParseSince(100000d, New York) = %v, want the most days it takes", err)
	}
	most := m[1]
	got, err := timewin.ParseSince(most+"d", now, ny)
	if err != nil {
		t.Fatalf("the most it names is refused: %v", err)
	}
	if got.In(ny).Year() != 1970 {
		t.Errorf("%sd back is %s, want a time in 1970 in New York", most, got.In(ny))
	}
}
