// The decoder as it was before the one-pass decoder (commit e80cd41), kept as the reference of the
// differential tests: decode.go and scan.go with every package-level name prefixed "old". Do not edit.

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
const oldMaxDepth = 10000

// Seeds of the content hash by kind of value.
const (
	oldHashObject  = 0x6f626a
	oldHashArray   = 0x617272
	oldHashString  = 0x737472
	oldHashLiteral = 0x6c6974
)

// valid reports whether b is one JSON value with optional white space around it, as json.Valid does, and returns
// its content hash.
func oldValid(b []byte) (h uint64, ok bool) {
	end, h, ok := oldScanValue(b, oldSkipWS(b, 0), 0)
	return h, ok && oldSkipWS(b, end) == len(b)
}

// scanValue checks the value that starts at b[i] (white space skipped) and returns the index after it and its
// content hash: objects hash the same whatever the order of their members, strings the same whatever their
// escaping; white space does not count. depth is the nesting depth of the value's container.
func oldScanValue(b []byte, i, depth int) (end int, h uint64, ok bool) {
	if i >= len(b) {
		return i, 0, false
	}
	switch c := b[i]; c {
	case '"':
		end, esc, ok := oldScanString(b, i)
		if !ok {
			return end, 0, false
		}
		return end, oldMix(oldInnerHash(b[i+1:end-1], esc), oldHashString), true
	case '{':
		return oldScanObject(b, i, depth+1, nil)
	case '[':
		return oldScanArray(b, i, depth+1)
	case 't':
		return oldScanLiteral(b, i, "true")
	case 'f':
		return oldScanLiteral(b, i, "false")
	case 'n':
		return oldScanLiteral(b, i, "null")
	default:
		if c == '-' || '0' <= c && c <= '9' {
			end, ok := oldScanNumber(b, i)
			if !ok {
				return end, 0, false
			}
			return end, oldMix(xxh3.Hash(b[i:end]), oldHashLiteral), true
		}
		return i, 0, false
	}
}

func oldScanLiteral(b []byte, i int, lit string) (end int, h uint64, ok bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, 0, false
	}
	end = i + len(lit)
	return end, oldMix(xxh3.Hash(b[i:end]), oldHashLiteral), true
}

// field is where one member of an object is, from the object's first byte: its key (without the quotes) and its
// value.
type oldField struct{ k0, k1, v0, v1 int }

// scanObject checks the object that starts at b[i] == '{'. When fields is not nil, the members are appended to it.
func oldScanObject(b []byte, i, depth int, fields *[]oldField) (end int, h uint64, ok bool) {
	if depth > oldMaxDepth {
		return i, 0, false
	}
	start := i
	i = oldSkipWS(b, i+1)
	var sum, n uint64
	if i < len(b) && b[i] == '}' {
		return i + 1, oldMix(0, oldHashObject), true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, 0, false
		}
		kstart := i
		kend, esc, ok := oldScanString(b, i)
		if !ok {
			return kend, 0, false
		}
		kh := oldInnerHash(b[i+1:kend-1], esc)
		i = oldSkipWS(b, kend)
		if i >= len(b) || b[i] != ':' {
			return i, 0, false
		}
		vstart := oldSkipWS(b, i+1)
		vend, vh, ok := oldScanValue(b, vstart, depth)
		if !ok {
			return vend, 0, false
		}
		if fields != nil {
			*fields = append(*fields, oldField{kstart + 1 - start, kend - 1 - start, vstart - start, vend - start})
		}
		sum += oldMix(kh, vh)
		n++
		i = oldSkipWS(b, vend)
		if i >= len(b) {
			return i, 0, false
		}
		switch b[i] {
		case ',':
			i = oldSkipWS(b, i+1)
		case '}':
			return i + 1, oldMix(sum, oldHashObject+n), true
		default:
			return i, 0, false
		}
	}
}

// scanArray checks the array that starts at b[i] == '['.
func oldScanArray(b []byte, i, depth int) (end int, h uint64, ok bool) {
	if depth > oldMaxDepth {
		return i, 0, false
	}
	i = oldSkipWS(b, i+1)
	h = oldHashArray
	if i < len(b) && b[i] == ']' {
		return i + 1, h, true
	}
	for {
		vend, vh, ok := oldScanValue(b, i, depth)
		if !ok {
			return vend, 0, false
		}
		h = oldMix(h, vh)
		i = oldSkipWS(b, vend)
		if i >= len(b) {
			return i, 0, false
		}
		switch b[i] {
		case ',':
			i = oldSkipWS(b, i+1)
		case ']':
			return i + 1, h, true
		default:
			return i, 0, false
		}
	}
}

// SWAR constants: one in each byte, the high bit of each byte.
const (
	oldOnes  = 0x0101010101010101
	oldHighs = 0x8080808080808080
)

