package store

import "slices"

// hashSet is the set of content hashes the store holds, during a load. Committed hashes sit in sorted runs
// (8 bytes each, merged as they grow, so that a lookup searches a few runs: a map would take about 20 bytes a
// hash, hundreds of MB for ten million records); hashes claimed since the last commit sit in a map until it.
// removed masks hashes whose rows this load deleted (an object replaced by a new version).
type hashSet struct {
	runs    [][]uint64
	claimed map[uint64]struct{}
	removed map[uint64]struct{}
}

func newHashSet(stored []uint64) *hashSet {
	h := &hashSet{claimed: map[uint64]struct{}{}, removed: map[uint64]struct{}{}}
	if len(stored) > 0 {
		h.runs = [][]uint64{stored}
	}
	return h
}

// has reports whether h is stored or claimed.
func (s *hashSet) has(h uint64) bool {
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

// claim marks in keep which of hashes are new, and claims them. A hash that appears twice in hashes is kept once.
func (s *hashSet) claim(hashes []uint64, keep []bool) {
	for i, h := range hashes {
		keep[i] = !s.has(h)
		if keep[i] {
			s.claimed[h] = struct{}{}
			delete(s.removed, h)
		}
	}
}

// drop records that the rows with these hashes were deleted.
func (s *hashSet) drop(hashes []uint64) {
	for _, h := range hashes {
		delete(s.claimed, h)
		s.removed[h] = struct{}{}
	}
}

// committed moves the hashes claimed since the last commit into the sorted runs once the transaction committed.
// mine is sorted in place and kept by the set.
func (s *hashSet) committed(mine []uint64) {
	if len(mine) == 0 {
		return
	}
	slices.Sort(mine)
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
