package sigma

import (
	"path"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// token is a word of a condition.
type token struct {
	text string
	pos  int // byte offset in the condition
}

// aggregation is Sigma 1's "| count(field) by a, b > N": a correlation in the old form.
type aggregation struct {
	fn    string
	field string
	by    []string
	op    string // gt, gte, lt, lte, eq
	value int64
	at    *yaml.Node
}

// condParser parses a detection's condition into SQL over its searches.
type condParser struct {
	node     *yaml.Node
	src      string
	toks     []token
	i        int
	searches map[string]*search
	names    []string // sorted
	// refs, when set, are the names a correlation's condition may use; each is compiled by ref.
	ref func(name string) string
}

func (p *condParser) lex() *posError {
	s := p.src
	for i := 0; i < len(s); {
		c := rune(s[i])
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '(' || c == ')' || c == '|' || c == ',':
			p.toks = append(p.toks, token{string(c), i})
			i++
		case c == '>' || c == '<' || c == '=' || c == '!':
			j := i + 1
			if j < len(s) && s[j] == '=' {
				j++
			}
			p.toks = append(p.toks, token{s[i:j], i})
			i = j
		case isIdent(c):
			j := i
			for j < len(s) && isIdent(rune(s[j])) {
				j++
			}
			p.toks = append(p.toks, token{s[i:j], i})
			i = j
		default:
			return p.errAt(i, "unexpected %q in the condition", string(c))
		}
	}
	return nil
}

func isIdent(c rune) bool {
	return c == '_' || c == '*' || c == '-' || c == '.' || c < 128 && (unicode.IsLetter(c) || unicode.IsDigit(c))
}

// errAt is an error at an offset of the condition: its column when the condition is on one line.
func (p *condParser) errAt(off int, format string, args ...any) *posError {
	e := errAt(p.node, format, args...)
	if p.node.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 && !strings.Contains(p.src, "\n") {
		e.col += off
		if p.node.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0 {
			e.col++
		}
	}
	return e
}

func (p *condParser) peek() string {
	if p.i < len(p.toks) {
		return strings.ToLower(p.toks[p.i].text)
	}
	return ""
}

func (p *condParser) pos() int {
	if p.i < len(p.toks) {
		return p.toks[p.i].pos
	}
	return len(p.src)
}

func (p *condParser) parse() (string, *aggregation, *posError) {
	if err := p.lex(); err != nil {
		return "", nil, err
	}
	sql, err := p.or()
	if err != nil {
		return "", nil, err
	}
	var agg *aggregation
	if p.peek() == "|" {
		p.i++
		if agg, err = p.aggregation(); err != nil {
			return "", nil, err
		}
	}
	if p.i < len(p.toks) {
		return "", nil, p.errAt(p.pos(), "unexpected %q in the condition", p.toks[p.i].text)
	}
	return sql, agg, nil
}

func (p *condParser) or() (string, *posError) {
	return p.chain("or", p.and)
}

func (p *condParser) and() (string, *posError) {
	return p.chain("and", p.not)
}

func (p *condParser) chain(op string, next func() (string, *posError)) (string, *posError) {
	first, err := next()
	if err != nil {
		return "", err
	}
	parts := []string{first}
	for p.peek() == op {
		p.i++
		s, err := next()
		if err != nil {
			return "", err
		}
		parts = append(parts, s)
	}
	return join(parts, strings.ToUpper(op)), nil
}

func (p *condParser) not() (string, *posError) {
	if p.peek() == "not" {
		p.i++
		s, err := p.not()
		if err != nil {
			return "", err
		}
		// Sigma's logic has two values: a field a record lacks matches nothing, and "not" of that matches.
		return "NOT coalesce(" + s + ", false)", nil
	}
	return p.primary()
}

func (p *condParser) primary() (string, *posError) {
	at := p.pos()
	switch t := p.peek(); {
	case t == "":
		return "", p.errAt(at, "the condition ends where a selection, ( or not was expected")
	case t == "(":
		p.i++
		s, err := p.or()
		if err != nil {
			return "", err
		}
		if p.peek() != ")" {
			return "", p.errAt(p.pos(), "missing ) for the ( at column %d of the condition", at+1)
		}
		p.i++
		return s, nil
	case t == "and" || t == "or" || t == ")" || t == "|" || t == "of" || t == ",":
		return "", p.errAt(at, "unexpected %q where a selection, ( or not was expected", p.toks[p.i].text)
	case t == "near":
		return "", unsupportedAt(p.node, "the near operator is not supported: write a temporal correlation rule")
	}
	if p.i+1 < len(p.toks) && strings.ToLower(p.toks[p.i+1].text) == "of" {
		return p.quantified()
	}
	name := p.toks[p.i].text
	p.i++
	if strings.Contains(name, "*") {
		return "", p.errAt(at, "a pattern (%s) needs a quantifier: 1 of %s or all of %s", name, name, name)
	}
	return p.lookup(name, at)
}

