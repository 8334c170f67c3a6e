package athena

import (
	"fmt"
	"sort"
	"strings"
)

// Translator turns Athena SQL into DuckDB SQL over the store.
type Translator struct {
	tables Tables
}

// NewTranslator returns a Translator that resolves CloudTrail table names to tables.
func NewTranslator(tables Tables) *Translator { return &Translator{tables: tables} }

// Translate rewrites one query.
func (t *Translator) Translate(sql string) (string, error) {
	q, err := t.TranslateQuery(sql)
	if err != nil {
		return "", err
	}
	return q.SQL, nil
}

// Query is a translated query: the user's Athena SQL, the DuckDB SQL, and a map from positions in the DuckDB SQL
// back to the user's.
type Query struct {
	Athena string
	SQL    string
	starts []int // byte offset in SQL of each output token
	origin []int // byte offset in Athena of the token it came from
}

// TranslateQuery rewrites one query and keeps what is needed to report DuckDB's errors in terms of the user's SQL.
func (t *Translator) TranslateQuery(sql string) (*Query, error) {
	toks, err := Lex(sql)
	if err != nil {
		return nil, locate(sql, err)
	}
	if pos := secondStatement(toks); pos >= 0 {
		return nil, locate(sql, &Error{Pos: pos, Msg: "the SQL holds more than one statement: trailq runs exactly one query at a time, as Athena does (run each on its own)"})
	}
	if stmt, ok := describeStatement(toks, t.tables); ok {
		q := &Query{Athena: sql, SQL: Join(stmt), starts: []int{0}, origin: []int{stmt[0].Pos}}
		return q, nil
	}
	toks, aliases := renamePartitions(toks, t.tables.Defs)
	toks = ResolveTables(toks, t.tables)
	toks = quoteImplicitAliases(toks)
	nodes, err := parseTree(toks)
	if err != nil {
		return nil, locate(sql, err)
	}
	c := &converter{sql: sql}
	nodes = c.list(nodes)
	if c.err != nil {
		return nil, locate(sql, c.err)
	}
	nodes = nameColumns(nodes, aliases)
	out := flatten(nodes)
	q := &Query{Athena: sql}
	var b strings.Builder
	for _, tok := range out {
		q.starts = append(q.starts, b.Len())
		q.origin = append(q.origin, tok.Pos)
		b.WriteString(tok.Text)
	}
	q.SQL = b.String()
	return q, nil
}

// secondStatement returns the offset of the first token after a semicolon that ends a statement, or -1.
func secondStatement(toks []Token) int {
	seen := false
	for _, tok := range toks {
		switch {
		case tok.Kind == TokSpace:
		case tok.Kind == TokOp && tok.Text == ";":
			seen = true
		case seen:
			return tok.Pos
		}
	}
	return -1
}

// Original maps a byte offset of the DuckDB SQL to the byte offset of the user's SQL it came from.
func (q *Query) Original(off int) int {
	i := sort.SearchInts(q.starts, off+1) - 1
	if i < 0 || i >= len(q.origin) {
		return 0
	}
	return q.origin[i]
}

// locate fills in the line and column of an *Error.
func locate(sql string, err error) error {
	if e, ok := err.(*Error); ok {
		e.Line, e.Col = LineCol(sql, e.Pos)
		e.Context = context(sql, e.Pos)
	}
	return err
}

// context returns the line of sql holding pos with a caret under it.
func context(sql string, pos int) string {
	if pos > len(sql) {
		pos = len(sql)
	}
	start := strings.LastIndexByte(sql[:pos], '\n') + 1
	end := strings.IndexByte(sql[pos:], '\n')
	if end < 0 {
		end = len(sql)
	} else {
		end += pos
	}
	line := strings.ReplaceAll(sql[start:end], "\t", " ")
	return "  " + line + "\n  " + strings.Repeat(" ", len([]rune(sql[start:pos]))) + "^"
}

// converter rewrites Trino functions, casts and literals into DuckDB's.
type converter struct {
	sql string // the user's SQL, for messages that name a place in it when the query runs
	err error
}

func (c *converter) fail(pos int, format string, args ...any) {
	if c.err == nil {
		c.err = &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
	}
}

// list translates a sequence of sibling nodes (recursing into groups).
func (c *converter) list(nodes []node) []node {
	return ipComparisons(c.siblings(nodes))
}

