package hashset

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// The set against a map, through claims, commits (which merge runs) and drops.
func TestSet(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	stored := []uint64{5, 9, 12}
	want := map[uint64]bool{5: true, 9: true, 12: true}
	s := New(slices.Clone(stored))
	for round := range 200 {
		var mine []uint64
		hashes := make([]uint64, 1+r.IntN(50))
		for i := range hashes {
			hashes[i] = r.Uint64N(2000)
		}
		keep := make([]bool, len(hashes))
		s.Claim(hashes, keep)
		for i, h := range hashes {
			if keep[i] == want[h] {
				t.Fatalf("round %d: Claim(%d) kept=%v, but stored=%v", round, h, keep[i], want[h])
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
			s.Drop(gone)
			for _, h := range gone {
				delete(want, h)
			}
		}
		s.Committed(mine)
		for h := range uint64(2000) {
			if s.Has(h) != want[h] {
				t.Fatalf("round %d: Has(%d) = %v, want %v", round, h, s.Has(h), want[h])
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

// Readers claiming at once (a preview's): each hash not stored is kept by exactly one of them, once.
func TestConcurrentClaimsKeepEachHashOnce(t *testing.T) {
	const readers, n = 8, 20_000
	stored := make([]uint64, 0, n/2)
	for h := uint64(0); h < n; h += 2 {
		stored = append(stored, h)
	}
	s := New(stored)
	kept := make([][]uint64, readers)
	var wg sync.WaitGroup
	for i := range readers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(i), 7))
			hashes := make([]uint64, 100)
			keep := make([]bool, len(hashes))
			for range 200 {
				for j := range hashes {
					hashes[j] = r.Uint64N(n)
				}
				s.Claim(hashes, keep)
				for j, h := range hashes {
					if keep[j] {
						kept[i] = append(kept[i], h)
					}
				}
			}
		})
	}
	wg.Wait()
	times := map[uint64]int{}
	for _, k := range kept {
		for _, h := range k {
			times[h]++
		}
	}
	for h, c := range times {
		if h%2 == 0 || c != 1 {
			t.Fatalf("hash %d kept %d times (stored: %v), want once and only if not stored", h, c, h%2 == 0)
		}
	}
	for h := uint64(1); h < n; h += 2 {
		if s.Has(h) != (times[h] == 1) {
			t.Fatalf("Has(%d) = %v, but it was kept %d times", h, s.Has(h), times[h])
		}
	}
}

// BenchmarkLoadClaims claims as a load does: chunks of 2,000 hashes (a tenth of them already stored) against a
// store of a million, a commit every 200,000.
func BenchmarkLoadClaims(b *testing.B) {
	const stored, chunk, batch = 1_000_000, 2_000, 200_000
	r := rand.New(rand.NewPCG(3, 4))
	base := make([]uint64, stored)
	for i := range base {
		base[i] = r.Uint64()
	}
	slices.Sort(base)
	hashes := make([]uint64, chunk)
	keep := make([]bool, chunk)
	var s *Set
	var mine []uint64
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i%(batch/chunk) == 0 {
			b.StopTimer()
			if i%(10*batch/chunk) == 0 {
				s, mine = New(slices.Clone(base)), nil
			}
			b.StartTimer()
		}
		for j := range hashes {
			if j%10 == 0 {
				hashes[j] = base[r.IntN(stored)]
			} else {
				hashes[j] = r.Uint64()
			}
		}
		s.Claim(hashes, keep)
		for j, h := range hashes {
			if keep[j] {
				mine = append(mine, h)
			}
		}
		i++
		if i%(batch/chunk) == 0 {
			s.Committed(mine)
			mine = nil
		}
	}
}
