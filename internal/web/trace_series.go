package web

import (
	"cmp"
	"slices"
	"time"

	"github.com/trailq/trailq/internal/trace"
)

// traceStep is the chart's bucket for a period of the given length: hours up to 3 days, days up to 120, else
// months.
func traceStep(from, end time.Time) string {
	switch d := end.Sub(from); {
	case d <= 3*24*time.Hour:
		return "hour"
	case d <= 120*24*time.Hour:
		return "day"
	}
	return "month"
}

// bucketStart is the start, in loc, of the bucket of step that holds t.
func bucketStart(t time.Time, step string, loc *time.Location) time.Time {
	t = t.In(loc)
	switch step {
	case "hour":
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), 0, 0, 0, loc)
	case "month":
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// nextBucket is the start of the bucket after start.
func nextBucket(start time.Time, step string) time.Time {
	switch step {
	case "hour":
		return start.Add(time.Hour)
	case "month":
		return time.Date(start.Year(), start.Month()+1, 1, 0, 0, 0, 0, start.Location())
	}
	return time.Date(start.Year(), start.Month(), start.Day()+1, 0, 0, 0, 0, start.Location())
}

// traceSeries counts the events of [from, end) per bucket by result: worked, denied, another error.
func traceSeries(events []trace.Event, from, end time.Time, loc *time.Location) (string, []TraceBucket) {
	step := traceStep(from, end)
	series := []TraceBucket{}
	at := map[int64]int{}
	for t := bucketStart(from, step, loc); t.Before(end); t = nextBucket(t, step) {
		at[t.Unix()] = len(series)
		series = append(series, TraceBucket{Start: t.Format(time.RFC3339), Label: bucketLabel(t, step)})
	}
	for i := range events {
		e := &events[i]
		j, ok := at[bucketStart(e.Time, step, loc).Unix()]
		if e.Time.IsZero() || !ok {
			continue
		}
		switch b := &series[j]; {
		case e.Denied():
			b.Denied++
		case e.Result() != "OK":
			b.Failed++
		default:
			b.OK++
		}
	}
	return step, series
}

// arnCounts counts the events by their caller's ARN, most first, then by ARN.
func arnCounts(events []trace.Event) []trace.Count {
	m := map[string]*trace.Count{}
	for i := range events {
		e := &events[i]
		if e.ARN == "" {
			continue
		}
		c := m[e.ARN]
		if c == nil {
			c = &trace.Count{Value: e.ARN, First: e.Time, Last: e.Time}
			m[e.ARN] = c
		}
		c.Count++
		if e.Time.Before(c.First) {
			c.First = e.Time
		}
		if e.Time.After(c.Last) {
			c.Last = e.Time
		}
	}
	out := make([]trace.Count, 0, len(m))
	for _, c := range m {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b trace.Count) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.Value, b.Value)
	})
	return out
}
