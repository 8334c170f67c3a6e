package partfile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/klauspost/compress/huff0"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// chunk is a column chunk of the open row group as far as it is encoded: its data pages (headers, levels and
// compressed values, in file order) and what its metadata says of them.
type chunk struct {
	pages        []byte
	uncompressed int64 // page headers and uncompressed pages
	numValues    int64 // levels, NULLs included
	nulls        int64
	dataPages    int32
	encoding     format.Encoding // of the data pages
	// min and max are the chunk's least and greatest values (PLAIN, without a length for byte arrays), once
	// hasBounds; for byte arrays, minKey and maxKey are their first 8 bytes (see prefixKey).
	min, max       []byte
	minKey, maxKey uint64
	hasBounds      bool
}

// pageEncoder encodes and compresses pages; its buffers are reused from page to page.
type pageEncoder struct {
	zstd        *zstd.Encoder
	huff        huff0.Scratch // for literals frames
	vals, idx   []byte
	def, rep    []byte
	comp        []byte
	dictPage    []byte
	header      bytes.Buffer
	thrift      *thrift.Encoder
	rleEncoding rle.Encoding
}

// levelWidth returns the bit width of levels up to max.
func levelWidth(max uint8) int { return bits.Len8(max) }

// flushPage encodes the page being filled as a data page (version 2) at the end of the chunk, and updates the
// chunk's statistics.
func (c *column) flushPage(e *pageEncoder) error {
	levels, rows, nvalues := c.counts()
	if levels == 0 {
		return nil
	}
	var err error
	var vals []byte // the values section, uncompressed: in e.vals, or the column's own PLAIN data
	enc := format.Plain
	switch {
	case c.kind != kindString:
		e.vals = e.vals[:0]
		for _, v := range c.ints {
			e.vals = binary.LittleEndian.AppendUint64(e.vals, uint64(v))
		}
		vals = e.vals
		c.intBounds()
	case c.useDict && len(c.dictVals) > 0:
		enc = format.RLEDictionary
		width := max(1, bits.Len32(uint32(len(c.dictVals)-1)))
		e.rleEncoding.BitWidth = width
		if e.idx, err = e.rleEncoding.EncodeInt32(e.idx, c.idx); err != nil {
			return fmt.Errorf("encode dictionary indexes: %w", err)
		}
		e.vals = append(append(e.vals[:0], byte(width)), e.idx...)
		vals = e.vals
	default:
		vals = c.data // a dictionary column without values (all NULL) has none either
	}
	if c.maxRep > 0 {
		e.rleEncoding.BitWidth = levelWidth(c.maxRep)
		if e.rep, err = e.rleEncoding.EncodeLevels(e.rep, c.rep); err != nil {
			return fmt.Errorf("encode repetition levels: %w", err)
		}
	} else {
		e.rep = e.rep[:0]
	}
	if c.maxDef > 0 {
		e.rleEncoding.BitWidth = levelWidth(c.maxDef)
		if e.def, err = e.rleEncoding.EncodeLevels(e.def, c.def); err != nil {
			return fmt.Errorf("encode definition levels: %w", err)
		}
	} else {
		e.def = e.def[:0]
	}
	if err := e.compress(c, vals); err != nil {
		return err
	}
	levelBytes := len(e.rep) + len(e.def)
	nulls := levels - nvalues
	h := format.PageHeader{
		Type:                 format.DataPageV2,
		UncompressedPageSize: int32(levelBytes + len(vals)),
		CompressedPageSize:   int32(levelBytes + len(e.comp)),
		DataPageHeaderV2: thrift.New(format.DataPageHeaderV2{
			NumValues:                  int32(levels),
			NumNulls:                   int32(nulls),
			NumRows:                    int32(rows),
			Encoding:                   enc,
			DefinitionLevelsByteLength: int32(len(e.def)),
			RepetitionLevelsByteLength: int32(len(e.rep)),
			IsCompressed:               thrift.New(true),
		}),
	}
	c.chunk.pages = reserve(c.chunk.pages, 64+levelBytes+len(e.comp), math.MaxInt) // 64: more than a page header
	start := len(c.chunk.pages)
	if c.chunk.pages, err = e.appendHeader(c.chunk.pages, &h); err != nil {
		return err
	}
	c.chunk.uncompressed += int64(len(c.chunk.pages)-start) + int64(h.UncompressedPageSize)
	c.chunk.pages = append(append(append(c.chunk.pages, e.rep...), e.def...), e.comp...)
	c.chunk.numValues += int64(levels)
	c.chunk.nulls += int64(nulls)
	c.chunk.dataPages++
	c.chunk.encoding = enc
	c.resetPage()
	return nil
}

// compress compresses a page's values of the column c into e.comp with the column's codec.
func (e *pageEncoder) compress(c *column, vals []byte) error {
	switch {
	case c.codec == format.Snappy:
		e.comp = s2.EncodeSnappy(e.comp[:cap(e.comp)], vals)
	case c.random && len(vals) >= minLiteralsPage:
		var err error
		if e.comp, err = appendLiteralsFrame(e.comp[:0], vals, &e.huff); err != nil {
			return fmt.Errorf("compress page: %w", err)
		}
	default:
		e.comp = e.zstd.EncodeAll(vals, e.comp[:0])
	}
	return nil
}