// hasZeroByte is not zero when some byte of x is zero.
func oldHasZeroByte(x uint64) uint64 { return (x - oldOnes) & ^x & oldHighs }

// stringSpecial is not zero when some byte of x is a quote, a backslash or a control character.
func oldStringSpecial(x uint64) uint64 {
	return oldHasZeroByte(x^(oldOnes*'"')) | oldHasZeroByte(x^(oldOnes*'\\')) | (x-oldOnes*0x20)&^x&oldHighs
}

// scanString checks the string that starts at b[i] == '"' and returns the index after it and whether it has
// escapes.
func oldScanString(b []byte, i int) (end int, esc bool, ok bool) {
	i++
	for {
		for i+8 <= len(b) && oldStringSpecial(binary.LittleEndian.Uint64(b[i:])) == 0 {
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
				if len(b)-i < 6 || !oldIsHex(b[i+2]) || !oldIsHex(b[i+3]) || !oldIsHex(b[i+4]) || !oldIsHex(b[i+5]) {
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

func oldIsHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// scanNumber checks the number that starts at b[i].
func oldScanNumber(b []byte, i int) (end int, ok bool) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return i, false
	case b[i] == '0':
		i++
	case '1' <= b[i] && b[i] <= '9':
		i = oldDigits(b, i+1)
	default:
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		j := oldDigits(b, i+1)
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
		j := oldDigits(b, i)
		if j == i {
			return j, false
		}
		i = j
	}
	return i, true
}

func oldDigits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// innerHash hashes the content of a JSON string given without its quotes; esc says whether it has escapes,
// which are decoded first.
func oldInnerHash(inner []byte, esc bool) uint64 {
	if esc {
		return oldStringHash(inner)
	}
	return xxh3.Hash(inner)
}

// stringHash hashes the content of a JSON string given without its quotes, after unescaping.
func oldStringHash(inner []byte) uint64 {
	for _, c := range inner {
		if c == '\\' {
			s, _ := oldUnquote(append(append([]byte{'"'}, inner...), '"'))
			return xxh3.HashString(s)
		}
	}
	return xxh3.Hash(inner)
}

// mix combines two hashes (order matters).
func oldMix(a, b uint64) uint64 {
	h := a ^ bits.RotateLeft64(b, 29)*0x9E3779B97F4A7C15
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// skipWS returns the index of the first byte at or after i that is not JSON white space.
func oldSkipWS(b []byte, i int) int {
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
func oldQuoteOrBackslash(x uint64) uint64 {
	return oldHasZeroByte(x^(oldOnes*'"')) | oldHasZeroByte(x^(oldOnes*'\\'))
}

// skipString returns the index after the string that starts at b[i] == '"'.
func oldSkipString(b []byte, i int) int {
	i++
	for {
		for i+8 <= len(b) && oldQuoteOrBackslash(binary.LittleEndian.Uint64(b[i:])) == 0 {
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
func oldSkipValue(b []byte, i int) (end int, ws bool) {
	if i >= len(b) {
		return i, false
	}
	switch b[i] {
	case '"':
		return min(oldSkipString(b, i), len(b)), false
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch c := b[i]; c {
			case '"':
				i = oldSkipString(b, i)
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
func oldMembers(b []byte, fn func(key, val []byte)) {
	i := oldSkipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return
	}
	i++
	for {
		i = oldSkipWS(b, i)
		if i >= len(b) || b[i] != '"' {
			return
		}
		kend := oldSkipString(b, i)
		if kend > len(b) || kend-1 < i+1 {
			return
		}
		key := b[i+1 : kend-1]
		i = oldSkipWS(b, kend)
		if i >= len(b) || b[i] != ':' {
			return
		}
		i = oldSkipWS(b, i+1)
		vend, _ := oldSkipValue(b, i)
		fn(key, b[i:vend])
		i = oldSkipWS(b, vend)
		if i >= len(b) || b[i] != ',' {
			return
		}
		i++
	}
}

// elements calls fn for each element of the array b (which starts with '[').
func oldElements(b []byte, fn func(val []byte)) {
	i := oldSkipWS(b, 0)
	if i >= len(b) || b[i] != '[' {
		return
	}
	i = oldSkipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return
	}
	for i < len(b) {
		vend, _ := oldSkipValue(b, i)
		fn(b[i:vend])
		i = oldSkipWS(b, vend)
		if i >= len(b) || b[i] != ',' {
			return
		}
		i = oldSkipWS(b, i+1)
	}
}

// lowerKey folds an ASCII key to lower case into buf (keys of CloudTrail records are ASCII).
func oldLowerKey(buf []byte, key []byte) []byte {
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
func oldUnquote(raw []byte) (string, bool) {
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
