package engine

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trailq/trailq/internal/athena"
	"github.com/trailq/trailq/internal/sigma"
	"github.com/trailq/trailq/internal/signin"
	"github.com/trailq/trailq/internal/store"
	"github.com/trailq/trailq/internal/timewin"
)

// detectRun runs rules on a store once.
type detectRun struct {
	e      *Engine
	st     *Store
	res    *DetectResult
	period timewin.Period
	// accounts and regions, when set, keep the events of those accounts and regions only.
	accounts, regions []string
	now               time.Time
	// rel is the relation the rules' SQL reads for cloudtrail_logs: the events, or those of the period.
	rel string
	// sandboxed is set when st is the sandboxed reader, whose Query runs the guard on every statement; on
	// another handle (the writer, after a load) prepare checks each statement itself.
	sandboxed bool
}

func (r *detectRun) run(ctx context.Context, rules []*sigma.Rule) error {
	var dets, corrs []*sigma.Rule
	for _, rule := range rules {
		if rule.Kind == sigma.Correlation {
			corrs = append(corrs, rule)
		} else {
			dets = append(dets, rule)
		}
	}
	if len(dets) == 0 && len(corrs) == 0 {
		return nil
	}
	var err error
	if r.rel, err = scopeRelation(r.period, r.accounts, r.regions); err != nil {
		return err
	}
	if len(dets) > 0 {
		if err := r.scan(ctx, dets); err != nil {
			return err
		}
	}
	var pending []*Finding
	for _, c := range corrs {
		fs, err := r.correlate(ctx, c)
		if err != nil {
			return err
		}
		pending = append(pending, fs...)
	}
	if len(pending) > 0 {
		if err := r.evidence(ctx, pending); err != nil {
			return err
		}
	}
	for _, f := range pending {
		r.res.Findings = append(r.res.Findings, *f)
	}
	return nil
}

// scopeRelation is what the rules read in place of cloudtrail_logs: the events view (with its object ids), or
// for a period the events whose eventtime, as an instant, is in it, and of the accounts and regions given (the
// partition columns: the key's account and region, else the record's). The text bounds, a day wider than the
// period (an eventtime may carry an offset), let DuckDB skip the row groups outside it before it reads any time.
func scopeRelation(p timewin.Period, accounts, regions []string) (string, error) {
	if p.Start.IsZero() && p.End.IsZero() && len(accounts) == 0 && len(regions) == 0 {
		return store.EventsTable, nil
	}
	var conds []string
	for _, f := range []struct {
		column string
		values []string
	}{{"account", accounts}, {"region", regions}} {
		if len(f.values) == 0 {
			continue
		}
		quoted := make([]string, len(f.values))
		for i, v := range f.values {
			quoted[i] = quote(v)
		}
		conds = append(conds, f.column+" IN ("+strings.Join(quoted, ", ")+")")
	}
	if !p.Start.IsZero() {
		conds = append(conds, "eventtime >= "+quote(p.Start.UTC().AddDate(0, 0, -1).Format(time.DateOnly)),
			"try(from_iso8601_timestamp(eventtime)) >= from_iso8601_timestamp("+quote(p.Start.UTC().Format(time.RFC3339Nano))+")")
	}
	if !p.End.IsZero() {
		conds = append(conds, "eventtime < "+quote(p.End.UTC().AddDate(0, 0, 2).Format(time.DateOnly)),
			"try(from_iso8601_timestamp(eventtime)) < from_iso8601_timestamp("+quote(p.End.UTC().Format(time.RFC3339Nano))+")")
	}
	sql, err := athena.NewTranslator(athena.Tables{Logs: store.EventsTable, LogsExt: store.EventsTable}).
		Translate("SELECT * FROM cloudtrail_logs WHERE " + strings.Join(conds, " AND "))
	if err != nil {
		return "", fmt.Errorf("detect: scope: %w", err)
	}
	return "(" + sql + ")", nil
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// prepare translates a detection query (Athena SQL over cloudtrail_logs) to what runs over the relation. The
// guard judges it as it judges every query: the sandboxed reader as it runs it, else Query.Check here.
func (r *detectRun) prepare(ctx context.Context, sql string) (*Query, error) {
	tq, err := athena.NewTranslator(athena.Tables{Logs: r.rel, LogsExt: r.rel}).TranslateQuery(sql)
	if err != nil {
		return nil, err
	}
	q := &Query{SQL: tq.SQL, tq: tq}
	if !r.sandboxed {
		if err := q.Check(ctx); err != nil {
			return nil, err
		}
	}
	return q, nil
}

// query runs Athena SQL and calls fn with each row's values (reused by the next row).
func (r *detectRun) query(ctx context.Context, sql string, fn func(cols []Column, v []any) error) error {
	t0 := time.Now()
	q, err := r.prepare(ctx, sql)
	if err != nil {
		return err
	}
	r.res.Queries = append(r.res.Queries, q.SQL)
	t1 := time.Now()
	rows, err := q.Run(ctx, r.st)
	if err != nil {
		return err
	}
	defer func() {
		rows.Close()
		r.e.log().Debug("detect: query", "prepared", t1.Sub(t0), "ran", time.Since(t1), "bytes", len(q.SQL))
	}()
	cols := rows.Columns()
	for rows.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		v, err := rows.Values()
		if err != nil {
			return q.MapError(err)
		}
		if err := fn(cols, v); err != nil {
			return err
		}
	}
	return q.MapError(rows.Err())
}

