package query

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// writeString's fast path writes what encoding/json writes.
func TestWriteStringMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	cases := []string{"", "plain", `a"b`, `back\slash`, "<script>&", "tab\there", "ünïcode", "\u2028", "\xff\xfe", "\x00"}
	alphabet := []byte("ab \"\\<>&\t\n\x01\x7f\xc3\xa9\xff")
	for range 2000 {
		b := make([]byte, r.IntN(12))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, c := range cases {
		var got bytes.Buffer
		writeString(&got, c)
		want, _ := json.Marshal(c)
		if got.String() != string(want) {
			t.Fatalf("writeString(%q) = %s, want %s", c, got.String(), want)
		}
	}
}
