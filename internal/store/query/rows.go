package query

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Column describes one result column.
type Column struct {
	Name string
	Type string // DuckDB type name, e.g. VARCHAR, BIGINT, STRUCT("type" VARCHAR, …)
}

// Nested reports whether the column holds structs, lists, maps or JSON, which Rows returns as JSON text.
func (c Column) Nested() bool {
	t := parseType(c.Type)
	return t.kind != kindScalar
}

// Rows is a query result, read row by row.
type Rows struct {
	rows  *sql.Rows
	conn  *sql.Conn // the sandbox's connection of this query, closed with the rows
	cols  []Column
	types []*typeNode
	vals  []any
	ptrs  []any
	out   []any
}

// Columns returns the result's columns.
func (r *Rows) Columns() []Column { return r.cols }

// Next advances to the next row.
func (r *Rows) Next() bool { return r.rows.Next() }

// Values returns the current row. Each value is nil, a string, int64, float64, bool, time.Time (timestamps and
// dates), or json.RawMessage for structs, lists, maps and JSON, with struct fields in their declared order.
// The slice is reused by the next call.
func (r *Rows) Values() ([]any, error) {
	if err := r.rows.Scan(r.ptrs...); err != nil {
		return nil, err
	}
	for i, v := range r.vals {
		r.out[i] = normalize(v, r.types[i])
	}
	return r.out, nil
}

// Err returns the error that ended the iteration, if any.
func (r *Rows) Err() error { return r.rows.Err() }

// Close releases the result.
func (r *Rows) Close() error {
	err := r.rows.Close()
	if r.conn != nil {
		if cerr := r.conn.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

func normalize(v any, t *typeNode) any {
	if v == nil {
		return nil
	}
	if t.kind != kindScalar {
		var b bytes.Buffer
		writeJSON(&b, v, t)
		return json.RawMessage(b.Bytes())
	}
	switch x := v.(type) {
	case string, int64, float64, bool, time.Time:
		return x
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		if x <= 1<<63-1 {
			return int64(x)
		}
		return strconv.FormatUint(x, 10)
	case float32:
		return float64(x)
	case *big.Int:
		if x.IsInt64() {
			return x.Int64()
		}
		return x.String()
	case duckdb.Decimal:
		return x.String()
	case []byte:
		return string(x)
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// writeJSON writes v as JSON, ordering struct fields as the type declares them.
func writeJSON(b *bytes.Buffer, v any, t *typeNode) {
	if v == nil {
		b.WriteString("null")
		return
	}
	switch t.kind {
	case kindStruct:
		m, ok := v.(map[string]any)
		if !ok {
			break
		}
		b.WriteByte('{')
		for i, f := range t.fields {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, f.name)
			b.WriteByte(':')
			writeJSON(b, m[f.name], f.typ)
		}
		b.WriteByte('}')
		return
	case kindList:
		l, ok := v.([]any)
		if !ok {
			break
		}
		b.WriteByte('[')
		for i, e := range l {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, e, t.elem)
		}
		b.WriteByte(']')
		return
	case kindMap:
		om, ok := v.(duckdb.OrderedMap)
		if !ok {
			break
		}
		b.WriteByte('{')
		keys, vals := om.Keys(), om.Values()
		for i := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, fmt.Sprint(normalize(keys[i], t.key)))
			b.WriteByte(':')
			writeJSON(b, vals[i], t.val)
		}
		b.WriteByte('}')
		return
	}
	if t.kind == kindJSON {
		// DuckDB hands JSON values over decoded.
		if enc, err := json.Marshal(v); err == nil {
			b.Write(enc)
			return
		}
	}
	switch x := normalize(v, scalarType).(type) {
	case string:
		writeString(b, x)
	case time.Time:
		writeString(b, x.UTC().Format(time.RFC3339Nano))
	default:
		enc, err := json.Marshal(x)
		if err != nil {
			writeString(b, fmt.Sprint(x))
			return
		}
		b.Write(enc)
	}
}

