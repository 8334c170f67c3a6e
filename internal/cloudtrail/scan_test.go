package cloudtrail

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/zeebo/xxh3"
)

// The content hash as it was computed before the validating scanner (a separate walk over valid JSON): stores
// hold these hashes, so the scanner must give the same ones.

func refSkipString(b []byte, i int) (end int, esc bool) {
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

func refSkipValue(b []byte, i int) (end int, ws bool) {
	if i >= len(b) {
		return i, false
	}
	switch b[i] {
	case '"':
		end, _ = refSkipString(b, i)
		return end, false
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch c := b[i]; c {
			case '"':
				i, _ = refSkipString(b, i)
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

func refMembers(b []byte, fn func(key, val []byte)) {
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
		kend, _ := refSkipString(b, i)
		if kend > len(b) || kend-1 < i+1 {
			return
		}
		key := b[i+1 : kend-1]
		i = skipWS(b, kend)
		if i >= len(b) || b[i] != ':' {
			return
		}
		i = skipWS(b, i+1)
		vend, _ := refSkipValue(b, i)
		fn(key, b[i:vend])
		i = skipWS(b, vend)
		if i >= len(b) || b[i] != ',' {
			return
		}
		i++
	}
}

func refElements(b []byte, fn func(val []byte)) {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '[' {
		return
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return
	}
	for i < len(b) {
		vend, _ := refSkipValue(b, i)
		fn(b[i:vend])
		i = skipWS(b, vend)
		if i >= len(b) || b[i] != ',' {
			return
		}
		i = skipWS(b, i+1)
	}
}

func refContentHash(b []byte) uint64 {
	i := skipWS(b, 0)
	if i >= len(b) {
		return 0
	}
	switch b[i] {
	case '{':
		var sum, n uint64
		refMembers(b[i:], func(key, val []byte) {
			sum += mix(stringHash(key), refContentHash(val))
			n++
		})
		return mix(sum, 0x6f626a+n)
	case '[':
		h := uint64(0x617272)
		refElements(b[i:], func(val []byte) {
			h = mix(h, refContentHash(val))
		})
		return h
	case '"':
		end, _ := refSkipString(b, i)
		if end-1 <= i {
			return 0
		}
		return mix(stringHash(b[i+1:end-1]), 0x737472)
	default:
		end, _ := refSkipValue(b, i)
		return mix(xxh3.Hash(b[i:end]), 0x6c6974)
	}
}

func TestValidMatchesEncodingJSON(t *testing.T) {
	for _, doc := range []string{
		``, ` `, `{}`, `[]`, `""`, `"a"`, `0`, `-0`, `01`, `-`, `1.`, `1.5`, `1e`, `1e+`, `1E-7`, `-1.5e3`, `.5`,
		`true`, `tru`, `truex`, `null`, `nul`, `false `, ` {"a":1} `, `{"a" 1}`, `{"a":1,}`, `[1,]`, `[,1]`,
		`{"a":1}x`, `{"a":"\u00e9\n\"\\\/\b\f\r\t"}`, `"\u00g0"`, `"\x"`, `"a` + "\t" + `b"`, "\"\x01\"",
		"\"\xff\xfe\"", `{"Records":[{"a":[1,2,{"b":null}]}]}`, `{"a":{"b":{"c":[[[]]]}}}`, `[1 2]`, `{1:2}`,
		"\"abcdefghijklmnop\\\"qrstuvwxyz0123456789\"", "\"0123456789abcdef\x1f\"",
		strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
		`{"a":` + strings.Repeat(`{"a":`, 9999) + `1` + strings.Repeat("}", 10000),
		`{"a":` + strings.Repeat(`{"a":`, 10000) + `1` + strings.Repeat("}", 10001),
	} {
		checkValid(t, []byte(doc))
	}
}

func checkValid(t *testing.T, doc []byte) {
	t.Helper()
	h, ok := valid(doc)
	if want := json.Valid(doc); ok != want {
		t.Fatalf("valid(%.80q) = %v, json.Valid says %v", doc, ok, want)
	}
	if ok {
		if want := refContentHash(doc); h != want {
			t.Fatalf("valid(%.80q) hash %x, the reference hash is %x", doc, h, want)
		}
	}
	// The document scan of the decoder must agree too, on the plain documents it reads (the others go to the
	// streaming decoder).
	if got := NewDecoder().scanDocument(doc); got && !ok || !got && ok && plainDocument(doc) {
		t.Fatalf("scanDocument(%.80q) = %v, json.Valid says %v", doc, got, ok)
	}
}

// plainDocument reports whether the valid JSON text doc is a document the decoder reads whole: an object, with
// at most one Records member, an array.
func plainDocument(doc []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(doc))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	records := 0
	for dec.More() {
		tok, _ := dec.Token()
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return false
		}
		if tok == "Records" {
			if records++; records > 1 || v[0] != '[' {
				return false
			}
		}
	}
	return true
}

// FuzzValid checks the validating scanner against json.Valid and the reference content hash.
func FuzzValid(f *testing.F) {
	for _, s := range []string{`{"Records":[{"eventID":"1","a":[1,-2.5e3,true,null,"\u00e9"]}]}`, `[1,2`, `"\ud800"`,
		`{"a":{"b":1},"a":{"b":1}}`, "\"\xff\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) { checkValid(t, doc) })
}
