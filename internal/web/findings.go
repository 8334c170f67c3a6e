package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/sigma"
	"github.com/trailq/trailq/internal/signin"
	"github.com/trailq/trailq/internal/timewin"
)

// DetectFunc runs the built-in rules over the store's events of the period (an instant range [Start, End)), as
// trailq detect does; a zero period means the whole store, whose findings the engine reads from the store's
// findings table when that is current. The server holds its read handle while it runs, so no load changes the
// store meanwhile.
type DetectFunc func(ctx context.Context, period timewin.Period) (*engine.DetectResult, error)

// FindingRow is one finding of GET /api/findings; the fields are trailq detect's columns.
type FindingRow struct {
	ID          string   `json:"id"`
	RuleID      string   `json:"rule_id"`
	Title       string   `json:"title"`
	Level       string   `json:"level"` // informational, low, medium, high or critical
	Author      string   `json:"author"`
	License     string   `json:"license"`
	RuleSet     string   `json:"rule_set"`
	RuleVersion string   `json:"rule_version"`
	Techniques  []string `json:"techniques"`
	First       string   `json:"first"`     // RFC 3339 in the requested zone, with its offset ("" when unknown)
	Last        string   `json:"last"`      // RFC 3339 in the requested zone, with its offset
	FirstUTC    string   `json:"first_utc"` // RFC 3339 in UTC
	LastUTC     string   `json:"last_utc"`
	Principal   string   `json:"principal"`
	Account     string   `json:"account"`
	Region      string   `json:"region"`
	SourceIPs   []string `json:"source_ips"`
	Count       int64    `json:"count"`
	EventIDs    []string `json:"event_ids"` // every evidence event's eventid, in time order
	Summary     string   `json:"summary"`
	ComputedAt  string   `json:"computed_at"` // RFC 3339 in UTC
	// PrincipalSQL and IPSQL are Athena SQL for the query page: every event of the evidence events' principals
	// (by ARN), and every event from the finding's source IPs ("" when it has none).
	PrincipalSQL string `json:"principal_sql"`
	IPSQL        string `json:"ip_sql"`
}

// maxSQLEventIDs bounds the evidence events a finding's principal query names (it goes into a URL).
const maxSQLEventIDs = 50

// activityColumns are the columns the activity queries of a finding select.
const activityColumns = "eventtime, eventsource, eventname, useridentity.arn AS arn, sourceipaddress, awsregion, " +
	"recipientaccountid, errorcode, eventid"

func sqlList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
	}
	return strings.Join(q, ", ")
}

// activitySQL returns the queries of a finding's principals' and source IPs' events. The principals are those
// of the evidence events (by ARN, else principal ID), found by their event IDs: a finding whose events have none
// has no principal query.
func activitySQL(f *engine.Finding) (principal, ip string) {
	var ids []string
	for _, id := range f.EventIDs {
		if id != "" && len(ids) < maxSQLEventIDs {
			ids = append(ids, id)
		}
	}
	if len(ids) > 0 {
		principal = "-- every event of the principals of this finding's evidence events (" + oneLine(f.Principal) + ")\n" +
			"SELECT " + activityColumns + "\nFROM cloudtrail_logs\n" +
			"WHERE coalesce(useridentity.arn, useridentity.principalid) IN (\n" +
			"  SELECT coalesce(useridentity.arn, useridentity.principalid) FROM cloudtrail_logs\n" +
			"  WHERE eventid IN (" + sqlList(ids) + "))\nORDER BY eventtime"
	}
	if len(f.SourceIPs) > 0 {
		ip = "-- every event from this finding's source IPs\nSELECT " + activityColumns + "\nFROM cloudtrail_logs\n" +
			"WHERE sourceipaddress IN (" + sqlList(f.SourceIPs) + ")\nORDER BY eventtime"
	}
	return principal, ip
}

// oneLine keeps a value from the logs on one line of an SQL comment.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029 || r == 0x85 {
			return ' '
		}
		return r
	}, s)
}

