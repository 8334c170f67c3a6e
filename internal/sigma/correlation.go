package sigma

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// corrInput is what a correlation's SQL is built from.
type corrInput struct {
	table string
	refs  []*corrRef
	// temporalCond is a temporal correlation's condition over the rules' names ("a and b"), compiled over the
	// per-rule columns k_1 … k_n; "" for all of them.
	temporalCond string
}

// corrRef is one correlated rule: a detection rule's condition, or another correlation.
type corrRef struct {
	name  string // as the correlation names it
	where string // a detection rule's condition
	corr  *CorrelationSpec
	// group are the SQL expressions of the group-by fields for this rule's events (for a correlation, its
	// columns g_1 …), and value the counted field's.
	group []string
	value string
}

// correlationAttrs are the attributes of a correlation section.
var correlationAttrs = map[string]bool{
	"type": true, "rules": true, "group-by": true, "timespan": true, "condition": true, "field": true,
	"aliases": true, "generate": true,
}

var timespanRE = regexp.MustCompile(`^(\d+)([smhdw])$`)

// parseTimespan reads Sigma's "number + unit" (s, m, h, d; w too).
func parseTimespan(n *yaml.Node) (time.Duration, *posError) {
	s, perr := scalar(n, "timespan")
	if perr != nil {
		return 0, perr
	}
	m := timespanRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, errAt(n, "timespan %q: write a number and a unit, s, m, h, d or w (90m, 1h, 7d)", s)
	}
	v, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || v > 3650*24*3600 {
		return 0, errAt(n, "timespan %q is too long", s)
	}
	if v == 0 {
		return 0, errAt(n, "a timespan of 0 makes no sense: events are counted within a timespan")
	}
	unit := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[m[2]]
	return time.Duration(v) * unit, nil
}

// checkThresholds refuses conditions that make no sense and picks the window.
func checkThresholds(conds []Threshold) (Window, error) {
	lo, hi := int64(1), int64(1<<62)
	w := Sliding
	for _, c := range conds {
		if c.Value < 0 {
			return "", fmt.Errorf("a negative threshold (%s) makes no sense: counts are 1 or more", c)
		}
		switch c.Op {
		case "gt":
			lo = max(lo, c.Value+1)
		case "gte":
			if c.Value == 0 {
				return "", fmt.Errorf("a threshold of 0 (%s) makes no sense: every group has one event or more", c)
			}
			lo = max(lo, c.Value)
		case "lt":
			hi, w = min(hi, c.Value-1), Tumbling
		case "lte":
			hi, w = min(hi, c.Value), Tumbling
		case "eq":
			lo, hi, w = max(lo, c.Value), min(hi, c.Value), Tumbling
		default:
			return "", fmt.Errorf("unknown condition %q: use gt, gte, lt, lte or eq", c.Op)
		}
	}
	if lo > hi {
		return "", fmt.Errorf("the condition %s holds for no count", thresholdsString(conds))
	}
	return w, nil
}

func thresholdsString(conds []Threshold) string {
	var s []string
	for _, c := range conds {
		s = append(s, c.String())
	}
	return strings.Join(s, " and ")
}

// columnName is the output column of a group-by field: lower case, letters, digits and _.
func columnName(field string, taken map[string]bool) string {
	var b strings.Builder
	for _, r := range strings.ToLower(field) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	name := b.String()
	if name == "" || name[0] >= '0' && name[0] <= '9' || reservedColumns[name] {
		name = "g_" + name
	}
	for base, i := name, 2; taken[name]; i++ {
		name = base + "_" + strconv.Itoa(i)
	}
	taken[name] = true
	return name
}

var reservedColumns = map[string]bool{
	"first_seen": true, "last_seen": true, "event_count": true, "event_ids": true, "value_count": true,
	"distinct_values": true,
}

// sqlBuilder collects the WITH clauses of one query.
type sqlBuilder struct {
	ctes []string
	n    int
}

func (b *sqlBuilder) add(name, sql string) string {
	b.n++
	name = fmt.Sprintf("%s_%d", name, b.n)
	b.ctes = append(b.ctes, name+" AS (\n"+sql+")")
	return name
}

func secs(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }

