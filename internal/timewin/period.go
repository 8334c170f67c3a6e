package timewin

import "time"

// Period is the instants from Start (included) to End (left out); a zero bound is open.
type Period struct {
	Start, End time.Time
}

// Contains reports whether the instant t is in the period.
func (p Period) Contains(t time.Time) bool {
	return (p.Start.IsZero() || !t.Before(p.Start)) && (p.End.IsZero() || t.Before(p.End))
}

// DefaultLag is how long after an event its log file may be delivered (--lag): the key dates of a period run to
// its end plus this margin. CloudTrail delivers within about 15 minutes, sometimes later.
const DefaultLag = 3 * time.Hour

// KeyDays returns the UTC key dates of the log files that may hold the period's events. A log file is filed under
// its delivery time, at or after its events' eventTime and at most lag after it, so the dates run from the
// period's start to its end (or now, when the end is open or after now) plus lag. ok is false when the period
// has no start: any log file may hold its events.
func (p Period) KeyDays(now time.Time, lag time.Duration) (d Days, ok bool) {
	if p.Start.IsZero() {
		return Days{}, false
	}
	end := p.End
	if end.IsZero() || end.After(now) {
		end = now
	}
	if end.Before(p.Start) {
		end = p.Start
	}
	// The last instant of the period, then the delivery margin.
	last := end.Add(-time.Nanosecond).Add(lag)
	if last.Before(p.Start) {
		last = p.Start
	}
	return Days{From: date(p.Start), To: date(last)}, true
}
