// Package hashset is the set of content hashes that keeps one of identical CloudTrail records: the store's load
// and the first read of an answer first (ingest.Preview) both leave out a record whose hash is stored or was
// claimed before it.
package hashset
