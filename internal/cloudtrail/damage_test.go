package cloudtrail

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// Damaged and hostile documents (issue 26): every good record is kept exactly once, and everything else is named
// with its record index and byte offset.

// recJSON is a small valid record.
func recJSON(id string) string {
	return fmt.Sprintf(`{"eventVersion":"1.08","eventID":%q,"eventTime":"2024-09-01T00:00:00Z","eventName":"ConsoleLogin"}`, id)
}

// bigPad is a good record large enough to make a document bigger than the whole-file limit, so that the
// streaming decoder reads it.
func bigPad(id string) string {
	return fmt.Sprintf(`{"eventID":%q,"eventTime":"2024-09-01T00:00:00Z","requestParameters":{"p":"%s"}}`, id, strings.Repeat("x", wholeFileLimit))
}

func ids(recs []*Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.EventID.S)
	}
	return out
}

// decodeBoth decodes doc as a whole (Decode) and through the streaming decoder, and fails t when they differ.
func decodeBoth(t *testing.T, doc string) decoded {
	t.Helper()
	d := decode(t, doc)
	var s decoded
	s.err = NewDecoder().decodeStream(strings.NewReader(doc), func(i int, r *Record, p []Problem) error {
		s.recs = append(s.recs, r)
		s.problems = append(s.problems, p...)
		return nil
	}, func(p Problem) { s.problems = append(s.problems, p) })
	if a, b := fmt.Sprint(ids(d.recs), d.problems, d.err), fmt.Sprint(ids(s.recs), s.problems, s.err); a != b {
		t.Fatalf("whole-file decode\n%s\nstreaming decode\n%s", a, b)
	}
	return d
}

func TestDecodeEveryDocument(t *testing.T) {
	a, b, c := recJSON("a"), recJSON("b"), recJSON("c")
	tests := []struct {
		name string
		doc  string
		ids  string
		err  string
	}{
		{"two documents", `{"Records":[` + a + `]}{"Records":[` + b + `,` + c + `]}`, "[a b c]", ""},
		{"two documents, lines", `{"Records":[` + a + "]}\n" + `{"Records":[` + b + "]}\n", "[a b]", ""},
		{"trailing garbage", `{"Records":[` + a + `,` + b + `]} xyz`, "[a b]",
			fmt.Sprintf("data after the end of the JSON document at byte %d", len(`{"Records":[`+a+`,`+b+`]} `))},
		{"trailing NUL bytes", `{"Records":[` + a + "]}\x00\x00", "[a]",
			fmt.Sprintf("data after the end of the JSON document at byte %d", len(`{"Records":[`+a+`]}`))},
		{"a document, then one without Records", `{"Records":[` + a + `]}{"x":1}`, "[a]",
			fmt.Sprintf("read document 2 at byte %d: no Records array: not a CloudTrail log file", len(`{"Records":[`+a+`]}`))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, big := range []bool{false, true} {
				doc := tt.doc
				if big { // the same after a record that makes the file too large to be read whole
					doc = `{"Records":[` + bigPad("pad") + `]}` + doc
				}
				d := decodeBoth(t, doc)
				want := tt.ids
				if big {
					want = "[pad " + strings.TrimPrefix(want, "[")
				}
				if got := fmt.Sprint(ids(d.recs)); got != want {
					t.Errorf("big %v: records %s, want %s", big, got, want)
				}
				wantErr := tt.err
				if big && wantErr != "" {
					// Offsets move by the first document's length, document numbers by one.
					shift := len(`{"Records":[` + bigPad("pad") + `]}`)
					wantErr = strings.Replace(shiftOffsets(wantErr, shift), "document 2", "document 3", 1)
				}
				if got := fmt.Sprint(d.err); wantErr == "" && d.err != nil || wantErr != "" && got != wantErr {
					t.Errorf("big %v: err %v, want %q", big, d.err, wantErr)
				}
				if len(d.problems) != 0 {
					t.Errorf("big %v: problems %v", big, d.problems)
				}
			}
		})
	}
}

// shiftOffsets adds shift to the number after "byte " in msg.
func shiftOffsets(msg string, shift int) string {
	i := strings.Index(msg, "byte ") + len("byte ")
	j := i
	for j < len(msg) && '0' <= msg[j] && msg[j] <= '9' {
		j++
	}
	var n int
	fmt.Sscan(msg[i:j], &n)
	return msg[:i] + fmt.Sprint(n+shift) + msg[j:]
}

