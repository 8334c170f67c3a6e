package baseline

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"
)

// series is the hourly counts of one event name or principal.
type series struct {
	base   map[int64][2]int64 // calls and errors by hour
	period []bucket
}

type bucket struct{ hour, calls, errors int64 }

// maxRateEvidence is how many flagged hours get their first event IDs (a query each).
const maxRateEvidence = 100

// rates compares the period's hourly call and error counts of each event name, and of each principal the
// baseline knows, with the hours of the baseline.
func (r *run) rates(ctx context.Context) error {
	events, principals := newSeriesSet(), newSeriesSet()
	first := int64(math.MaxInt64)
	err := r.rows(ctx, r.q.ratesSQL(), false, func(v []any) error {
		set, key := events, v[0]
		if key == nil {
			set, key = principals, v[1]
		}
		hour := number(v[2])
		if number(v[3]) == 0 {
			first = min(first, hour)
		}
		set.add(text(key), hour, number(v[3]) == 1, number(v[4]), number(v[5]))
		return nil
	})
	if err != nil {
		return fmt.Errorf("read the hourly counts: %w", err)
	}
	if first == math.MaxInt64 {
		r.note("The baseline holds no events with a caller ARN: the rates are not compared.")
		return nil
	}
	// The baseline's hours, from the first that holds an event (a store that starts within the baseline
	// does not make the hours before quiet).
	hours := int((r.q.Baseline.End.Add(-time.Nanosecond).Unix())/3600 - first + 1)
	for i, set := range []*seriesSet{events, principals} {
		byPrincipal := i == 1
		slices.Sort(set.keys)
		for _, key := range set.keys {
			s := set.all[key]
			if len(s.period) == 0 || byPrincipal && (r.prins[key] == nil || r.prins[key].baseN == 0) {
				continue
			}
			if err := r.judge(ctx, byPrincipal, key, s, hours); err != nil {
				return err
			}
		}
	}
	return nil
}

// seriesSet is the series of event names, or of principals.
type seriesSet struct {
	all  map[string]*series
	keys []string
}

func newSeriesSet() *seriesSet { return &seriesSet{all: map[string]*series{}} }

// add counts an hour of the series key.
func (ss *seriesSet) add(key string, hour int64, period bool, calls, errors int64) {
	s := ss.all[key]
	if s == nil {
		s = &series{base: map[int64][2]int64{}}
		ss.all[key] = s
		ss.keys = append(ss.keys, key)
	}
	if period {
		s.period = append(s.period, bucket{hour: hour, calls: calls, errors: errors})
		return
	}
	s.base[hour] = [2]int64{calls, errors}
}

// judge flags the period's hours of a series far above its baseline: its calls, and its errors.
func (r *run) judge(ctx context.Context, byPrincipal bool, key string, s *series, hours int) error {
	for errs := range 2 {
		var xs []float64
		for _, c := range s.base {
			if c[errs] > 0 {
				xs = append(xs, float64(c[errs]))
			}
		}
		sp := spreadOf(xs, hours-len(xs))
		slices.SortFunc(s.period, func(a, b bucket) int { return int(a.hour - b.hour) })
		for _, b := range s.period {
			n := b.calls
			if errs == 1 {
				n = b.errors
			}
			score := sp.score(float64(n), r.q.MADFloor)
			if n == 0 || score <= r.q.Threshold {
				continue
			}
			if err := r.flag(ctx, byPrincipal, key, b.hour, errs == 1, n, sp, score, hours); err != nil {
				return err
			}
		}
	}
	return nil
}

// flag reports a flagged hour with its first events.
func (r *run) flag(ctx context.Context, byPrincipal bool, key string, hour int64, errs bool, n int64, sp spread, score float64, hours int) error {
	what := "calls"
	if errs {
		what = "errors"
	}
	f := Finding{Time: time.Unix(hour*3600, 0).UTC(), Kind: Rate, Count: n, Median: sp.median, MAD: sp.mad, Score: math.Round(score*10) / 10}
	if byPrincipal {
		f.Principal = key
		f.Value = fmt.Sprintf("%d %s in the hour (all its calls)", n, what)
	} else {
		f.Value = fmt.Sprintf("%d %s of %s in the hour (all principals)", n, what, key)
		if r.q.Where != "" {
			f.Value = fmt.Sprintf("%d %s of %s in the hour", n, what, key)
		}
	}
	floor := ""
	if sp.mad < r.q.MADFloor {
		floor = fmt.Sprintf(" (floor %g)", r.q.MADFloor)
	}
	f.Baseline = fmt.Sprintf("hourly median %g, MAD %g%s over %d hours of %s: score %.1f > %g", sp.median, sp.mad, floor, hours,
		r.q.BaselineText(), f.Score, r.q.Threshold)
	r.rateFlags++
	if r.rateFlags <= maxRateEvidence {
		err := r.rows(ctx, r.q.evidenceSQL(byPrincipal, key, hour, errs, maxEvidence), false, func(v []any) error {
			f.Evidence = append(f.Evidence, text(v[0]))
			return nil
		})
		if err != nil {
			return fmt.Errorf("read the events of a flagged hour: %w", err)
		}
	}
	r.add(f)
	return nil
}
