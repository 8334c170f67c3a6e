package signin

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"time"

	"github.com/trailq/trailq/internal/timewin"
)

// Series names of the chart.
const (
	SeriesSuccess = "Success"
	SeriesFailure = "Failure"
	SeriesOther   = "Unknown"
)

// Bucket is one bar of the chart: the sign-ins that started in [Start, Start+step) in the chart's zone.
type Bucket struct {
	Start                     time.Time
	Success, Failure, Unknown int
}

// Buckets counts events per hour (for periods up to 3 days), day (up to 400 days) or month, in loc, from p's
// start (or the first event) to its end (or the last event).
func Buckets(events []Event, p timewin.Period, loc *time.Location) (step string, buckets []Bucket) {
	from, to := p.Start, p.End
	if len(events) > 0 {
		if from.IsZero() {
			from = events[0].Time
		}
		if to.IsZero() {
			to = events[len(events)-1].Time.Add(time.Second)
		}
	}
	if from.IsZero() || to.IsZero() || !to.After(from) {
		return "day", nil
	}
	from, to = from.In(loc), to.In(loc)
	span := to.Sub(from)
	var trunc func(time.Time) time.Time
	var next func(time.Time) time.Time
	switch {
	case span <= 72*time.Hour:
		step = "hour"
		trunc = func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), 0, 0, 0, loc) }
		next = func(t time.Time) time.Time { return t.Add(time.Hour) }
	case span <= 400*24*time.Hour:
		step = "day"
		trunc = func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc) }
		next = func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }
	default:
		step = "month"
		trunc = func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc) }
		next = func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }
	}
	index := map[int64]int{}
	for t := trunc(from); t.Before(to); t = next(t) {
		index[t.Unix()] = len(buckets)
		buckets = append(buckets, Bucket{Start: t})
	}
	for _, e := range events {
		i, ok := index[trunc(e.Time.In(loc)).Unix()]
		if !ok {
			continue
		}
		switch e.Result {
		case Success:
			buckets[i].Success++
		case Failure:
			buckets[i].Failure++
		default:
			buckets[i].Unknown++
		}
	}
	return step, buckets
}

// The chart's geometry, in pixels, shared by the SVG and PNG forms: a plot area inside margins, bars stacked
// Success, Failure, Unknown from the bottom.
const (
	chartWidth, chartHeight                      = 960, 360
	chartLeft, chartRight, chartTop, chartBottom = 56, 16, 52, 56
	plotW, plotH                                 = chartWidth - chartLeft - chartRight, chartHeight - chartTop - chartBottom
)

// Series colours (SVG form).
const colSuccess, colFail, colU = "#2e7d32", "#c62828", "#9e9e9e"

// chartData is what both chart forms draw.
type chartData struct {
	step    string
	buckets []Bucket
	yMax    int     // the top of the y axis
	bw      float64 // the width of one bucket
	layout  string  // time layout of bucket labels
}

func newChartData(events []Event, p timewin.Period, loc *time.Location) *chartData {
	step, buckets := Buckets(events, p, loc)
	maxN := 0
	for _, b := range buckets {
		maxN = max(maxN, b.Success+b.Failure+b.Unknown)
	}
	c := &chartData{step: step, buckets: buckets, yMax: niceCeil(maxN), bw: float64(plotW),
		layout: map[string]string{"hour": "2006-01-02 15:00", "day": "2006-01-02", "month": "2006-01"}[step]}
	if len(buckets) > 0 {
		c.bw = float64(plotW) / float64(len(buckets))
	}
	return c
}

// y is the height of n sign-ins.
func (c *chartData) y(n int) float64 { return float64(plotH) * float64(n) / float64(c.yMax) }

// WriteChart draws the sign-ins over time as an SVG bar chart, stacked by result: one <g> per series
// (class "series", data-series Success, Failure or Unknown) holding one <rect> per non-empty bucket, with a
// <title> giving its period and count.
func WriteChart(w io.Writer, title string, events []Event, period timewin.Period, loc *time.Location) error {
	c := newChartData(events, period, loc)
	const (
		width, height            = chartWidth, chartHeight
		left, right, top, bottom = chartLeft, chartRight, chartTop, chartBottom
	)
	step, buckets, yMax, bw, y, layout := c.step, c.buckets, c.yMax, c.bw, c.y, c.layout

	bw2 := bufio.NewWriter(w)
	p := func(format string, a ...any) { fmt.Fprintf(bw2, format, a...) }
	p(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	p(`<title>%s</title>`+"\n", html.EscapeString(title))
	p(`<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)
	p(`<text x="%d" y="20" font-size="14" font-weight="bold">%s</text>`+"\n", left, html.EscapeString(title))
	// Legend.
	for i, s := range [][2]string{{SeriesSuccess, colSuccess}, {SeriesFailure, colFail}, {SeriesOther, colU}} {
		x := left + i*100
		p(`<rect x="%d" y="28" width="12" height="12" fill="%s"/><text x="%d" y="39">%s</text>`+"\n", x, s[1], x+16, s[0])
	}
	// Axes and grid.
	for i := 0; i <= 4; i++ {
		n := yMax * i / 4
		yy := float64(top+plotH) - y(n)
		p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e0e0e0"/>`, left, yy, left+plotW, yy)
		p(`<text x="%d" y="%.1f" text-anchor="end">%d</text>`+"\n", left-6, yy+4, n)
	}
	p(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#424242"/>`+"\n", left, top+plotH, left+plotW, top+plotH)
	labelEvery := max(1, len(buckets)/8)
	for i, b := range buckets {
		if i%labelEvery == 0 {
			p(`<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", float64(left)+bw*(float64(i)+0.5), top+plotH+18, b.Start.Format(layout))
		}
	}
	p(`<text x="%d" y="%d" text-anchor="middle">sign-ins per %s (%s)</text>`+"\n", left+plotW/2, height-10, step, html.EscapeString(loc.String()))
	// Series, stacked: Success at the bottom, then Failure, then Unknown.
	series := []struct {
		name, color string
		n           func(Bucket) int
		below       func(Bucket) int
	}{
		{SeriesSuccess, colSuccess, func(b Bucket) int { return b.Success }, func(Bucket) int { return 0 }},
		{SeriesFailure, colFail, func(b Bucket) int { return b.Failure }, func(b Bucket) int { return b.Success }},
		{SeriesOther, colU, func(b Bucket) int { return b.Unknown }, func(b Bucket) int { return b.Success + b.Failure }},
	}
	for _, s := range series {
		p(`<g class="series" data-series="%s" fill="%s">`+"\n", s.name, s.color)
		for i, b := range buckets {
			n := s.n(b)
			if n == 0 {
				continue
			}
			x := float64(left) + bw*float64(i) + bw*0.1
			yTop := float64(top+plotH) - y(s.below(b)+n)
			p(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" data-count="%d"><title>%s %s: %d</title></rect>`+"\n",
				x, yTop, bw*0.8, y(n), n, b.Start.Format(layout), s.name, n)
		}
		p("</g>\n")
	}
	p("</svg>\n")
	return bw2.Flush()
}

// niceCeil rounds n up to 1, 2 or 5 times a power of ten, and at least 4 so the grid has whole numbers.
func niceCeil(n int) int {
	if n <= 4 {
		return 4
	}
	for p := 1; ; p *= 10 {
		for _, m := range []int{1, 2, 5} {
			if m*p*4 >= n && (m*p*4)%4 == 0 {
				return m * p * 4
			}
		}
	}
}
