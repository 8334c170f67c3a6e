package cloudtrail

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fullRecord returns a record whose every field (but Hash) is set.
func fullRecord() *Record {
	r := &Record{Hash: 42}
	v := reflect.ValueOf(r).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Type() {
		case reflect.TypeFor[String]():
			f.Set(reflect.ValueOf(Str(v.Type().Field(i).Name)))
		case reflect.TypeFor[*UserIdentity]():
			f.Set(reflect.ValueOf(&UserIdentity{ARN: Str("arn")}))
		case reflect.TypeFor[[]Resource]():
			f.Set(reflect.ValueOf([]Resource{{ARN: Str("r")}}))
		case reflect.TypeFor[*Addendum]():
			f.Set(reflect.ValueOf(&Addendum{Reason: Str("x")}))
		case reflect.TypeFor[*TLSDetails]():
			f.Set(reflect.ValueOf(&TLSDetails{TLSVersion: Str("TLSv1.2")}))
		}
	}
	return r
}

// setFields returns the lower-case names of r's fields that are set.
func setFields(r *Record) []string {
	var out []string
	v := reflect.ValueOf(r).Elem()
	for i := range v.NumField() {
		if name := v.Type().Field(i).Name; name != "Hash" && !v.Field(i).IsZero() {
			out = append(out, strings.ToLower(name))
		}
	}
	return out
}

func TestProjectionKeepsWhatItNames(t *testing.T) {
	always := []string{"awsregion", "eventtime", "recipientaccountid"}
	if got := setFields(fullRecord()); len(got) != 29 {
		t.Fatalf("the full record sets %d fields, want Athena's 29: %v", len(got), got)
	}
	for _, col := range setFields(fullRecord()) {
		r := fullRecord()
		p := NewProjection([]string{strings.ToUpper(col), "region", "_path"})
		p.Apply(r)
		want := slices.Clone(always)
		if !slices.Contains(want, col) {
			want = append(want, col)
		}
		got := setFields(r)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("projection of %s keeps %v, want %v", col, got, want)
		}
		if !equalSets(p.Columns(), got) {
			t.Errorf("projection of %s: Columns() = %v, want %v", col, p.Columns(), got)
		}
		if r.Hash != 42 {
			t.Errorf("projection of %s cleared the hash", col)
		}
		if p.All() {
			t.Errorf("projection of %s says it keeps all", col)
		}
	}
	all := NewProjection(setFields(fullRecord()))
	if !all.All() {
		t.Errorf("a projection of every column does not say so")
	}
	r := fullRecord()
	all.Apply(r)
	if got := setFields(r); len(got) != 29 {
		t.Errorf("the full projection cleared fields: %v left", got)
	}
}

func equalSets(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestTextField(t *testing.T) {
	r := fullRecord()
	v := reflect.ValueOf(r).Elem()
	texts := 0
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		get, ok := TextField(strings.ToLower(name))
		if isText := v.Field(i).Type() == reflect.TypeFor[String](); ok != isText {
			t.Errorf("TextField(%s): ok %v, want %v", name, ok, isText)
			continue
		}
		if ok {
			texts++
			if got := get(r); got != Str(name) {
				t.Errorf("TextField(%s) reads %v", name, got)
			}
		}
	}
	if texts != 25 {
		t.Errorf("%d text fields, want 25", texts)
	}
	for _, c := range []string{"region", "year", "$path", "useridentity", ""} {
		if _, ok := TextField(c); ok {
			t.Errorf("TextField(%q) is a text field", c)
		}
	}
}

// TestRecycleBoundsMemory: with Recycle, the blocks of a small document's records are handed out again for the
// next document, and a large document (streamed, its records handed out in parts) leaves none behind.
func TestRecycleBoundsMemory(t *testing.T) {
	doc := func(n int) []byte {
		var b bytes.Buffer
		b.WriteString(`{"Records":[`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"eventVersion":"1.08","eventTime":"2024-09-01T00:00:00Z","eventID":"%d","eventName":"GetObject","requestParameters":{"bucketName":"%0100d"}}`, i, i)
		}
		b.WriteString(`]}`)
		return b.Bytes()
	}
	d := NewDecoder()
	d.Recycle()
	count := 0
	fn := func(int, *Record, []Problem) error { count++; return nil }
	small := doc(100)
	for range 3 {
		if err := d.Decode(bytes.NewReader(small), fn, func(Problem) {}); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := len(d.blocks.used), (100+slabBlocks-1)/slabBlocks; got != want {
		t.Errorf("after three small documents the slab holds %d chunks, want %d (reused)", got, want)
	}
	large := doc(60_000) // over wholeFileLimit: streamed
	if len(large) <= wholeFileLimit {
		t.Fatalf("the large document has %d bytes, want more than %d", len(large), wholeFileLimit)
	}
	if err := d.Decode(bytes.NewReader(large), fn, func(Problem) {}); err != nil {
		t.Fatal(err)
	}
	if got := len(d.blocks.used); got > 8 {
		t.Errorf("after a streamed document the slab holds %d chunks: its records stay in memory", got)
	}
	if count != 3*100+60_000 {
		t.Errorf("%d records decoded", count)
	}
}
