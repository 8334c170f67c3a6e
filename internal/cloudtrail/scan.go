package cloudtrail

import (
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"unicode/utf8"

	"github.com/zeebo/xxh3"
)

// The scanner checks JSON exactly as json.Valid does and computes the content hash of each value in the same
// pass. It reads a whole document once: the record decoder (fields.go) is built on it, and hands it the values
// it has no use for. None of it allocates or panics, whatever the input.
//
// The content hash is stored with each record and compared with the hashes of records loaded before: it must stay
// the same function of the content (old_scan_test.go and scan_test.go keep earlier implementations to check it).

// maxDepth is encoding/json's nesting limit: json.Valid rejects a document nested deeper.
const maxDepth = 10000

// Seeds of the content hash by kind of value.
const (
	hashObject  = 0x6f626a
	hashArray   = 0x617272
	hashString  = 0x737472
	hashLiteral = 0x6c6974
)

// valid reports whether b is one JSON value with optional white space around it, as json.Valid does, and returns
// its content hash.
func valid(b []byte) (h uint64, ok bool) {
	s := scanner{b: b}
	end, h, ok := s.value(skipWS(b, 0), 0)
	return h, ok && skipWS(b, end) == len(b)
}

// scanner walks the JSON text b.
type scanner struct {
	b []byte
	// ws is set when white space is skipped, high when a string may hold a byte ≥ 0x80 (outside strings, such a
	// byte is invalid JSON): a caller clears them to learn whether one value is compact and surely ASCII.
	ws, high bool
}

// value checks the value that starts at b[i] (white space skipped) and returns the index after it and its
// content hash: objects hash the same whatever the order of their members, strings the same whatever their
// escaping; white space does not count. depth is the nesting depth of the value's container.
func (s *scanner) value(i, depth int) (end int, h uint64, ok bool) {
	b := s.b
	if i >= len(b) {
		return i, 0, false
	}
	switch c := b[i]; c {
	case '"':
		end, esc, high, ok := scanString(b, i)
		if !ok {
			return end, 0, false
		}
		if high {
			s.high = true
		}
		return end, mix(innerHash(b[i+1:end-1], esc), hashString), true
	case '{':
		return s.object(i, depth+1)
	case '[':
		return s.array(i, depth+1)
	case 't':
		return scanLiteral(b, i, "true")
	case 'f':
		return scanLiteral(b, i, "false")
	case 'n':
		return scanLiteral(b, i, "null")
	default:
		if c == '-' || '0' <= c && c <= '9' {
			end, ok := scanNumber(b, i)
			if !ok {
				return end, 0, false
			}
			return end, mix(xxh3.Hash(b[i:end]), hashLiteral), true
		}
		return i, 0, false
	}
}

func scanLiteral(b []byte, i int, lit string) (end int, h uint64, ok bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, 0, false
	}
	end = i + len(lit)
	return end, mix(xxh3.Hash(b[i:end]), hashLiteral), true
}

// object checks the object that starts at b[i] == '{', at nesting depth depth.
func (s *scanner) object(i, depth int) (end int, h uint64, ok bool) {
	if depth > maxDepth {
		return i, 0, false
	}
	o := s.openObject(i)
	for !o.done {
		_, kh, v := s.key(&o)
		if o.done {
			break
		}
		vend, vh, ok := s.value(v, depth)
		s.next(&o, kh, vh, vend, ok)
	}
	return o.end()
}

// objectWalk is the state of a walk over the members of an object:
//
//	o := s.openObject(i)
//	for !o.done {
//		key, kh, v := s.key(&o)
//		if o.done {
//			break
//		}
//		vend, vh, ok := … the value at b[v] …
//		s.next(&o, kh, vh, vend, ok)
//	}
//	return o.end()
type objectWalk struct {
	i        int    // where the next member starts; after the object once done
	sum, n   uint64 // of the members' hashes
	done, ok bool
}

// openObject starts a walk over the object at b[i] == '{'.
func (s *scanner) openObject(i int) objectWalk {
	i = s.skipWS(i + 1)
	if i < len(s.b) && s.b[i] == '}' {
		return objectWalk{i: i + 1, done: true, ok: true}
	}
	return objectWalk{i: i, ok: true}
}

// key reads the key of the next member and the colon after it: it returns the key as written (without the quotes,
// escapes not decoded), its hash and where the value starts. It ends the walk when the JSON is invalid.
func (s *scanner) key(o *objectWalk) (key []byte, kh uint64, v int) {
	b, i := s.b, o.i
	if i >= len(b) || b[i] != '"' {
		o.fail()
		return nil, 0, i
	}
	kend, esc, high, ok := scanString(b, i)
	if !ok {
		o.fail()
		return nil, 0, i
	}
	if high {
		s.high = true
	}
	key = b[i+1 : kend-1]
	i = s.skipWS(kend)
	if i >= len(b) || b[i] != ':' {
		o.fail()
		return nil, 0, i
	}
	return key, innerHash(key, esc), s.skipWS(i + 1)
}

// next adds the hash of a member whose value (ok: valid) ends at vend, and moves past the comma after it or the
// closing brace.
func (s *scanner) next(o *objectWalk, kh, vh uint64, vend int, ok bool) {
	if !ok {
		o.fail()
		return
	}
	o.sum += mix(kh, vh)
	o.n++
	i := s.skipWS(vend)
	if i < len(s.b) {
		switch s.b[i] {
		case ',':
			o.i = s.skipWS(i + 1)
			return
		case '}':
			o.i, o.done = i+1, true
			return
		}
	}
	o.fail()
}

func (o *objectWalk) fail() { o.done, o.ok = true, false }

