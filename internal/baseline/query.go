package baseline

import (
	"fmt"
	"strings"
	"time"

	"github.com/trailq/trailq/internal/timewin"
)

// DefaultBaseline is how long before the period the baseline is unless told.
const DefaultBaseline = 28 * 24 * time.Hour

// Query says what to compare with what.
type Query struct {
	// Period is the period looked at: it must have a start; an open end is now (Now).
	Period timewin.Period
	// Baseline is what it is compared with; zero: the DefaultBaseline before Period.Start. It must end by
	// Period.Start.
	Baseline timewin.Period
	// Where, when set, is a condition (Athena SQL over cloudtrail_logs) that limits the events, in both
	// periods (a principal, a key, a role: trace.Query.Where).
	Where string
	// Now ends an open period.
	Now time.Time
	// Zone is the auditor's zone, whose hours the hour rule compares; nil is UTC.
	Zone *time.Location
	// GeoIP, when set, gives the ASN and country findings and impossible travel.
	GeoIP *GeoIP
	// Threshold is the score above which an hour's count is flagged; MADFloor the least MAD of its formula.
	Threshold, MADFloor float64
	// MinSignIns is how many sign-ins of a principal the baseline must hold for the hour rule to judge it.
	MinSignIns int
	// Speed (km/h) and MinKm (km): two consecutive sign-ins at least MinKm apart, faster than Speed, are
	// impossible travel.
	Speed, MinKm float64
}

// check fills the defaults and refuses what cannot be compared.
func (q *Query) check() error {
	p := &q.Period
	if p.Start.IsZero() {
		return fmt.Errorf("give the period to look at with --since: what is new is new since a time")
	}
	if p.End.IsZero() {
		p.End = q.Now
	}
	if !p.End.After(p.Start) {
		return fmt.Errorf("the period ends (%s) before it starts (%s)", p.End.Format(time.RFC3339), p.Start.Format(time.RFC3339))
	}
	b := &q.Baseline
	if b.End.IsZero() {
		b.End = p.Start
	}
	if b.Start.IsZero() {
		b.Start = b.End.Add(-DefaultBaseline)
	}
	switch {
	case !b.End.After(b.Start):
		return fmt.Errorf("the baseline ends (%s) before it starts (%s)", b.End.Format(time.RFC3339), b.Start.Format(time.RFC3339))
	case b.End.After(p.Start):
		return fmt.Errorf("the baseline (to %s) must end by the period's start (%s)", b.End.Format(time.RFC3339), p.Start.Format(time.RFC3339))
	}
	if q.Zone == nil {
		q.Zone = time.UTC
	}
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&q.Threshold, DefaultThreshold)
	def(&q.MADFloor, DefaultMADFloor)
	def(&q.Speed, DefaultSpeed)
	def(&q.MinKm, DefaultMinKm)
	if q.MinSignIns == 0 {
		q.MinSignIns = DefaultMinSignIns
	}
	return nil
}

// Load is the period of events a query reads: from the baseline's start to the period's end.
func (q Query) Load() timewin.Period {
	b := q.Baseline.Start
	if b.IsZero() {
		end := q.Baseline.End
		if end.IsZero() {
			end = q.Period.Start
		}
		b = end.Add(-DefaultBaseline)
	}
	return timewin.Period{Start: b, End: q.Period.End}
}

