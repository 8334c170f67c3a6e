package partfile

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/huff0"
	"github.com/klauspost/compress/zstd"
)

// A literals frame decodes to its input: empty, smaller than a block and larger, text, random bytes, one byte
// repeated, and sizes around the block size; and it is smaller than hex text.
func TestLiteralsFrame(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	hex := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = "0123456789abcdef-"[rng.IntN(17)]
		}
		return b
	}
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	inputs := map[string][]byte{
		"empty":          {},
		"short":          []byte("abc"),
		"hex 1000":       hex(1000),
		"hex 5000":       hex(5000),
		"hex block":      hex(zstdMaxBlock),
		"hex block+1":    hex(zstdMaxBlock + 1),
		"hex 1 MiB":      hex(1 << 20),
		"random 300 KiB": random(300 << 10),
		"repeated":       bytes.Repeat([]byte{'x'}, 200<<10),
		"hex then x":     append(hex(zstdMaxBlock), bytes.Repeat([]byte{'x'}, 5000)...),
	}
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	var s huff0.Scratch
	for name, in := range inputs {
		frame, err := appendLiteralsFrame(nil, in, &s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out, err := dec.DecodeAll(frame, nil)
		if err != nil {
			t.Errorf("%s: decode: %v", name, err)
			continue
		}
		if !bytes.Equal(out, in) {
			t.Errorf("%s: decoded %d bytes, want the %d written", name, len(out), len(in))
		}
		if name == "hex 1 MiB" && len(frame) > len(in)*3/4 {
			t.Errorf("%s: %d bytes compressed to %d", name, len(in), len(frame))
		}
	}
}