func TestDecodeSkipsBadRecords(t *testing.T) {
	deep := `{"eventID":"deep","x":` + strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000) + `}`
	tab := `{"eventID":"tab","userAgent":"a` + "\t" + `b"}`
	nul := `{"eventID":"nul","userAgent":"a` + "\x00" + `b"}`
	badEscape := `{"eventID":"esc","userAgent":"a\qb"}`
	elems := []string{recJSON("r0"), deep, recJSON("r2"), tab, recJSON("r4"), nul, recJSON("r6"), badEscape, recJSON("r8")}
	for _, big := range []bool{false, true} {
		els := elems
		if big {
			els = append([]string{bigPad("pad")}, elems...)
		}
		doc := `{"Records":[` + strings.Join(els, ",") + `]}`
		d := decodeBoth(t, doc)
		want := "[r0 r2 r4 r6 r8]"
		if big {
			want = "[pad r0 r2 r4 r6 r8]"
		}
		if got := fmt.Sprint(ids(d.recs)); got != want {
			t.Errorf("big %v: records %s, want %s", big, got, want)
		}
		var got []string
		for _, p := range d.problems {
			got = append(got, fmt.Sprintf("%d@%d skipped=%v", p.Record, p.Offset, p.Skipped))
		}
		var wantP []string
		for i, e := range els {
			if strings.Contains(e, `"eventID":"r`) || strings.Contains(e, `"pad"`) {
				continue
			}
			wantP = append(wantP, fmt.Sprintf("%d@%d skipped=true", i, strings.Index(doc, e)))
		}
		if fmt.Sprint(got) != fmt.Sprint(wantP) {
			t.Errorf("big %v: problems %v, want %v (%v)", big, got, wantP, d.problems)
		}
		for _, p := range d.problems {
			if !strings.Contains(p.Msg, "invalid JSON") {
				t.Errorf("big %v: problem %v does not say the record is not valid JSON", big, p)
			}
		}
		if d.err != nil {
			t.Errorf("big %v: err %v", big, d.err)
		}
	}
}

func TestDecodeByteOrderMark(t *testing.T) {
	for _, big := range []bool{false, true} {
		doc := "\xEF\xBB\xBF" + `{"Records":[` + recJSON("a") + `,"x"]}`
		if big {
			doc = "\xEF\xBB\xBF" + `{"Records":[` + bigPad("pad") + "," + recJSON("a") + `,"x"]}`
		}
		d := decodeBoth(t, doc)
		want := "[a]"
		if big {
			want = "[pad a]"
		}
		if got := fmt.Sprint(ids(d.recs)); got != want || d.err != nil {
			t.Errorf("big %v: records %s, err %v; want %s", big, got, d.err, want)
		}
		// The offsets are those of the file, byte-order mark included.
		if len(d.problems) != 1 || d.problems[0].Offset != int64(strings.Index(doc, `"x"`)) {
			t.Errorf("big %v: problems %v, want the string at byte %d", big, d.problems, strings.Index(doc, `"x"`))
		}
	}
}

// TestDecodeProblemOffsets: the problems of a record carry its offset, those of the whole path too.
func TestDecodeProblemOffsets(t *testing.T) {
	r1 := `{"eventID":"1","eventTime":"2024-09-01T00:00:00Z","tlsDetails":"weird"}`
	doc := `{"Records":[` + recJSON("0") + `, ` + r1 + `, 7]}`
	d := decodeBoth(t, doc)
	got := fmt.Sprint(d.problems)
	want := fmt.Sprintf("[record 1 at byte %d field tlsDetails: expected an object, got a string; stored as NULL record 2 at byte %d: record is a number, not an object (record skipped)]",
		strings.Index(doc, r1), strings.Index(doc, "7]"))
	if got != want {
		t.Errorf("problems\n%s\nwant\n%s", got, want)
	}
}

func TestDecodeRecordLimit(t *testing.T) {
	big := `{"eventID":"big","eventTime":"2024-09-01T00:00:00Z","userAgent":"` + strings.Repeat("y", 5000) + `"}`
	doc := `{"Records":[` + recJSON("a") + "," + big + "," + recJSON("b") + `]}`
	dec := NewDecoder()
	dec.Limit(1024, nil)
	var recs []*Record
	var problems []Problem
	err := dec.Decode(strings.NewReader(doc), func(i int, r *Record, p []Problem) error {
		recs = append(recs, r)
		return nil
	}, func(p Problem) { problems = append(problems, p) })
	if err != nil || fmt.Sprint(ids(recs)) != "[a b]" {
		t.Fatalf("records %v, err %v; want a b", ids(recs), err)
	}
	want := Problem{Record: 1, Offset: int64(strings.Index(doc, big)), Msg: fmt.Sprintf("record of %d bytes exceeds the 1024-byte limit", len(big)), Skipped: true}
	if len(problems) != 1 || problems[0] != want {
		t.Errorf("problems %v, want %v", problems, want)
	}
}