// BaselineText says what the baseline is: "the 28 days before", or its bounds.
func (q *Query) BaselineText() string {
	b := q.Baseline
	if b.End.Equal(q.Period.Start) {
		d := b.End.Sub(b.Start)
		if d%(24*time.Hour) == 0 {
			n := int(d / (24 * time.Hour))
			if n == 1 {
				return "the day before"
			}
			return fmt.Sprintf("the %d days before", n)
		}
		return "the " + d.String() + " before"
	}
	return "from " + b.Start.In(q.Zone).Format("2006-01-02 15:04") + " to " + b.End.In(q.Zone).Format("2006-01-02 15:04 MST")
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// ts is the event's time as a timestamp, in Athena SQL.
const ts = "try(from_iso8601_timestamp(eventtime))"

func instant(t time.Time) string {
	return "from_iso8601_timestamp(" + quote(t.UTC().Format(time.RFC3339Nano)) + ")"
}

// between holds for the events of [from, to); the text bounds, a day wider (an eventtime may carry an offset),
// let the store skip the row groups outside.
func between(from, to time.Time) string {
	return "eventtime >= " + quote(from.UTC().AddDate(0, 0, -1).Format(time.DateOnly)) +
		" AND eventtime < " + quote(to.UTC().AddDate(0, 0, 2).Format(time.DateOnly)) +
		" AND " + ts + " >= " + instant(from) + " AND " + ts + " < " + instant(to)
}

// window holds for the events of the baseline and the period.
func (q *Query) window() string {
	b, p := q.Baseline, q.Period
	if b.End.Before(p.Start) {
		return "(" + between(b.Start, b.End) + " OR " + between(p.Start, p.End) + ")"
	}
	return between(b.Start, p.End)
}

// hasARN holds for the events with a caller ARN.
const hasARN = "useridentity.arn IS NOT NULL AND useridentity.arn <> ''"

// filter is the query's own condition, as an AND term ("" for none).
func (q *Query) filter() string {
	if q.Where == "" {
		return ""
	}
	return " AND (" + q.Where + ")"
}

// where holds for the query's events of the baseline and the period, with a caller ARN.
func (q *Query) where() string { return q.window() + " AND " + hasARN + q.filter() }

// IdentityCenter is the principal of an IAM Identity Center user's sign-ins, which carry no ARN.
func IdentityCenter(user string) string { return user + " (IAM Identity Center)" }

// inPeriod is 1 for an event of the period, 0 for one of the baseline.
func (q *Query) inPeriod() string {
	return "CASE WHEN " + ts + " >= " + instant(q.Period.Start) + " THEN 1 ELSE 0 END"
}

// combosSQL counts the events of each principal by source IP, user agent, region, service and event name, in
// the baseline and in the period, with the first event of each.
func (q *Query) combosSQL() string {
	return "SELECT useridentity.arn, coalesce(sourceipaddress, ''), coalesce(useragent, ''), coalesce(awsregion, ''), " +
		"coalesce(eventsource, ''), coalesce(eventname, ''), " + q.inPeriod() + ", count(*), min(eventtime), min_by(eventid, eventtime) " +
		"FROM cloudtrail_logs WHERE " + q.where() + " GROUP BY 1, 2, 3, 4, 5, 6, 7"
}

// signInsSQL selects the successful console sign-ins of the baseline and the period, by principal and time:
// ConsoleLogin (by ARN) and IAM Identity Center's UserAuthentication (by user name: the records have no ARN; a
// failed one writes no UserAuthentication).
func (q *Query) signInsSQL() string {
	return "SELECT CASE WHEN eventname = 'UserAuthentication' THEN useridentity.username || " + quote(IdentityCenter("")) +
		" ELSE useridentity.arn END AS principal, eventtime, eventid, coalesce(sourceipaddress, '') FROM cloudtrail_logs WHERE (" +
		"eventname = 'ConsoleLogin' AND json_extract_scalar(responseelements, '$.ConsoleLogin') = 'Success' AND " + hasARN +
		" OR eventname = 'UserAuthentication' AND eventsource IN ('signin.amazonaws.com', 'sso.amazonaws.com') AND coalesce(useridentity.username, '') <> '') AND " +
		q.window() + q.filter() + " ORDER BY 1, 2, 3"
}

// ratesSQL counts the calls and errors of each event name, and of each principal, per hour (the hours since
// 1970), in one scan: a row of an event name has a NULL principal, a row of a principal a NULL event name.
func (q *Query) ratesSQL() string {
	return "SELECT name, arn, hour, period, count(*), count_if(failed) FROM (SELECT coalesce(eventname, '') AS name, " +
		"useridentity.arn AS arn, CAST(floor(to_unixtime(" + ts + ") / 3600) AS bigint) AS hour, " + q.inPeriod() + " AS period, " +
		"coalesce(errorcode, '') <> '' AS failed FROM cloudtrail_logs WHERE " + q.where() + ") AS e " +
		"GROUP BY GROUPING SETS ((name, hour, period), (arn, hour, period))"
}

// evidenceSQL selects the first events of an hour's calls (errors only: the errors) of an event name or a principal.
func (q *Query) evidenceSQL(byPrincipal bool, key string, hour int64, errors bool, n int) string {
	from := time.Unix(hour*3600, 0)
	cond := between(from, from.Add(time.Hour)) + " AND " + hasARN
	if byPrincipal {
		cond += " AND useridentity.arn = " + quote(key)
	} else {
		cond += " AND eventname = " + quote(key)
	}
	if errors {
		cond += " AND coalesce(errorcode, '') <> ''"
	}
	cond += q.filter()
	return fmt.Sprintf("SELECT eventid FROM cloudtrail_logs WHERE %s ORDER BY eventtime, eventid LIMIT %d", cond, n)
}