func (c *converter) siblings(nodes []node) []node {
	var out []node
	for i := 0; i < len(nodes); i++ {
		n := nodes[i]
		if n.group {
			n.kids = c.list(n.kids)
			out = append(out, n)
			continue
		}
		if repl, end, ok := c.operator(out, nodes, i); ok {
			out, i = repl, end
			continue
		}
		if n.tok.Kind != TokIdent || afterDot(out) {
			out = append(out, n)
			continue
		}
		name := strings.ToLower(n.tok.Text)
		j := nextNode(nodes, i+1)
		if j >= 0 && nodes[j].group {
			if name == "cast" || name == "try_cast" {
				out = append(out, c.cast(n.tok, nodes[j])...)
				i = j
				continue
			}
			if name == "unnest" && inFromClause(out) {
				if repl, ok := c.unnest(n.tok, nodes, j); ok {
					out = append(out, repl...)
					i = j
					continue
				}
			}
			if name == "filter" && isFilterClause(out, nodes[j]) {
				// count(*) FILTER (WHERE …): the aggregate clause, not Trino's filter(array, lambda).
				out = append(out, n)
				continue
			}
			if f, ok := functions[name]; ok {
				args := c.args(nodes[j])
				if c.err != nil {
					return out
				}
				out = append(out, f(c, n.tok.Pos, args)...)
				i = j
				continue
			}
			if why, ok := unsupported[name]; ok {
				c.fail(n.tok.Pos, "Athena function %s is not supported by trailq%s", name, why)
				return out
			}
		}
		if j >= 0 && !nodes[j].group && nodes[j].tok.Kind == TokString && !prevIsAs(out) {
			if repl, ok := c.typedLiteral(name, n.tok, nodes[j].tok); ok {
				// Date arithmetic stays a date: DATE '2024-01-01' - INTERVAL '1' DAY.
				if name == "date" {
					if end, ok := dateArithmetic(nodes, j); ok {
						out = append(out, castDate(n.tok.Pos, append(repl, c.list(nodes[j+1:end+1])...))...)
						i = end
						continue
					}
				}
				out = append(out, repl...)
				i = j
				continue
			}
		}
		if repl, end, ok := c.keywordForm(name, nodes, i); ok {
			out, i = append(out, repl...), end
			continue
		}
		out = append(out, n)
	}
	return out
}

// keywordForm rewrites the forms that start with the word name at nodes[i] and read differently in DuckDB:
// TABLESAMPLE BERNOULLI (10), current_date - INTERVAL … DAY. It returns the output and the index of the last
// node it took.
func (c *converter) keywordForm(name string, nodes []node, i int) ([]node, int, bool) {
	switch name {
	case "tablesample":
		// Trino's TABLESAMPLE BERNOULLI (10) is 10 percent; DuckDB would read 10 rows.
		m := nextNode(nodes, i+1)
		g := nextNode(nodes, m+1)
		if m > 0 && g > 0 && (nodes[m].isKeyword("BERNOULLI") || nodes[m].isKeyword("SYSTEM")) && nodes[g].group {
			grp := nodes[g]
			grp.kids = append(c.list(grp.kids), gen(grp.open.Pos, " ", "PERCENT")...)
			return append(append([]node{}, nodes[i:g]...), grp), g, true
		}
	case "current_date":
		if end, ok := dateArithmetic(nodes, i); ok {
			return castDate(nodes[i].tok.Pos, append([]node{nodes[i]}, c.list(nodes[i+1:end+1])...)), end, true
		}
	}
	return nil, 0, false
}

// operator rewrites the operator at nodes[i] where Trino and DuckDB differ: a division or % (by zero) and a
// subscript of a JSON text column. It returns out with the rewrite and the index of the last node it took.
func (c *converter) operator(out, nodes []node, i int) ([]node, int, bool) {
	switch n := nodes[i]; {
	case n.isOp("/") || n.isOp("%"):
		if repl, end, ok := c.divisor(nodes, i); ok {
			return append(out, repl...), end, true
		}
	case n.isOp("["):
		return c.jsonSubscript(out, nodes, i)
	}
	return nil, 0, false
}

// afterDot reports whether the last significant output node is ".", i.e. the next name is a field, not a function.
func afterDot(out []node) bool {
	k := prevNode(out, len(out)-1)
	return k >= 0 && out[k].isOp(".")
}

func prevIsAs(out []node) bool {
	k := prevNode(out, len(out)-1)
	return k >= 0 && (out[k].isKeyword("AS") || out[k].isOp("::"))
}

// args translates the arguments of a call.
func (c *converter) args(g node) [][]node {
	kids := c.list(g.kids)
	parts := splitTop(kids)
	for i := range parts {
		parts[i] = trimSpace(parts[i])
	}
	return parts
}

