package baseline

import (
	"math"
	"slices"
)

// The rule of the rates: a bucket's score is the modified z-score of Iglewicz and Hoaglin,
//
//	score = 0.6745 × (count − median) / max(MAD, MADFloor)
//
// where median and MAD (the median of |x − median|) are those of the baseline's hourly counts, every hour
// of the baseline counted, quiet ones as 0. 0.6745 makes the MAD of normal data comparable to its standard
// deviation. A bucket scoring more than Threshold is flagged. The floor keeps a flat baseline (MAD 0) from
// making any increase infinite: with a floor of 1, a bucket is flagged when it holds more than
// median + Threshold/0.6745 (5.2 at 3.5) calls.
const zScale = 0.6745

// Defaults of Query.
const (
	DefaultThreshold  = 3.5
	DefaultMADFloor   = 1.0
	DefaultMinSignIns = 5
	DefaultSpeed      = 1000.0 // km/h
	DefaultMinKm      = 500.0  // km
)

// spread is the median and MAD of a baseline's hourly counts.
type spread struct{ median, mad float64 }

// spreadOf returns the median and MAD of the counts, with zeros more zero counts (the quiet hours).
func spreadOf(counts []float64, zeros int) spread {
	xs := make([]float64, 0, len(counts)+zeros)
	xs = append(xs, counts...)
	for range zeros {
		xs = append(xs, 0)
	}
	if len(xs) == 0 {
		return spread{}
	}
	m := median(xs)
	for i, x := range xs {
		xs[i] = math.Abs(x - m)
	}
	return spread{median: m, mad: median(xs)}
}

// median sorts xs and returns its median.
func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// score is the modified z-score of x against s, with the MAD floored.
func (s spread) score(x, floor float64) float64 {
	return zScale * (x - s.median) / math.Max(s.mad, floor)
}

// earthKm is the mean radius of the Earth.
const earthKm = 6371.0

// distanceKm is the great-circle distance between two points (degrees), by the haversine formula.
func distanceKm(lat1, lon1, lat2, lon2 float64) float64 {
	rad := math.Pi / 180
	dlat, dlon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * earthKm * math.Asin(math.Min(1, math.Sqrt(a)))
}
