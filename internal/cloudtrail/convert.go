package cloudtrail

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/zeebo/xxh3"
)

// Conversions of JSON values to the fields of a Record.

// str reads the value at b[i] for a STRING column that should hold a JSON string into dst. Numbers and booleans
// keep their text (Athena's SerDe does the same: readOnly true reads as "true") and are reported, but for the
// booleans CloudTrail writes (boolField); objects and arrays keep their JSON text and are reported.
func (r *recordReader) str(dst *String, field string, i, depth int) (end int, h uint64, ok bool) {
	b := r.b
	if i < len(b) && b[i] == '"' {
		end, esc, high, ok := scanString(b, i)
		if !ok {
			return end, 0, false
		}
		inner := b[i+1 : end-1]
		if !esc && !high {
			*dst = Str(r.d.strs.copy(inner)) // the common case: nothing to decode
			return end, mix(xxh3.Hash(inner), hashString), true
		}
		*dst = r.text(field, b[i:end], esc, high)
		return end, mix(innerHash(inner, esc), hashString), true
	}
	r.ws, r.high = false, false
	end, h, ok = r.value(i, depth)
	if !ok {
		return end, 0, false
	}
	switch raw := b[i:end]; raw[0] {
	case 'n':
		*dst = String{}
	case '{', '[':
		r.add(field, "expected a string, got "+rawKind(raw)+"; kept as JSON text")
		*dst = r.jsonText(field, raw)
	case 't', 'f':
		if !boolField(field) {
			r.add(field, "expected a string, got a boolean; kept as its text")
		}
		*dst = Str(r.d.strs.copy(raw))
	default:
		r.add(field, "expected a string, got a number; kept as its text")
		*dst = Str(r.d.strs.copy(raw))
	}
	return end, h, true
}

// boolField reports whether CloudTrail writes the field as a JSON boolean (its Athena column is a STRING).
func boolField(field string) bool {
	return field == "readOnly" || field == "sessionCredentialFromConsole"
}

// text converts the JSON string raw (with its quotes) that has escapes (esc) or may have bytes ≥ 0x80 (high).
func (r *recordReader) text(field string, raw []byte, esc, high bool) String {
	inner := raw[1 : len(raw)-1]
	if high && !utf8.Valid(inner) {
		r.add(field, "invalid UTF-8 replaced")
	} else if !esc {
		return Str(r.d.strs.copy(inner))
	}
	if esc && loneSurrogate(inner) {
		r.add(field, "lone UTF-16 surrogate replaced")
	}
	s, ok := unquote(raw)
	if !ok {
		r.add(field, "bad string")
		return String{}
	}
	return Str(s)
}

// json reads the value at b[i] for a STRING column that holds JSON text (requestParameters, responseElements, …)
// into dst, keeping the text as written (compacted). A JSON string is stored as its content.
func (r *recordReader) json(dst *String, field string, i, depth int) (end int, h uint64, ok bool) {
	b := r.b
	if i < len(b) && b[i] == '"' {
		return r.str(dst, field, i, depth)
	}
	r.ws, r.high = false, false
	end, h, ok = r.value(i, depth)
	if !ok {
		return end, 0, false
	}
	if b[i] == 'n' {
		*dst = String{}
	} else {
		*dst = r.jsonText(field, b[i:end])
	}
	return end, h, true
}

// jsonText converts raw, the JSON text of a value other than a string or null just scanned (r.ws and r.high
// describe it).
func (r *recordReader) jsonText(field string, raw []byte) String {
	if r.high && !utf8.Valid(raw) {
		r.add(field, "invalid UTF-8 replaced")
		raw = bytes.ToValidUTF8(raw, []byte("\uFFFD"))
	}
	if r.ws {
		c := &r.d.compact
		c.Reset()
		if err := json.Compact(c, raw); err == nil {
			s := Str(r.d.strs.copy(c.Bytes()))
			if c.Cap() > arenaBlock*32 {
				*c = bytes.Buffer{} // a large record's: not kept for the next
			}
			return s
		}
	}
	return Str(r.d.strs.copy(raw))
}

