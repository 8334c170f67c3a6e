package hashset

import (
	"slices"
	"sync"
)

// Set is a set of 64-bit content hashes, safe for concurrent use. The hashes a store holds, and those claimed
// and then committed, sit in sorted runs (8 bytes each, merged as they grow, so that a lookup searches a few
// runs: a map would take about 20 bytes a hash, hundreds of MB for ten million records); hashes claimed since the
// last commit sit in a map until it. Hashes whose rows were deleted (an object replaced by a new version) are
// masked until claimed again.
//
// A load claims, drops and commits from one goroutine; the readers of a preview claim at once. Claim takes the
// lock once for a whole slice of hashes, so that a load pays it once per chunk of records, not per record.
type Set struct {
	mu      sync.Mutex
	runs    [][]uint64
	claimed map[uint64]struct{}
	removed map[uint64]struct{}
}

// New returns a set of the stored hashes, which must be sorted; the set keeps the slice.
func New(stored []uint64) *Set {
	s := &Set{claimed: map[uint64]struct{}{}, removed: map[uint64]struct{}{}}
	if len(stored) > 0 {
		s.runs = [][]uint64{stored}
	}
	return s
}

// Has reports whether h is stored or claimed.
func (s *Set) Has(h uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.has(h)
}

func (s *Set) has(h uint64) bool {
	if _, ok := s.claimed[h]; ok {
		return true
	}
	if _, ok := s.removed[h]; ok {
		return false
	}
	for _, r := range s.runs {
		if _, found := slices.BinarySearch(r, h); found {
			return true
		}
	}
	return false
}

// Claim sets keep[i] for each of hashes that is neither stored nor claimed, and claims it; keep must be at least
// as long as hashes. A hash that appears twice in hashes is kept once, the first time.
func (s *Set) Claim(hashes []uint64, keep []bool) {
	keep = keep[:len(hashes)]
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, h := range hashes {
		keep[i] = !s.has(h)
		if keep[i] {
			s.claimed[h] = struct{}{}
			delete(s.removed, h)
		}
	}
}

// Drop records that the rows with these hashes were deleted: they are no longer in the set.
func (s *Set) Drop(hashes []uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range hashes {
		delete(s.claimed, h)
		s.removed[h] = struct{}{}
	}
}

// Committed makes the claims of mine final once the transaction that stores their rows committed: they move from
// the map into the sorted runs. mine is sorted in place and kept by the set.
func (s *Set) Committed(mine []uint64) {
	if len(mine) == 0 {
		return
	}
	slices.Sort(mine) // outside the lock: the set does not have mine yet
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range mine {
		delete(s.claimed, h)
	}
	s.runs = append(s.runs, mine)
	// Merge while the newest run is at least half its elder: a few runs of geometrically growing size remain.
	for n := len(s.runs); n > 1 && 2*len(s.runs[n-1]) >= len(s.runs[n-2]); n = len(s.runs) {
		s.runs = append(s.runs[:n-2], mergeSorted(s.runs[n-2], s.runs[n-1]))
	}
}

func mergeSorted(a, b []uint64) []uint64 {
	out := make([]uint64, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if a[i] <= b[j] {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}
