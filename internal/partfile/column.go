package partfile

import (
	"bytes"
	"encoding/binary"
	"strings"

	"github.com/parquet-go/parquet-go/format"

	"github.com/trailq/trailq/internal/cloudtrail"
)

// Limits of a column chunk's dictionary: a column whose chunk has more distinct values, or more bytes of them,
// stores that chunk's values plain instead. Variables so that tests can make dictionaries small; maxDictValues is
// the default of Limits.DictValues.
var (
	maxDictValues = 1 << 16
	maxDictBytes  = 1 << 20
)

// pageBytes is the size of a page's byte-array values after which the page is encoded (at the end of a row, so
// that a page holds whole rows): the default of Limits.PageBytes. A variable so that tests can make pages small.
var pageBytes = 1 << 20

// column holds one leaf column's values for the open row group: the levels and values of the page being
// filled, the chunk's dictionary, and the chunk's encoded pages and statistics.
type column struct {
	maxDef, maxRep uint8
	kind           leafKind
	random         bool                    // values are random identifiers: pages are compressed as literals
	codec          format.CompressionCodec // of the pages
	// useDict says that the chunk's values go through its dictionary: set for the columns that have one, cleared
	// for the rest of a chunk whose dictionary outgrew the limits.
	useDict bool

	// The page being filled: its definition and repetition levels (none when the maximum level is 0; a level
	// of maxDef is a value), and its values: byte arrays PLAIN-encoded in data, dictionary indexes, or integers.
	def, rep []uint8
	data     []byte
	idx      []int32
	ints     []int64

	// The chunk's dictionary: index of each value, the values by index, their total size, and the last value
	// looked up (consecutive rows often share one).
	dict      map[string]int32
	dictVals  []string
	dictBytes int
	last      string
	lastIdx   int32

	chunk chunk

	// The writer's limits (Limits.PageBytes and DictValues; the defaults until CreateWith sets them).
	pageBytes, maxDictValues int
}

// newColumn returns the empty buffers of leaf l.
func newColumn(l *leaf) column {
	c := column{maxDef: l.maxDef, maxRep: l.maxRep, kind: l.kind, random: l.random, codec: l.codec, useDict: l.dict, lastIdx: -1,
		pageBytes: pageBytes, maxDictValues: maxDictValues}
	if l.dict {
		c.dict = map[string]int32{}
	}
	return c
}

// null adds a NULL defined down to level d, in a new row.
func (c *column) null(d uint8) {
	c.def = append(c.def, d)
	if c.maxRep > 0 {
		c.rep = append(c.rep, 0)
	}
}

// str adds s, or a NULL when it is not valid, in a new row of a column that is not repeated.
func (c *column) str(s *cloudtrail.String) {
	if !s.Valid {
		c.def = append(c.def, c.maxDef-1)
		return
	}
	c.def = append(c.def, c.maxDef)
	c.bytes(s.S)
}

// ptr adds *s, or a NULL when s is nil, in a new row of a column that is not repeated.
func (c *column) ptr(s *string) {
	if s == nil {
		c.def = append(c.def, c.maxDef-1)
		return
	}
	c.def = append(c.def, c.maxDef)
	c.bytes(*s)
}

// nullAt adds a NULL defined down to level d, at repetition level r, in a repeated column.
func (c *column) nullAt(d, r uint8) {
	c.def = append(c.def, d)
	c.rep = append(c.rep, r)
}

// strAt adds s, or a NULL when it is not valid, at repetition level r, in a repeated column.
func (c *column) strAt(s *cloudtrail.String, r uint8) {
	if !s.Valid {
		c.nullAt(c.maxDef-1, r)
		return
	}
	c.valAt(s.S, r)
}

// valAt adds s at repetition level r, in a repeated column.
func (c *column) valAt(s string, r uint8) {
	c.def = append(c.def, c.maxDef)
	c.rep = append(c.rep, r)
	c.bytes(s)
}

// int adds v in a new row of a required integer column.
func (c *column) int(v int64) { c.ints = append(c.ints, v) }

// bytes adds the value s (its levels are the caller's): PLAIN-encoded (a little-endian length, the bytes), or
// through the dictionary.
func (c *column) bytes(s string) {
	if c.useDict {
		c.dictValue(s)
		return
	}
	if cap(c.data)-len(c.data) < 4+len(s) {
		c.data = reserve(c.data, 4+len(s), c.pageBytes+4+len(s))
	}
	c.data = binary.LittleEndian.AppendUint32(c.data, uint32(len(s)))
	c.data = append(c.data, s...)
	c.chunk.boundString(s)
}

// reserve returns s with room for n more elements, doubling its capacity when it must grow (append grows a large
// slice by a quarter, and a page or a chunk's pages would be copied many times over as they fill), but to no
// more than limit while len(s)+n fits in it. Past the limit it goes on doubling: growing by n each time would
// copy the slice once per value (a dictionary dropped in the middle of a chunk of 102,094 small files' paths took
// minutes that way).
func reserve[T any](s []T, n, limit int) []T {
	if cap(s)-len(s) >= n {
		return s
	}
	c := 2 * cap(s)
	if len(s)+n <= limit {
		c = min(c, limit)
	}
	t := make([]T, len(s), max(c, len(s)+n, 4096))
	copy(t, s)
	return t
}

// dictValue adds the index of s in the dictionary, which falls back to plain values when it grows too large.
func (c *column) dictValue(s string) {
	c.idx = append(c.idx, c.index(s))
	if len(c.dictVals) > c.maxDictValues || c.dictBytes > maxDictBytes {
		c.dropDict()
	}
}

// index returns the index of s in the chunk's dictionary, adding it if it is new.
func (c *column) index(s string) int32 {
	if c.lastIdx >= 0 && s == c.last {
		return c.lastIdx
	}
	i, ok := c.dict[s]
	if !ok {
		i = int32(len(c.dictVals))
		s = strings.Clone(s)
		c.dict[s] = i
		c.dictVals = append(c.dictVals, s)
		c.dictBytes += len(s)
	}
	c.last, c.lastIdx = c.dictVals[i], i
	return i
}

// dropDict turns the chunk's dictionary indexes into plain values; the rest of the chunk is plain. Only the
// page being filled has values: a dictionary column's page is encoded at the end of the chunk.
// The page may then pass pageBytes (reserve goes on doubling); it is encoded at the end of this row.
func (c *column) dropDict() {
	idx := c.idx
	c.useDict = false
	for _, i := range idx {
		c.bytes(c.dictVals[i])
	}
	c.idx = idx[:0]
	c.resetDict()
}

// resetDict empties the dictionary.
func (c *column) resetDict() {
	clear(c.dict)
	clear(c.dictVals)
	c.dictVals = c.dictVals[:0]
	c.dictBytes = 0
	c.last, c.lastIdx = "", -1
}

// resetPage empties the page being filled.
func (c *column) resetPage() {
	c.def, c.rep = c.def[:0], c.rep[:0]
	c.data = c.data[:0]
	c.idx, c.ints = c.idx[:0], c.ints[:0]
}

// counts returns the page's levels (NULLs included), rows and values.
func (c *column) counts() (levels, rows, values int) {
	switch {
	case c.maxDef == 0:
		return len(c.ints), len(c.ints), len(c.ints)
	case c.maxRep == 0:
		levels, rows = len(c.def), len(c.def)
	default:
		levels, rows = len(c.def), bytes.Count(c.rep, []byte{0})
	}
	return levels, rows, bytes.Count(c.def, []byte{c.maxDef})
}
