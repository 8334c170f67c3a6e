package cloudtrail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Problem is something wrong with one record of a file that did not stop the record from being loaded
// (a field of the wrong type is stored as NULL) or that made the decoder skip it (Skipped), or with the file
// outside its records (Record -1: "Records": null, a second Records member, a top-level member that is not JSON).
type Problem struct {
	// Record is the record's index among the file's records (the elements of its documents' Records arrays, one
	// after another), from 0; -1 for the file.
	Record int
	// Offset is where the record (or what the problem is about) starts: a byte offset in the file's JSON text
	// (after decompression), from 0.
	Offset  int64
	Field   string // JSON field name, "" for the whole record
	Msg     string
	Skipped bool // the record was not loaded
}

func (p Problem) String() string {
	s := "at byte " + strconv.FormatInt(p.Offset, 10)
	if p.Record >= 0 {
		s = "record " + strconv.Itoa(p.Record) + " " + s
	}
	if p.Field != "" {
		s += " field " + p.Field
	}
	s += ": " + p.Msg
	if p.Skipped {
		s += " (record skipped)"
	}
	return s
}

// ErrNoRecords is returned for a JSON document that has no Records array.
var ErrNoRecords = errors.New("no Records array: not a CloudTrail log file")

// ErrDigest is returned for a CloudTrail digest file, which has no events.
var ErrDigest = errors.New("a CloudTrail digest file, not a log file")

// MaxRecordBytes bounds the size of one record by default (Decoder.Limit); a larger one is reported and skipped.
const MaxRecordBytes = 64 << 20

// Decoder reads {"Records":[…]} documents.
type Decoder struct {
	buf []byte // the document being read, reused
	// What scanning a document found at its top level: its records, decoded, whether it has a Records member,
	// whether it looks like a digest file.
	recs               []element
	sawRecords, digest bool
	reader             recordReader
	strs               stringArena
	blocks             blockSlab
	compact            bytes.Buffer
	skip               uint64 // record members not decoded (Project)
	// maxRecord bounds one record (0: MaxRecordBytes); budget, when set, is reserved for a record's window
	// beyond streamChunk, and held counts the reservation handed to the caller with records (TakeHeld).
	maxRecord int
	budget    Budget
	held      int64
	sbuf      []byte // the streaming decoder's window, reused
}

// Budget is memory shared by the decoders of a pool: a decoder reserves from it the window a large record is
// read through, and the record that comes of it, before it allocates them.
type Budget interface {
	// Reserve waits until n bytes are free and takes them; its error (cancellation) stops the decoding.
	Reserve(n int64) error
	Release(n int64)
}

// Limit bounds the bytes of one record (0: MaxRecordBytes; a larger record is reported and skipped without being
// held in memory) and, when b is not nil, reserves from b the memory of records larger than streamChunk: twice
// the limit while such a record is read, then its size until the caller releases it (TakeHeld).
func (d *Decoder) Limit(maxRecord int, b Budget) { d.maxRecord, d.budget = maxRecord, b }

// TakeHeld returns the bytes of the budget (Limit) held for the records handed to Decode's callback since the
// last call, which the caller must Release once it is done with those records.
func (d *Decoder) TakeHeld() int64 {
	n := d.held
	d.held = 0
	return n
}

// RecordReservation is what a Decoder reserves from its Budget while it reads a record too large for its
// usual buffers, when records may be maxRecord bytes (0: MaxRecordBytes). A Budget must have at least that.
func RecordReservation(maxRecord int) int64 {
	if maxRecord <= 0 {
		maxRecord = MaxRecordBytes
	}
	return 2 * int64(maxRecord+2*streamChunk)
}

func (d *Decoder) limit() int {
	if d.maxRecord > 0 {
		return d.maxRecord
	}
	return MaxRecordBytes
}

// Project makes the decoder leave out the fields p does not keep: they are still checked and count in the
// content hash, but are not decoded (faster), and their problems are not reported. Records of a document that
// goes through the streaming decoder (large or broken files) are projected the same way.
func (d *Decoder) Project(p Projection) { d.skip = ^p.keep & allMembers }

