package pushdown

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Days is the range of UTC dates whose eventtimes a query can read. From is always set; To is zero when the
// query sets no upper bound.
type Days struct {
	From, To time.Time
}

// String writes the range as dates.
func (d Days) String() string {
	if d.To.IsZero() {
		return "from " + d.From.Format(time.DateOnly)
	}
	return d.From.Format(time.DateOnly) + " to " + d.To.Format(time.DateOnly)
}

// EventTimeDays reads a query's syntax tree, as DuckDB's json_serialize_sql writes it, and returns the UTC dates
// its eventtime bounds allow. ok is false unless the query is one SELECT over one of tables (no join, subquery,
// CTE or set operation) whose WHERE clause has, among the conditions joined by AND, a lower bound on eventtime
// compared with a text constant ('2024-09-01T00:00:00Z', '2024-09-01', …).
//
// Bounds are read on the date their constant starts with: eventtime >= '2024-09-01T12:00:00Z' needs a date of
// 2024-09-01 or later, since eventtimes compare as text and start with their date.
func EventTimeDays(tree []byte, tables ...string) (Days, bool, error) {
	var doc struct {
		Error      bool              `json:"error"`
		Statements []json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal(tree, &doc); err != nil {
		return Days{}, false, fmt.Errorf("read syntax tree: %w", err)
	}
	if doc.Error || len(doc.Statements) != 1 {
		return Days{}, false, nil
	}
	var stmt struct {
		Node map[string]any `json:"node"`
	}
	if err := json.Unmarshal(doc.Statements[0], &stmt); err != nil {
		return Days{}, false, fmt.Errorf("read syntax tree: %w", err)
	}
	n := stmt.Node
	if str(n["type"]) != "SELECT_NODE" || !emptyCTEs(n["cte_map"]) {
		return Days{}, false, nil
	}
	from, _ := n["from_table"].(map[string]any)
	if str(from["type"]) != "BASE_TABLE" || !oneOf(str(from["table_name"]), tables) {
		return Days{}, false, nil
	}
	if base, unsafe := scan(n); base != 1 || unsafe {
		return Days{}, false, nil
	}
	names := []string{strings.ToLower(str(from["table_name"]))}
	if a := str(from["alias"]); a != "" {
		names = []string{strings.ToLower(a)} // once aliased, the table is known by its alias only
	}
	var d Days
	var to time.Time
	for _, c := range conjuncts(n["where_clause"]) {
		lo, hi := bounds(c, names)
		if !lo.IsZero() && lo.After(d.From) {
			d.From = lo
		}
		if !hi.IsZero() && (to.IsZero() || hi.Before(to)) {
			to = hi
		}
	}
	if d.From.IsZero() {
		return Days{}, false, nil
	}
	d.To = to
	return d, true, nil
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

// bounds returns the dates one condition sets on eventtime: lo for a lower bound, hi for an upper one.
func bounds(c map[string]any, tables []string) (lo, hi time.Time) {
	switch str(c["type"]) {
	case "COMPARE_BETWEEN":
		if isEventTime(c["input"], tables) {
			return constDate(c["lower"]), constDate(c["upper"])
		}
		return
	}
	if str(c["class"]) != "COMPARISON" {
		return
	}
	op := str(c["type"])
	col, val := c["left"], c["right"]
	if !isEventTime(col, tables) {
		col, val = val, col
		op = flip[op]
	}
	if !isEventTime(col, tables) {
		return
	}
	d := constDate(val)
	switch op {
	case "COMPARE_GREATERTHAN", "COMPARE_GREATERTHANOREQUALTO":
		return d, time.Time{}
	case "COMPARE_LESSTHAN":
		// eventtime < '2024-09-02' leaves out every time of that day (they are longer, so greater).
		if !d.IsZero() && len(constText(val)) == len(time.DateOnly) {
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

// isEventTime reports whether v is the eventtime column, bare or qualified with the table's name.
func isEventTime(v any, tables []string) bool {
	m, ok := v.(map[string]any)
	if !ok || str(m["class"]) != "COLUMN_REF" {
		return false
	}
	names, _ := m["column_names"].([]any)
	switch len(names) {
	case 1:
		return strings.EqualFold(str(names[0]), "eventtime")
	case 2:
		return strings.EqualFold(str(names[1]), "eventtime") && oneOf(str(names[0]), tables)
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

// constDate returns the UTC date a text constant starts with, or the zero time.
func constDate(v any) time.Time {
	s := constText(v)
	if len(s) < 10 {
		return time.Time{}
	}
	d, err := time.Parse(time.DateOnly, s[:10])
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
