package partfile

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// A chunk's string bounds are the least and greatest of the values as bytes compare them, whatever prefixes,
// lengths and zero bytes the values have; a prefix key never orders two strings the other way.
func TestStringBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"", "\x00", "a", "ab", "arn:aws:", "\xff", "2024-09-0", "z"}
	for round := range 200 {
		var vals []string
		var k chunk
		for range 1 + rng.IntN(30) {
			var b strings.Builder
			for range rng.IntN(4) {
				b.WriteString(alphabet[rng.IntN(len(alphabet))])
			}
			v := b.String()
			vals = append(vals, v)
			k.boundString(v)
		}
		if lo, hi := slices.Min(vals), slices.Max(vals); string(k.min) != lo || string(k.max) != hi || k.min == nil {
			t.Fatalf("round %d: bounds %q %q of %q, want %q %q", round, k.min, k.max, vals, lo, hi)
		}
		for _, a := range vals {
			for _, b := range vals {
				if prefixKey(a) < prefixKey(b) && a >= b {
					t.Fatalf("prefixKey(%q) < prefixKey(%q) but %q >= %q", a, b, a, b)
				}
			}
		}
	}
}
