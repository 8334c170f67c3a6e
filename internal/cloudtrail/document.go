package cloudtrail

import "fmt"

// A document read whole is walked once: scanDocument checks it as json.Valid does and, in the same pass, decodes
// its records. They are delivered only once the whole document is known to be valid (decodeWhole); a broken one
// is read again by the streaming decoder, which delivers the records before the break and says where it is.

// element is one element of the Records array, decoded.
type element struct {
	rec      *Record // nil when the element is not an object
	problems []Problem
	first    byte // the element's first byte
	size     int  // of its JSON text
}

// scanDocument checks b as json.Valid does, in the same pass decoding the records (the elements of the last
// top-level Records array) into d.recs and noting whether the document is a digest.
func (d *Decoder) scanDocument(b []byte) bool {
	d.dropRecords()
	d.sawRecords, d.digest = false, false
	d.reader = recordReader{scanner: scanner{b: b}, d: d}
	s := &d.reader.scanner
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		_, ok := valid(b)
		return ok
	}
	// The top-level object, as scanner.object checks it.
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return skipWS(b, i+1) == len(b)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return false
		}
		kend, _, _, ok := scanString(b, i)
		if !ok {
			return false
		}
		key := b[i+1 : kend-1]
		i = skipWS(b, kend)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipWS(b, i+1)
		var vend int
		switch string(key) {
		case "Records":
			d.dropRecords()
			d.sawRecords, d.recordsAt = true, i
			if i < len(b) && b[i] == '[' {
				vend, ok = d.readRecords(i)
				break
			}
			vend, _, ok = s.value(i, 1)
		case "digestStartTime", "logFiles":
			d.digest = true
			fallthrough
		default:
			vend, _, ok = s.value(i, 1)
		}
		if !ok {
			return false
		}
		i = skipWS(b, vend)
		if i >= len(b) {
			return false
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return skipWS(b, i+1) == len(b)
		default:
			return false
		}
	}
}

// readRecords checks the Records array that starts at b[i] == '[' (at depth 2) and decodes its elements.
func (d *Decoder) readRecords(i int) (end int, ok bool) {
	r := &d.reader
	a := r.openArray(i)
	for n := 0; !a.done; n++ {
		start := a.i
		var vend int
		var vh uint64 // of an element that is not a record: the array's hash is not used, only the records'
		var ok bool
		e := element{}
		if r.isObject(start) {
			e.rec, e.problems, vend, ok = r.record(start, 3, n)
		} else {
			vend, vh, ok = r.value(start, 2)
		}
		if ok {
			e.first, e.size = r.b[start], vend-start
			d.recs = append(d.recs, e)
		}
		r.nextElement(&a, vh, vend, ok)
	}
	end, _, ok = a.end()
	return end, ok
}

// dropRecords forgets the records decoded, so that the Decoder does not keep them alive.
func (d *Decoder) dropRecords() {
	clear(d.recs)
	d.recs = d.recs[:0]
}

// decodeWhole delivers the records of a valid document held in memory, decoded by scanDocument.
func (d *Decoder) decodeWhole(b []byte, fn func(index int, rec *Record, problems []Problem) error, problem func(Problem)) error {
	defer d.dropRecords()
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return fmt.Errorf("document is not a JSON object: %w", ErrNoRecords)
	}
	switch {
	case d.digest && !d.sawRecords:
		return ErrDigest
	case !d.sawRecords:
		return ErrNoRecords
	case b[d.recordsAt] == 'n':
		return nil // "Records": null — an empty log
	case b[d.recordsAt] != '[':
		return fmt.Errorf("Records is %s, not an array", rawKind(b[d.recordsAt:]))
	}
	for i, e := range d.recs {
		switch {
		case e.size > MaxRecordBytes:
			problem(Problem{Record: i, Msg: fmt.Sprintf("record of %d bytes exceeds the %d-byte limit", e.size, MaxRecordBytes), Skipped: true})
		case e.rec == nil:
			problem(Problem{Record: i, Msg: fmt.Sprintf("record is %s, not an object", valueKind(e.first)), Skipped: true})
		default:
			if err := fn(i, e.rec, e.problems); err != nil {
				return err
			}
		}
	}
	return nil
}