// spaceReader gives head, n blanks, then tail, without holding the blanks.
type spaceReader struct {
	head, tail []byte
	n          int64
}

func (s *spaceReader) Read(p []byte) (int, error) {
	switch {
	case len(s.head) > 0:
		k := copy(p, s.head)
		s.head = s.head[k:]
		return k, nil
	case s.n > 0:
		k := int(min(int64(len(p)), s.n))
		for i := range p[:k] {
			p[i] = ' '
		}
		s.n -= int64(k)
		return k, nil
	case len(s.tail) > 0:
		k := copy(p, s.tail)
		s.tail = s.tail[k:]
		return k, nil
	}
	return 0, io.EOF
}

// TestDecodeMemoryBounded: blanks between records, and a record larger than the limit (a bomb's usual shape),
// are read through a bounded buffer: what the decoder allocates does not grow with them.
func TestDecodeMemoryBounded(t *testing.T) {
	const blanks = 96 << 20
	for _, c := range []struct {
		name, head, tail string
		ids              string
		problems         int
	}{
		{"blanks between records", `{"Records":[` + recJSON("a") + ",", recJSON("b") + "]}", "[a b]", 0},
		// White space between the tokens of a record does not count against the limit: it is dropped as it is read.
		{"blanks in a record", `{"Records":[` + recJSON("a") + `,{"eventID":"x",`, `"y":1},` + recJSON("b") + "]}", "[a x b]", 0},
		{"a huge string", `{"Records":[` + recJSON("a") + `,{"eventID":"x","userAgent":"`, `"},` + recJSON("b") + "]}", "[a b]", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			dec := NewDecoder()
			dec.Limit(1<<20, nil)
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			var recs []*Record
			var problems []Problem
			err := dec.Decode(&spaceReader{head: []byte(c.head), tail: []byte(c.tail), n: blanks}, func(i int, r *Record, p []Problem) error {
				recs = append(recs, r)
				return nil
			}, func(p Problem) { problems = append(problems, p) })
			runtime.ReadMemStats(&ms1)
			if err != nil || fmt.Sprint(ids(recs)) != c.ids || len(problems) != c.problems {
				t.Fatalf("records %v, problems %v, err %v; want %s and %d problems", ids(recs), problems, err, c.ids, c.problems)
			}
			// The whole-file buffer (8 MiB, grown by doubling) and the stream's window: far less than the 96 MiB read.
			if alloc := ms1.TotalAlloc - ms0.TotalAlloc; alloc > 24<<20 {
				t.Errorf("decoding %d MiB of blanks allocated %d MiB", blanks>>20, alloc>>20)
			}
		})
	}
}

// testBudget is a Budget that counts what is reserved.
type testBudget struct{ now, peak, total int64 }

func (b *testBudget) Reserve(n int64) error {
	b.now += n
	b.total += n
	b.peak = max(b.peak, b.now)
	return nil
}
func (b *testBudget) Release(n int64) { b.now -= n }

// TestDecodeBudget: the buffer of a large record is reserved from the budget before it is allocated, and the
// reservation passes to the caller with the record (Held), or is given back when the record is skipped.
func TestDecodeBudget(t *testing.T) {
	big := func(id string) string {
		return `{"eventID":"` + id + `","eventTime":"2024-09-01T00:00:00Z","userAgent":"` + strings.Repeat("y", 3<<20) + `"}`
	}
	tooBig := `{"eventID":"huge","userAgent":"` + strings.Repeat("z", 5<<20) + `"}`
	// More than the whole-file limit: read by the streaming decoder.
	doc := `{"Records":[` + big("b1") + "," + big("b2") + "," + tooBig + "," + big("b3") + "," + recJSON("s") + `]}`
	var b testBudget
	dec := NewDecoder()
	dec.Limit(4<<20, &b)
	var held []int64
	var problems []Problem
	err := dec.Decode(strings.NewReader(doc), func(i int, r *Record, p []Problem) error {
		held = append(held, dec.TakeHeld())
		return nil
	}, func(p Problem) { problems = append(problems, p) })
	if err != nil || len(held) != 4 || len(problems) != 1 || problems[0].Record != 2 || !problems[0].Skipped {
		t.Fatalf("held %v, problems %v, err %v; want 4 records and record 2 skipped", held, problems, err)
	}
	n := int64(len(big("b1")))
	if fmt.Sprint(held) != fmt.Sprint([]int64{n, n, n, 0}) {
		t.Errorf("held %v, want %d for each big record and none for the small one", held, n)
	}
	if b.now != 3*n {
		t.Errorf("%d bytes still reserved, want the %d held by the records", b.now, 3*n)
	}
	// One record's window (and the record to come of it) is reserved at a time, beside the records held.
	if limit := 2*(4<<20+2*int64(streamChunk)) + 2*n; b.peak > limit {
		t.Errorf("peak reservation %d, want at most %d", b.peak, limit)
	}
}

