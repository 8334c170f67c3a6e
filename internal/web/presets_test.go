package web

import (
	"regexp"
	"testing"
	"time"
)

// TestPresetPeriod reads the time bounds of the first preset (the sign-ins of the last 30 days): both must be
// times, the first the start of the day 30 days before the clock's, the second the end of the clock's day.
func TestPresetPeriod(t *testing.T) {
	ts := newTestServer(t, nil)
	var ps []Preset
	ts.call(t, "GET", "/api/presets", "", 200, &ps)
	m := regexp.MustCompile(`eventtime >= '([^']*)' AND eventtime <= '([^']*)'`).FindStringSubmatch(ps[0].SQL)
	if m == nil {
		t.Fatalf("no period in the first preset:\n%s", ps[0].SQL)
	}
	want := []time.Time{time.Date(2024, 8, 21, 0, 0, 0, 0, time.UTC), time.Date(2024, 9, 20, 23, 59, 59, 0, time.UTC)}
	for i, s := range m[1:] {
		got, err := time.Parse(time.RFC3339, s)
		if err != nil || !got.Equal(want[i]) {
			t.Errorf("bound %d is %q (%v), want %s", i+1, s, err, want[i].Format(time.RFC3339))
		}
	}
}