// dateArithmetic finds "± INTERVAL '…' unit" repetitions after nodes[i] with day-or-longer units, returning the
// index of the last node of them.
func dateArithmetic(nodes []node, i int) (int, bool) {
	end, found := i, false
	for {
		op := nextNode(nodes, end+1)
		if op < 0 || !(nodes[op].isOp("+") || nodes[op].isOp("-")) {
			break
		}
		kw := nextNode(nodes, op+1)
		if kw < 0 || !nodes[kw].isKeyword("INTERVAL") {
			break
		}
		lit := nextNode(nodes, kw+1)
		if lit < 0 || nodes[lit].group || nodes[lit].tok.Kind != TokString {
			break
		}
		unit := nextNode(nodes, lit+1)
		if unit < 0 || nodes[unit].group || !dateUnits[strings.ToLower(nodes[unit].tok.Text)] {
			break
		}
		end, found = unit, true
	}
	return end, found
}

var dateUnits = map[string]bool{"day": true, "days": true, "week": true, "weeks": true, "month": true, "months": true,
	"year": true, "years": true, "quarter": true}

func castDate(pos int, expr []node) []node {
	kids := append(append([]node{}, expr...), gen(pos, " ", "AS", " ", "DATE")...)
	return append(gen(pos, "CAST"), group(pos, kids))
}

// nameColumns gives the outermost SELECT's unnamed expressions Athena's names: _col0, _col1, … by position, and
// the last field name for a.b.c; and turns SELECT DISTINCT (a, b) row values into structs DuckDB can return. A
// partition column of the user's table that was rewritten keeps the name the user wrote (aliases, by position).
func nameColumns(nodes []node, aliases map[int]string) []node {
	sel := -1
	for i, n := range nodes {
		if n.isKeyword("SELECT") {
			sel = i
			break
		}
	}
	if sel < 0 {
		return nodes
	}
	start := nextNode(nodes, sel+1)
	if start < 0 {
		return nodes
	}
	if nodes[start].isKeyword("DISTINCT") || nodes[start].isKeyword("ALL") {
		start++
	}
	end := len(nodes)
	for i := start; i < len(nodes); i++ {
		if n := nodes[i]; !n.group && n.tok.Kind == TokIdent && selectEnd[strings.ToLower(n.tok.Text)] {
			if p := prevNode(nodes, i-1); n.isKeyword("FROM") && p >= 0 && nodes[p].isKeyword("DISTINCT") {
				continue // a IS DISTINCT FROM b
			}
			end = i
			break
		}
	}
	items := splitTop(nodes[start:end])
	var list []node
	for idx, item := range items {
		if idx > 0 {
			list = append(list, nodes[start].withText(","))
		}
		list = append(list, nameItem(item, idx, aliases)...)
	}
	out := append([]node{}, nodes[:start]...)
	out = append(out, list...)
	return append(out, nodes[end:]...)
}

func (n node) withText(s string) node {
	return node{tok: Token{Kind: TokOp, Text: s, Pos: n.pos()}}
}

var selectEnd = map[string]bool{"from": true, "where": true, "group": true, "having": true, "order": true,
	"limit": true, "union": true, "except": true, "intersect": true, "window": true, "offset": true, "fetch": true}

func nameItem(item []node, idx int, aliases map[int]string) []node {
	core := trimSpace(item)
	if len(core) == 0 {
		return item
	}
	lead := leadingSpace(item)
	trail := item[len(lead)+len(core):]
	wrap := func(mid []node) []node {
		out := append(append([]node{}, lead...), mid...)
		return append(out, trail...)
	}
	if name, ok := aliases[core[len(core)-1].pos()]; ok && (len(core) == 1 || nameChainEnd(core)) {
		return wrap(append(append([]node{}, core...), gen(core[0].pos(), " ", "AS", " ", quote(name))...))
	}
	last := core[len(core)-1]
	pos := core[0].pos()
	// A row value: (a, b).
	if len(core) == 1 && core[0].group && len(splitTop(core[0].kids)) > 1 {
		var kids []node
		for k, f := range splitTop(core[0].kids) {
			if k > 0 {
				kids = append(kids, gen(pos, ",", " ")...)
			}
			kids = append(kids, gen(pos, quote(fieldName(f, k)), " ", ":=", " ")...)
			kids = append(kids, trimSpace(f)...)
		}
		return wrap(append(append(gen(pos, "struct_pack"), group(pos, kids)),
			gen(pos, " ", "AS", " ", fmt.Sprintf("_col%d", idx))...))
	}
	if last.isOp("*") {
		return item
	}
	// Already named: expr AS x, or expr x.
	if last.isName() && len(core) > 1 {
		p := prevNode(core, len(core)-2)
		if p >= 0 && core[p].isKeyword("AS") {
			return item
		}
		if p >= 0 && !core[p].isOp(".") && !isOperator(core[p]) &&
			!(last.tok.Kind == TokIdent && notAlias[strings.ToLower(last.tok.Text)]) {
			return item
		}
	}
	if len(core) == 1 && last.isName() {
		return item // a column
	}
	core = append([]node{}, core...)
	if chain, ok := nameChain(core); ok {
		return wrap(append(core, gen(pos, " ", "AS", " ", quote(chain))...))
	}
	return wrap(append(core, gen(pos, " ", "AS", " ", fmt.Sprintf("_col%d", idx))...))
}

