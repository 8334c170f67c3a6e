package partfile

import (
	"fmt"
	"strings"
	"testing"
)

// TestDroppedDictionaryGrowsByDoubling adds distinct values to a dictionary column until its dictionary outgrows
// maxDictBytes and falls back to plain values in the middle of a page: the page's data must then grow by
// doubling. (It once grew by one value at a time past pageBytes, copying the page for each value: a load of
// 102,094 small files, whose "$path" values are all distinct, took 399 s instead of about 20 s.)
func TestDroppedDictionaryGrowsByDoubling(t *testing.T) {
	c := newColumn(&leaf{path: "_path", kind: kindString, maxDef: 1, dict: true})
	if !c.useDict {
		t.Fatal("the column has no dictionary")
	}
	pad := strings.Repeat("x", 100)
	grew, lastCap, dropped, size := 0, cap(c.data), -1, 0
	const values = 30_000 // 3 MB of values: the dictionary drops at 1 MiB, the page passes pageBytes
	for i := range values {
		c.def = append(c.def, c.maxDef)
		v := fmt.Sprintf("s3://bucket/AWSLogs/%s/%06d.json.gz", pad, i)
		size += 4 + len(v)
		c.bytes(v)
		if cap(c.data) != lastCap {
			grew, lastCap = grew+1, cap(c.data)
		}
		if dropped < 0 && !c.useDict {
			dropped = i
		}
	}
	if dropped < 0 {
		t.Fatalf("the dictionary of %d distinct values was never dropped", values)
	}
	if len(c.data) != size {
		t.Fatalf("page data holds %d bytes, want %d (every value plain)", len(c.data), size)
	}
	if grew > 20 {
		t.Errorf("the page's data was reallocated %d times for %d values (dictionary dropped at value %d): want it to double", grew, values, dropped)
	}
}

// TestReserve checks reserve's growth: doubling up to the limit, exactly the limit when that is enough, and
// doubling past it.
func TestReserve(t *testing.T) {
	s := reserve([]byte(nil), 10, 1<<20)
	if cap(s) != 4096 {
		t.Errorf("first reserve: cap %d, want 4096", cap(s))
	}
	s = reserve(make([]byte, 600<<10, 600<<10), 1, 1<<20)
	if cap(s) != 1<<20 {
		t.Errorf("below the limit: cap %d, want the limit %d", cap(s), 1<<20)
	}
	s = reserve(make([]byte, 1<<20, 1<<20), 100, 1<<20)
	if cap(s) != 2<<20 {
		t.Errorf("past the limit: cap %d, want %d (doubled)", cap(s), 2<<20)
	}
	s = reserve(make([]byte, 10, 4096), 10<<20, 1<<20)
	if cap(s) != 10<<20+10 {
		t.Errorf("a large n: cap %d, want %d", cap(s), 10<<20+10)
	}
}