func TestDecodeNamesOddities(t *testing.T) {
	dup := `{"eventID":"d","eventTime":"2024-09-01T00:00:00Z","eventName":"A","eventName":"B","userIdentity":{"type":"IAMUser","type":"Root"}}`
	num := `{"eventID":"n","eventTime":"2024-09-01T00:00:00Z","eventName":42,"readOnly":true,"sessionCredentialFromConsole":false,"awsRegion":false}`
	sur := `{"eventID":"s","eventTime":"2024-09-01T00:00:00Z","userAgent":"x\ud800y","errorMessage":"ok \ud83d\ude00","eventSource":"\udc00"}`
	doc := `{"Records":[` + dup + "," + num + "," + sur + `]}`
	d := decodeBoth(t, doc)
	if fmt.Sprint(ids(d.recs)) != "[d n s]" || d.err != nil {
		t.Fatalf("records %v, err %v", ids(d.recs), d.err)
	}
	if d.recs[0].EventName.S != "B" || d.recs[0].UserIdentity.Type.S != "Root" || d.recs[1].EventName.S != "42" {
		t.Errorf("values: eventName %q, type %q, eventName %q", d.recs[0].EventName.S, d.recs[0].UserIdentity.Type.S, d.recs[1].EventName.S)
	}
	var got []string
	for _, p := range d.problems {
		got = append(got, fmt.Sprintf("%d@%d %s: %s", p.Record, p.Offset, p.Field, p.Msg))
	}
	at := func(s string) int { return strings.Index(doc, s) }
	want := []string{
		fmt.Sprintf("0@%d eventName: duplicate key; the last value is kept", at(dup)),
		fmt.Sprintf("0@%d userIdentity.type: duplicate key; the last value is kept", at(dup)),
		fmt.Sprintf("1@%d eventName: expected a string, got a number; kept as its text", at(num)),
		fmt.Sprintf("1@%d awsRegion: expected a string, got a boolean; kept as its text", at(num)),
		fmt.Sprintf("2@%d userAgent: lone UTF-16 surrogate replaced", at(sur)),
		fmt.Sprintf("2@%d eventSource: lone UTF-16 surrogate replaced", at(sur)),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("problems\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if d.recs[2].ErrorMessage.S != "ok 😀" {
		t.Errorf("a valid surrogate pair decoded as %q", d.recs[2].ErrorMessage.S)
	}
}

func TestDecodeRecordsNull(t *testing.T) {
	for _, c := range []struct{ doc, ids, problems string }{
		{`{"Records":null}`, "[]", "[at byte 11 field Records: null: the document has no records]"},
		{`{"Records":[` + recJSON("a") + `],"Records":[` + recJSON("b") + `]}`, "[a b]",
			fmt.Sprintf("[at byte %d field Records: a second Records member; the records of both are loaded]", len(`{"Records":[`+recJSON("a")+`],"Records":`))},
	} {
		d := decodeBoth(t, c.doc)
		if got := fmt.Sprint(ids(d.recs)); got != c.ids || d.err != nil || fmt.Sprint(d.problems) != c.problems {
			t.Errorf("%s: records %s, problems %v, err %v; want %s, %s", c.doc, got, d.problems, d.err, c.ids, c.problems)
		}
	}
}

func TestRecordTime(t *testing.T) {
	for _, c := range []struct{ text, utc string }{
		{"2024-09-01T00:30:00Z", "2024-09-01T00:30:00Z"},
		{"2024-09-01T00:30:00z", "2024-09-01T00:30:00Z"},
		{"2024-09-01t00:30:00.5z", "2024-09-01T00:30:00.5Z"},
		{"2024-09-01T00:30:00+02:00", "2024-08-31T22:30:00Z"},
		{"2024-08-31T22:30:00-05:00", "2024-09-01T03:30:00Z"},
	} {
		doc := `{"Records":[{"eventID":"1","eventTime":"` + c.text + `"}]}`
		d := decodeBoth(t, doc)
		if len(d.recs) != 1 || len(d.problems) != 0 {
			t.Fatalf("%s: %d records, problems %v", c.text, len(d.recs), d.problems)
		}
		r := d.recs[0]
		tm, ok := r.Time()
		if r.EventTime.S != c.text || !ok || tm.Format("2006-01-02T15:04:05.999999999Z07:00") != c.utc || tm.Location().String() != "UTC" {
			t.Errorf("%s: eventtime %q, time %v %v; want the text kept and %s", c.text, r.EventTime.S, tm, ok, c.utc)
		}
	}
}