// appendHeader appends the compact thrift encoding of a page header to dst.
func (e *pageEncoder) appendHeader(dst []byte, h *format.PageHeader) ([]byte, error) {
	e.header.Reset()
	if err := e.thrift.Encode(h); err != nil {
		return dst, fmt.Errorf("encode page header: %w", err)
	}
	return append(dst, e.header.Bytes()...), nil
}

// encodeDictPage encodes the chunk's dictionary page into e.dictPage (empty when the chunk has none) and adds the
// dictionary's bounds to the chunk's: every value of the dictionary is used.
func (c *column) encodeDictPage(e *pageEncoder) error {
	e.dictPage = e.dictPage[:0]
	if !c.useDict || len(c.dictVals) == 0 {
		return nil
	}
	vals := e.vals[:0]
	for _, v := range c.dictVals {
		vals = binary.LittleEndian.AppendUint32(vals, uint32(len(v)))
		vals = append(vals, v...)
		c.chunk.boundString(v)
	}
	e.vals = vals
	if err := e.compress(c, vals); err != nil {
		return err
	}
	h := format.PageHeader{
		Type:                 format.DictionaryPage,
		UncompressedPageSize: int32(len(vals)),
		CompressedPageSize:   int32(len(e.comp)),
		DictionaryPageHeader: thrift.New(format.DictionaryPageHeader{NumValues: int32(len(c.dictVals)), Encoding: format.Plain}),
	}
	var err error
	if e.dictPage, err = e.appendHeader(e.dictPage, &h); err != nil {
		return err
	}
	c.chunk.uncompressed += int64(len(e.dictPage)) + int64(len(vals))
	e.dictPage = append(e.dictPage, e.comp...)
	return nil
}

// intBounds adds the bounds of the page's integers to the chunk's, signed or unsigned as the column's logical
// type sorts.
func (c *column) intBounds() {
	if len(c.ints) == 0 {
		return
	}
	var lo, hi [8]byte
	if c.kind == kindUint64 {
		binary.LittleEndian.PutUint64(lo[:], uint64(slices.MinFunc(c.ints, cmpUint64)))
		binary.LittleEndian.PutUint64(hi[:], uint64(slices.MaxFunc(c.ints, cmpUint64)))
		c.chunk.bound(lo[:], hi[:], func(a, b []byte) int {
			return cmpUint64(int64(binary.LittleEndian.Uint64(a)), int64(binary.LittleEndian.Uint64(b)))
		})
		return
	}
	binary.LittleEndian.PutUint64(lo[:], uint64(slices.Min(c.ints)))
	binary.LittleEndian.PutUint64(hi[:], uint64(slices.Max(c.ints)))
	c.chunk.bound(lo[:], hi[:], func(a, b []byte) int {
		x, y := int64(binary.LittleEndian.Uint64(a)), int64(binary.LittleEndian.Uint64(b))
		return compare(x, y)
	})
}

func cmpUint64(a, b int64) int { return compare(uint64(a), uint64(b)) }

func compare[T int64 | uint64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// bound widens the chunk's bounds to include lo and hi, which cmp orders.
func (k *chunk) bound(lo, hi []byte, cmp func(a, b []byte) int) {
	if !k.hasBounds {
		k.min, k.max, k.hasBounds = setBytes(k.min, lo), setBytes(k.max, hi), true
		return
	}
	if cmp(lo, k.min) < 0 {
		k.min = setBytes(k.min, lo)
	}
	if cmp(hi, k.max) > 0 {
		k.max = setBytes(k.max, hi)
	}
}

// boundString widens the chunk's bounds to include the byte array s (bytes compare unsigned, as strings sort).
// Most values fall between the bounds' 8-byte prefixes and are not compared further.
func (k *chunk) boundString(s string) {
	key := prefixKey(s)
	switch {
	case !k.hasBounds:
		k.min, k.max, k.minKey, k.maxKey, k.hasBounds = setString(k.min, s), setString(k.max, s), key, key, true
	case key < k.minKey || key == k.minKey && s < string(k.min):
		k.min, k.minKey = setString(k.min, s), key
	case key > k.maxKey || key == k.maxKey && s > string(k.max):
		k.max, k.maxKey = setString(k.max, s), key
	}
}

// prefixKey returns the first 8 bytes of s as a big-endian number, zeros after a shorter s: if a's key is less
// than b's, a sorts before b; equal keys say nothing.
func prefixKey(s string) uint64 {
	if len(s) >= 8 {
		_ = s[7]
		return uint64(s[0])<<56 | uint64(s[1])<<48 | uint64(s[2])<<40 | uint64(s[3])<<32 |
			uint64(s[4])<<24 | uint64(s[5])<<16 | uint64(s[6])<<8 | uint64(s[7])
	}
	var b [8]byte
	copy(b[:], s)
	return binary.BigEndian.Uint64(b[:])
}

// setString returns s copied into dst's memory; never nil, so that an empty string is a bound the footer keeps.
func setString(dst []byte, s string) []byte {
	if dst == nil {
		dst = make([]byte, 0, len(s))
	}
	return append(dst[:0], s...)
}

// setBytes returns v copied into dst's memory; never nil, so that an empty string is a bound the footer keeps.
func setBytes(dst, v []byte) []byte {
	if dst == nil {
		dst = make([]byte, 0, len(v))
	}
	return append(dst[:0], v...)
}
