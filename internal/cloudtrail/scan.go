package cloudtrail

import (
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"unicode/utf8"

	"github.com/zeebo/xxh3"
)

// Two kinds of functions walk JSON here. scanValue and its helpers check the grammar exactly as json.Valid does
// and compute the content hash in the same pass; they run once over a whole document. The walkers (skipValue,
// members, elements) then pick records and fields out of JSON known to be valid, without checking it again.
// None of them allocates or panics, whatever the input: the walkers at worst stop early.

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
	end, h, ok := scanValue(b, skipWS(b, 0), 0)
	return h, ok && skipWS(b, end) == len(b)
}

// scanValue checks the value that starts at b[i] (white space skipped) and returns the index after it and its
// content hash: objects hash the same whatever the order of their members, strings the same whatever their
// escaping; white space does not count. depth is the nesting depth of the value's container.
func scanValue(b []byte, i, depth int) (end int, h uint64, ok bool) {
	if i >= len(b) {
		return i, 0, false
	}
	switch c := b[i]; c {
	case '"':
		end, esc, ok := scanString(b, i)
		if !ok {
			return end, 0, false
		}
		return end, mix(innerHash(b[i+1:end-1], esc), hashString), true
	case '{':
		return scanObject(b, i, depth+1, nil)
	case '[':
		return scanArray(b, i, depth+1)
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

// field is where one member of an object is, from the object's first byte: its key (without the quotes) and its
// value.
type field struct{ k0, k1, v0, v1 int }

// scanObject checks the object that starts at b[i] == '{'. When fields is not nil, the members are appended to it.
func scanObject(b []byte, i, depth int, fields *[]field) (end int, h uint64, ok bool) {
	if depth > maxDepth {
		return i, 0, false
	}
	start := i
	i = skipWS(b, i+1)
	var sum, n uint64
	if i < len(b) && b[i] == '}' {
		return i + 1, mix(0, hashObject), true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, 0, false
		}
		kstart := i
		kend, esc, ok := scanString(b, i)
		if !ok {
			return kend, 0, false
		}
		kh := innerHash(b[i+1:kend-1], esc)
		i = skipWS(b, kend)
		if i >= len(b) || b[i] != ':' {
			return i, 0, false
		}
		vstart := skipWS(b, i+1)
		vend, vh, ok := scanValue(b, vstart, depth)
		if !ok {
			return vend, 0, false
		}
		if fields != nil {
			*fields = append(*fields, field{kstart + 1 - start, kend - 1 - start, vstart - start, vend - start})
		}
		sum += mix(kh, vh)
		n++
		i = skipWS(b, vend)
		if i >= len(b) {
			return i, 0, false
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return i + 1, mix(sum, hashObject+n), true
		default:
			return i, 0, false
		}
	}
}

// scanArray checks the array that starts at b[i] == '['.
func scanArray(b []byte, i, depth int) (end int, h uint64, ok bool) {
	if depth > maxDepth {
		return i, 0, false
	}
	i = skipWS(b, i+1)
	h = hashArray
	if i < len(b) && b[i] == ']' {
		return i + 1, h, true
	}
	for {
		vend, vh, ok := scanValue(b, i, depth)
		if !ok {
			return vend, 0, false
		}
		h = mix(h, vh)
		i = skipWS(b, vend)
		if i >= len(b) {
			return i, 0, false
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case ']':
			return i + 1, h, true
		default:
			return i, 0, false
		}
	}
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

// scanString checks the string that starts at b[i] == '"' and returns the index after it and whether it has
// escapes.
func scanString(b []byte, i int) (end int, esc bool, ok bool) {
	i++
	for {
		for i+8 <= len(b) && stringSpecial(binary.LittleEndian.Uint64(b[i:])) == 0 {
			i += 8
		}
		if i >= len(b) {
			return i, esc, false
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, esc, true
		case c == '\\':
			esc = true
			if i+1 >= len(b) {
				return i, esc, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(b)-i < 6 || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return i, esc, false
				}
				i += 6
			default:
				return i, esc, false
			}
		case c < 0x20:
			return i, esc, false
		default:
			i++
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

// quoteOrBackslash is not zero when some byte of x is a quote or a backslash.
func quoteOrBackslash(x uint64) uint64 {
	return hasZeroByte(x^(ones*'"')) | hasZeroByte(x^(ones*'\\'))
}

// skipString returns the index after the string that starts at b[i] == '"'.
func skipString(b []byte, i int) int {
	i++
	for {
		for i+8 <= len(b) && quoteOrBackslash(binary.LittleEndian.Uint64(b[i:])) == 0 {
			i += 8
		}
		if i >= len(b) {
			return len(b)
		}
		switch b[i] {
		case '\\':
			i += 2
		case '"':
			return i + 1
		default:
			i++
		}
	}
}

// skipValue returns the index after the value that starts at b[i] (white space already skipped), and whether it
// holds white space between tokens (so that it is not compact).
func skipValue(b []byte, i int) (end int, ws bool) {
	if i >= len(b) {
		return i, false
	}
	switch b[i] {
	case '"':
		return min(skipString(b, i), len(b)), false
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch c := b[i]; c {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, ws
				}
			case ' ', '\t', '\n', '\r':
				ws = true
			}
			i++
		}
		return len(b), ws
	default: // number, true, false, null
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i, false
			}
			i++
		}
		return i, false
	}
}

// members calls fn for each member of the object b (which starts with '{'), with the raw key (without quotes,
// escapes left as written) and the raw value.
func members(b []byte, fn func(key, val []byte)) {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return
	}
	i++
	for {
		i = skipWS(b, i)
		if i >= len(b) || b[i] != '"' {
			return
		}
		kend := skipString(b, i)
		if kend > len(b) || kend-1 < i+1 {
			return
		}
		key := b[i+1 : kend-1]
		i = skipWS(b, kend)
		if i >= len(b) || b[i] != ':' {
			return
		}
		i = skipWS(b, i+1)
		vend, _ := skipValue(b, i)
		fn(key, b[i:vend])
		i = skipWS(b, vend)
		if i >= len(b) || b[i] != ',' {
			return
		}
		i++
	}
}

// elements calls fn for each element of the array b (which starts with '[').
func elements(b []byte, fn func(val []byte)) {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '[' {
		return
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return
	}
	for i < len(b) {
		vend, _ := skipValue(b, i)
		fn(b[i:vend])
		i = skipWS(b, vend)
		if i >= len(b) || b[i] != ',' {
			return
		}
		i = skipWS(b, i+1)
	}
}

// lowerKey folds an ASCII key to lower case into buf (keys of CloudTrail records are ASCII).
func lowerKey(buf []byte, key []byte) []byte {
	if len(key) > cap(buf) {
		buf = make([]byte, len(key))
	}
	buf = buf[:len(key)]
	for i, c := range key {
		if c-'A' < 26 {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return buf
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