// buildSQL returns the correlation's findings query.
func (c *CorrelationSpec) buildSQL() string {
	b := &sqlBuilder{}
	events := c.events(b)
	var q string
	if c.Window == Tumbling {
		q = c.tumblingFindings(b, events)
	} else {
		q = c.slidingFindings(b, events)
	}
	return "WITH " + strings.Join(b.ctes, ",\n") + "\n" + q
}

// groupCols lists g_1 … g_k with a prefix.
func groupCols(k int, prefix string) []string {
	var out []string
	for i := range k {
		out = append(out, fmt.Sprintf("%sg_%d", prefix, i+1))
	}
	return out
}

// events is the correlation's input: one row per event a correlated rule matched (or per hit of a correlated
// correlation), with its time (t, and ts in seconds), group columns g_i, counted value v and rule flags r_i.
func (c *CorrelationSpec) events(b *sqlBuilder) string {
	in := c.in
	k, n := len(c.GroupBy), len(in.refs)
	flag := func(i int) string { return fmt.Sprintf("r_%d", i+1) }
	var parts []string
	// The detection rules: one scan of the table.
	var dets []int
	for i, r := range in.refs {
		if r.corr == nil {
			dets = append(dets, i)
		}
	}
	if len(dets) > 0 {
		var inner, wheres []string
		inner = append(inner, "eventid", "eventtime", "try(from_iso8601_timestamp(eventtime)) AS t")
		for _, i := range dets {
			inner = append(inner, "coalesce("+in.refs[i].where+", false) AS "+flag(i))
			wheres = append(wheres, in.refs[i].where)
		}
		// Per group field: one expression if every rule has the same, else the first matching rule's.
		pick := func(expr func(r *corrRef) string) string {
			same := true
			for _, i := range dets[1:] {
				same = same && expr(in.refs[i]) == expr(in.refs[dets[0]])
			}
			if same {
				return expr(in.refs[dets[0]])
			}
			var cs strings.Builder
			cs.WriteString("CASE")
			for _, i := range dets {
				fmt.Fprintf(&cs, " WHEN %s THEN %s", "coalesce("+in.refs[i].where+", false)", expr(in.refs[i]))
			}
			cs.WriteString(" END")
			return cs.String()
		}
		for j := range k {
			inner = append(inner, pick(func(r *corrRef) string { return r.group[j] })+fmt.Sprintf(" AS g_%d", j+1))
		}
		if c.Type == ValueCount {
			inner = append(inner, pick(func(r *corrRef) string { return r.value })+" AS v")
		}
		cols := []string{"eventid", "eventtime", "t", "to_unixtime(t) AS ts"}
		cols = append(cols, groupCols(k, "")...)
		if c.Type == ValueCount {
			cols = append(cols, "v")
		}
		for i := range n {
			if in.refs[i].corr == nil {
				cols = append(cols, flag(i))
			} else {
				cols = append(cols, "false AS "+flag(i))
			}
		}
		where := "t IS NOT NULL"
		if c.Type == ValueCount {
			where += " AND v IS NOT NULL"
		}
		parts = append(parts, "SELECT "+strings.Join(cols, ", ")+"\nFROM (SELECT "+strings.Join(inner, ",\n\t")+
			"\n\tFROM "+in.table+"\n\tWHERE "+join(wheres, "OR")+")\nWHERE "+where)
	}
	// The correlated correlations: their hits are events.
	for i, r := range in.refs {
		if r.corr == nil {
			continue
		}
		hits := r.corr.hits(b, r.corr.events(b))
		cols := []string{"eventid", "eventtime", "t", "ts"}
		for j := range k {
			cols = append(cols, r.group[j]+fmt.Sprintf(" AS g_%d", j+1))
		}
		if c.Type == ValueCount {
			cols = append(cols, r.value+" AS v")
		}
		for j := range n {
			cols = append(cols, strconv.FormatBool(i == j)+" AS "+flag(j))
		}
		parts = append(parts, "SELECT "+strings.Join(cols, ", ")+" FROM "+hits)
	}
	return b.add("events", strings.Join(parts, "\nUNION ALL\n"))
}

// over is the sliding window: the events of the group from timespan before the event up to it.
func (c *CorrelationSpec) over() string {
	s := "("
	if len(c.GroupBy) > 0 {
		s += "PARTITION BY " + strings.Join(groupCols(len(c.GroupBy), ""), ", ") + " "
	}
	return s + "ORDER BY ts RANGE BETWEEN " + secs(c.Timespan) + " PRECEDING AND CURRENT ROW)"
}