func (p *condParser) lookup(name string, at int) (string, *posError) {
	if p.ref != nil {
		for _, n := range p.names {
			if n == name {
				return p.ref(name), nil
			}
		}
		return "", p.errAt(at, "%s is not one of the correlated rules (%s)", name, strings.Join(p.names, ", "))
	}
	s, ok := p.searches[name]
	if !ok {
		return "", p.errAt(at, "the condition names %s, which the detection does not define (it has %s)", name, strings.Join(p.names, ", "))
	}
	return s.sql, nil
}

// quantified is "1 of x*", "all of x*", "N of them".
func (p *condParser) quantified() (string, *posError) {
	at := p.pos()
	q := p.peek()
	p.i += 2 // the quantifier and "of"
	n := 0
	switch q {
	case "all":
	case "any":
		n = 1
	default:
		v, err := strconv.Atoi(q)
		if err != nil || v < 1 {
			return "", p.errAt(at, "%q of: the quantifier is 1, all or a number", q)
		}
		n = v
	}
	tat := p.pos()
	target := ""
	if p.i < len(p.toks) {
		target = p.toks[p.i].text
	}
	if target == "" || !isIdent(rune(target[0])) {
		return "", p.errAt(tat, "%s of what? Name a selection pattern (selection_*) or them", q)
	}
	p.i++
	var matched []string
	for _, name := range p.names {
		if strings.EqualFold(target, "them") {
			if !strings.HasPrefix(name, "_") {
				matched = append(matched, name)
			}
			continue
		}
		if ok, _ := path.Match(target, name); ok {
			matched = append(matched, name)
		}
	}
	if len(matched) == 0 {
		return "", p.errAt(tat, "%s matches no selection (the detection has %s)", target, strings.Join(p.names, ", "))
	}
	var parts []string
	for _, name := range matched {
		s, err := p.lookup(name, tat)
		if err != nil {
			return "", err
		}
		parts = append(parts, s)
	}
	switch {
	case n == 0:
		return join(parts, "AND"), nil
	case n == 1:
		return join(parts, "OR"), nil
	case n > len(parts):
		return "", p.errAt(at, "%d of %s: it matches only %d selections", n, target, len(parts))
	}
	for i, s := range parts {
		parts[i] = "if(coalesce(" + s + ", false), 1, 0)"
	}
	return "(" + strings.Join(parts, " + ") + ") >= " + strconv.Itoa(n), nil
}

var aggOps = map[string]string{">": "gt", ">=": "gte", "<": "lt", "<=": "lte", "=": "eq", "==": "eq"}

// aggregation reads "count([field]) [by a[, b]] op N".
func (p *condParser) aggregation() (*aggregation, *posError) {
	at := p.pos()
	fn := p.peek()
	switch fn {
	case "near":
		return nil, unsupportedAt(p.node, "the near operator is not supported: write a temporal correlation rule")
	case "count":
	case "min", "max", "avg", "sum":
		return nil, unsupportedAt(p.node, "the aggregation %s() is not supported: only count() (or a correlation rule)", fn)
	default:
		return nil, p.errAt(at, "an aggregation after | is count(), not %q", fn)
	}
	p.i++
	a := &aggregation{fn: fn, at: p.node}
	if p.peek() != "(" {
		return nil, p.errAt(p.pos(), "count needs ( )")
	}
	p.i++
	if t := p.peek(); t != ")" && t != "" {
		a.field = p.toks[p.i].text
		p.i++
	}
	if p.peek() != ")" {
		return nil, p.errAt(p.pos(), "count takes one field at most, then )")
	}
	p.i++
	if p.peek() == "by" {
		p.i++
		for {
			if p.i >= len(p.toks) || !isIdent(rune(p.toks[p.i].text[0])) {
				return nil, p.errAt(p.pos(), "by what? Name a field")
			}
			a.by = append(a.by, p.toks[p.i].text)
			p.i++
			if p.peek() != "," {
				break
			}
			p.i++
		}
	}
	op, ok := aggOps[p.peek()]
	if !ok {
		return nil, p.errAt(p.pos(), "count() needs a comparison (> N, >= N, < N, <= N, = N)")
	}
	a.op = op
	p.i++
	v, err := strconv.ParseInt(p.peek(), 10, 64)
	if err != nil {
		return nil, p.errAt(p.pos(), "count() %s needs a whole number", p.toks[p.i-1].text)
	}
	a.value = v
	p.i++
	return a, nil
}