// DetectScanSQL is the one query (Athena SQL over cloudtrail_logs) that runs every detection rule of rules: the
// events any of them matches, read once, each with the indexes in rules of the rules it matches ("0,3"), its
// eventid, its time in microseconds, its object, and in one text (whoSep between them, NULL as empty) the values
// signin.Principal names the principal from, then the region, source IP, event name and error code. (One text
// rather than as many columns: the driver's cost is per value, and an assumed-role rule can match most events.)
func DetectScanSQL(rules []*sigma.Rule) string {
	var cases, wheres []string
	for i, r := range rules {
		if r.Kind != sigma.Detection {
			continue
		}
		cases = append(cases, "CASE WHEN "+r.Where+" THEN '"+strconv.Itoa(i)+"' END")
		wheres = append(wheres, "("+r.Where+")")
	}
	if len(cases) == 0 {
		return ""
	}
	var who []string
	for _, f := range append(slices.Clone(signin.PrincipalFields), "awsregion", "sourceipaddress", "eventname", "errorcode") {
		who = append(who, "coalesce("+f+", '')")
	}
	return "SELECT concat_ws(',',\n  " + strings.Join(cases, ",\n  ") + ") AS trailq_rules,\n" +
		"  eventid, CAST(to_unixtime(try(from_iso8601_timestamp(eventtime))) * 1000000 AS BIGINT) AS trailq_us, _file_id,\n" +
		"  concat_ws(chr(31), " + strings.Join(who, ", ") + ") AS trailq_who" +
		"\nFROM cloudtrail_logs\nWHERE " + strings.Join(wheres, "\n  OR ")
}

// whoSep separates the values of the scan's trailq_who: chr(31), the unit separator.
const whoSep = "\x1f"

// detGroup is the events of one detection rule by one principal of one account in one hour.
type detGroup struct {
	rule               *sigma.Rule
	account, principal string
	hour               int64 // Unix hours; math.MinInt64 for events whose time is unreadable
	events             []evidence
	regions, ips       orderedSet
	names, errors      counts
	fileID             int64
}

type evidence struct {
	id string
	us int64 // Unix microseconds; math.MinInt64 when unknown
}

// who is the principal and account a scan row's principal values name.
type who struct{ principal, account string }

// groupKey is a detection group's key: the rule's index, the principal (one *who per distinct principal and
// account) and the hour.
type groupKey struct {
	rule int
	who  *who
	hour int64
}

// scan runs every detection rule in one query and makes findings of their events. A rule's events are grouped
// by account, principal and UTC hour: one person doing the thing again within the hour is one finding (the
// count grows), the same in the next hour is another, and the findings of a period do not change when later
// logs are loaded, so a finding's ID stays the same from run to run.
// cutWho cuts a row's trailq_who text without copying: the principal values are its first nf fields (returned
// as one text, the key of the principal), the region, source IP, event name and error code follow (into parts).
// A value holding the separator (more or fewer fields) leaves every field empty.
func cutWho(s string, nf int, parts *[4]string) string {
	if strings.Count(s, whoSep) != nf+3 {
		*parts = [4]string{}
		return strings.Repeat(whoSep, nf-1)
	}
	end := -1
	for range nf {
		end += 1 + strings.Index(s[end+1:], whoSep)
	}
	rest := s[end+1:]
	parts[0], rest, _ = strings.Cut(rest, whoSep)
	parts[1], rest, _ = strings.Cut(rest, whoSep)
	parts[2], parts[3], _ = strings.Cut(rest, whoSep)
	return s[:end]
}

