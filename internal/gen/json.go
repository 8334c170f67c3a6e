package gen

import "strconv"

// enc appends JSON to a byte slice in a fixed field order (no maps: the output must be the same bytes for the
// same seed). need says whether the next member needs a comma before it.
type enc struct {
	b    []byte
	need bool
}

func (e *enc) reset() { e.b, e.need = e.b[:0], false }

func (e *enc) key(k string) {
	if e.need {
		e.b = append(e.b, ',')
	}
	e.b = append(e.b, '"')
	e.b = append(e.b, k...)
	e.b = append(e.b, '"', ':')
	e.need = false
}

// str writes "k":"v".
func (e *enc) str(k, v string) {
	e.key(k)
	e.b = appendString(e.b, v)
	e.need = true
}

// strs writes "k":"v" for a value built from parts, without concatenating them first.
func (e *enc) strs(k string, parts ...string) {
	e.key(k)
	e.b = append(e.b, '"')
	for _, p := range parts {
		e.b = appendEscaped(e.b, p)
	}
	e.b = append(e.b, '"')
	e.need = true
}

func (e *enc) num(k string, v int64) {
	e.key(k)
	e.b = strconv.AppendInt(e.b, v, 10)
	e.need = true
}

func (e *enc) boolean(k string, v bool) {
	e.key(k)
	e.b = strconv.AppendBool(e.b, v)
	e.need = true
}

func (e *enc) null(k string) {
	e.key(k)
	e.b = append(e.b, "null"...)
	e.need = true
}

// raw writes "k":<v> where v is JSON already.
func (e *enc) raw(k string, v []byte) {
	e.key(k)
	e.b = append(e.b, v...)
	e.need = true
}

// obj opens "k":{; close it with end.
func (e *enc) obj(k string) {
	e.key(k)
	e.b = append(e.b, '{')
	e.need = false
}

// end closes an object.
func (e *enc) end() {
	e.b = append(e.b, '}')
	e.need = true
}

// arr opens "k":[; close it with endArr.
func (e *enc) arr(k string) {
	e.key(k)
	e.b = append(e.b, '[')
	e.need = false
}

func (e *enc) endArr() {
	e.b = append(e.b, ']')
	e.need = true
}

// elem opens an object element of an array; close it with end.
func (e *enc) elem() {
	if e.need {
		e.b = append(e.b, ',')
	}
	e.b = append(e.b, '{')
	e.need = false
}

// item writes a string element of an array.
func (e *enc) item(v string) {
	if e.need {
		e.b = append(e.b, ',')
	}
	e.b = appendString(e.b, v)
	e.need = true
}

// items writes "k":[{name:v}…] as CloudTrail's EC2 "items" wrapper: "k":{"items":[{"name":"v"},…]}.
func (e *enc) items(k, name string, vs ...string) {
	e.obj(k)
	e.arr("items")
	for _, v := range vs {
		e.elem()
		e.str(name, v)
		e.end()
	}
	e.endArr()
	e.end()
}

func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendEscaped(b, s)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

func appendEscaped(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	return append(b, s[start:]...)
}
