package partfile

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/gen"
)

// row is a record to write and the object it comes from.
type row struct {
	r *cloudtrail.Record
	o *Origin
}

// decodeFile returns the records of one log file (gzipped or not); a file the decoder rejects gives those it
// read before.
func decodeFile(t testing.TB, path string) []*cloudtrail.Record {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if raw, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	var recs []*cloudtrail.Record
	cloudtrail.NewDecoder().Decode(bytes.NewReader(raw), func(_ int, r *cloudtrail.Record, _ []cloudtrail.Problem) error {
		recs = append(recs, r)
		return nil
	}, func(cloudtrail.Problem) {})
	return recs
}

// publicRows returns the records of every public sample, from objects with and without a CloudTrail key.
func publicRows(t testing.TB) []row {
	t.Helper()
	files, err := filepath.Glob("../../testdata/cloudtrail/real/*.json*")
	if err != nil || len(files) < 10 {
		t.Fatalf("public samples: %d files, %v", len(files), err)
	}
	var rows []row
	for i, f := range files {
		key := cloudtrail.ParseKey(filepath.Base(f))
		if i%2 == 0 {
			key = cloudtrail.ParseKey("AWSLogs/111122223333/CloudTrail/eu-west-1/2024/09/0" + fmt.Sprint(i%9+1) + "/111122223333_CloudTrail_eu-west-1_20240901T0005Z_" + fmt.Sprint(i) + ".json.gz")
		}
		o := NewOrigin(int64(i+1), key, "s3://bucket/"+filepath.Base(f))
		for _, r := range decodeFile(t, f) {
			rows = append(rows, row{r, o})
		}
	}
	return rows
}

// generatedRows returns records written by the project's generator, each from the object its key names.
func generatedRows(t testing.TB, records int) []row {
	t.Helper()
	dir := t.TempDir()
	p, err := gen.NewPlan(gen.Options{Records: records, Days: 2, Accounts: 2, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gen.Generate(context.Background(), p, dir, nil); err != nil {
		t.Fatal(err)
	}
	var rows []row
	id := int64(1000)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		id++
		o := NewOrigin(id, cloudtrail.ParseKey(filepath.ToSlash(rel)), "s3://gen/"+rel)
		for _, r := range decodeFile(t, path) {
			rows = append(rows, row{r, o})
		}
		return nil
	})
	if err != nil || len(rows) < records/2 {
		t.Fatalf("generated %d records: %v", len(rows), err)
	}
	return rows
}

// edgeRows returns hand-made records for the cases the samples may miss.
func edgeRows() []row {
	s := cloudtrail.Str
	null := cloudtrail.String{}
	key := NewOrigin(1, cloudtrail.ParseKey("AWSLogs/111122223333/CloudTrail/us-east-1/2024/09/01/111122223333_CloudTrail_us-east-1_20240901T0005Z_a.json.gz"), "s3://b/a")
	loose := NewOrigin(2, cloudtrail.ParseKey("loose.json"), "/tmp/loose.json")
	recs := []*cloudtrail.Record{
		{}, // every field NULL, no groups
		{EventVersion: s(""), EventTime: s("2024-09-01T00:00:00Z"), ErrorCode: s(""), AWSRegion: s(""),
			RecipientAccountID: s("")},
		{EventTime: s("not a time"), AWSRegion: s("eu-north-1"), RecipientAccountID: s("444455556666"), Hash: 1 << 63},
		{Resources: []cloudtrail.Resource{}, Hash: ^uint64(0)},
		{Resources: []cloudtrail.Resource{{}, {ARN: s("arn:a")}, {ARN: s(""), AccountID: s("1"), Type: s("T")}}},
		{Resources: []cloudtrail.Resource{{Type: s("only")}}},
		{UserIdentity: &cloudtrail.UserIdentity{}},
		{UserIdentity: &cloudtrail.UserIdentity{Type: s(""), OnBehalfOf: &cloudtrail.OnBehalfOf{}}},
		{UserIdentity: &cloudtrail.UserIdentity{SessionContext: &cloudtrail.SessionContext{}}},
		{UserIdentity: &cloudtrail.UserIdentity{SessionContext: &cloudtrail.SessionContext{
			Attributes: &cloudtrail.SessionAttributes{MFAAuthenticated: s("false")}, SessionIssuer: &cloudtrail.SessionIssuer{},
			EC2RoleDelivery: s("2.0"), WebIDFederationData: &cloudtrail.WebIDFederationData{}}}},
		{UserIdentity: &cloudtrail.UserIdentity{SessionContext: &cloudtrail.SessionContext{
			WebIDFederationData: &cloudtrail.WebIDFederationData{FederatedProvider: s("accounts.google.com"),
				Attributes: []cloudtrail.KV{{K: "z", V: "1"}, {K: "a", V: ""}, {K: "m", V: "2"}, {K: "a", V: "last"}}}}}},
		{UserIdentity: &cloudtrail.UserIdentity{SessionContext: &cloudtrail.SessionContext{
			WebIDFederationData: &cloudtrail.WebIDFederationData{Attributes: []cloudtrail.KV{}}}}},
		{UserIdentity: &cloudtrail.UserIdentity{SessionContext: &cloudtrail.SessionContext{
			WebIDFederationData: &cloudtrail.WebIDFederationData{Attributes: []cloudtrail.KV{{K: "", V: ""}}}}}},
		{Addendum: &cloudtrail.Addendum{}, TLSDetails: &cloudtrail.TLSDetails{}},
		{Addendum: &cloudtrail.Addendum{Reason: s("DELIVERY_DELAY"), OriginalEventID: null},
			TLSDetails: &cloudtrail.TLSDetails{TLSVersion: s("TLSv1.3"), ClientProvidedHostHeader: s("")}},
		{EventTime: s("2024-09-02T23:59:59Z"), EventName: s("\x00ünïcödé ✓")},
	}
	var rows []row
	for i, r := range recs {
		rows = append(rows, row{r, key}, row{r, loose})
		_ = i
	}
	return rows
}