// notAlias are words that end an expression rather than name it.
var notAlias = map[string]bool{"end": true, "day": true, "hour": true, "minute": true, "second": true, "month": true,
	"year": true, "week": true, "quarter": true, "null": true, "true": true, "false": true, "desc": true, "asc": true}

func leadingSpace(item []node) []node {
	var out []node
	for _, n := range item {
		if !n.isSpace() {
			break
		}
		out = append(out, n)
	}
	return out
}

// fieldName names a field of a row value: the column name for a column, else field<k>.
func fieldName(f []node, k int) string {
	f = trimSpace(f)
	if len(f) == 1 && f[0].isName() {
		return f[0].tok.Name()
	}
	if chain, ok := nameChain(f); ok {
		return chain
	}
	return fmt.Sprintf("field%d", k)
}

// nameChain returns the last name of a.b.c (a dereference chain), and whether core is one.
func nameChain(core []node) (string, bool) {
	var names []string
	wantName := true
	for _, n := range core {
		if n.isSpace() {
			continue
		}
		if wantName {
			if !n.isName() || n.tok.Kind == TokIdent && isReservedWord(n.tok.Text) {
				return "", false
			}
			names = append(names, n.tok.Name())
		} else if !n.isOp(".") {
			return "", false
		}
		wantName = !wantName
	}
	if wantName || len(names) < 2 {
		return "", false
	}
	return names[len(names)-1], true
}

func isReservedWord(s string) bool {
	switch strings.ToLower(s) {
	case "case", "cast", "not", "null", "true", "false", "distinct", "exists", "select", "interval", "date", "timestamp":
		return true
	}
	return false
}

func isOperator(n node) bool {
	if n.group {
		return false
	}
	if n.tok.Kind == TokOp {
		return true
	}
	if n.tok.Kind == TokIdent {
		switch strings.ToLower(n.tok.Text) {
		case "and", "or", "not", "is", "in", "like", "between", "then", "else", "when", "case", "end", "distinct", "from",
			"interval", "date", "timestamp", "null", "true", "false":
			return true
		}
	}
	return false
}

// inFromClause reports whether the next node stands where a table goes: after FROM, JOIN or a comma of a FROM list.
func inFromClause(out []node) bool {
	k := prevNode(out, len(out)-1)
	return k >= 0 && (out[k].isKeyword("FROM") || out[k].isKeyword("JOIN") || out[k].isOp(","))
}

// unnest rewrites Trino's UNNEST forms DuckDB's table function lacks: several arrays side by side
// (UNNEST(a, b) AS t(x, y), padded with NULLs) and an array of rows expanded into one column per field
// (UNNEST(resources) AS t(arn, accountid, type)). The plain forms are left alone.
func (c *converter) unnest(kw Token, nodes []node, g int) ([]node, bool) {
	args := c.args(nodes[g])
	k := nextNode(nodes, g+1)
	if k >= 0 && nodes[k].isKeyword("WITH") {
		return nil, false // WITH ORDINALITY: DuckDB has it for one array
	}
	if k >= 0 && nodes[k].isKeyword("AS") {
		k = nextNode(nodes, k+1)
	}
	if k < 0 || !nodes[k].isName() {
		return nil, false
	}
	cols := nextNode(nodes, k+1)
	if cols < 0 || !nodes[cols].group {
		return nil, false
	}
	names := len(splitTop(nodes[cols].kids))
	pos := kw.Pos
	var sel []node
	switch {
	case len(args) == 1 && names > 1:
		sel = call(pos, "UNNEST", args[0], gen(pos, "max_depth", " ", ":=", " ", "2"))
	case len(args) > 1:
		for i, a := range args {
			if i > 0 {
				sel = append(sel, gen(pos, ",", " ")...)
			}
			sel = append(sel, call(pos, "UNNEST", a)...)
		}
	default:
		return nil, false
	}
	return []node{group(pos, append(gen(pos, "SELECT", " "), sel...))}, true
}

