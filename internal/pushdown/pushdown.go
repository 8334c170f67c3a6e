package pushdown

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/timewin"
)

// Scope is what a query can read, as far as its WHERE clause says.
type Scope struct {
	// Event is the range of UTC dates its eventtime bounds allow (From zero: no lower bound; To zero: no upper
	// bound). A record is filed under its delivery time, at or after its eventtime, so a load adds a margin
	// after Event.To (timewin.Period.KeyDays).
	Event timewin.Days
	// Key is the range of key dates its partition columns allow (year, month, day, "timestamp",
	// date_partition), exact: they come from the object key. From zero: no bound.
	Key timewin.Days
	// Regions and Accounts are the key regions and accounts its region/region_partition and
	// account/account_partition conditions allow (nil: any).
	Regions, Accounts []string
	// Text are its conditions that compare a column with text constants (=, IN, <, <=, >, >=, BETWEEN): a row
	// the query reads meets every one of them (DuckDB compares text byte by byte, as Go does).
	Text []Condition
}

// Condition is a condition on a column's text value: one of In, or within the bounds (as text).
type Condition struct {
	Column string   // as the query names it, in lower case
	In     []string // the value is one of these (nil: not an IN condition)
	// Lo and Hi bound the value when HasLo and HasHi; LoIncl and HiIncl say whether the bound itself is in.
	Lo, Hi                       string
	HasLo, HasHi, LoIncl, HiIncl bool
}

// Holds reports whether the value v meets the condition. A NULL value never does (callers check).
func (c Condition) Holds(v string) bool {
	if c.In != nil {
		return oneOfExact(v, c.In)
	}
	if c.HasLo && (v < c.Lo || v == c.Lo && !c.LoIncl) {
		return false
	}
	if c.HasHi && (v > c.Hi || v == c.Hi && !c.HiIncl) {
		return false
	}
	return true
}

// RecordFilter returns a check of the text conditions on the records' own text fields (eventtype, eventtime,
// …; not the partition columns), or nil when there is none. A record it refuses cannot be read by the query.
func (sc Scope) RecordFilter() func(*cloudtrail.Record) bool {
	type check struct {
		get  func(*cloudtrail.Record) cloudtrail.String
		cond Condition
	}
	var checks []check
	for _, c := range sc.Text {
		if get, ok := cloudtrail.TextField(c.Column); ok {
			checks = append(checks, check{get, c})
		}
	}
	if len(checks) == 0 {
		return nil
	}
	return func(r *cloudtrail.Record) bool {
		for _, c := range checks {
			if v := c.get(r); !v.Valid || !c.cond.Holds(v.S) {
				return false
			}
		}
		return true
	}
}

func oneOfExact(s string, set []string) bool {
	for _, t := range set {
		if s == t {
			return true
		}
	}
	return false
}

