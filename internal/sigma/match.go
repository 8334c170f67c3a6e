package sigma

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/netip"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"

	"go.yaml.in/yaml/v3"
)

// Sigma's value modifiers (Sigma modifiers appendix 2.1).
var modifiers = map[string]bool{
	"contains": true, "startswith": true, "endswith": true, "all": true, "exists": true, "cased": true,
	"neq": true, "windash": true, "re": true, "i": true, "m": true, "s": true, "base64": true,
	"base64offset": true, "utf16le": true, "utf16be": true, "utf16": true, "wide": true,
	"lt": true, "lte": true, "gt": true, "gte": true,
	"minute": true, "hour": true, "day": true, "week": true, "month": true, "year": true,
	"cidr": true, "expand": true, "fieldref": true,
}

var numericOps = map[string]string{"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}

var timeParts = map[string]string{
	"minute": "minute", "hour": "hour", "day": "day_of_month", "week": "week_of_year", "month": "month", "year": "year",
}

// item is one "field|modifiers: value(s)" of a selection.
type item struct {
	key    *yaml.Node
	field  string
	mods   []string
	values []*yaml.Node
}

// mods are an item's modifiers, read.
type mods struct {
	match    string // "", contains, startswith or endswith
	all      bool
	cased    bool
	neq      bool
	windash  bool
	re       bool
	reFlags  string // of i, m, s
	encoding string // "", utf16le, utf16be, utf16
	base64   string // "", base64 or base64offset
	numeric  string // "", lt, lte, gt, gte
	timePart string
	cidr     bool
	exists   bool
	fieldref bool
}

// readMods checks an item's modifiers: what each may be combined with, and in which order.
func readMods(it *item) (mods, *posError) {
	var m mods
	at := func(i int) *yaml.Node {
		// The column of the i-th modifier in the key, for the message.
		n := *it.key
		off := len(it.field) + 1
		for _, x := range it.mods[:i] {
			off += len(x) + 1
		}
		if n.Style == 0 {
			n.Column += off
		} else {
			n.Column += off + 1
		}
		return &n
	}
	for i, x := range it.mods {
		if !modifiers[x] {
			return m, errAt(at(i), "unknown modifier %q", x)
		}
		conflict := func(other bool, name string) *posError {
			if other {
				return errAt(at(i), "modifier %s cannot be combined with %s", x, name)
			}
			return nil
		}
		var e *posError
		switch x {
		case "contains", "startswith", "endswith":
			e = conflict(m.match != "", m.match)
			if e == nil {
				e = conflict(m.re, "re")
			}
			m.match = x
		case "all":
			m.all = true
		case "cased":
			m.cased = true
		case "neq":
			m.neq = true
		case "windash":
			e = conflict(m.base64 != "" || m.encoding != "", "an encoding before it (windash comes first)")
			m.windash = true
		case "re":
			e = conflict(m.match != "", m.match)
			m.re = true
		case "i", "m", "s":
			if !m.re {
				return m, errAt(at(i), "modifier %s is a flag of re: write re|%s", x, x)
			}
			m.reFlags += x
		case "utf16le", "utf16be", "utf16", "wide":
			e = conflict(m.encoding != "", m.encoding)
			if x == "wide" {
				x = "utf16le"
			}
			m.encoding = x
		case "base64", "base64offset":
			e = conflict(m.base64 != "", m.base64)
			m.base64 = x
		case "lt", "lte", "gt", "gte":
			e = conflict(m.numeric != "", m.numeric)
			m.numeric = x
		case "minute", "hour", "day", "week", "month", "year":
			e = conflict(m.timePart != "", m.timePart)
			m.timePart = x
		case "cidr":
			m.cidr = true
		case "exists":
			m.exists = true
		case "fieldref":
			m.fieldref = true
		case "expand":
			return m, unsupportedAt(at(i), "modifier expand needs placeholder values (%%name%%), which trailq has no settings for: write the values in the rule")
		}
		if e != nil {
			return m, e
		}
	}
	if m.base64 != "" {
		m.cased = true // base64 tells upper from lower case
	}
	if m.encoding != "" && m.base64 == "" {
		return m, errAt(it.key, "modifier %s gives bytes that CloudTrail's text never holds: use it before base64 or base64offset", m.encoding)
	}
	special := 0
	for _, b := range []bool{m.re, m.cidr, m.exists, m.fieldref, m.numeric != "" || m.timePart != "", m.base64 != "" || m.windash} {
		if b {
			special++
		}
	}
	if special > 1 || (special == 1 && m.match != "" && !m.fieldref && m.base64 == "" && !m.windash) {
		return m, errAt(it.key, "modifiers %s cannot be combined", strings.Join(it.mods, "|"))
	}
	if (m.exists || m.cidr || m.re || m.numeric != "" || m.timePart != "") && m.cased {
		return m, errAt(it.key, "modifier cased applies to string matches only")
	}
	return m, nil
}

// cond is a condition on one value: an equality lhs = val (which several values of a field fold into IN), or
// any other condition.
type cond struct {
	lhs, val string // an equality: val is a SQL literal
	sql      string
}

func (c cond) String() string {
	if c.sql != "" {
		return c.sql
	}
	return c.lhs + " = " + c.val
}

// compileItem returns the SQL condition of one item of a selection, and adds to warnings what may not be
// what the author meant.
func compileItem(it *item, warnings *[]string) (string, *posError) {
	m, perr := readMods(it)
	if perr != nil {
		return "", perr
	}
	if !m.fieldref && !m.re && !m.cidr && !m.exists {
		for _, v := range it.values {
			if v.Kind == yaml.ScalarNode && strings.Contains(v.Value, ".") && !strings.ContainsAny(v.Value, " *?") {
				if _, err := mapField(v.Value); err == nil {
					*warnings = append(*warnings, fmt.Sprintf("line %d: %s is compared with the text %q, which names a field: %s|fieldref compares with the field",
						v.Line, it.field, v.Value, strings.Join(append([]string{it.field}, it.mods...), "|")))
				}
			}
		}
	}
	f, err := mapField(it.field)
	if err != nil {
		return "", errAt(it.key, "%v", err)
	}
	if len(it.values) == 0 {
		return "", errAt(it.key, "%s has an empty list of values", it.field)
	}
	var conds []string
	var any []cond
	for _, v := range it.values {
		cs, perr := compileValue(it, f, m, v)
		if perr != nil {
			return "", perr
		}
		if m.all {
			conds = append(conds, anyOf(cs))
		} else {
			any = append(any, cs...)
		}
	}
	c := join(conds, "AND")
	if !m.all {
		c = anyOf(any)
	}
	if m.neq {
		c = "NOT coalesce(" + c + ", false)"
	}
	return c, nil
}

// anyOf ORs conditions, folding equalities of one expression into IN.
func anyOf(cs []cond) string {
	var out, order []string
	vals := map[string][]string{}
	for _, c := range cs {
		if c.sql != "" {
			out = append(out, c.sql)
			continue
		}
		if _, seen := vals[c.lhs]; !seen {
			order = append(order, c.lhs)
		}
		if !slices.Contains(vals[c.lhs], c.val) {
			vals[c.lhs] = append(vals[c.lhs], c.val)
		}
	}
	var eqs []string
	for _, lhs := range order {
		if v := vals[lhs]; len(v) == 1 {
			eqs = append(eqs, lhs+" = "+v[0])
		} else {
			eqs = append(eqs, lhs+" IN ("+strings.Join(v, ", ")+")")
		}
	}
	return join(append(eqs, out...), "OR")
}

func join(conds []string, op string) string {
	if len(conds) == 1 {
		return conds[0]
	}
	return "(" + strings.Join(conds, " "+op+" ") + ")"
}

// compileValue returns the conditions for one value of an item, any of which matches.
func compileValue(it *item, f field, m mods, v *yaml.Node) ([]cond, *posError) {
	if v.Kind == yaml.AliasNode {
		v = v.Alias
	}
	if v.Kind != yaml.ScalarNode {
		return nil, errAt(v, "a value of %s must be a single value, not a %s", it.field, kindName(v))
	}
	one := func(sql string, err *posError) ([]cond, *posError) {
		if err != nil {
			return nil, err
		}
		return []cond{{sql: sql}}, nil
	}
	switch {
	case m.exists:
		b, ok := boolValue(v)
		if !ok {
			return nil, errAt(v, "exists takes true or false, not %q", v.Value)
		}
		if b {
			return one("NOT ("+f.isNull()+")", nil)
		}
		return one(f.isNull(), nil)
	case v.Tag == "!!null":
		if m.match != "" || m.re || m.cidr || m.fieldref || m.numeric != "" || m.timePart != "" || m.base64 != "" || m.windash {
			return nil, errAt(v, "null takes no modifier but all, neq or cased")
		}
		return one(f.isNull(), nil)
	case m.fieldref:
		return one(fieldRef(f, m, v))
	case m.cidr:
		p, err := netip.ParsePrefix(strings.TrimSpace(v.Value))
		if err != nil {
			return nil, errAt(v, "cidr takes a network like 10.0.0.0/8 or 2001:db8::/32, not %q", v.Value)
		}
		return one(f.each("contains("+quote(p.Masked().String())+", TRY_CAST("+f.expr+" AS IPADDRESS))"), nil)
	case m.re:
		return one(regex(f, m, v))
	case m.numeric != "" || m.timePart != "":
		n, err := strconv.ParseFloat(strings.TrimSpace(v.Value), 64)
		if err != nil {
			return nil, errAt(v, "%s takes a number, not %q", strings.Join(it.mods, "|"), v.Value)
		}
		lhs := "TRY_CAST(" + f.expr + " AS DOUBLE)"
		if m.timePart != "" {
			lhs = timeParts[m.timePart] + "(try(from_iso8601_timestamp(" + f.expr + ")))"
		}
		op := "="
		if m.numeric != "" {
			op = numericOps[m.numeric]
		}
		return one(f.each(lhs+" "+op+" "+strconv.FormatFloat(n, 'f', -1, 64)), nil)
	}
	pats, perr := patterns(m, v)
	if perr != nil {
		return nil, perr
	}
	var out []cond
	for _, p := range pats {
		c := p.cond(f.expr, m.cased)
		if f.list != "" {
			c = cond{sql: f.each(c.String())}
		}
		out = append(out, c)
	}
	return out, nil
}

func boolValue(v *yaml.Node) (bool, bool) {
	switch strings.ToLower(v.Value) {
	case "true", "yes":
		return true, true
	case "false", "no":
		return false, true
	}
	return false, false
}

// fieldRef compares the field with another field of the same record.
func fieldRef(f field, m mods, v *yaml.Node) (string, *posError) {
	g, err := mapField(strings.TrimSpace(v.Value))
	if err != nil {
		return "", errAt(v, "fieldref: %v", err)
	}
	if f.list != "" || g.list != "" {
		return "", unsupportedAt(v, "fieldref with a field of a list (resources) is not supported")
	}
	a, b := f.expr, g.expr
	if !m.cased {
		a, b = "lower("+a+")", "lower("+b+")"
	}
	switch m.match {
	case "contains":
		return "strpos(" + a + ", " + b + ") > 0", nil
	case "startswith":
		return "starts_with(" + a + ", " + b + ")", nil
	case "endswith":
		return "(length(" + a + ") >= length(" + b + ") AND substr(" + a + ", length(" + a + ") - length(" + b + ") + 1) = " + b + ")", nil
	}
	return a + " = " + b, nil
}

// regex checks a regular expression against RE2, the syntax DuckDB runs (and Trino's re2j), and matches it
// anywhere in the value, case-sensitively unless re|i.
func regex(f field, m mods, v *yaml.Node) (string, *posError) {
	re := v.Value
	if m.reFlags != "" {
		re = "(?" + m.reFlags + ")" + re
	}
	if _, err := syntax.Parse(re, syntax.Perl); err != nil {
		return "", unsupportedAt(v, "regular expression %q: %v (trailq runs RE2: no look-around or back-references)", v.Value, err)
	}
	return f.each("regexp_like(" + f.expr + ", " + quote(re) + ")"), nil
}

// pattern is a string to match: literal runes and wildcards.
type pattern []tok

type tok struct {
	lit  string
	wild byte // 0 (literal), '*' or '?'
}

// parseWildcards reads Sigma's wildcards: * and ? unless escaped with \; \\ is a backslash, and a backslash
// before anything else is itself.
func parseWildcards(s string) pattern {
	var p pattern
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p = append(p, tok{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\'):
			lit.WriteByte(s[i+1])
			i++
		case c == '*' || c == '?':
			flush()
			p = append(p, tok{wild: c})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return p
}

func (p pattern) hasWildcards() bool {
	for _, t := range p {
		if t.wild != 0 {
			return true
		}
	}
	return false
}

// cond is the condition that expr matches the pattern.
func (p pattern) cond(expr string, cased bool) cond {
	onlyStars := len(p) > 0
	for _, t := range p {
		if t.wild != '*' {
			onlyStars = false
		}
	}
	if onlyStars {
		return cond{sql: expr + " IS NOT NULL"}
	}
	lower := func(s string) string {
		if cased {
			return s
		}
		return strings.ToLower(s)
	}
	lhs := expr
	if !cased {
		lhs = "lower(" + expr + ")"
	}
	if !p.hasWildcards() {
		s := ""
		if len(p) == 1 {
			s = p[0].lit
		}
		return cond{lhs: lhs, val: quote(lower(s))}
	}
	var b strings.Builder
	escaped := false
	for _, t := range p {
		switch t.wild {
		case '*':
			b.WriteByte('%')
		case '?':
			b.WriteByte('_')
		default:
			for _, r := range lower(t.lit) {
				if r == '%' || r == '_' || r == '\\' {
					b.WriteByte('\\')
					escaped = true
				}
				b.WriteRune(r)
			}
		}
	}
	if escaped {
		return cond{sql: lhs + " LIKE " + quote(b.String()) + ` ESCAPE '\'`}
	}
	return cond{sql: lhs + " LIKE " + quote(b.String())}
}

// patterns returns what one value matches: its wildcards, the contains/startswith/endswith wildcards around it,
// and the variants windash and the encodings make of it.
func patterns(m mods, v *yaml.Node) ([]pattern, *posError) {
	var out []pattern
	if m.base64 != "" || m.windash {
		variants := []string{v.Value}
		if m.windash {
			variants = windash(v.Value)
		}
		for _, s := range variants {
			p := parseWildcards(s)
			if m.base64 != "" {
				if p.hasWildcards() {
					return nil, errAt(v, "%s cannot encode wildcards: %q", m.base64, v.Value)
				}
				for _, enc := range encode([]byte(s), m.encoding, m.base64 == "base64offset") {
					out = append(out, around(pattern{{lit: enc}}, m.match))
				}
				continue
			}
			out = append(out, around(p, m.match))
		}
		if len(out) > 1024 {
			return nil, unsupportedAt(v, "windash makes %d variants of %q: too many", len(out), v.Value)
		}
		return out, nil
	}
	return []pattern{around(parseWildcards(v.Value), m.match)}, nil
}

// around adds the wildcards of contains, startswith and endswith.
func around(p pattern, match string) pattern {
	star := tok{wild: '*'}
	switch match {
	case "contains":
		return append(append(pattern{star}, p...), star)
	case "startswith":
		return append(append(pattern{}, p...), star)
	case "endswith":
		return append(pattern{star}, p...)
	}
	return p
}

// windash returns the permutations of the dashes Windows takes for a flag's: -, /, en dash, em dash and
// horizontal bar.
func windash(s string) []string {
	dashes := []string{"-", "/", "\u2013", "\u2014", "\u2015"}
	out := []string{""}
	for _, r := range s {
		c := string(r)
		isDash := false
		for _, d := range dashes {
			if c == d {
				isDash = true
			}
		}
		var next []string
		for _, prefix := range out {
			if !isDash {
				next = append(next, prefix+c)
				continue
			}
			for _, d := range dashes {
				next = append(next, prefix+d)
			}
		}
		out = next
		if len(out) > 4096 {
			return out
		}
	}
	return out
}

// encode is the base64 of the value in an encoding; with offsets, the three forms it takes at each offset of a
// longer encoded text, without the characters its neighbours change.
func encode(b []byte, encoding string, offsets bool) []string {
	switch encoding {
	case "utf16le", "utf16be", "utf16":
		u := utf16.Encode([]rune(string(b)))
		var out []byte
		if encoding == "utf16" {
			out = append(out, 0xFF, 0xFE)
		}
		for _, c := range u {
			if encoding == "utf16be" {
				out = binary.BigEndian.AppendUint16(out, c)
			} else {
				out = binary.LittleEndian.AppendUint16(out, c)
			}
		}
		b = out
	}
	if !offsets {
		return []string{base64.StdEncoding.EncodeToString(b)}
	}
	var out []string
	for shift := range 3 {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, shift), b...))
		start := []int{0, 2, 3}[shift]
		end := len(enc) - []int{0, 3, 2}[(len(b)+shift)%3]
		if start < end {
			out = append(out, enc[start:end])
		}
	}
	return out
}