// ipCall returns the index of the function name of an IPADDRESS value (athena_ipaddress(…) or
// athena_try_ipaddress(…)) whose argument group is nodes[g], or -1.
func ipCall(nodes []node, g int) int {
	if g < 0 || g >= len(nodes) || !nodes[g].group {
		return -1
	}
	f := prevNode(nodes, g-1)
	if f >= 0 && (nodes[f].isKeyword("athena_ipaddress") || nodes[f].isKeyword("athena_try_ipaddress")) {
		return f
	}
	return -1
}

// ipAfter returns the span [start, end] of an IPADDRESS value starting at the next node after i, or -1, -1.
func ipAfter(nodes []node, i int) (int, int) {
	f := nextNode(nodes, i+1)
	if f < 0 {
		return -1, -1
	}
	g := nextNode(nodes, f+1)
	if g < 0 || ipCall(nodes, g) != f {
		return -1, -1
	}
	return f, g
}

var comparisons = map[string]bool{"=": true, "<>": true, "!=": true, "<": true, ">": true, "<=": true, ">=": true}

// ipComparisons makes comparisons between IP addresses (kept as text) compare them as addresses: both sides of
// a = b, a < b, a BETWEEN b AND c become athena_ip_key(…), a fixed-width hex form of the 16-byte address.
func ipComparisons(nodes []node) []node {
	wrap := map[int]int{} // start index -> end index of a value to wrap
	for i, n := range nodes {
		isCmp := !n.group && n.tok.Kind == TokOp && comparisons[n.tok.Text]
		isBetween := n.isKeyword("BETWEEN")
		if !isCmp && !isBetween {
			continue
		}
		lg := prevNode(nodes, i-1)
		ls := ipCall(nodes, lg)
		if ls < 0 {
			continue
		}
		rs, re := ipAfter(nodes, i)
		if rs < 0 {
			continue
		}
		if isBetween {
			and := nextNode(nodes, re+1)
			if and < 0 || !nodes[and].isKeyword("AND") {
				continue
			}
			bs, be := ipAfter(nodes, and)
			if bs < 0 {
				continue
			}
			wrap[bs] = be
		}
		wrap[ls], wrap[rs] = lg, re
	}
	// ORDER BY CAST(ip AS IPADDRESS): order by the address.
	for i := 0; i < len(nodes); i++ {
		if !nodes[i].isKeyword("ORDER") {
			continue
		}
		by := nextNode(nodes, i+1)
		if by < 0 || !nodes[by].isKeyword("BY") {
			continue
		}
		for k := by; k >= 0 && k < len(nodes); {
			s, e := ipAfter(nodes, k)
			if s >= 0 {
				if after := nextNode(nodes, e+1); after < 0 || nodes[after].isOp(",") || isOrderEnd(nodes[after]) {
					wrap[s] = e
				}
			}
			// Move to the next item.
			k = nextComma(nodes, k+1)
		}
	}
	if len(wrap) == 0 {
		return nodes
	}
	var out []node
	for i := 0; i < len(nodes); i++ {
		end, ok := wrap[i]
		if !ok {
			out = append(out, nodes[i])
			continue
		}
		pos := nodes[i].pos()
		out = append(out, call(pos, "athena_ip_key", nodes[i:end+1])...)
		i = end
	}
	return out
}

// nextComma returns the index of the next top-level comma of an ORDER BY list, or -1 at its end.
func nextComma(nodes []node, i int) int {
	for ; i < len(nodes); i++ {
		if nodes[i].isOp(",") {
			return i
		}
		if nodes[i].isKeyword("LIMIT") || nodes[i].isKeyword("OFFSET") || nodes[i].isKeyword("FETCH") ||
			nodes[i].isKeyword("UNION") || nodes[i].isKeyword("EXCEPT") || nodes[i].isKeyword("INTERSECT") {
			return -1
		}
	}
	return -1
}

func isOrderEnd(n node) bool {
	for _, kw := range []string{"ASC", "DESC", "NULLS", "LIMIT", "OFFSET", "FETCH"} {
		if n.isKeyword(kw) {
			return true
		}
	}
	return false
}

// isFilterClause reports whether FILTER (…) follows an aggregate call rather than being a call itself.
func isFilterClause(out []node, g node) bool {
	if k := nextNode(g.kids, 0); k >= 0 && g.kids[k].isKeyword("WHERE") {
		return true
	}
	p := prevNode(out, len(out)-1)
	return p >= 0 && out[p].group
}

// nameChainEnd reports whether core is a qualified column, t.c.
func nameChainEnd(core []node) bool {
	_, ok := nameChain(core)
	return ok
}