func (c *CorrelationSpec) partition(order string) string {
	s := "("
	if len(c.GroupBy) > 0 {
		s += "PARTITION BY " + strings.Join(groupCols(len(c.GroupBy), ""), ", ") + " "
	}
	return s + "ORDER BY " + order + ")"
}

func thresholdSQL(expr string, conds []Threshold) string {
	ops := map[string]string{"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "eq": "="}
	var s []string
	for _, t := range conds {
		s = append(s, expr+" "+ops[t.Op]+" "+strconv.FormatInt(t.Value, 10))
	}
	return strings.Join(s, " AND ")
}

// temporalCount is, for temporal correlations, the condition on the per-rule columns k_i.
func (c *CorrelationSpec) temporalCount() string {
	n := len(c.in.refs)
	if len(c.Conditions) > 0 {
		var sum []string
		for i := range n {
			sum = append(sum, fmt.Sprintf("k_%d", i+1))
		}
		return thresholdSQL("("+strings.Join(sum, " + ")+")", c.Conditions)
	}
	if c.in.temporalCond != "" {
		return c.in.temporalCond
	}
	var all []string
	for i := range n {
		all = append(all, fmt.Sprintf("k_%d = 1", i+1))
	}
	return strings.Join(all, " AND ")
}

// hits returns a CTE with a row per event at which the correlation's condition holds (sliding windows), or
// per window that holds it, dated by its last event (tumbling): eventid, eventtime, t, ts, g_1 … and start,
// the time (in seconds) the window starts.
func (c *CorrelationSpec) hits(b *sqlBuilder, events string) string {
	k := len(c.GroupBy)
	g := groupCols(k, "")
	if c.Window == Tumbling {
		bucket := "floor(ts / " + secs(c.Timespan) + ")"
		cols := append([]string{"max_by(eventid, ts) AS eventid", "max_by(eventtime, ts) AS eventtime",
			"max(t) AS t", "max(ts) AS ts"}, g...)
		cols = append(cols, "min(ts) AS start")
		return b.add("hits", "SELECT "+strings.Join(cols, ", ")+"\nFROM "+events+"\nGROUP BY "+
			strings.Join(append(append([]string{}, g...), bucket), ", ")+"\nHAVING "+c.tumblingCondition())
	}
	w := c.over()
	base := append([]string{"eventid", "eventtime", "t", "ts"}, g...)
	switch c.Type {
	case EventCount, ValueCount:
		n := "count(*) OVER " + w
		if c.Type == ValueCount {
			n = "cardinality(array_distinct(array_agg(v) OVER " + w + "))"
		}
		win := b.add("windows", "SELECT "+strings.Join(base, ", ")+", "+n+" AS n, min(ts) OVER "+w+" AS start\nFROM "+events)
		return b.add("hits", "SELECT * FROM "+win+" WHERE "+thresholdSQL("n", c.Conditions))
	case Temporal:
		cols := append([]string{}, base...)
		for i := range c.in.refs {
			cols = append(cols, fmt.Sprintf("max(if(r_%d, 1, 0)) OVER %s AS k_%d", i+1, w, i+1))
		}
		cols = append(cols, "min(ts) OVER "+w+" AS start")
		win := b.add("windows", "SELECT "+strings.Join(cols, ", ")+"\nFROM "+events)
		return b.add("hits", "SELECT "+strings.Join(append(base, "start"), ", ")+" FROM "+win+" WHERE "+c.temporalCount())
	}
	// temporal_ordered: s_i is, at an event of rule i, the latest start of a chain of rules 1 … i ending at it.
	flags := make([]string, len(c.in.refs))
	for i := range flags {
		flags[i] = fmt.Sprintf("r_%d", i+1)
	}
	cols := append(append([]string{}, base...), flags...)
	prev := b.add("chain", "SELECT "+strings.Join(cols, ", ")+", CASE WHEN r_1 THEN ts END AS s_1 FROM "+events)
	for i := 2; i <= len(c.in.refs); i++ {
		prev = b.add("chain", fmt.Sprintf("SELECT %s, CASE WHEN r_%d THEN max(s_%d) OVER %s END AS s_%d FROM %s",
			strings.Join(cols, ", "), i, i-1, w, i, prev))
	}
	last := len(c.in.refs)
	return b.add("hits", fmt.Sprintf("SELECT %s, s_%d AS start FROM %s WHERE s_%d >= ts - %s",
		strings.Join(base, ", "), last, prev, last, secs(c.Timespan)))
}

func (c *CorrelationSpec) tumblingCondition() string {
	switch c.Type {
	case EventCount:
		return thresholdSQL("count(*)", c.Conditions)
	case ValueCount:
		return thresholdSQL("count(DISTINCT v)", c.Conditions)
	}
	var sum []string
	for i := range c.in.refs {
		sum = append(sum, fmt.Sprintf("max(if(r_%d, 1, 0))", i+1))
	}
	if len(c.Conditions) > 0 {
		return thresholdSQL("("+strings.Join(sum, " + ")+")", c.Conditions)
	}
	for i := range sum {
		sum[i] += " = 1"
	}
	return strings.Join(sum, " AND ")
}

// findingColumns are the columns every findings query ends with, over the events e of a finding.
func (c *CorrelationSpec) findingColumns() []string {
	cols := []string{"min(e.t) AS first_seen", "max(e.t) AS last_seen", "count(*) AS event_count",
		"array_agg(e.eventid ORDER BY e.ts, e.eventid) AS event_ids"}
	if c.Type == ValueCount {
		cols = append(cols, "count(DISTINCT e.v) AS value_count", "array_sort(array_agg(DISTINCT e.v)) AS distinct_values")
	}
	return cols
}

func (c *CorrelationSpec) groupOut(prefix string) []string {
	var out []string
	for i, name := range c.GroupColumns {
		out = append(out, fmt.Sprintf("%sg_%d AS %s", prefix, i+1, name))
	}
	return out
}

// slidingFindings merges the hits whose windows overlap into one finding, and gathers the events in it.
func (c *CorrelationSpec) slidingFindings(b *sqlBuilder, events string) string {
	hits := c.hits(b, events)
	k := len(c.GroupBy)
	g := groupCols(k, "")
	prev := b.add("prev", "SELECT "+strings.Join(append(append([]string{}, g...), "ts", "start"), ", ")+
		", lag(ts) OVER "+c.partition("ts")+" AS prev_ts FROM "+hits)
	islands := b.add("islands", "SELECT "+strings.Join(append(append([]string{}, g...), "ts", "start"), ", ")+
		", sum(CASE WHEN prev_ts IS NULL OR start > prev_ts THEN 1 ELSE 0 END) OVER "+
		strings.TrimSuffix(c.partition("ts"), ")")+" ROWS UNBOUNDED PRECEDING) AS island FROM "+prev)
	spans := b.add("spans", "SELECT "+strings.Join(append(append([]string{}, g...), "island"), ", ")+
		", min(start) AS first_ts, max(ts) AS last_ts FROM "+islands+" GROUP BY "+strings.Join(append(append([]string{}, g...), "island"), ", "))
	var on []string
	for _, x := range g {
		on = append(on, "e."+x+" IS NOT DISTINCT FROM s."+x)
	}
	on = append(on, "e.ts BETWEEN s.first_ts AND s.last_ts")
	groupBy := append(groupCols(k, "s."), "s.island")
	return "SELECT " + strings.Join(append(c.groupOut("s."), c.findingColumns()...), ", ") +
		"\nFROM " + spans + " s JOIN " + events + " e ON " + strings.Join(on, " AND ") +
		"\nGROUP BY " + strings.Join(groupBy, ", ") + "\nORDER BY " + strings.Join(append([]string{"first_seen"}, groupBy...), ", ")
}

// tumblingFindings is one finding per fixed window that holds the condition.
func (c *CorrelationSpec) tumblingFindings(b *sqlBuilder, events string) string {
	k := len(c.GroupBy)
	bucket := "floor(e.ts / " + secs(c.Timespan) + ")"
	groupBy := append(groupCols(k, "e."), bucket)
	cond := strings.ReplaceAll(c.tumblingCondition(), "(v)", "(e.v)")
	cond = regexp.MustCompile(`\br_(\d+)\b`).ReplaceAllString(cond, "e.r_$1")
	return "SELECT " + strings.Join(append(c.groupOut("e."), c.findingColumns()...), ", ") +
		"\nFROM " + events + " e\nGROUP BY " + strings.Join(groupBy, ", ") + "\nHAVING " + cond +
		"\nORDER BY " + strings.Join(append([]string{"first_seen"}, groupCols(k, "e.")...), ", ")
}
