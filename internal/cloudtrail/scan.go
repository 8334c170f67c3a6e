package cloudtrail

import (
	"encoding/json"
	"math/bits"
	"unicode/utf8"

	"github.com/zeebo/xxh3"
)

// The functions here walk JSON that encoding/json has already validated (a record read as a json.RawMessage),
// without reflection or allocation. They never panic on other input: at worst they stop early.

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

// skipString returns the index after the string that starts at b[i] == '"', and whether it has escapes.
func skipString(b []byte, i int) (end int, esc bool) {
	i++
	for i < len(b) {
		switch b[i] {
		case '\\':
			esc = true
			i += 2
		case '"':
			return i + 1, esc
		default:
			i++
		}
	}
	return len(b), esc
}

// skipValue returns the index after the value that starts at b[i] (white space already skipped), and whether it
// holds white space between tokens (so that it is not compact).
func skipValue(b []byte, i int) (end int, ws bool) {
	if i >= len(b) {
		return i, false
	}
	switch b[i] {
	case '"':
		end, _ = skipString(b, i)
		return end, false
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch c := b[i]; c {
			case '"':
				i, _ = skipString(b, i)
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
		kend, _ := skipString(b, i)
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
	buf = buf[:0]
	for _, c := range key {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
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

// contentHash hashes a JSON value so that objects hash the same whatever the order of their members, and
// strings the same whatever their escaping. White space does not count.
func contentHash(b []byte) uint64 {
	i := skipWS(b, 0)
	if i >= len(b) {
		return 0
	}
	switch b[i] {
	case '{':
		var sum, n uint64
		members(b[i:], func(key, val []byte) {
			sum += mix(stringHash(key), contentHash(val))
			n++
		})
		return mix(sum, 0x6f626a+n)
	case '[':
		h := uint64(0x617272)
		elements(b[i:], func(val []byte) {
			h = mix(h, contentHash(val))
		})
		return h
	case '"':
		end, _ := skipString(b, i)
		if end-1 <= i {
			return 0
		}
		return mix(stringHash(b[i+1:end-1]), 0x737472)
	default:
		end, _ := skipValue(b, i)
		return mix(xxh3.Hash(b[i:end]), 0x6c6974)
	}
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