// LevelCount is how many findings of the period have one level.
type LevelCount struct {
	Level string `json:"level"`
	Count int    `json:"count"`
}

// RuleCount is how many findings of the period one rule made.
type RuleCount struct {
	RuleID string `json:"rule_id"`
	Title  string `json:"title"`
	Level  string `json:"level"`
	Count  int    `json:"count"`
}

// FindingsReport is the body of GET /api/findings.
type FindingsReport struct {
	From  string `json:"from"` // first date, in the zone
	To    string `json:"to"`   // last date (inclusive), in the zone
	TZ    string `json:"tz"`
	Start string `json:"start"` // the period as RFC 3339 instants [start, end)
	End   string `json:"end"`
	// Rules is how many built-in rules ran; Total how many findings they made in the period.
	Rules int `json:"rules"`
	Total int `json:"total"`
	// Stored is true when the period holds every event of the store and the findings were read from the store's
	// findings table (computed after the last load, at StoredAt, RFC 3339 in UTC) rather than computed now.
	Stored   bool   `json:"stored"`
	StoredAt string `json:"stored_at,omitempty"`
	// BySeverity (every level, highest first) and ByRule (the rules with findings, most first) count the
	// period's findings before the severity and rule filters.
	BySeverity []LevelCount `json:"by_severity"`
	ByRule     []RuleCount  `json:"by_rule"`
	// Findings are those that pass the filters, newest first; Count is how many.
	Count    int          `json:"count"`
	Findings []FindingRow `json:"findings"`
}

// findingsFilter reads severity (the lowest level shown, as trailq detect --severity) and rule (rule ids,
// comma-separated or repeated).
func findingsFilter(q url.Values) (min sigma.Level, rules []string, err error) {
	if s := strings.TrimSpace(q.Get("severity")); s != "" {
		min = sigma.Level(strings.ToLower(s))
		if min.Rank() == 0 {
			return "", nil, fmt.Errorf("severity: want informational, low, medium, high or critical, got %q", s)
		}
	}
	for _, v := range q["rule"] {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				rules = append(rules, s)
			}
		}
	}
	return min, rules, nil
}

func (s *Server) handleFindings(w http.ResponseWriter, r *http.Request) {
	if s.opts.Detect == nil {
		writeError(w, http.StatusNotImplemented, "this server does not run detection rules")
		return
	}
	from, to, loc, err := period(r.URL.Query(), s.opts.Now())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	min, rules, err := findingsFilter(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	// The read lock keeps a load from changing the store while the rules read it.
	ctx, st, done, ok := s.reading(w, r)
	if !ok {
		return
	}
	defer done()
	p := timewin.Period{Start: from, End: to.AddDate(0, 0, 1)}
	run := p
	if all, err := holdsAll(ctx, st, p); err != nil {
		writeError(w, statusOf(ctx, err, http.StatusInternalServerError), "read the events' times: "+err.Error())
		return
	} else if all {
		// The same findings as over the period: the engine may read them from the findings table.
		run = timewin.Period{}
	}
	res, err := s.opts.Detect(ctx, run)
	if err != nil {
		s.opts.Log.Warn("findings", "err", err)
		writeError(w, statusOf(ctx, err, http.StatusInternalServerError), "run the rules: "+err.Error())
		return
	}
	known := map[string]bool{}
	for _, rule := range res.Rules {
		known[rule.ID] = true
	}
	for _, id := range rules {
		if !known[id] {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("rule: no built-in rule has the id %q (trailq detect --format json names them)", id))
			return
		}
	}
	writeJSON(w, http.StatusOK, findingsReport(res, from, to, loc, min, rules))
}

