package store

import "github.com/trailq/trailq/internal/hashset"

// hashSet is the set of content hashes the store holds, during a load (package hashset, which the preview's
// readers share too). The load uses it from its one goroutine.
type hashSet struct{ s *hashset.Set }

func newHashSet(stored []uint64) *hashSet { return &hashSet{hashset.New(stored)} }

// has reports whether h is stored or claimed.
func (s *hashSet) has(h uint64) bool { return s.s.Has(h) }

// claim marks in keep which of hashes are new, and claims them. A hash that appears twice in hashes is kept once.
func (s *hashSet) claim(hashes []uint64, keep []bool) { s.s.Claim(hashes, keep) }

// drop records that the rows with these hashes were deleted.
func (s *hashSet) drop(hashes []uint64) { s.s.Drop(hashes) }

// committed moves the hashes claimed since the last commit into the sorted runs once the transaction committed.
// mine is sorted in place and kept by the set.
func (s *hashSet) committed(mine []uint64) { s.s.Committed(mine) }
