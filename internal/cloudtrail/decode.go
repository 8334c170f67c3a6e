package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Problem is something wrong with one record of a file that did not stop the record from being loaded
// (a field of the wrong type is stored as NULL) or that made the decoder skip it (Skipped).
type Problem struct {
	Record  int    // index in Records, from 0
	Field   string // JSON field name, "" for the whole record
	Msg     string
	Skipped bool // the record was not loaded
}

func (p Problem) String() string {
	s := "record " + strconv.Itoa(p.Record)
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

// MaxRecordBytes bounds the size of one record; a larger one is reported and skipped.
const MaxRecordBytes = 64 << 20

// Decoder reads {"Records":[…]} documents.
type Decoder struct {
	buf []byte // the document being read, reused
	// What scanning a document found at its top level: its records, decoded (those of the last Records array),
	// whether it has a Records member and where its value starts, whether it looks like a digest file.
	recs               []element
	sawRecords, digest bool
	recordsAt          int
	reader             recordReader
	strs               stringArena
	blocks             blockSlab
	compact            bytes.Buffer
	skip               uint64 // record members not decoded (Project)
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

// Decode reads one CloudTrail log document from r and calls fn for each record that is an object, in order, with
// the record's index and the problems found in it. It stops at fn's first error. Records that are not objects are
// reported through problem and skipped. The error it returns (other than fn's) says why the rest of the document
// could not be read; the records before that point have already been passed to fn.
func (d *Decoder) Decode(r io.Reader, fn func(index int, rec *Record, problems []Problem) error, problem func(Problem)) error {
	// Most log files are small: read them whole, then check and decode them in one walk (document.go). A large
	// or broken file goes through the streaming decoder, which bounds memory and finds where a file breaks off.
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
			d.buf = append(d.buf, 0)[:len(d.buf)]
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

// decodeStream is Decode for large or broken documents.
func (d *Decoder) decodeStream(r io.Reader, fn func(index int, rec *Record, problems []Problem) error, problem func(Problem)) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return syntaxErr("read document start", dec, err)
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '{' {
		return fmt.Errorf("document is not a JSON object: %w", ErrNoRecords)
	}
	sawRecords := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return syntaxErr("read top-level key", dec, err)
		}
		name, _ := tok.(string)
		if name == "digestStartTime" || name == "logFiles" && !sawRecords {
			return ErrDigest
		}
		if name != "Records" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return syntaxErr("read "+name, dec, err)
			}
			continue
		}
		sawRecords = true
		tok, err = dec.Token()
		if err != nil {
			return syntaxErr("read Records", dec, err)
		}
		if delim, ok := tok.(json.Delim); !ok || delim != '[' {
			if tok == nil {
				continue // "Records": null — an empty log
			}
			return fmt.Errorf("Records is %s, not an array", jsonKind(tok))
		}
		for i := 0; dec.More(); i++ {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return syntaxErr(fmt.Sprintf("read record %d", i), dec, err)
			}
			if len(raw) > MaxRecordBytes {
				problem(Problem{Record: i, Msg: fmt.Sprintf("record of %d bytes exceeds the %d-byte limit", len(raw), MaxRecordBytes), Skipped: true})
				continue
			}
			rec, problems, err := d.decodeChecked(bytes.TrimSpace(raw), i)
			if err != nil {
				problem(Problem{Record: i, Msg: err.Error(), Skipped: true})
				continue
			}
			if err := fn(i, rec, problems); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil { // ']'
			return syntaxErr("read end of Records", dec, err)
		}
	}
	if !sawRecords {
		return ErrNoRecords
	}
	return nil
}

func syntaxErr(what string, dec *json.Decoder, err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%s: invalid JSON at byte %d: %v", what, se.Offset, se)
	}
	return fmt.Errorf("%s at byte %d: %w", what, dec.InputOffset(), err)
}

func jsonKind(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '{' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "unknown"
}

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