// loneSurrogate reports whether the content of a JSON string (without its quotes, escapes not decoded) has a \u
// escape of a UTF-16 surrogate that is not half of a pair: decoding replaces it with U+FFFD.
func loneSurrogate(inner []byte) bool {
	high := false // the escape before was a high surrogate
	for i := 0; i < len(inner); {
		j := bytes.IndexByte(inner[i:], '\\')
		if j < 0 {
			return high
		}
		i += j
		if high && j != 0 {
			return true // a high surrogate followed by something else
		}
		if i+1 >= len(inner) || inner[i+1] != 'u' || i+6 > len(inner) {
			if high {
				return true
			}
			i += 2
			continue
		}
		v, _ := strconv.ParseUint(string(inner[i+2:i+6]), 16, 16)
		switch {
		case 0xD800 <= v && v < 0xDC00:
			if high {
				return true
			}
			high = true
		case 0xDC00 <= v && v < 0xE000:
			if !high {
				return true
			}
			high = false
		default:
			if high {
				return true
			}
		}
		i += 6
	}
	return high
}

// notObject reads a value that is not an object where one is expected: null is NULL; anything else is reported
// (and stored as NULL too).
func (r *recordReader) notObject(field string, i, depth int) (end int, h uint64, ok bool) {
	end, h, ok = r.value(i, depth)
	if ok && r.b[i] != 'n' {
		r.add(field, "expected an object, got "+rawKind(r.b[i:end])+"; stored as NULL")
	}
	return end, h, ok
}

func rawKind(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	return valueKind(raw[0])
}

// valueKind names the kind of the JSON value that starts with c.
func valueKind(c byte) string {
	switch c {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// stringArena copies strings into shared blocks, so that the thirty-odd strings of a record cost a share of one
// allocation rather than one each (and the garbage collector has fewer objects to follow). Bytes of a block are
// never written again once a string points at them: a full block is left to the strings that use it. A block is
// a strings.Builder, which allocates without clearing the memory first.
type stringArena struct{ block strings.Builder }

const arenaBlock = 32 << 10

func (a *stringArena) copy(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > a.block.Cap()-a.block.Len() {
		if len(b) > arenaBlock/8 {
			return string(b) // a large string gets its own allocation
		}
		a.block = strings.Builder{}
		a.block.Grow(arenaBlock)
	}
	n := a.block.Len()
	a.block.Write(b) // within the capacity: the bytes before n stay where they are
	return a.block.String()[n:]
}

// recordBlock holds a record and the nested objects most records have, so that they are allocated together.
type recordBlock struct {
	rec Record
	ui  UserIdentity
	sc  SessionContext
	si  SessionIssuer
	sa  SessionAttributes
	tls TLSDetails
	res [2]Resource
}

// blockSlab allocates recordBlocks a few at a time.
type blockSlab struct {
	free []recordBlock
	// With reuse (Decoder.Recycle), every block handed out since the last rewind is kept in used, and handed
	// out again (cleared) after it.
	reuse bool
	used  [][]recordBlock
	at    int // chunks of used handed out again since the last rewind
}

const slabBlocks = 16

func (s *blockSlab) next() *recordBlock {
	if len(s.free) == 0 {
		switch {
		case s.reuse && s.at < len(s.used):
			s.free = s.used[s.at]
			s.at++
			clear(s.free)
		default:
			s.free = make([]recordBlock, slabBlocks)
			if s.reuse {
				s.used = append(s.used, s.free)
				s.at = len(s.used)
			}
		}
	}
	b := &s.free[0]
	s.free = s.free[1:]
	return b
}

// rewind makes the blocks handed out so far free again (reuse only).
func (s *blockSlab) rewind() {
	if s.reuse {
		s.free, s.at = nil, 0
	}
}
