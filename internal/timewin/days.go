package timewin

import "time"

// Days is a range of UTC dates, From to To, both included: the key dates of log files (a log file's key names the
// UTC date it was delivered), or the dates a query's eventtime bounds allow. Only the dates count, not the time
// of day. A zero From or To is open: no first or last date.
type Days struct {
	From, To time.Time
}

// date is the UTC date of t, as midnight UTC.
func date(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

// Dates returns the dates of the range in order; nil when either end is open.
func (d Days) Dates() []time.Time {
	if d.From.IsZero() || d.To.IsZero() {
		return nil
	}
	var dates []time.Time
	for day, to := date(d.From), date(d.To); !day.After(to); day = day.AddDate(0, 0, 1) {
		dates = append(dates, day)
	}
	return dates
}

// Contains reports whether the date of t (in UTC) is in the range.
func (d Days) Contains(t time.Time) bool {
	day := date(t)
	return (d.From.IsZero() || !day.Before(date(d.From))) && (d.To.IsZero() || !day.After(date(d.To)))
}

// Intersect returns the dates in both ranges: the later From and the earlier To (an open end gives way to the
// other's). The result is empty (From after To) when the ranges do not meet.
func (d Days) Intersect(o Days) Days {
	if d.From.IsZero() || !o.From.IsZero() && o.From.After(d.From) {
		d.From = o.From
	}
	if d.To.IsZero() || !o.To.IsZero() && o.To.Before(d.To) {
		d.To = o.To
	}
	return d
}

// UpTo returns the range with an open To, or one after now's UTC date, ending on now's UTC date.
func (d Days) UpTo(now time.Time) Days {
	if today := date(now); d.To.IsZero() || date(d.To).After(today) {
		d.To = today
	}
	return d
}

// Period returns the instants of the range's dates: from the first date's UTC midnight to the midnight after the
// last date (either open when that end is).
func (d Days) Period() Period {
	var p Period
	if !d.From.IsZero() {
		p.Start = date(d.From)
	}
	if !d.To.IsZero() {
		p.End = date(d.To).AddDate(0, 0, 1)
	}
	return p
}

// String writes the range as dates: "2024-09-01 to 2024-09-07", "from 2024-09-01", "to 2024-09-07".
func (d Days) String() string {
	switch {
	case d.From.IsZero() && d.To.IsZero():
		return "any date"
	case d.To.IsZero():
		return "from " + date(d.From).Format(time.DateOnly)
	case d.From.IsZero():
		return "to " + date(d.To).Format(time.DateOnly)
	}
	return date(d.From).Format(time.DateOnly) + " to " + date(d.To).Format(time.DateOnly)
}
