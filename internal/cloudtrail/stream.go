package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// The streaming decoder reads what is not read whole (document.go): files larger than wholeFileLimit, broken and
// odd ones. It reads through a window of bounded size (streamer) and finds each element of the Records array by
// its brackets and quotes alone, before checking it: a record that is not valid JSON (a control character in a
// string, nesting too deep) is reported and skipped, and the next one read; a record larger than the limit is
// skipped without being held; white space between records is never held. After a document it reads the next
// one (concatenated gzip members), and names anything else that follows.

// streamChunk is the size the window starts at and reads by.
const streamChunk = 256 << 10

// streamer is a window on r: buf[mark:] is kept when it moves on, buf[pos] is the next byte to look at.
type streamer struct {
	r         io.Reader
	d         *Decoder
	buf       []byte
	pos, mark int
	base      int64 // offset of buf[0] in r
	err       error // r's error once it failed or ended (io.EOF)
	// reserved is taken from the decoder's budget for a window grown past streamChunk (and the record that
	// comes of it); keep is the part of it handed to the caller with that record.
	reserved, keep int64
}

// off returns the offset of buf[pos] in r.
func (s *streamer) off() int64 { return s.base + int64(s.pos) }

// endErr is why the input ended: io.ErrUnexpectedEOF at its end, or r's error.
func (s *streamer) endErr() error {
	if s.err == nil || errors.Is(s.err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return s.err
}

// fill reads more after buf's end, first dropping what is before mark (pos and mark move with the bytes). It
// returns false at the end of the input, or when it fails (s.err).
func (s *streamer) fill() bool {
	if s.err != nil {
		return false
	}
	if s.mark > 0 {
		n := copy(s.buf, s.buf[s.mark:])
		s.buf = s.buf[:n]
		s.pos -= s.mark
		s.base += int64(s.mark)
		s.mark = 0
	}
	if len(s.buf) == cap(s.buf) && !s.grow() {
		return false
	}
	for {
		n, err := s.r.Read(s.buf[len(s.buf):min(cap(s.buf), len(s.buf)+streamChunk)])
		s.buf = s.buf[:len(s.buf)+n]
		if err != nil {
			s.err = err
		}
		if n > 0 {
			return true
		}
		if err != nil {
			return false
		}
	}
}

// grow doubles the window, up to the record limit and a chunk: element drops the bytes of a larger record. The
// first growth past streamChunk reserves, from the budget, twice the largest window: the window and the record
// decoded from it.
func (s *streamer) grow() bool {
	most := s.d.limit() + 2*streamChunk
	if cap(s.buf) >= most {
		s.err = fmt.Errorf("read: a window of %d bytes is full", cap(s.buf)) // cannot happen: element drops first
		return false
	}
	if b := s.d.budget; b != nil && s.reserved == 0 {
		n := RecordReservation(s.d.limit())
		if err := b.Reserve(n); err != nil {
			s.err = err
			return false
		}
		s.reserved = n
	}
	nb := make([]byte, len(s.buf), min(max(2*cap(s.buf), streamChunk), most))
	copy(nb, s.buf)
	s.buf = nb
	return true
}

// hold hands size bytes of the reservation to the caller with the record about to be delivered (TakeHeld).
func (s *streamer) hold(size int64) {
	if s.reserved > 0 {
		s.keep = min(size, s.reserved)
		s.d.held += s.keep
	}
}

// settle ends an element: a window grown past streamChunk is given up and its reservation, but for what hold
// kept, released.
func (s *streamer) settle() {
	if s.reserved == 0 && cap(s.buf) <= streamChunk {
		return
	}
	rest := s.buf[s.pos:]
	nb := make([]byte, len(rest), max(streamChunk, len(rest)))
	copy(nb, rest)
	s.base += int64(s.pos)
	s.buf, s.pos, s.mark = nb, 0, 0
	if s.reserved > 0 {
		s.d.budget.Release(s.reserved - s.keep)
		s.reserved, s.keep = 0, 0
	}
}

// skipWS moves pos to the next byte that is not white space; false at the end of the input.
func (s *streamer) skipWS() bool {
	for {
		for s.pos < len(s.buf) {
			switch s.buf[s.pos] {
			case ' ', '\t', '\n', '\r':
				s.pos++
			default:
				return true
			}
		}
		s.mark = s.pos
		if !s.fill() {
			return false
		}
	}
}

// peek returns the next byte that is not white space, without moving past it.
func (s *streamer) peek() (byte, bool) {
	if !s.skipWS() {
		return 0, false
	}
	return s.buf[s.pos], true
}

// maxKey bounds the length of a top-level key.
const maxKey = 4 << 10

// key reads the string at buf[pos] == '"' and returns its content (valid until the window moves).
func (s *streamer) key() ([]byte, error) {
	s.mark = s.pos
	at := s.off()
	i, esc := s.pos+1, false
	for {
		if i == len(s.buf) {
			if i-s.mark > maxKey {
				return nil, fmt.Errorf("invalid JSON at byte %d: a key longer than %d bytes", at, maxKey)
			}
			s.pos = i
			if !s.fill() {
				return nil, s.endErr()
			}
			i = s.pos
			continue
		}
		c := s.buf[i]
		i++
		switch {
		case esc:
			esc = false
		case c == '\\':
			esc = true
		case c == '"':
			s.pos = i
			raw := s.buf[s.mark:i]
			_, esc, _, ok := scanString(raw, 0)
			if !ok {
				return nil, fmt.Errorf("invalid JSON at byte %d: a bad key", at)
			}
			if esc {
				return unescapedKey(raw), nil
			}
			return raw[1 : len(raw)-1], nil
		}
	}
}

// element reads the value that starts at the next byte that is not white space, up to the first ',', ']' or '}'
// outside strings and brackets, which it returns (0 at the end of the input: err says why) without moving past
// it. The value is found by its quotes and brackets alone, not checked. It returns where the value starts, its
// text without the white space around it (what there is of it when the input ends) — nil when the value is
// larger than limit, whose bytes are dropped as they are read — and its size.
func (s *streamer) element(limit int) (at int64, raw []byte, size int64, term byte, err error) {
	if !s.skipWS() {
		return s.off(), nil, 0, 0, s.endErr()
	}
	s.mark = s.pos
	at = s.off()
	last := at - 1 // the last byte that is not white space outside strings
	depth, inStr, esc, over := 0, false, false, false
	for {
		if s.pos == len(s.buf) {
			switch {
			case over:
				s.mark = s.pos
			case !inStr && s.off()-last > 2:
				// White space after the last byte that counts: keep one blank (it may separate two tokens).
				s.buf = s.buf[:int(last-s.base)+2]
				s.pos = len(s.buf)
			}
			if !s.fill() {
				if !over {
					raw = s.buf[int(at-s.base) : int(last-s.base)+1]
				}
				return at, raw, last - at + 1, 0, s.endErr()
			}
			continue
		}
		if inStr {
			if esc {
				esc = false
				s.pos++
			} else if j := bytes.IndexAny(s.buf[s.pos:], "\"\\"); j < 0 {
				s.pos = len(s.buf)
			} else {
				s.pos += j
				if s.buf[s.pos] == '\\' {
					esc = true
				} else {
					inStr = false
				}
				s.pos++
			}
			last = s.off() - 1
			over = over || last-at+1 > int64(limit)
			continue
		}
		switch c := s.buf[s.pos]; c {
		case ' ', '\t', '\n', '\r':
			s.pos++
			continue
		case '"':
			inStr = true
		case '{', '[':
			depth++
		case '}', ']', ',':
			if depth == 0 {
				size = last - at + 1
				if !over {
					raw = s.buf[int(at-s.base) : int(last-s.base)+1]
				}
				return at, raw, size, c, nil
			}
			if c != ',' {
				depth--
			}
		}
		s.pos++
		last = s.off() - 1
		over = over || last-at+1 > int64(limit)
	}
}

// decodeStream is Decode for large, broken or odd input.
func (d *Decoder) decodeStream(r io.Reader, fn func(index int, rec *Record, problems []Problem) error, problem func(Problem)) error {
	buf := d.sbuf
	if cap(buf) != streamChunk {
		buf = make([]byte, 0, streamChunk)
	}
	s := &streamer{r: r, d: d, buf: buf[:0]}
	defer func() {
		s.settle()
		d.sbuf = s.buf[:0]
	}()
	// fn's errors are returned unchanged.
	var fnErr error
	call := func(i int, rec *Record, problems []Problem) error {
		fnErr = fn(i, rec, problems)
		return fnErr
	}
	for len(s.buf) < len(bom) && s.fill() {
	}
	if bytes.HasPrefix(s.buf, []byte(bom)) {
		s.pos = len(bom)
	}
	index := 0
	for n := 1; ; n++ {
		c, ok := s.peek()
		switch {
		case !ok && n == 1:
			return fmt.Errorf("read document start at byte %d: %w", s.off(), s.endErr())
		case !ok && errors.Is(s.err, io.EOF):
			return nil
		case !ok:
			return fmt.Errorf("read after document %d at byte %d: %w", n-1, s.off(), s.err)
		case c != '{' && n > 1:
			return fmt.Errorf("data after the end of the JSON document at byte %d", s.off())
		case c != '{' && bytes.IndexByte([]byte(`["-0123456789tfn`), c) >= 0:
			return fmt.Errorf("document is not a JSON object: %w", ErrNoRecords)
		case c != '{':
			return fmt.Errorf("read document start: invalid JSON at byte %d: invalid character %q", s.off(), c)
		}
		at := s.off()
		err := d.streamDocument(s, &index, call, problem)
		switch {
		case err == nil:
		case fnErr != nil || n == 1:
			return err
		case errors.Is(err, ErrNoRecords) || errors.Is(err, ErrDigest):
			// Not matched by errors.Is: the file is not to be skipped as not a log, its first document is one.
			return fmt.Errorf("read document %d at byte %d: %s", n, at, err.Error())
		default:
			return fmt.Errorf("read document %d at byte %d: %w", n, at, err)
		}
	}
}

// streamDocument reads the document whose '{' is at s.pos; index is the index of its first record, and is moved
// past its records.
func (d *Decoder) streamDocument(s *streamer, index *int, fn func(index int, rec *Record, problems []Problem) error, problem func(Problem)) error {
	s.pos++
	sawRecords, digest := false, false
	if c, ok := s.peek(); ok && c == '}' {
		s.pos++
		return ErrNoRecords
	}
	for {
		c, ok := s.peek()
		if !ok {
			return fmt.Errorf("read top-level key at byte %d: %w", s.off(), s.endErr())
		}
		if c != '"' {
			return fmt.Errorf("read top-level key: invalid JSON at byte %d: invalid character %q", s.off(), c)
		}
		k, err := s.key()
		if err != nil {
			return fmt.Errorf("read top-level key: %w", err)
		}
		name := string(k)
		if c, ok = s.peek(); !ok || c != ':' {
			if !ok {
				return fmt.Errorf("read %s at byte %d: %w", name, s.off(), s.endErr())
			}
			return fmt.Errorf("read %s: invalid JSON at byte %d: invalid character %q after a key", name, s.off(), c)
		}
		s.pos++
		if c, ok = s.peek(); ok && name == "Records" && c == '[' {
			if sawRecords {
				problem(Problem{Record: -1, Offset: s.off(), Field: "Records", Msg: "a second Records member; the records of both are loaded"})
			}
			sawRecords = true
			if err := d.streamRecords(s, index, fn, problem); err != nil {
				return err
			}
		} else {
			at, raw, size, term, err := s.element(d.limit())
			switch {
			case err != nil:
				return fmt.Errorf("read %s at byte %d: %w", name, at, err)
			case size == 0 || term == ']':
				return fmt.Errorf("read %s: invalid JSON at byte %d", name, at)
			}
			switch name {
			case "Records":
				if string(raw) != "null" {
					return fmt.Errorf("Records is %s, not an array", valueKind(c))
				}
				problem(Problem{Record: -1, Offset: at, Field: "Records", Msg: "null: the document has no records"})
				sawRecords = true
			case "digestStartTime", "logFiles":
				digest = true
			default:
				if _, ok := valid(raw); raw != nil && !ok {
					problem(Problem{Record: -1, Offset: at, Field: name, Msg: "not valid JSON (" + invalidJSON(raw, at, 1) + "); skipped"})
				}
			}
		}
		c, ok = s.peek()
		if !ok {
			return fmt.Errorf("read document end at byte %d: %w", s.off(), s.endErr())
		}
		s.pos++
		switch c {
		case ',':
		case '}':
			switch {
			case sawRecords:
				return nil
			case digest:
				return ErrDigest
			}
			return ErrNoRecords
		default:
			return fmt.Errorf("read document: invalid JSON at byte %d: invalid character %q after %s", s.off()-1, c, name)
		}
	}
}

// streamRecords reads the Records array whose '[' is at s.pos, and moves past its ']'.
func (d *Decoder) streamRecords(s *streamer, index *int, fn func(index int, rec *Record, problems []Problem) error, problem func(Problem)) error {
	s.pos++
	if c, ok := s.peek(); ok && c == ']' {
		s.pos++
		return nil
	}
	limit := d.limit()
	for {
		i := *index
		at, raw, size, term, err := s.element(limit)
		if err != nil {
			defer s.settle()
			if sc := (scanner{b: raw}); len(raw) > 0 && raw[0] == '{' && wholeValue(&sc) {
				// The input broke off after a whole record (and maybe garbage): it is good.
				*index++
				if err := d.streamRecord(s, i, at, raw, size, fn, problem); err != nil {
					return err
				}
				return fmt.Errorf("read Records after record %d at byte %d: %w", i, at+size, err)
			}
			return fmt.Errorf("read record %d at byte %d: %w", i, at, err)
		}
		*index++
		err = d.streamRecord(s, i, at, raw, size, fn, problem)
		s.settle()
		if err != nil {
			return err
		}
		s.pos++
		switch term {
		case ']':
			return nil
		case '}':
			return fmt.Errorf("read record %d: invalid JSON at byte %d: '}' where the Records array goes on", i+1, s.off()-1)
		}
	}
}

// streamRecord decodes the element of index i found at at (its text raw, nil when it is larger than the limit).
func (d *Decoder) streamRecord(s *streamer, i int, at int64, raw []byte, size int64, fn func(index int, rec *Record, problems []Problem) error, problem func(Problem)) error {
	switch {
	case size == 0:
		problem(Problem{Record: i, Offset: at, Msg: "invalid JSON: no value (a comma too many?)", Skipped: true})
	case raw == nil:
		problem(Problem{Record: i, Offset: at, Msg: fmt.Sprintf("record of %d bytes exceeds the %d-byte limit", size, d.limit()), Skipped: true})
	case raw[0] != '{':
		if _, ok := valid(raw); ok {
			problem(Problem{Record: i, Offset: at, Msg: fmt.Sprintf("record is %s, not an object", valueKind(raw[0])), Skipped: true})
		} else {
			problem(Problem{Record: i, Offset: at, Msg: invalidJSON(raw, at, 2), Skipped: true})
		}
	default:
		d.reader = recordReader{scanner: scanner{b: raw}, d: d, base: at}
		rec, problems, end, ok := d.reader.record(0, 3, i)
		if !ok {
			problem(Problem{Record: i, Offset: at, Msg: invalidJSON(raw, at, 2), Skipped: true})
			return nil
		}
		s.hold(size)
		if err := fn(i, rec, problems); err != nil {
			return err
		}
		if end < len(raw) {
			// `{…} x {…}`: the record is whole; what follows it up to the next comma is not.
			from := skipWS(raw, end)
			problem(Problem{Record: i, Offset: at + int64(from), Msg: fmt.Sprintf("invalid JSON after the record: %d bytes skipped", len(raw)-from)})
		}
	}
	return nil
}

// wholeValue reports whether s.b starts with a whole, valid JSON value.
func wholeValue(s *scanner) bool {
	_, _, ok := s.value(0, 2)
	return ok
}

// invalidJSON says where and why raw, found at offset at, is not valid JSON; depth is the nesting depth of its
// container.
func invalidJSON(raw []byte, at int64, depth int) string {
	var v json.RawMessage
	var se *json.SyntaxError
	if err := json.Unmarshal(raw, &v); errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d: %v", at+se.Offset-1, se)
	}
	// Valid on its own: too deep where it is.
	return fmt.Sprintf("invalid JSON at byte %d: nested more than %d deep", at, maxDepth-depth)
}
