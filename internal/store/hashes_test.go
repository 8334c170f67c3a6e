package store

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"
)

// The hash set against a map, through claims, commits (which merge runs) and drops.
func TestHashSet(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	stored := []uint64{5, 9, 12}
	want := map[uint64]bool{5: true, 9: true, 12: true}
	s := newHashSet(slices.Clone(stored))
	for round := range 200 {
		var mine []uint64
		hashes := make([]uint64, 1+r.IntN(50))
		for i := range hashes {
			hashes[i] = r.Uint64N(2000)
		}
		keep := make([]bool, len(hashes))
		s.claim(hashes, keep)
		for i, h := range hashes {
			if keep[i] == want[h] {
				t.Fatalf("round %d: claim(%d) kept=%v, but stored=%v", round, h, keep[i], want[h])
			}
			if keep[i] {
				want[h] = true
				mine = append(mine, h)
			}
		}
		if round%7 == 3 {
			// Rows deleted: a few stored hashes, some committed earlier, some claimed in this round.
			var gone []uint64
			for h := range want {
				if r.IntN(10) == 0 {
					gone = append(gone, h)
				}
			}
			s.drop(gone)
			for _, h := range gone {
				delete(want, h)
			}
		}
		s.committed(mine)
		for h := range uint64(2000) {
			if s.has(h) != want[h] {
				t.Fatalf("round %d: has(%d) = %v, want %v", round, h, s.has(h), want[h])
			}
		}
	}
	if len(s.runs) > 12 {
		t.Errorf("%d sorted runs after 200 commits: they should merge as they grow", len(s.runs))
	}
	if len(s.claimed) != 0 {
		t.Errorf("%d hashes still claimed after the last commit", len(s.claimed))
	}
}

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
