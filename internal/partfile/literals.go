package partfile

import (
	"encoding/binary"
	"errors"

	"github.com/klauspost/compress/huff0"
)

// Random identifiers (event and request ids) give zstd almost no matches: what it saves on them is the entropy
// of their characters, and its match search costs it three times what a Huffman coder does. Their pages are
// compressed as zstd frames of literals only: each block is its bytes Huffman-coded (or stored when that does not
// pay) and no sequences. Any zstd decoder reads them (RFC 8878: a frame, blocks, a literals section and an empty
// sequences section).

const (
	zstdMagic       = 0xFD2FB528
	zstdMaxBlock    = 128 << 10 // a block's size at most (Block_Maximum_Size)
	minLiteralsPage = 4 << 10   // smaller pages go through the zstd encoder
)

// Block types and the literals block type of RFC 8878.
const (
	blockRaw        = 0
	blockRLE        = 1
	blockCompressed = 2
	literalsHuffman = 2 // Compressed_Literals_Block
)

// appendLiteralsFrame appends src compressed as a zstd frame of literal-only blocks to dst.
func appendLiteralsFrame(dst, src []byte, s *huff0.Scratch) ([]byte, error) {
	// Frame header: single segment (the window is the content), a 4-byte content size, no checksum or dictionary.
	dst = binary.LittleEndian.AppendUint32(dst, zstdMagic)
	dst = append(dst, 2<<6|1<<5)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(src)))
	if len(src) == 0 {
		return appendBlockHeader(dst, true, blockRaw, 0), nil
	}
	s.Reuse = huff0.ReusePolicyNone // each block carries its own table
	for len(src) > 0 {
		n := min(len(src), zstdMaxBlock)
		block, last := src[:n], n == len(src)
		src = src[n:]
		var out []byte
		err := huff0.ErrIncompressible // four streams need enough literals to pay for their jump table
		if n >= 1024 {
			out, _, err = huff0.Compress4X(block, s)
		}
		switch {
		case errors.Is(err, huff0.ErrUseRLE):
			dst = appendBlockHeader(dst, last, blockRLE, n)
			dst = append(dst, block[0])
			continue
		case errors.Is(err, huff0.ErrIncompressible), err == nil && len(out)+literalsHeaderLen+1 >= n:
			dst = appendBlockHeader(dst, last, blockRaw, n)
			dst = append(dst, block...)
			continue
		case err != nil:
			return dst, err
		}
		dst = appendBlockHeader(dst, last, blockCompressed, literalsHeaderLen+len(out)+1)
		// Literals section header: four streams, 18-bit regenerated and compressed sizes.
		h := uint64(literalsHuffman) | 3<<2 | uint64(n)<<4 | uint64(len(out))<<22
		dst = append(dst, byte(h), byte(h>>8), byte(h>>16), byte(h>>24), byte(h>>32))
		dst = append(dst, out...) // the Huffman table and the four streams
		dst = append(dst, 0)      // sequences section: none
	}
	return dst, nil
}

// literalsHeaderLen is the size of the literals section header appendLiteralsFrame writes.
const literalsHeaderLen = 5

// appendBlockHeader appends a block header: last block flag, block type and size (the content's, or for an RLE
// block the size it regenerates).
func appendBlockHeader(dst []byte, last bool, typ, size int) []byte {
	h := uint32(size)<<3 | uint32(typ)<<1
	if last {
		h |= 1
	}
	return append(dst, byte(h), byte(h>>8), byte(h>>16))
}