// end returns the index after the object, its hash and whether it is valid.
func (o *objectWalk) end() (end int, h uint64, ok bool) {
	if !o.ok {
		return o.i, 0, false
	}
	return o.i, mix(o.sum, hashObject+o.n), true
}

// array checks the array that starts at b[i] == '[', at nesting depth depth.
func (s *scanner) array(i, depth int) (end int, h uint64, ok bool) {
	if depth > maxDepth {
		return i, 0, false
	}
	a := s.openArray(i)
	for !a.done {
		vend, vh, ok := s.value(a.i, depth)
		s.nextElement(&a, vh, vend, ok)
	}
	return a.end()
}

// arrayWalk is the state of a walk over the elements of an array, as objectWalk is for an object.
type arrayWalk struct {
	i        int // where the next element starts; after the array once done
	h        uint64
	done, ok bool
}

// openArray starts a walk over the array at b[i] == '['.
func (s *scanner) openArray(i int) arrayWalk {
	i = s.skipWS(i + 1)
	if i < len(s.b) && s.b[i] == ']' {
		return arrayWalk{i: i + 1, h: hashArray, done: true, ok: true}
	}
	return arrayWalk{i: i, h: hashArray, ok: true}
}

// nextElement adds the hash of an element whose value (ok: valid) ends at vend, and moves past the comma after it
// or the closing bracket.
func (s *scanner) nextElement(a *arrayWalk, vh uint64, vend int, ok bool) {
	if !ok {
		a.done, a.ok = true, false
		return
	}
	a.h = mix(a.h, vh)
	i := s.skipWS(vend)
	if i < len(s.b) {
		switch s.b[i] {
		case ',':
			a.i = s.skipWS(i + 1)
			return
		case ']':
			a.i, a.done = i+1, true
			return
		}
	}
	a.done, a.ok = true, false
}

// end returns the index after the array, its hash and whether it is valid.
func (a *arrayWalk) end() (end int, h uint64, ok bool) {
	if !a.ok {
		return a.i, 0, false
	}
	return a.i, a.h, true
}

// skipWS returns the index of the first byte at or after i that is not JSON white space, and notes in s.ws
// whether there was any.
func (s *scanner) skipWS(i int) int {
	if i < len(s.b) && s.b[i] > ' ' {
		return i // the common case: compact JSON
	}
	j := skipWS(s.b, i)
	if j != i {
		s.ws = true
	}
	return j
}

// SWAR constants: one in each byte, the high bit of each byte.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// hasZeroByte is not zero when some byte of x is zero.
func hasZeroByte(x uint64) uint64 { return (x - ones) & ^x & highs }

// stringSpecial is not zero when some byte of x is a quote, a backslash or a control character.
func stringSpecial(x uint64) uint64 {
	return hasZeroByte(x^(ones*'"')) | hasZeroByte(x^(ones*'\\')) | (x-ones*0x20)&^x&highs
}

// scanString checks the string that starts at b[i] == '"' and returns the index after it, whether it has escapes
// and whether it may have bytes ≥ 0x80 (high is sometimes true when it has none: it is a hint that the string may
// not be valid UTF-8, which JSON does not require it to be).
func scanString(b []byte, i int) (end int, esc, high, ok bool) {
	i++
	var all uint64 // the bytes seen, or-ed together
	for {
		// Eight bytes at a time to the next quote, backslash or control character.
		for i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			all |= x
			if m := stringSpecial(x); m != 0 {
				i += bits.TrailingZeros64(m) >> 3 // the lowest flagged byte is the first special one
				break
			}
			i += 8
		}
		if i+8 > len(b) { // the last bytes of b, one at a time
			for i < len(b) && b[i] >= 0x20 && b[i] != '"' && b[i] != '\\' {
				all |= uint64(b[i]) << 56
				i++
			}
			if i >= len(b) {
				return i, esc, false, false
			}
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, esc, all&highs != 0, true
		case c == '\\':
			esc = true
			if i+1 >= len(b) {
				return i, esc, false, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(b)-i < 6 || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return i, esc, false, false
				}
				i += 6
			default:
				return i, esc, false, false
			}
		default: // a control character
			return i, esc, false, false
		}
	}
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// scanNumber checks the number that starts at b[i].
func scanNumber(b []byte, i int) (end int, ok bool) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return i, false
	case b[i] == '0':
		i++
	case '1' <= b[i] && b[i] <= '9':
		i = digits(b, i+1)
	default:
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return j, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return j, false
		}
		i = j
	}
	return i, true
}

func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// innerHash hashes the content of a JSON string given without its quotes; esc says whether it has escapes,
// which are decoded first.
func innerHash(inner []byte, esc bool) uint64 {
	if esc {
		return stringHash(inner)
	}
	return xxh3.Hash(inner)
}

// stringHash hashes the content of a JSON string given without its quotes, after unescaping.
func stringHash(inner []byte) uint64 {
	for _, c := range inner {
		if c == '\\' {
			s, _ := unquote(append(append([]byte{'"'}, inner...), '"'))
			return xxh3.HashString(s)
		}
	}
	return xxh3.Hash(inner)
}

// mix combines two hashes (order matters).
func mix(a, b uint64) uint64 {
	h := a ^ bits.RotateLeft64(b, 29)*0x9E3779B97F4A7C15
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// skipWS returns the index of the first byte at or after i that is not JSON white space.
func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// unquote returns the content of the JSON string raw (with its quotes).
func unquote(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	plain := true
	for _, c := range inner {
		if c == '\\' || c < 0x20 {
			plain = false
			break
		}
	}
	if plain && utf8.Valid(inner) {
		return string(inner), true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}