// Recycle makes the decoder reuse the memory of the records of a document for those of the next: a record
// handed to Decode's callback is then valid only until the next call of Decode. For callers that are done with
// each document's records (copied or dropped) before they decode the next one.
func (d *Decoder) Recycle() { d.blocks.reuse = true }

// NewDecoder returns a Decoder. A Decoder is not safe for concurrent use; use one per goroutine.
func NewDecoder() *Decoder { return &Decoder{} }

// Decode reads the CloudTrail log documents of r (usually one; concatenated gzip members give several) and calls
// fn for each record that is an object, in order, with the record's index and the problems found in it. It stops
// at fn's first error. Records that are not objects or not valid JSON are reported through problem and skipped,
// and the next record is read. The error it returns (other than fn's) says why the rest of the input could not
// be read; the records before that point have already been passed to fn. A UTF-8 byte-order mark at the start is
// skipped.
func (d *Decoder) Decode(r io.Reader, fn func(index int, rec *Record, problems []Problem) error, problem func(Problem)) error {
	// Most log files are small: read them whole, then check and decode them in one walk (document.go). A large,
	// broken or odd file goes through the streaming decoder, which bounds memory, skips bad records and reads
	// every document.
	d.blocks.rewind()
	d.buf = d.buf[:0]
	if cap(d.buf) < 1<<20 {
		d.buf = make([]byte, 0, 1<<20)
	}
	for {
		if len(d.buf) == cap(d.buf) {
			if len(d.buf) >= wholeFileLimit {
				return d.stream(io.MultiReader(bytes.NewReader(d.buf), r), fn, problem)
			}
			// Double (append grows a large slice by a quarter, copying it many times on the way).
			nb := make([]byte, len(d.buf), min(2*cap(d.buf), wholeFileLimit))
			copy(nb, d.buf)
			d.buf = nb
		}
		n, err := r.Read(d.buf[len(d.buf):cap(d.buf)])
		d.buf = d.buf[:len(d.buf)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return d.stream(io.MultiReader(bytes.NewReader(d.buf), errReader{err}), fn, problem)
		}
	}
	if !d.scanDocument(d.buf) {
		d.dropRecords()
		return d.stream(bytes.NewReader(d.buf), fn, problem)
	}
	return d.decodeWhole(d.buf, fn, problem)
}

// stream is decodeStream without recycling (Recycle) the records' memory: a large document's records, handed out
// in parts, would all stay in the slab until the next document.
func (d *Decoder) stream(r io.Reader, fn func(index int, rec *Record, problems []Problem) error, problem func(Problem)) error {
	reuse := d.blocks.reuse
	d.blocks.reuse = false
	defer func() { d.blocks.reuse = reuse }()
	return d.decodeStream(r, fn, problem)
}

// wholeFileLimit is the largest file read whole (decompressed). It bounds a worker's buffer: a load over S3 runs
// dozens of workers at once.
const wholeFileLimit = 8 << 20

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// DecodeRecord converts one record's JSON. It fails only when raw is not a JSON object; fields of the wrong type
// become NULL (or keep their JSON text) and are listed in problems. index is used in the problems.
func (d *Decoder) DecodeRecord(raw []byte, index int) (*Record, []Problem, error) {
	if _, ok := valid(raw); !ok {
		return nil, nil, fmt.Errorf("record is not valid JSON")
	}
	return d.decodeChecked(bytes.TrimSpace(raw), index)
}

// decodeChecked is DecodeRecord for raw that is known to be valid JSON, without white space around it.
func (d *Decoder) decodeChecked(raw []byte, index int) (*Record, []Problem, error) {
	if len(raw) == 0 || raw[0] != '{' {
		return nil, nil, fmt.Errorf("record is %s, not an object", rawKind(raw))
	}
	d.reader = recordReader{scanner: scanner{b: raw}, d: d}
	rec, problems, _, _ := d.reader.record(0, 1, index)
	return rec, problems, nil
}