// Analyze reads a query's syntax tree, as DuckDB's json_serialize_sql writes it, and returns what the query can
// read. ok is false unless the query is one SELECT over one of tables (no join, subquery, CTE or set operation);
// only conditions joined by AND at the top of its WHERE clause count, each a column of the table compared with
// a constant.
//
// Bounds are read on the date their constant starts with: eventtime >= '2024-09-01T12:00:00Z' needs a date of
// 2024-09-01 or later, since eventtimes compare as text and start with their date.
func Analyze(tree []byte, tables ...string) (Scope, bool, error) {
	var doc struct {
		Error      bool              `json:"error"`
		Statements []json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal(tree, &doc); err != nil {
		return Scope{}, false, fmt.Errorf("read syntax tree: %w", err)
	}
	if doc.Error || len(doc.Statements) != 1 {
		return Scope{}, false, nil
	}
	var stmt struct {
		Node map[string]any `json:"node"`
	}
	if err := json.Unmarshal(doc.Statements[0], &stmt); err != nil {
		return Scope{}, false, fmt.Errorf("read syntax tree: %w", err)
	}
	n := stmt.Node
	if str(n["type"]) != "SELECT_NODE" || !emptyCTEs(n["cte_map"]) {
		return Scope{}, false, nil
	}
	from, _ := n["from_table"].(map[string]any)
	if str(from["type"]) != "BASE_TABLE" || !oneOf(str(from["table_name"]), tables) {
		return Scope{}, false, nil
	}
	if base, unsafe := scan(n); base != 1 || unsafe {
		return Scope{}, false, nil
	}
	names := []string{strings.ToLower(str(from["table_name"]))}
	if a := str(from["alias"]); a != "" {
		names = []string{strings.ToLower(a)} // once aliased, the table is known by its alias only
	}
	var sc Scope
	var ymd [3]string // year, month, day equalities
	for _, c := range conjuncts(n["where_clause"]) {
		lo, hi := bounds(c, names, "eventtime", time.DateOnly)
		sc.Event = sc.Event.Intersect(timewin.Days{From: lo, To: hi})
		for _, col := range []string{"timestamp", "date_partition"} {
			lo, hi := bounds(c, names, col, "2006/01/02")
			sc.Key = sc.Key.Intersect(timewin.Days{From: lo, To: hi})
		}
		for i, col := range []string{"year", "month", "day"} {
			if v, ok := equals(c, names, col); ok {
				ymd[i] = v
			}
		}
		for _, col := range []string{"region", "region_partition"} {
			if vs, ok := oneOfValues(c, names, col); ok {
				sc.Regions = intersect(sc.Regions, vs)
			}
		}
		for _, col := range []string{"account", "account_partition"} {
			if vs, ok := oneOfValues(c, names, col); ok {
				sc.Accounts = intersect(sc.Accounts, vs)
			}
		}
		if tc, ok := textCondition(c, names); ok {
			sc.Text = append(sc.Text, tc)
		}
	}
	if lo, hi, ok := partitionDays(ymd); ok {
		sc.Key = sc.Key.Intersect(timewin.Days{From: lo, To: hi})
	}
	return sc, true, nil
}

// EventTimeDays returns the UTC dates a query's eventtime bounds allow; ok is false without a lower bound (see
// Analyze).
func EventTimeDays(tree []byte, tables ...string) (timewin.Days, bool, error) {
	sc, ok, err := Analyze(tree, tables...)
	if err != nil || !ok || sc.Event.From.IsZero() {
		return timewin.Days{}, false, err
	}
	return sc.Event, true, nil
}

// partitionDays turns year, month and day equalities into a range of dates: a year, a month of a year, or a day.
func partitionDays(ymd [3]string) (lo, hi time.Time, ok bool) {
	y, err := strconv.Atoi(ymd[0])
	if err != nil || len(ymd[0]) != 4 {
		return
	}
	if ymd[1] == "" {
		return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC), true
	}
	m, err := strconv.Atoi(ymd[1])
	if err != nil || m < 1 || m > 12 {
		return
	}
	first := time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC)
	if ymd[2] == "" {
		return first, first.AddDate(0, 1, -1), true
	}
	d, err := strconv.Atoi(ymd[2])
	if err != nil || d < 1 || d > first.AddDate(0, 1, -1).Day() {
		return
	}
	day := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	return day, day, true
}

// equals returns the constant a condition "col = constant" compares col with, as text (numbers too: month = 9
// matches '09' in DuckDB, which compares them as numbers).
func equals(c map[string]any, tables []string, col string) (string, bool) {
	if str(c["type"]) != "COMPARE_EQUAL" {
		return "", false
	}
	l, r := c["left"], c["right"]
	if !isColumn(l, tables, col) {
		l, r = r, l
	}
	if !isColumn(l, tables, col) {
		return "", false
	}
	return constValue(r)
}

// oneOfValues returns the text constants of "col = 'a'" or "col IN ('a', 'b')".
func oneOfValues(c map[string]any, tables []string, col string) ([]string, bool) {
	if v, ok := equals(c, tables, col); ok {
		return []string{v}, true
	}
	if str(c["type"]) != "COMPARE_IN" {
		return nil, false
	}
	kids, _ := c["children"].([]any)
	if len(kids) < 2 || !isColumn(kids[0], tables, col) {
		return nil, false
	}
	var vs []string
	for _, k := range kids[1:] {
		v, ok := constValue(k)
		if !ok {
			return nil, false
		}
		vs = append(vs, v)
	}
	return vs, true
}

// intersect returns the values in both sets; a nil set means any value.
func intersect(a, b []string) []string {
	if a == nil {
		return b
	}
	out := []string{}
	for _, v := range a {
		if oneOf(v, b) {
			out = append(out, v)
		}
	}
	return out
}

