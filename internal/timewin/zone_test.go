package timewin

import (
	"strings"
	"testing"
	"time"
)

func TestParseZone(t *testing.T) {
	at := time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC) // northern summer
	for _, c := range []struct {
		in     string
		offset int // seconds east of UTC on 2024-07-01
		name   string
	}{
		{"Asia/Tokyo", 9 * 3600, "Asia/Tokyo"},
		{"utc", 0, "UTC"}, {"Z", 0, "UTC"}, {"GMT", 0, "UTC"},
		{"+09:00", 9 * 3600, "UTC+09:00"}, {"+0900", 9 * 3600, "UTC+09:00"}, {"UTC+9", 9 * 3600, "UTC+09:00"},
		{"GMT-5:30", -(5*3600 + 1800), "UTC-05:30"}, {"-03", -3 * 3600, "UTC-03:00"},
		{"JST", 9 * 3600, "Asia/Tokyo"}, {"jst", 9 * 3600, "Asia/Tokyo"},
		{"EST", -4 * 3600, "America/New_York"}, // the region's zone: summer time in July
		{"CET", 2 * 3600, "Europe/Berlin"},
	} {
		loc, err := ParseZone(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if _, off := at.In(loc).Zone(); off != c.offset || loc.String() != c.name {
			t.Errorf("%q: %s at offset %d, want %s at %d", c.in, loc, off, c.name, c.offset)
		}
	}
	for _, c := range []struct{ in, says string }{
		{"IST", "India"}, {"CST", "China"}, {"+15:00", "at most"}, {"Mars/Olympus", "unknown time zone"}, {"+09:75", "at most"},
	} {
		if _, err := ParseZone(c.in); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%q: %v, want an error saying %q", c.in, err, c.says)
		}
	}
}

func TestLocalTimesTheClocksSkipOrRepeat(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct{ in, says string }{
		{"2024-03-10T02:30", "no such time"},                                           // spring forward: 02:00 → 03:00
		{"2024-11-03 01:30", "2024-11-03T01:30:00-04:00 or 2024-11-03T01:30:00-05:00"}, // fall back: 01:00–02:00 twice
	} {
		if _, err := ParseSince(c.in, now, ny); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%q: %v, want an error saying %q", c.in, err, c.says)
		}
	}
	if got, err := ParseSince("2024-11-03T03:30", now, ny); err != nil || got.Format(time.RFC3339) != "2024-11-03T03:30:00-05:00" {
		t.Errorf("an ordinary time after the change: %v, %v", got, err)
	}
}

func TestMonthWords(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	now := time.Date(2024, 10, 15, 12, 0, 0, 0, tokyo)
	for _, c := range []struct {
		in    string
		until bool
		want  string
	}{
		{"last-month", false, "2024-09-01T00:00:00+09:00"}, {"last-month", true, "2024-10-01T00:00:00+09:00"},
		{"this-month", false, "2024-10-01T00:00:00+09:00"}, {"THIS-MONTH", true, "2024-11-01T00:00:00+09:00"},
	} {
		parse := ParseSince
		if c.until {
			parse = ParseUntil
		}
		if got, err := parse(c.in, now, tokyo); err != nil || got.Format(time.RFC3339) != c.want {
			t.Errorf("%s (until %v): %v, %v; want %s", c.in, c.until, got, err, c.want)
		}
	}
}