// fallbackRows returns rows whose eventname and account have many values, then none (NULL), then many again, in
// row groups of 100: a dictionary that falls back to plain, a chunk without values, and a fallback again.
func fallbackRows() []row {
	o := NewOrigin(1, cloudtrail.ParseKey("loose.json"), "/tmp/loose.json")
	var rows []row
	for i := range 300 {
		r := &cloudtrail.Record{EventVersion: cloudtrail.Str("1.08"), EventTime: cloudtrail.Str(fmt.Sprintf("2024-09-01T00:%02d:%02dZ", i/60, i%60)),
			EventID: cloudtrail.Str(fmt.Sprintf("%08x-0000-4000-8000-%012x", i*7919, i)), Hash: uint64(i)}
		if i < 100 || i >= 200 {
			r.EventName = cloudtrail.Str(fmt.Sprintf("Call%03d", i))
			r.RecipientAccountID = cloudtrail.Str(fmt.Sprintf("%012d", i*1000003))
		}
		rows = append(rows, row{r, o})
	}
	return rows
}

// writeEncoder and writeReference write rows with a writer of this package (the encoder) or the reference, and
// return the file.
func writeEncoder(t testing.TB, dir string, rows []row) string {
	t.Helper()
	w, err := Create(dir, "enc.parquet")
	return writeRows(t, w, err, filepath.Join(dir, "enc.parquet"), rows)
}

func writeReference(t testing.TB, dir string, rows []row) string {
	t.Helper()
	w, err := createRef(dir, "ref.parquet", rowGroupRows)
	return writeRows(t, w, err, filepath.Join(dir, "ref.parquet"), rows)
}

func writeRows(t testing.TB, w interface {
	Add(*cloudtrail.Record, *Origin) error
	Finish() error
}, err error, path string, rows []row) string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Add(r.r, r.o); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	return path
}

func openFile(t testing.TB, path string) *parquet.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return pf
}

// readRows reads a part file back into pqRows.
func readRows(t testing.TB, path string) []pqRow {
	t.Helper()
	pf := openFile(t, path)
	r := parquet.NewGenericReader[pqRow](pf)
	defer r.Close()
	out := make([]pqRow, pf.NumRows())
	n, err := r.Read(out)
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatalf("read %s: %v", path, err)
	}
	return out[:n]
}

// level is one entry of a column: its levels and its value (nil for a NULL).
type level struct {
	Rep, Def int
	Value    *string
}

// columnLevels reads every column of a part file, page by page: the levels and values in file order.
func columnLevels(t testing.TB, pf *parquet.File) [][]level {
	t.Helper()
	cols := make([][]level, len(pf.Schema().Columns()))
	buf := make([]parquet.Value, 512)
	for _, rg := range pf.RowGroups() {
		for i, cc := range rg.ColumnChunks() {
			pages := cc.Pages()
			for {
				p, err := pages.ReadPage()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("column %d: read page: %v", i, err)
				}
				vr := p.Values()
				for {
					n, err := vr.ReadValues(buf)
					for _, v := range buf[:n] {
						l := level{Rep: v.RepetitionLevel(), Def: v.DefinitionLevel()}
						if !v.IsNull() {
							var s string
							if v.Kind() == parquet.Int64 {
								s = fmt.Sprint(v.Int64())
							} else {
								s = string(v.ByteArray())
							}
							l.Value = &s
						}
						cols[i] = append(cols[i], l)
					}
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						t.Fatalf("column %d: read values: %v", i, err)
					}
				}
			}
			pages.Close()
		}
	}
	return cols
}