// scan counts the base tables anywhere in the tree and reports any node that could read rows other than the
// main query's: subqueries, joins, table functions, set operations, CTEs.
func scan(v any) (base int, unsafe bool) {
	switch x := v.(type) {
	case map[string]any:
		switch str(x["type"]) {
		case "BASE_TABLE":
			base++
		case "SUBQUERY", "JOIN", "TABLE_FUNCTION", "SET_OPERATION_NODE", "RECURSIVE_CTE_NODE", "CTE_NODE", "PIVOT",
			"EXPRESSION_LIST", "COLUMN_DATA", "SHOW_REF", "DELIM_JOIN":
			return base, true
		}
		if str(x["class"]) == "SUBQUERY" {
			return base, true
		}
		for _, c := range x {
			b, u := scan(c)
			base += b
			if u {
				return base, true
			}
		}
	case []any:
		for _, c := range x {
			b, u := scan(c)
			base += b
			if u {
				return base, true
			}
		}
	}
	return base, false
}

// conjuncts flattens the conditions joined by AND.
func conjuncts(v any) []map[string]any {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	if str(m["type"]) != "CONJUNCTION_AND" {
		return []map[string]any{m}
	}
	var out []map[string]any
	kids, _ := m["children"].([]any)
	for _, k := range kids {
		out = append(out, conjuncts(k)...)
	}
	return out
}

// bounds returns the dates one condition sets on col, whose values start with a date in layout: lo for a lower
// bound, hi for an upper one.
func bounds(c map[string]any, tables []string, col, layout string) (lo, hi time.Time) {
	switch str(c["type"]) {
	case "COMPARE_BETWEEN":
		if isColumn(c["input"], tables, col) {
			return constDate(c["lower"], layout), constDate(c["upper"], layout)
		}
		return
	}
	if str(c["class"]) != "COMPARISON" {
		return
	}
	op := str(c["type"])
	left, val := c["left"], c["right"]
	if !isColumn(left, tables, col) {
		left, val = val, left
		op = flip[op]
	}
	if !isColumn(left, tables, col) {
		return
	}
	d := constDate(val, layout)
	switch op {
	case "COMPARE_GREATERTHAN", "COMPARE_GREATERTHANOREQUALTO":
		return d, time.Time{}
	case "COMPARE_LESSTHAN":
		// eventtime < '2024-09-02' leaves out every time of that day (they are longer, so greater).
		if !d.IsZero() && len(constText(val)) == len(layout) {
			d = d.AddDate(0, 0, -1)
		}
		return time.Time{}, d
	case "COMPARE_LESSTHANOREQUALTO":
		return time.Time{}, d
	case "COMPARE_EQUAL":
		return d, d
	}
	return
}

var flip = map[string]string{
	"COMPARE_GREATERTHAN":          "COMPARE_LESSTHAN",
	"COMPARE_GREATERTHANOREQUALTO": "COMPARE_LESSTHANOREQUALTO",
	"COMPARE_LESSTHAN":             "COMPARE_GREATERTHAN",
	"COMPARE_LESSTHANOREQUALTO":    "COMPARE_GREATERTHANOREQUALTO",
	"COMPARE_EQUAL":                "COMPARE_EQUAL",
}

// isColumn reports whether v is the column col, bare or qualified with the table's name.
func isColumn(v any, tables []string, col string) bool {
	m, ok := v.(map[string]any)
	if !ok || str(m["class"]) != "COLUMN_REF" {
		return false
	}
	names, _ := m["column_names"].([]any)
	switch len(names) {
	case 1:
		return strings.EqualFold(str(names[0]), col)
	case 2:
		return strings.EqualFold(str(names[1]), col) && oneOf(str(names[0]), tables)
	}
	return false
}

// constText returns the value of a text constant, or "".
func constText(v any) string {
	m, ok := v.(map[string]any)
	if !ok || str(m["class"]) != "CONSTANT" {
		return ""
	}
	val, _ := m["value"].(map[string]any)
	typ, _ := val["type"].(map[string]any)
	if str(typ["id"]) != "VARCHAR" || val["is_null"] == true {
		return ""
	}
	return str(val["value"])
}