func (r *detectRun) scan(ctx context.Context, rules []*sigma.Rule) error {
	groups := map[groupKey]*detGroup{}
	var order []*detGroup
	names := map[string]*who{} // the principal of each distinct principal part of trailq_who
	whos := map[who]*who{}     // one *who per distinct principal and account
	nf := len(signin.PrincipalFields)
	vals := make([]any, nf)
	var parts [4]string // the region, source IP, event name and error code of a row
	err := r.query(ctx, DetectScanSQL(rules), func(_ []Column, v []any) error {
		pkey := cutWho(text(v[4]), nf, &parts)
		w := names[pkey]
		if w == nil {
			for i, p := range strings.Split(pkey, whoSep) {
				vals[i] = p
			}
			var k who
			k.principal, k.account = signin.Principal(vals)
			if w = whos[k]; w == nil {
				w = &k
				whos[k] = w
			}
			names[strings.Clone(pkey)] = w
		}
		us, ok := v[2].(int64)
		hour := int64(math.MinInt64)
		if !ok {
			us = math.MinInt64
		} else {
			hour = floorDiv(us, 3600_000_000)
		}
		fileID, _ := v[3].(int64)
		id := text(v[1])
		list := text(v[0])
		for rest := list; ; {
			s, after, more := strings.Cut(rest, ",")
			i, err := strconv.Atoi(s)
			if err != nil || i < 0 || i >= len(rules) {
				return fmt.Errorf("the scan gave rule %q", list)
			}
			key := groupKey{i, w, hour}
			g := groups[key]
			if g == nil {
				g = &detGroup{rule: rules[i], account: w.account, principal: w.principal, hour: hour}
				groups[key] = g
				order = append(order, g)
			}
			g.events = append(g.events, evidence{id, us})
			g.regions.add(parts[0])
			g.ips.add(parts[1])
			g.names.add(parts[2])
			g.errors.add(parts[3])
			g.fileID = max(g.fileID, fileID)
			if !more {
				break
			}
			rest = after
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("detect: %w", err)
	}
	for _, g := range order {
		r.res.Findings = append(r.res.Findings, r.detectionFinding(g))
	}
	return nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func text(x any) string {
	s, _ := x.(string)
	return s
}

func (r *detectRun) detectionFinding(g *detGroup) Finding {
	slices.SortStableFunc(g.events, func(a, b evidence) int {
		if c := cmp.Compare(a.us, b.us); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	f := newFinding(g.rule, r.now)
	window := "unknown time"
	if g.hour != math.MinInt64 {
		window = time.Unix(g.hour*3600, 0).UTC().Format(time.RFC3339)
	}
	f.ID = findingID(g.rule.ID, g.account, g.principal, window)
	f.First, f.Last = usTime(g.events[0].us), usTime(g.events[len(g.events)-1].us)
	slices.Sort(g.regions.list)
	slices.Sort(g.ips.list)
	f.Principal, f.Account, f.Region = g.principal, g.account, strings.Join(g.regions.list, ", ")
	f.SourceIPs = g.ips.list
	f.Count = int64(len(g.events))
	f.EventIDs = make([]string, len(g.events))
	for i, ev := range g.events {
		f.EventIDs[i] = ev.id
	}
	f.fileID = g.fileID
	var b strings.Builder
	b.WriteString(orUnknown(g.principal))
	b.WriteString(" called ")
	b.WriteString(g.names.String(3))
	if f.Account != "" {
		b.WriteString(" in " + f.Account)
	}
	if f.Region != "" {
		b.WriteString(" (" + shortList(g.regions.list, 2) + ")")
	}
	if len(f.SourceIPs) > 0 {
		b.WriteString(" from " + shortList(f.SourceIPs, 2))
	}
	if n := g.errors.total(); n > 0 {
		fmt.Fprintf(&b, "; %d failed (%s)", n, g.errors.String(2))
	}
	f.Summary = b.String()
	return f
}

// usTime is the time of Unix microseconds, zero for math.MinInt64.
func usTime(us int64) time.Time {
	if us == math.MinInt64 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

func newFinding(rule *sigma.Rule, now time.Time) Finding {
	return Finding{RuleID: rule.ID, Title: rule.Title, Level: rule.Level, Author: rule.Author, License: rule.License,
		RuleSet: rule.RuleSet, RuleVersion: RuleVersion(rule), Techniques: rule.Techniques, ComputedAt: now}
}

// correlate runs a correlation rule's query: one row per finding (the group's columns, first_seen, last_seen,
// event_count, event_ids, …). Who and where are filled in from the evidence events (evidence).
func (r *detectRun) correlate(ctx context.Context, rule *sigma.Rule) ([]*Finding, error) {
	c := rule.Correlation
	var out []*Finding
	err := r.query(ctx, rule.SQL, func(cols []Column, v []any) error {
		f := newFinding(rule, r.now)
		var groups []string
		for i, col := range cols {
			switch col.Name {
			case "first_seen":
				f.First, _ = v[i].(time.Time)
			case "last_seen":
				f.Last, _ = v[i].(time.Time)
			case "event_count":
				f.Count, _ = v[i].(int64)
			case "event_ids":
				if raw, ok := v[i].(json.RawMessage); ok {
					if err := json.Unmarshal(raw, &f.EventIDs); err != nil {
						return fmt.Errorf("read event_ids: %w", err)
					}
				}
			}
		}
		for i, name := range c.GroupColumns {
			val := ""
			if j := slices.IndexFunc(cols, func(col Column) bool { return col.Name == name }); j >= 0 && v[j] != nil {
				val = fmt.Sprint(v[j])
				if raw, ok := v[j].(json.RawMessage); ok {
					val = string(raw)
				}
			}
			groups = append(groups, c.GroupBy[i]+"="+val)
		}
		if !f.First.IsZero() {
			f.First = f.First.UTC()
		}
		if !f.Last.IsZero() {
			f.Last = f.Last.UTC()
		}
		f.ID = findingID(append([]string{rule.ID, f.First.Format(time.RFC3339Nano)}, groups...)...)
		f.Summary = correlationSummary(c, groups)
		out = append(out, &f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("detect: rule %s (%s:%d): %w", rule.ID, rule.File, rule.Line, err)
	}
	return out, nil
}

// correlationSummary is the rule's side of a correlation finding's line; evidence puts who and what before it.
func correlationSummary(c *sigma.CorrelationSpec, groups []string) string {
	var b strings.Builder
	switch c.Type {
	case sigma.EventCount, sigma.ValueCount:
		what := "events"
		if c.Type == sigma.ValueCount {
			what = "distinct " + c.Field + " values"
		}
		fmt.Fprintf(&b, "%s %s within %s", thresholdWords(c.Conditions), what, shortDuration(c.Timespan))
	case sigma.Temporal:
		fmt.Fprintf(&b, "rules %s matched within %s", strings.Join(c.Rules, ", "), shortDuration(c.Timespan))
	case sigma.TemporalOrdered:
		fmt.Fprintf(&b, "rules %s matched in that order within %s", strings.Join(c.Rules, ", "), shortDuration(c.Timespan))
	}
	if len(groups) > 0 {
		b.WriteString(" for " + strings.Join(groups, ", "))
	}
	return b.String()
}

func thresholdWords(ts []sigma.Threshold) string {
	words := map[string]string{"gt": "more than", "gte": "at least", "lt": "fewer than", "lte": "at most", "eq": "exactly"}
	var s []string
	for _, t := range ts {
		s = append(s, words[t.Op]+" "+strconv.FormatInt(t.Value, 10))
	}
	return strings.Join(s, " and ")
}

// evidenceSep separates the event IDs the evidence query looks up: chr(31) (an eventid holding it is not
// found).
const evidenceSep = "\x1f"

// evidence reads who, where and what of the correlation findings' events, in one query, and finishes the
// findings.
func (r *detectRun) evidence(ctx context.Context, fs []*Finding) error {
	type info struct {
		principal, account, region, ip, name string
		fileID                               int64
	}
	byID := map[string][]info{}
	var ids []string
	for _, f := range fs {
		for _, id := range f.EventIDs {
			if _, ok := byID[id]; !ok {
				byID[id] = nil
				ids = append(ids, id)
			}
		}
	}
	if len(ids) > 0 {
		// One query for all of them: the IDs as one text, split by the query (a list of constants as long
		// would make a statement as long, which the translator, the guard and DuckDB's planner all read).
		sql := "SELECT eventid, awsregion, sourceipaddress, eventname, _file_id, " + signin.PrincipalColumns +
			"\nFROM cloudtrail_logs\nWHERE eventid IN (SELECT trailq_id FROM UNNEST(split(" +
			quote(strings.Join(ids, evidenceSep)) + ", chr(31))) AS trailq_ids(trailq_id))"
		err := r.query(ctx, sql, func(_ []Column, v []any) error {
			p, a := signin.Principal(v[5:])
			id, _ := v[4].(int64)
			byID[text(v[0])] = append(byID[text(v[0])], info{p, a, text(v[1]), text(v[2]), text(v[3]), id})
			return nil
		})
		if err != nil {
			return fmt.Errorf("detect: evidence: %w", err)
		}
	}
	for _, f := range fs {
		var principals, accounts, regions, ips orderedSet
		var names counts
		for _, id := range f.EventIDs {
			for _, in := range byID[id] {
				principals.add(in.principal)
				accounts.add(in.account)
				regions.add(in.region)
				ips.add(in.ip)
				names.add(in.name)
				f.fileID = max(f.fileID, in.fileID)
			}
		}
		f.Principal = shortList(principals.list, 3)
		f.Account = strings.Join(accounts.list, ", ")
		f.Region = strings.Join(regions.list, ", ")
		f.SourceIPs = ips.list
		var b strings.Builder
		fmt.Fprintf(&b, "%s: %d event%s (%s)", orUnknown(f.Principal), f.Count, plural(int(f.Count)), names.String(3))
		if len(f.SourceIPs) > 0 {
			b.WriteString(" from " + shortList(f.SourceIPs, 2))
		}
		if !f.First.IsZero() && !f.Last.IsZero() {
			b.WriteString(" in " + shortDuration(f.Last.Sub(f.First).Round(time.Second)))
		}
		b.WriteString(": " + f.Summary)
		f.Summary = b.String()
	}
	return nil
}

// orderedSet keeps distinct non-empty values in the order first seen.
type orderedSet struct {
	list []string
	seen map[string]bool
}

func (s *orderedSet) add(v string) {
	if v == "" {
		return
	}
	if s.seen == nil {
		// Few values: look them up in the list (most sets hold one or two).
		if slices.Contains(s.list, v) {
			return
		}
		s.list = append(s.list, v)
		if len(s.list) > 8 {
			s.seen = make(map[string]bool, len(s.list))
			for _, x := range s.list {
				s.seen[x] = true
			}
		}
		return
	}
	if s.seen[v] {
		return
	}
	s.seen[v] = true
	s.list = append(s.list, v)
}

// counts counts non-empty values.
type counts map[string]int

func (c *counts) add(v string) { c.addN(v, 1) }

func (c *counts) addN(v string, n int) {
	if v == "" || n <= 0 {
		return
	}
	if *c == nil {
		*c = counts{}
	}
	(*c)[v] += n
}

func (c counts) total() int {
	n := 0
	for _, k := range c {
		n += k
	}
	return n
}

// String lists the most frequent values first ("StopLogging ×2, DeleteTrail"), at most n of them.
func (c counts) String(n int) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if c[keys[i]] != c[keys[j]] {
			return c[keys[i]] > c[keys[j]]
		}
		return keys[i] < keys[j]
	})
	var s []string
	for i, k := range keys {
		if i == n {
			s = append(s, fmt.Sprintf("%d more", len(keys)-n))
			break
		}
		if c[k] > 1 {
			k += " ×" + strconv.Itoa(c[k])
		}
		s = append(s, k)
	}
	return strings.Join(s, ", ")
}

// shortList joins at most n values, then says how many more there are.
func shortList(list []string, n int) string {
	if len(list) <= n {
		return strings.Join(list, ", ")
	}
	return strings.Join(list[:n], ", ") + fmt.Sprintf(" (+%d more)", len(list)-n)
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown principal)"
	}
	return s
}