func writeString(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			// What encoding/json escapes (control characters, quotes, HTML characters, non-ASCII line
			// separators, invalid UTF-8): let it, so that the text stays exactly as before.
			enc, _ := json.Marshal(s)
			b.Write(enc)
			return
		}
	}
	b.WriteByte('"')
	b.WriteString(s)
	b.WriteByte('"')
}

type typeKind int

const (
	kindScalar typeKind = iota
	kindStruct
	kindList
	kindMap
	kindJSON
)

type typeNode struct {
	kind     typeKind
	name     string
	fields   []typeField
	elem     *typeNode
	key, val *typeNode
}

type typeField struct {
	name string
	typ  *typeNode
}

var scalarType = &typeNode{kind: kindScalar}

// parseType reads a DuckDB type name such as STRUCT("a" VARCHAR, b INTEGER[])[] or MAP(VARCHAR, JSON).
func parseType(s string) *typeNode {
	p := &typeParser{s: s}
	t := p.parse()
	if t == nil {
		return scalarType
	}
	return t
}

type typeParser struct {
	s   string
	pos int
}

func (p *typeParser) skipSpace() {
	for p.pos < len(p.s) && p.s[p.pos] == ' ' {
		p.pos++
	}
}

func (p *typeParser) ident() string {
	p.skipSpace()
	if p.pos < len(p.s) && p.s[p.pos] == '"' {
		var b strings.Builder
		p.pos++
		for p.pos < len(p.s) {
			c := p.s[p.pos]
			p.pos++
			if c == '"' {
				if p.pos < len(p.s) && p.s[p.pos] == '"' {
					b.WriteByte('"')
					p.pos++
					continue
				}
				break
			}
			b.WriteByte(c)
		}
		return b.String()
	}
	start := p.pos
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == '(' || c == ')' || c == ',' || c == ' ' || c == '[' {
			break
		}
		p.pos++
	}
	return p.s[start:p.pos]
}

func (p *typeParser) parse() *typeNode {
	name := strings.ToUpper(p.ident())
	var t *typeNode
	p.skipSpace()
	switch name {
	case "STRUCT":
		t = &typeNode{kind: kindStruct, name: name}
		if p.eat('(') {
			for {
				fname := p.ident()
				ft := p.parse()
				t.fields = append(t.fields, typeField{name: fname, typ: ft})
				p.skipSpace()
				if !p.eat(',') {
					break
				}
			}
			p.eat(')')
		}
	case "MAP":
		t = &typeNode{kind: kindMap, name: name}
		if p.eat('(') {
			t.key = p.parse()
			p.eat(',')
			t.val = p.parse()
			p.eat(')')
		}
		if t.key == nil || t.val == nil {
			t.key, t.val = scalarType, scalarType
		}
	case "JSON":
		t = &typeNode{kind: kindJSON, name: name}
	default:
		t = &typeNode{kind: kindScalar, name: name}
		// Skip arguments such as DECIMAL(10,2) or ENUM('a', 'b').
		if p.pos < len(p.s) && p.s[p.pos] == '(' {
			depth := 0
			for p.pos < len(p.s) {
				c := p.s[p.pos]
				p.pos++
				if c == '(' {
					depth++
				} else if c == ')' {
					depth--
					if depth == 0 {
						break
					}
				} else if c == '\'' {
					for p.pos < len(p.s) && p.s[p.pos] != '\'' {
						p.pos++
					}
					p.pos++
				}
			}
		}
	}
	// List and array suffixes: T[] or T[3].
	for {
		p.skipSpace()
		if p.pos >= len(p.s) || p.s[p.pos] != '[' {
			break
		}
		for p.pos < len(p.s) && p.s[p.pos] != ']' {
			p.pos++
		}
		p.pos++
		t = &typeNode{kind: kindList, elem: t}
	}
	return t
}

func (p *typeParser) eat(c byte) bool {
	p.skipSpace()
	if p.pos < len(p.s) && p.s[p.pos] == c {
		p.pos++
		return true
	}
	return false
}