// compareFiles checks that the encoder's file reads back as the reference's: the same schema, row groups,
// rows, levels and values of every column, and column chunk statistics.
func compareFiles(t *testing.T, enc, ref string) {
	t.Helper()
	ef, rf := openFile(t, enc), openFile(t, ref)
	if diff := cmp.Diff(rf.Schema().String(), ef.Schema().String()); diff != "" {
		t.Errorf("schema (-reference +encoder):\n%s", diff)
	}
	if diff := cmp.Diff(rf.Metadata().Schema, ef.Metadata().Schema); diff != "" {
		t.Errorf("footer schema (-reference +encoder):\n%s", diff)
	}
	if got, want := ef.NumRows(), rf.NumRows(); got != want {
		t.Fatalf("rows = %d, want %d", got, want)
	}
	if diff := cmp.Diff(readRows(t, ref), readRows(t, enc)); diff != "" {
		t.Errorf("rows (-reference +encoder):\n%s", diff)
	}
	ec, rc := columnLevels(t, ef), columnLevels(t, rf)
	paths := ef.Schema().Columns()
	for i := range rc {
		if diff := cmp.Diff(rc[i], ec[i]); diff != "" {
			t.Errorf("column %s (-reference +encoder):\n%s", strings.Join(paths[i], "."), diff)
		}
	}
	erg, rrg := ef.Metadata().RowGroups, rf.Metadata().RowGroups
	if len(erg) != len(rrg) {
		t.Fatalf("%d row groups, want %d", len(erg), len(rrg))
	}
	for g := range rrg {
		if got, want := erg[g].NumRows, rrg[g].NumRows; got != want {
			t.Errorf("row group %d: %d rows, want %d", g, got, want)
		}
		for i := range rrg[g].Columns {
			e, r := &erg[g].Columns[i].MetaData, &rrg[g].Columns[i].MetaData
			type stats struct {
				NumValues, NullCount int64
				Min, Max             string
			}
			got := stats{e.NumValues, e.Statistics.NullCount, string(e.Statistics.MinValue), string(e.Statistics.MaxValue)}
			want := stats{r.NumValues, r.Statistics.NullCount, string(r.Statistics.MinValue), string(r.Statistics.MaxValue)}
			if got != want {
				t.Errorf("row group %d, column %s: statistics %+v, want %+v", g, strings.Join(e.PathInSchema, "."), got, want)
			}
		}
	}
}

// eventTimeBounds checks the eventtime statistics of each row group against the rows it holds.
func eventTimeBounds(t *testing.T, path string, rows []row) {
	t.Helper()
	pf := openFile(t, path)
	start := 0
	col := leafIndex("eventtime")
	for g, rg := range pf.Metadata().RowGroups {
		md := rg.Columns[col].MetaData
		if got := strings.Join(md.PathInSchema, "."); got != "eventtime" {
			t.Fatalf("column %d is %s, want eventtime", col, got)
		}
		var lo, hi string
		var nulls, seen int64
		for _, r := range rows[start : start+int(rg.NumRows)] {
			if !r.r.EventTime.Valid {
				nulls++
				continue
			}
			v := r.r.EventTime.S
			if seen == 0 || v < lo {
				lo = v
			}
			if seen == 0 || v > hi {
				hi = v
			}
			seen++
		}
		start += int(rg.NumRows)
		st := md.Statistics
		if string(st.MinValue) != lo || string(st.MaxValue) != hi || st.NullCount != nulls {
			t.Errorf("row group %d: eventtime min %q max %q nulls %d, want %q %q %d", g, st.MinValue, st.MaxValue, st.NullCount, lo, hi, nulls)
		}
	}
}

// setSmall makes row groups, pages and dictionaries small for one test.
func setSmall(t *testing.T, rowGroup, page, dictValues int) {
	t.Helper()
	oldRG, oldPage, oldDict := rowGroupRows, pageBytes, maxDictValues
	rowGroupRows, pageBytes, maxDictValues = rowGroup, page, dictValues
	t.Cleanup(func() { rowGroupRows, pageBytes, maxDictValues = oldRG, oldPage, oldDict })
}

// The encoder's files read back as the GenericWriter's did: the public samples, generated records and edge
// cases, in one row group and in many (with many pages a chunk, and dictionaries that fall back to plain).
func TestEncoderMatchesReference(t *testing.T) {
	public, generated, edge := publicRows(t), generatedRows(t, 6000), edgeRows()
	all := append(append(append([]row{}, edge...), public...), generated...)
	tests := []struct {
		name                       string
		rows                       []row
		rowGroup, page, dictValues int
	}{
		{"edge", edge, RowGroup, 1 << 20, 1 << 16},
		{"public", public, RowGroup, 1 << 20, 1 << 16},
		{"all", all, RowGroup, 1 << 20, 1 << 16},
		{"small row groups", all, 1000, 1 << 20, 1 << 16},
		{"small pages", all, 2500, 4 << 10, 1 << 16},
		{"dictionary fallback", all, 3000, 1 << 20, 40},
		{"row group of one", edge, 1, 1 << 20, 1 << 16},
		{"no rows", nil, RowGroup, 1 << 20, 1 << 16},
		{"fallback, NULLs, fallback", fallbackRows(), 100, 1 << 20, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setSmall(t, tt.rowGroup, tt.page, tt.dictValues)
			dir := t.TempDir()
			enc, ref := writeEncoder(t, dir, tt.rows), writeReference(t, dir, tt.rows)
			compareFiles(t, enc, ref)
			eventTimeBounds(t, enc, tt.rows)
		})
	}
}

// leafIndex returns the position of the leaf at path, or -1.
func leafIndex(path string) int {
	for i := range leaves {
		if leaves[i].path == path {
			return i
		}
	}
	return -1
}
