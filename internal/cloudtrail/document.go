package cloudtrail

import "fmt"

// A document read whole is walked once: scanDocument checks it as json.Valid does and, in the same pass, decodes
// its records. They are delivered only once the whole document is known to be valid and plain (decodeWhole): one
// top-level object with at most one Records member, an array, and nothing after it. Anything else (a broken
// record, "Records": null, a second document) is read again by the streaming decoder (stream.go), which skips bad
// records, reads every document and says where each problem is.

// element is one element of the Records array, decoded.
type element struct {
	rec      *Record // nil when the element is not an object
	problems []Problem
	first    byte // the element's first byte
	at, size int  // where its JSON text starts, and its length
}

// scanDocument checks b as json.Valid does, in the same pass decoding the records (the elements of the
// top-level Records array) into d.recs and noting whether the document is a digest. It returns false for a
// document that is not valid, or not plain (see above): the streaming decoder reads those.
func (d *Decoder) scanDocument(b []byte) bool {
	d.dropRecords()
	d.sawRecords, d.digest = false, false
	d.reader = recordReader{scanner: scanner{b: b}, d: d}
	s := &d.reader.scanner
	i := skipWS(b, bomLen(b))
	if i >= len(b) || b[i] != '{' {
		return false
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
		kend, esc, _, ok := scanString(b, i)
		if !ok {
			return false
		}
		key := b[i+1 : kend-1]
		if esc {
			key = unescapedKey(b[i:kend])
		}
		i = skipWS(b, kend)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipWS(b, i+1)
		var vend int
		switch string(key) {
		case "Records":
			if d.sawRecords || i >= len(b) || b[i] != '[' {
				return false // a second Records member, or one that is not an array
			}
			d.sawRecords = true
			vend, ok = d.readRecords(i)
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
			return skipWS(b, i+1) == len(b) // else: another document, or garbage
		default:
			return false
		}
	}
}

// unescapedKey returns the content of the JSON string raw (with its quotes), escapes decoded: a top-level key
// written with escapes ("Reco\u0072ds") is the key it spells.
func unescapedKey(raw []byte) []byte {
	k, _ := unquote(raw)
	return []byte(k)
}

// bom is the UTF-8 byte-order mark, which some tools write at the start of a file.
const bom = "\xEF\xBB\xBF"

// bomLen returns the length of the byte-order mark b starts with, if any.
func bomLen(b []byte) int {
	if len(b) >= len(bom) && string(b[:len(bom)]) == bom {
		return len(bom)
	}
	return 0
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
			e.first, e.at, e.size = r.b[start], start, vend-start
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
	switch {
	case d.digest && !d.sawRecords:
		return ErrDigest
	case !d.sawRecords:
		return ErrNoRecords
	}
	limit := d.limit()
	for i, e := range d.recs {
		switch {
		case e.size > limit:
			problem(Problem{Record: i, Offset: int64(e.at), Msg: fmt.Sprintf("record of %d bytes exceeds the %d-byte limit", e.size, limit), Skipped: true})
		case e.rec == nil:
			problem(Problem{Record: i, Offset: int64(e.at), Msg: fmt.Sprintf("record is %s, not an object", valueKind(e.first)), Skipped: true})
		default:
			if err := fn(i, e.rec, e.problems); err != nil {
				return err
			}
		}
	}
	return nil
}
