package hiveddl_test

import (
	"fmt"
	"strings"
	"unicode"
)

// table is what parseCreate reads of a CREATE EXTERNAL TABLE statement.
type table struct {
	Name                          string
	Columns, Partitions           []column
	Comment, SerDe, Input, Output string
	StoredAs, Location            string
	Properties                    map[string]string
	PropertyOrder                 []string
}

type column struct{ Name, Type string }

// parser reads the subset of Hive's CREATE TABLE grammar (the Hive Language Manual's DDL, as Athena takes it)
// that the tables here use, strictly: each clause in Hive's order, every identifier, literal and bracket
// checked, anything else an error with its offset. It is written for the tests, independent of the code that
// writes the DDL and of DuckDB.
type parser struct {
	s   string
	pos int
}

// parseCreate reads one CREATE EXTERNAL TABLE statement at the start of s and returns what follows it.
func parseCreate(s string) (*table, string, error) {
	p := &parser{s: s}
	t := &table{Properties: map[string]string{}}
	if err := p.create(t); err != nil {
		line := strings.Count(s[:p.pos], "\n") + 1
		return nil, "", fmt.Errorf("line %d (offset %d, near %q): %w", line, p.pos, p.near(), err)
	}
	return t, p.rest(), nil
}

func (p *parser) near() string { return p.s[p.pos:min(len(p.s), p.pos+30)] }

// skip passes spaces and -- comments.
func (p *parser) skip() {
	for p.pos < len(p.s) {
		switch {
		case unicode.IsSpace(rune(p.s[p.pos])):
			p.pos++
		case strings.HasPrefix(p.s[p.pos:], "--"):
			for p.pos < len(p.s) && p.s[p.pos] != '\n' {
				p.pos++
			}
		default:
			return
		}
	}
}

// keyword consumes the words of kw (case-insensitive), or fails.
func (p *parser) keyword(kw string) error {
	for _, w := range strings.Fields(kw) {
		p.skip()
		end := p.pos
		for end < len(p.s) && (unicode.IsLetter(rune(p.s[end])) || p.s[end] == '_') {
			end++
		}
		if !strings.EqualFold(p.s[p.pos:end], w) {
			return fmt.Errorf("want %s", w)
		}
		p.pos = end
	}
	return nil
}

func (p *parser) peekKeyword(kw string) bool {
	save := p.pos
	ok := p.keyword(kw) == nil
	p.pos = save
	return ok
}

func (p *parser) punct(c byte) error {
	p.skip()
	if p.pos >= len(p.s) || p.s[p.pos] != c {
		return fmt.Errorf("want %q", c)
	}
	p.pos++
	return nil
}

func (p *parser) peek(c byte) bool {
	p.skip()
	return p.pos < len(p.s) && p.s[p.pos] == c
}

// ident reads a plain or `quoted` identifier.
func (p *parser) ident() (string, error) {
	p.skip()
	if p.peek('`') {
		end := strings.IndexByte(p.s[p.pos+1:], '`')
		if end <= 0 {
			return "", fmt.Errorf("unterminated or empty `identifier`")
		}
		id := p.s[p.pos+1 : p.pos+1+end]
		p.pos += end + 2
		return id, nil
	}
	start := p.pos
	for p.pos < len(p.s) && (unicode.IsLetter(rune(p.s[p.pos])) || unicode.IsDigit(rune(p.s[p.pos])) || p.s[p.pos] == '_') {
		p.pos++
	}
	if start == p.pos || unicode.IsDigit(rune(p.s[start])) {
		return "", fmt.Errorf("want an identifier")
	}
	return p.s[start:p.pos], nil
}

// literal reads a 'string' (” inside is a quote).
func (p *parser) literal() (string, error) {
	if err := p.punct('\''); err != nil {
		return "", err
	}
	var b strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		p.pos++
		if c == '\'' {
			if p.pos < len(p.s) && p.s[p.pos] == '\'' {
				b.WriteByte('\'')
				p.pos++
				continue
			}
			return b.String(), nil
		}
		b.WriteByte(c)
	}
	return "", fmt.Errorf("unterminated string")
}

// typ reads a Hive type and returns it normalized: upper case, no spaces.
func (p *parser) typ() (string, error) {
	name, err := p.ident()
	if err != nil {
		return "", fmt.Errorf("want a type: %w", err)
	}
	switch strings.ToUpper(name) {
	case "STRING", "BIGINT", "INT", "BOOLEAN", "DOUBLE", "TIMESTAMP":
		return strings.ToUpper(name), nil
	case "ARRAY":
		if err := p.punct('<'); err != nil {
			return "", err
		}
		elem, err := p.typ()
		if err != nil {
			return "", err
		}
		return "ARRAY<" + elem + ">", p.punct('>')
	case "MAP":
		if err := p.punct('<'); err != nil {
			return "", err
		}
		k, err := p.typ()
		if err != nil {
			return "", err
		}
		if err := p.punct(','); err != nil {
			return "", err
		}
		v, err := p.typ()
		if err != nil {
			return "", err
		}
		return "MAP<" + k + "," + v + ">", p.punct('>')
	case "STRUCT":
		return p.structType()
	}
	return "", fmt.Errorf("unknown type %s", name)
}