// holdsAll reports whether every event of the store is in p, its eventtime read as an instant as the rules read
// it for a period (an unreadable one is in no period). It stops at the first event outside.
func holdsAll(ctx context.Context, st *engine.Store, p timewin.Period) (bool, error) {
	// CAST AS TIMESTAMPTZ is what from_iso8601_timestamp, which the rules' period uses, is on DuckDB.
	at := func(t time.Time) string { return "CAST('" + t.UTC().Format(time.RFC3339Nano) + "' AS TIMESTAMPTZ)" }
	sql := `SELECT 1 FROM ` + engine.EventsTable + ` WHERE NOT coalesce(try_cast(eventtime AS TIMESTAMPTZ) >= ` + at(p.Start) +
		` AND try_cast(eventtime AS TIMESTAMPTZ) < ` + at(p.End) + `, false) LIMIT 1`
	rows, err := st.Query(ctx, sql)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	outside := rows.Next()
	if err := rows.Err(); err != nil {
		return false, err
	}
	return !outside, nil
}

// findingsReport builds the answer for the dates from..to (inclusive) in loc.
func findingsReport(res *engine.DetectResult, from, to time.Time, loc *time.Location, min sigma.Level, rules []string) *FindingsReport {
	rep := &FindingsReport{
		From: from.Format(dateLayout), To: to.Format(dateLayout), TZ: loc.String(),
		Start: from.Format(time.RFC3339), End: to.AddDate(0, 0, 1).Format(time.RFC3339),
		Rules: len(res.Rules), Total: len(res.Findings), Stored: res.Stored > 0,
		BySeverity: []LevelCount{}, ByRule: []RuleCount{}, Findings: []FindingRow{},
	}
	if rep.Stored {
		rep.StoredAt = signin.FormatTime(res.StoredAt, time.UTC)
	}
	levels := map[sigma.Level]int{}
	byRule := map[string]*RuleCount{}
	for i := range res.Findings {
		f := &res.Findings[i]
		levels[f.Level]++
		rc := byRule[f.RuleID]
		if rc == nil {
			rc = &RuleCount{RuleID: f.RuleID, Title: f.Title, Level: string(f.Level)}
			byRule[f.RuleID] = rc
		}
		rc.Count++
	}
	for _, l := range []sigma.Level{sigma.Critical, sigma.High, sigma.Medium, sigma.Low, sigma.Informational} {
		rep.BySeverity = append(rep.BySeverity, LevelCount{Level: string(l), Count: levels[l]})
	}
	for _, rc := range byRule {
		rep.ByRule = append(rep.ByRule, *rc)
	}
	slices.SortFunc(rep.ByRule, func(a, b RuleCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.RuleID, b.RuleID)
	})
	// Newest first: the engine orders them oldest first.
	for i := len(res.Findings) - 1; i >= 0; i-- {
		f := &res.Findings[i]
		if min != "" && f.Level.Rank() < min.Rank() || len(rules) > 0 && !slices.Contains(rules, f.RuleID) {
			continue
		}
		rep.Findings = append(rep.Findings, findingRow(f, loc))
	}
	rep.Count = len(rep.Findings)
	return rep
}

func findingRow(f *engine.Finding, loc *time.Location) FindingRow {
	nonNil := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	principalSQL, ipSQL := activitySQL(f)
	return FindingRow{
		ID: f.ID, RuleID: f.RuleID, Title: f.Title, Level: string(f.Level), Author: f.Author, License: f.License,
		RuleSet: f.RuleSet, RuleVersion: f.RuleVersion, Techniques: nonNil(f.Techniques),
		First: signin.FormatTime(f.First, loc), Last: signin.FormatTime(f.Last, loc),
		FirstUTC: signin.FormatTime(f.First, time.UTC), LastUTC: signin.FormatTime(f.Last, time.UTC),
		Principal: f.Principal, Account: f.Account, Region: f.Region, SourceIPs: nonNil(f.SourceIPs), Count: f.Count,
		EventIDs: nonNil(f.EventIDs), Summary: f.Summary, ComputedAt: signin.FormatTime(f.ComputedAt, time.UTC),
		PrincipalSQL: principalSQL, IPSQL: ipSQL,
	}
}
