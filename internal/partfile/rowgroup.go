package partfile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// magic starts and ends a Parquet file.
const magic = "PAR1"

// createdBy names the writer in the footer.
const createdBy = "trailq partfile"

// buffers are a writer's column buffers and page encoder. They are kept between part files (a load writes one
// a commit): grown to a row group's size, they cost more to make again than to encode a commit's rows.
type buffers struct {
	cols [numLeaves]column
	enc  pageEncoder
}

var bufferPool sync.Pool

// getBuffers returns empty buffers, reused if there are some.
func getBuffers() *buffers {
	if b, ok := bufferPool.Get().(*buffers); ok {
		return b
	}
	b := new(buffers)
	for i := range b.cols {
		b.cols[i] = newColumn(&leaves[i])
	}
	// The options cannot fail.
	b.enc.zstd, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1),
		zstd.WithZeroFrames(true), zstd.WithEncoderCRC(false))
	b.enc.thrift = thrift.NewEncoder(new(thrift.CompactProtocol).NewWriter(&b.enc.header))
	return b
}

// putBuffers empties b for another writer.
func putBuffers(b *buffers) {
	for i := range b.cols {
		b.cols[i].resetChunk(&leaves[i])
	}
	bufferPool.Put(b)
}

// writeRowGroup encodes the open row group's last pages and dictionaries, writes its column chunks one after
// the other, and empties the columns for the next row group.
func (p *Writer) writeRowGroup() error {
	if err := p.begin(); err != nil {
		return err
	}
	rg := format.RowGroup{NumRows: int64(p.groupRows), FileOffset: p.off, Ordinal: int16(len(p.groups))}
	rg.Columns = make([]format.ColumnChunk, len(p.b.cols))
	for i := range p.b.cols {
		c := &p.b.cols[i]
		if err := c.flushPage(&p.b.enc); err != nil {
			return fmt.Errorf("write part file %s: %w", p.name, err)
		}
		if err := c.encodeDictPage(&p.b.enc); err != nil {
			return fmt.Errorf("write part file %s: %w", p.name, err)
		}
		start := p.off
		md := c.metadata(&leaves[i], len(p.b.enc.dictPage) > 0)
		md.DataPageOffset = start + int64(len(p.b.enc.dictPage))
		if len(p.b.enc.dictPage) > 0 {
			md.DictionaryPageOffset = start
		}
		if err := p.write(p.b.enc.dictPage); err != nil {
			return err
		}
		if err := p.write(c.chunk.pages); err != nil {
			return err
		}
		md.TotalCompressedSize = p.off - start
		rg.Columns[i] = format.ColumnChunk{FileOffset: start, MetaData: md}
		rg.TotalByteSize += md.TotalUncompressedSize
		rg.TotalCompressedSize += md.TotalCompressedSize
		c.resetChunk(&leaves[i])
	}
	p.groups = append(p.groups, rg)
	p.groupRows = 0
	return nil
}

// metadata returns the column chunk's metadata but for its offsets and compressed size.
func (c *column) metadata(l *leaf, dictPage bool) format.ColumnMetaData {
	k := &c.chunk
	typ := format.ByteArray
	if l.kind != kindString {
		typ = format.Int64
	}
	var encs []format.Encoding
	stats := []format.PageEncodingStats{{PageType: format.DataPageV2, Encoding: k.encoding, Count: k.dataPages}}
	if dictPage {
		encs = append(encs, format.Plain)
		stats = append([]format.PageEncodingStats{{PageType: format.DictionaryPage, Encoding: format.Plain, Count: 1}}, stats...)
	}
	if c.maxDef > 0 {
		encs = append(encs, format.RLE)
	}
	encs = append(encs, k.encoding)
	slices.Sort(encs)
	md := format.ColumnMetaData{
		Type:                  typ,
		Encoding:              slices.Compact(encs),
		PathInSchema:          strings.Split(l.path, "."),
		Codec:                 l.codec,
		NumValues:             k.numValues,
		TotalUncompressedSize: k.uncompressed,
		Statistics:            format.Statistics{NullCount: k.nulls},
		EncodingStats:         stats,
	}
	if k.hasBounds {
		md.Statistics.MinValue, md.Statistics.MaxValue = bytes.Clone(k.min), bytes.Clone(k.max)
	}
	return md
}

// resetChunk empties the column for the next row group.
func (c *column) resetChunk(l *leaf) {
	c.resetPage()
	c.chunk = chunk{pages: c.chunk.pages[:0], min: c.chunk.min, max: c.chunk.max}
	c.useDict = l.dict
	if l.dict {
		c.resetDict()
	}
}

// writeFooter writes the file's metadata and the closing magic.
func (p *Writer) writeFooter() error {
	orders := make([]format.ColumnOrder, len(leaves))
	for i := range orders {
		orders[i].Value = &format.TypeDefinedOrder{}
	}
	md := format.FileMetaData{
		Version:      2,
		Schema:       schemaElements(),
		NumRows:      p.rows,
		RowGroups:    p.groups,
		CreatedBy:    createdBy,
		ColumnOrders: orders,
	}
	b, err := thrift.Marshal(new(thrift.CompactProtocol), &md)
	if err != nil {
		return fmt.Errorf("write part file %s: encode footer: %w", p.name, err)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(b)))
	if err := p.begin(); err != nil {
		return err
	}
	return p.write(append(b, magic...))
}