func (p *parser) structType() (string, error) {
	if err := p.punct('<'); err != nil {
		return "", err
	}
	var fields []string
	seen := map[string]bool{}
	for {
		name, err := p.ident()
		if err != nil {
			return "", err
		}
		if seen[strings.ToLower(name)] {
			return "", fmt.Errorf("field %s twice", name)
		}
		seen[strings.ToLower(name)] = true
		if err := p.punct(':'); err != nil {
			return "", err
		}
		t, err := p.typ()
		if err != nil {
			return "", err
		}
		fields = append(fields, strings.ToLower(name)+":"+t)
		if !p.peek(',') {
			break
		}
		p.pos++
	}
	return "STRUCT<" + strings.Join(fields, ",") + ">", p.punct('>')
}

// columns reads ( name type, … ).
func (p *parser) columns() ([]column, error) {
	if err := p.punct('('); err != nil {
		return nil, err
	}
	var cols []column
	seen := map[string]bool{}
	for {
		name, err := p.ident()
		if err != nil {
			return nil, err
		}
		if seen[strings.ToLower(name)] {
			return nil, fmt.Errorf("column %s twice", name)
		}
		seen[strings.ToLower(name)] = true
		t, err := p.typ()
		if err != nil {
			return nil, err
		}
		cols = append(cols, column{strings.ToLower(name), t})
		if !p.peek(',') {
			break
		}
		p.pos++
	}
	return cols, p.punct(')')
}

func (p *parser) create(t *table) (err error) {
	if err := p.keyword("CREATE EXTERNAL TABLE"); err != nil {
		return err
	}
	if p.peekKeyword("IF") {
		if err := p.keyword("IF NOT EXISTS"); err != nil {
			return err
		}
	}
	if t.Name, err = p.ident(); err != nil {
		return err
	}
	if p.peek('.') {
		p.pos++
		db := t.Name
		if t.Name, err = p.ident(); err != nil {
			return err
		}
		t.Name = db + "." + t.Name
	}
	if t.Columns, err = p.columns(); err != nil {
		return err
	}
	if p.peekKeyword("COMMENT") {
		p.keyword("COMMENT")
		if t.Comment, err = p.literal(); err != nil {
			return err
		}
	}
	if p.peekKeyword("PARTITIONED BY") {
		p.keyword("PARTITIONED BY")
		if t.Partitions, err = p.columns(); err != nil {
			return err
		}
	}
	if err := p.storage(t); err != nil {
		return err
	}
	if err := p.keyword("LOCATION"); err != nil {
		return err
	}
	if t.Location, err = p.literal(); err != nil {
		return err
	}
	if p.peekKeyword("TBLPROPERTIES") {
		if err := p.properties(t); err != nil {
			return err
		}
	}
	if err := p.punct(';'); err != nil {
		return err
	}
	return nil
}

func (p *parser) storage(t *table) (err error) {
	if p.peekKeyword("ROW FORMAT SERDE") {
		p.keyword("ROW FORMAT SERDE")
		if t.SerDe, err = p.literal(); err != nil {
			return err
		}
	}
	if err := p.keyword("STORED AS"); err != nil {
		return err
	}
	if !p.peekKeyword("INPUTFORMAT") {
		t.StoredAs, err = p.ident()
		return err
	}
	p.keyword("INPUTFORMAT")
	if t.Input, err = p.literal(); err != nil {
		return err
	}
	if err := p.keyword("OUTPUTFORMAT"); err != nil {
		return err
	}
	t.Output, err = p.literal()
	return err
}

func (p *parser) properties(t *table) error {
	p.keyword("TBLPROPERTIES")
	if err := p.punct('('); err != nil {
		return err
	}
	for {
		k, err := p.literal()
		if err != nil {
			return err
		}
		if err := p.punct('='); err != nil {
			return err
		}
		v, err := p.literal()
		if err != nil {
			return err
		}
		if _, dup := t.Properties[k]; dup {
			return fmt.Errorf("property %s twice", k)
		}
		t.Properties[k] = v
		t.PropertyOrder = append(t.PropertyOrder, k)
		if !p.peek(',') {
			break
		}
		p.pos++
	}
	return p.punct(')')
}

// rest is what follows the statement (another statement, or nothing).
func (p *parser) rest() string { p.skip(); return p.s[p.pos:] }
