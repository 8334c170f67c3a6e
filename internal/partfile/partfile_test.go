package partfile

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go/format"

	"github.com/trailq/trailq/internal/cloudtrail"
)

func realRecords(t *testing.T) []*cloudtrail.Record {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/cloudtrail/real/awsdocs__cloudtrail-user-guide__console-sign-in-events.json")
	if err != nil {
		t.Fatal(err)
	}
	var recs []*cloudtrail.Record
	err = cloudtrail.NewDecoder().Decode(bytes.NewReader(raw), func(_ int, r *cloudtrail.Record, _ []cloudtrail.Problem) error {
		recs = append(recs, r)
		return nil
	}, func(cloudtrail.Problem) {})
	if err != nil || len(recs) < 4 {
		t.Fatalf("decoded %d records: %v", len(recs), err)
	}
	return recs
}

// A part file holds every row added, says which objects they came from, and is a Parquet file only once
// finished; a discarded one is gone, and a name is never reused.
func TestWriter(t *testing.T) {
	recs := realRecords(t)
	dir := t.TempDir()
	w, err := Create(dir, "p.parquet")
	if err != nil {
		t.Fatal(err)
	}
	a := NewOrigin(7, cloudtrail.ParseKey("AWSLogs/111122223333/CloudTrail/us-east-1/2024/09/01/111122223333_CloudTrail_us-east-1_20240901T0005Z_a.json.gz"), "s3://b/a")
	b := NewOrigin(3, cloudtrail.ParseKey("loose.json"), "/tmp/loose.json")
	for i, r := range recs {
		o := a
		if i%2 == 1 {
			o = b
		}
		if err := w.Add(r, o); err != nil {
			t.Fatal(err)
		}
	}
	if got := w.Rows(); got != int64(len(recs)) {
		t.Errorf("Rows = %d, want %d", got, len(recs))
	}
	if got := w.Objects(); !slices.Equal(got, []int64{3, 7}) {
		t.Errorf("Objects = %v, want [3 7]", got)
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(filepath.Join(dir, "p.parquet"))
	if err != nil || !bytes.HasPrefix(body, []byte("PAR1")) || !bytes.HasSuffix(body, []byte("PAR1")) {
		t.Fatalf("finished file: %d bytes, %v; want a Parquet file", len(body), err)
	}
	if err := w.Add(recs[0], a); err == nil {
		t.Error("Add after Finish succeeded")
	}
	if _, err := Create(dir, "p.parquet"); err == nil {
		t.Error("Create reused an existing file's name")
	}
	d, err := Create(dir, "d.parquet")
	if err != nil {
		t.Fatal(err)
	}
	d.Add(recs[0], a)
	d.Discard()
	if _, err := os.Stat(filepath.Join(dir, "d.parquet")); !os.IsNotExist(err) {
		t.Errorf("a discarded file is still there: %v", err)
	}
}

// A write that fails breaks the file: the error comes back from every later Add and from Finish, and Discard
// still removes the file.
func TestWriterError(t *testing.T) {
	setSmall(t, 2, 1<<20, 1<<16)
	recs := realRecords(t)
	dir := t.TempDir()
	w, err := Create(dir, "p.parquet")
	if err != nil {
		t.Fatal(err)
	}
	o := NewOrigin(1, cloudtrail.ParseKey("loose.json"), "/tmp/loose.json")
	w.f.Close() // the next write fails
	if err := w.Add(recs[0], o); err != nil {
		t.Fatalf("Add of the first row (buffered): %v", err)
	}
	first := w.Add(recs[1], o) // the row group is written
	if first == nil {
		t.Fatal("Add wrote a row group to a closed file")
	}
	if err := w.Add(recs[2], o); err != first {
		t.Errorf("Add after a failure = %v, want %v", err, first)
	}
	if err := w.Finish(); err != first {
		t.Errorf("Finish after a failure = %v, want %v", err, first)
	}
	w.Discard()
	if _, err := os.Stat(filepath.Join(dir, "p.parquet")); !os.IsNotExist(err) {
		t.Errorf("a discarded file is still there: %v", err)
	}
}

// CreateWith's limits end row groups, pages and dictionaries where they say, and the file still reads back as
// the reference's (written with the same row groups).
func TestCreateWithLimits(t *testing.T) {
	rows := fallbackRows() // 300 rows: distinct eventnames and eventids of 36 bytes
	dir := t.TempDir()
	w, err := CreateWith(dir, "enc.parquet", Limits{RowGroupRows: 7, PageBytes: 64, DictValues: 2})
	enc := writeRows(t, w, err, filepath.Join(dir, "enc.parquet"), rows)
	rw, err := createRef(dir, "ref.parquet", 7)
	ref := writeRows(t, rw, err, filepath.Join(dir, "ref.parquet"), rows)
	compareFiles(t, enc, ref)
	groups := openFile(t, enc).Metadata().RowGroups
	if got, want := len(groups), (len(rows)+6)/7; got != want {
		t.Fatalf("%d row groups, want %d", got, want)
	}
	pages := func(cc format.ColumnChunk, typ format.PageType) (n int32, enc format.Encoding) {
		for _, s := range cc.MetaData.EncodingStats {
			if s.PageType == typ {
				n, enc = n+s.Count, s.Encoding
			}
		}
		return n, enc
	}
	g := groups[0] // 7 rows
	if n, _ := pages(g.Columns[leafIndex("eventid")], format.DataPageV2); n != 4 {
		t.Errorf("eventid: %d data pages of 7 values of 40 bytes, want 4 (a page ends past 64 bytes)", n)
	}
	if n, e := pages(g.Columns[leafIndex("eventname")], format.DataPageV2); e != format.Plain {
		t.Errorf("eventname: %d data pages encoded %v, want plain values (7 distinct values, dictionaries of 2)", n, e)
	}
	if n, _ := pages(g.Columns[leafIndex("eventname")], format.DictionaryPage); n != 0 {
		t.Errorf("eventname: %d dictionary pages, want none", n)
	}
	if n, e := pages(g.Columns[leafIndex("eventversion")], format.DataPageV2); e != format.RLEDictionary || n != 1 {
		t.Errorf("eventversion: %d data pages encoded %v, want one of dictionary indexes (one distinct value)", n, e)
	}
}

// Each column chunk says the codec its column is declared with: zstd for the JSON documents and the random
// identifiers, Snappy for the columns most queries read; and the file reads back (with every codec) as the
// records written.
func TestCodecs(t *testing.T) {
	rows := fallbackRows()
	dir := t.TempDir()
	w, err := Create(dir, "enc.parquet")
	enc := writeRows(t, w, err, filepath.Join(dir, "enc.parquet"), rows)
	rw, err := createRef(dir, "ref.parquet", RowGroup)
	compareFiles(t, enc, writeRows(t, rw, err, filepath.Join(dir, "ref.parquet"), rows))
	want := map[string]format.CompressionCodec{
		"eventtime": format.Snappy, "useridentity.arn": format.Snappy, "eventname": format.Snappy,
		"sourceipaddress": format.Snappy, "_file_id": format.Snappy,
		"requestparameters": format.Zstd, "responseelements": format.Zstd, "eventid": format.Zstd,
	}
	for _, g := range openFile(t, enc).Metadata().RowGroups {
		for _, cc := range g.Columns {
			path := strings.Join(cc.MetaData.PathInSchema, ".")
			if c, ok := want[path]; ok && cc.MetaData.Codec != c {
				t.Errorf("column %s: codec %v, want %v", path, cc.MetaData.Codec, c)
			}
		}
	}
}