// constValue returns a text or integer constant as text.
func constValue(v any) (string, bool) {
	if s := constText(v); s != "" {
		return s, true
	}
	m, ok := v.(map[string]any)
	if !ok || str(m["class"]) != "CONSTANT" {
		return "", false
	}
	val, _ := m["value"].(map[string]any)
	typ, _ := val["type"].(map[string]any)
	switch str(typ["id"]) {
	case "INTEGER", "BIGINT", "SMALLINT", "TINYINT":
		if f, ok := val["value"].(float64); ok && val["is_null"] != true {
			return fmt.Sprintf("%02d", int64(f)), true
		}
	}
	return "", false
}

// constDate returns the UTC date a text constant starts with (in layout), or the zero time.
func constDate(v any, layout string) time.Time {
	s := constText(v)
	if len(s) < len(layout) {
		return time.Time{}
	}
	d, err := time.Parse(layout, s[:len(layout)])
	if err != nil {
		return time.Time{}
	}
	return d
}

func emptyCTEs(v any) bool {
	m, _ := v.(map[string]any)
	l, _ := m["map"].([]any)
	return len(l) == 0
}

func oneOf(s string, set []string) bool {
	for _, t := range set {
		if strings.EqualFold(s, t) {
			return true
		}
	}
	return false
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// textCondition reads a condition that compares a column with text constants.
func textCondition(c map[string]any, tables []string) (Condition, bool) {
	switch str(c["type"]) {
	case "COMPARE_BETWEEN":
		col, ok := columnName(c["input"], tables)
		lo, lok := textConst(c["lower"])
		hi, hok := textConst(c["upper"])
		if !ok || !lok || !hok {
			return Condition{}, false
		}
		return Condition{Column: col, Lo: lo, Hi: hi, HasLo: true, HasHi: true, LoIncl: true, HiIncl: true}, true
	case "COMPARE_IN":
		kids, _ := c["children"].([]any)
		if len(kids) < 2 {
			return Condition{}, false
		}
		col, ok := columnName(kids[0], tables)
		if !ok {
			return Condition{}, false
		}
		in := []string{}
		for _, k := range kids[1:] {
			v, ok := textConst(k)
			if !ok {
				return Condition{}, false
			}
			in = append(in, v)
		}
		return Condition{Column: col, In: in}, true
	}
	if str(c["class"]) != "COMPARISON" {
		return Condition{}, false
	}
	op := str(c["type"])
	left, val := c["left"], c["right"]
	col, ok := columnName(left, tables)
	if !ok {
		left, val = val, left
		op = flip[op]
		if col, ok = columnName(left, tables); !ok {
			return Condition{}, false
		}
	}
	v, ok := textConst(val)
	if !ok {
		return Condition{}, false
	}
	tc := Condition{Column: col}
	switch op {
	case "COMPARE_EQUAL":
		tc.In = []string{v}
	case "COMPARE_GREATERTHAN", "COMPARE_GREATERTHANOREQUALTO":
		tc.Lo, tc.HasLo, tc.LoIncl = v, true, op == "COMPARE_GREATERTHANOREQUALTO"
	case "COMPARE_LESSTHAN", "COMPARE_LESSTHANOREQUALTO":
		tc.Hi, tc.HasHi, tc.HiIncl = v, true, op == "COMPARE_LESSTHANOREQUALTO"
	default:
		return Condition{}, false
	}
	return tc, true
}

// columnName returns the lower-case name of a column reference, bare or qualified with the table's name.
func columnName(v any, tables []string) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok || str(m["class"]) != "COLUMN_REF" {
		return "", false
	}
	names, _ := m["column_names"].([]any)
	switch {
	case len(names) == 1:
		return strings.ToLower(str(names[0])), true
	case len(names) == 2 && oneOf(str(names[0]), tables):
		return strings.ToLower(str(names[1])), true
	}
	return "", false
}

// textConst returns the value of a constant of type VARCHAR (the empty string too; not NULL).
func textConst(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok || str(m["class"]) != "CONSTANT" {
		return "", false
	}
	val, _ := m["value"].(map[string]any)
	typ, _ := val["type"].(map[string]any)
	if str(typ["id"]) != "VARCHAR" || val["is_null"] == true {
		return "", false
	}
	s, ok := val["value"].(string)
	return s, ok
}
