package baseline

import (
	"math"
	"testing"
)

// TestSpread: the median and MAD of a baseline's hours count the quiet hours as zeros.
func TestSpread(t *testing.T) {
	for _, c := range []struct {
		counts      []float64
		zeros       int
		median, mad float64
	}{
		{[]float64{2, 2, 2, 3}, 0, 2, 0},
		{[]float64{1, 2, 3, 4, 100}, 0, 3, 1},
		{[]float64{5}, 4, 0, 0},
		{[]float64{4, 6}, 0, 5, 1},
		{nil, 0, 0, 0},
	} {
		s := spreadOf(c.counts, c.zeros)
		if s.median != c.median || s.mad != c.mad {
			t.Errorf("%v and %d zeros: median %g, MAD %g, want %g, %g", c.counts, c.zeros, s.median, s.mad, c.median, c.mad)
		}
	}
}

// TestScore: the modified z-score, with the MAD floored so that a flat baseline does not make an increase infinite.
func TestScore(t *testing.T) {
	for _, c := range []struct {
		s           spread
		x, floor    float64
		want        float64
		overDefault bool
	}{
		{spread{median: 0, mad: 0}, 20, 1, 13.49, true},
		{spread{median: 0, mad: 0}, 5, 1, 3.3725, false}, // 5 calls against none: under 3.5
		{spread{median: 0, mad: 0}, 6, 1, 4.047, true},
		{spread{median: 5, mad: 2}, 15, 1, 3.3725, false},
		{spread{median: 5, mad: 2}, 16, 1, 3.70975, true},
		{spread{median: 5, mad: 0.5}, 8, 1, 2.0235, false}, // the floor, not the MAD
	} {
		got := c.s.score(c.x, c.floor)
		if math.Abs(got-c.want) > 1e-9 || (got > DefaultThreshold) != c.overDefault {
			t.Errorf("%+v, %g: score %g, want %g (over %g: %v)", c.s, c.x, got, c.want, DefaultThreshold, c.overDefault)
		}
	}
}

// TestDistance: great-circle distances of known city pairs, to within 1%.
func TestDistance(t *testing.T) {
	for _, c := range []struct {
		name                   string
		lat1, lon1, lat2, lon2 float64
		km                     float64
	}{
		{"Tokyo–Frankfurt", 35.6895, 139.6917, 50.1109, 8.6821, 9330},
		{"London–New York", 51.5074, -0.1278, 40.7128, -74.0060, 5570},
		{"Sydney–Santiago", -33.8688, 151.2093, -33.4489, -70.6693, 11350},
		{"same place", 10, 20, 10, 20, 0},
	} {
		got := distanceKm(c.lat1, c.lon1, c.lat2, c.lon2)
		if math.Abs(got-c.km) > c.km/100+0.001 {
			t.Errorf("%s: %.0f km, want %.0f", c.name, got, c.km)
		}
	}
}

func TestHourList(t *testing.T) {
	var h [24]int
	for _, i := range []int{0, 1, 2, 5, 9, 10, 11, 23} {
		h[i] = 1
	}
	if got, want := hourList(h), "00–02, 05, 09–11, 23"; got != want {
		t.Errorf("hourList: %q, want %q", got, want)
	}
}
