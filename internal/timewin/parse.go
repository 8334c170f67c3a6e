package timewin

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ParseSince reads a --since value in loc as the start of a period:
//
//   - a date, 2024-09-01: the start of that day in loc; a month, 2024-09: the start of its first day;
//   - a date-time, 2024-09-01T09:30 or 2024-09-01 09:30:15, in loc;
//   - an RFC 3339 time with its own offset, 2024-09-01T00:00:00Z (a lower-case t and z too);
//   - a relative time, 7d, 24h, 30m, 2w, 90s: that long before now (d and w are calendar days in loc);
//   - now, today, yesterday, this-month, last-month (as --until: the end of that day or month).
//
// A time before 1970 is refused (and the year 9999 is the last a date can name). Times are whole seconds: a
// fraction is dropped, so that a query comparing eventTime to the second is exact.
func ParseSince(s string, now time.Time, loc *time.Location) (time.Time, error) {
	return parse(s, now, loc, false)
}

// ParseUntil reads an --until value in loc as the end of a period, which the period leaves out: it takes what
// ParseSince takes, and a date or a month means the start of the next day or month, so that the whole day or
// month is in the period; a date-time's whole second is in it.
func ParseUntil(s string, now time.Time, loc *time.Location) (time.Time, error) {
	return parse(s, now, loc, true)
}

var relativeRE = regexp.MustCompile(`^(\d+)\s*(s|m|h|d|w)$`)

// dateTimeLayouts are the local date-time forms --since and --until accept (in the chosen zone).
var dateTimeLayouts = []string{
	"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04",
}

// parse reads a --since (end false) or --until (end true) value in loc.
func parse(s string, now time.Time, loc *time.Location, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	now = now.In(loc).Truncate(time.Second)
	midnight := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc) }
	dayBound := func(t time.Time) time.Time {
		if end {
			return t.AddDate(0, 0, 1)
		}
		return t
	}
	switch strings.ToLower(s) {
	case "":
		return time.Time{}, fmt.Errorf("empty time")
	case "now":
		return now, nil
	case "today":
		return dayBound(midnight(now)), nil
	case "yesterday":
		return dayBound(midnight(now).AddDate(0, 0, -1)), nil
	case "this-month", "last-month":
		first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
		if strings.EqualFold(s, "last-month") {
			first = first.AddDate(0, -1, 0)
		}
		if end {
			return first.AddDate(0, 1, 0), nil
		}
		return first, nil
	}
	if m := relativeRE.FindStringSubmatch(strings.ToLower(s)); m != nil {
		return relative(s, m[1], m[2], now, loc)
	}
	// checked returns bound, the period's bound for the time t that s names, unless t's calendar year (in its
	// own zone) is before minYear.
	checked := func(t, bound time.Time) (time.Time, error) {
		if t.Year() < minYear {
			return time.Time{}, fmt.Errorf("read time %q: it is before %d: give a time from %d-01-01 on", s, minYear, minYear)
		}
		return bound, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return checked(t, dayBound(t))
	}
	if t, err := time.ParseInLocation("2006-01", s, loc); err == nil {
		if end {
			return checked(t, t.AddDate(0, 1, 0))
		}
		return checked(t, t)
	}
	// RFC 3339 allows a lower-case t and z.
	if t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s)); err == nil {
		return checked(t, wholeSecond(t, end))
	}
	for _, layout := range dateTimeLayouts {
		if t, err := time.ParseInLocation(layout, strings.ToUpper(s), loc); err == nil {
			if err := wallClock(s, layout, t, loc); err != nil {
				return time.Time{}, err
			}
			return checked(t, wholeSecond(t, end))
		}
	}
	return time.Time{}, fmt.Errorf("read time %q: use a date (2024-09-01), a date-time (2024-09-01T09:30), "+
		"an RFC 3339 time (2024-09-01T00:00:00Z) or a relative time (7d, 24h)", s)
}

// minYear is the first year a time may be in: CloudTrail began in 2013, and a time before 1970 is a mistake (a
// relative time of 100000000d).
const minYear = 1970

// relativeUnits are the units of a relative time; d and w are calendar days in the zone.
var relativeUnits = map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}

// relative returns the time n units before now (a relative --since such as 7d), refusing one before minYear.
func relative(s, num, unit string, now time.Time, loc *time.Location) (time.Time, error) {
	back := func(n int64) time.Time {
		switch unit {
		case "d":
			return now.AddDate(0, 0, -int(n))
		case "w":
			return now.AddDate(0, 0, -7*int(n))
		}
		return now.Add(-time.Duration(n) * relativeUnits[unit])
	}
	first := time.Date(minYear, 1, 1, 0, 0, 0, 0, loc)
	most := int64(now.Sub(first) / relativeUnits[unit])
	for most > 0 && back(most).Before(first) { // a calendar day across a change of offset is not 24 hours
		most--
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n > most {
		return time.Time{}, fmt.Errorf("read time %q: it is before %d: give at most %d%s, or a date from %d-01-01 on", s, minYear, most, unit, minYear)
	}
	return back(n), nil
}

// wholeSecond drops a date-time's fraction of a second; an --until date-time includes its whole second.
func wholeSecond(t time.Time, end bool) time.Time {
	t = t.Truncate(time.Second)
	if end {
		return t.Add(time.Second)
	}
	return t
}

// wallClock refuses a local date-time that names no instant in loc (in the hour the clocks skip) or two (in
// the hour they repeat), naming the readings: Go would shift the first and take the earlier of the second.
func wallClock(s, layout string, t time.Time, loc *time.Location) error {
	if t.Format(layout) != strings.ToUpper(s) {
		return fmt.Errorf("read time %q: there is no such time in %s (the clocks went forward then): give another, or an offset (%s)",
			s, loc, t.Format(time.RFC3339))
	}
	for _, d := range []time.Duration{time.Hour, -time.Hour, 30 * time.Minute, -30 * time.Minute} {
		if o := t.Add(d).In(loc); o.Format(layout) == t.Format(layout) {
			a, b := t, o
			if b.Before(a) {
				a, b = b, a
			}
			return fmt.Errorf("read time %q: it happens twice in %s (the clocks went back then): give its offset, %s or %s",
				s, loc, a.Format(time.RFC3339), b.Format(time.RFC3339))
		}
	}
	return nil
}
