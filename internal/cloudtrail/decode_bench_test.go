package cloudtrail_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/gen"
)

// busyDocument returns the largest generated log file of a busy day (about 1,500 records).
func busyDocument(b *testing.B) []byte {
	b.Helper()
	p, err := gen.NewPlan(gen.Options{Records: 400_000, Days: 1, Accounts: 1, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	big := 0
	for i, f := range p.Files {
		if f.Records > p.Files[big].Records {
			big = i
		}
	}
	return p.Document(big)
}

func benchDecode(b *testing.B, doc []byte) {
	benchDecodeWith(b, doc, cloudtrail.NewDecoder())
}

func benchDecodeWith(b *testing.B, doc []byte, dec *cloudtrail.Decoder) {
	records := 0
	count := func(int, *cloudtrail.Record, []cloudtrail.Problem) error { records++; return nil }
	if err := dec.Decode(bytes.NewReader(doc), count, func(cloudtrail.Problem) {}); err != nil {
		b.Fatal(err)
	}
	perDoc := records
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if err := dec.Decode(bytes.NewReader(doc), count, func(cloudtrail.Problem) {}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(perDoc)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkDecode decodes one generated log file from memory (no gunzip).
func BenchmarkDecode(b *testing.B) {
	benchDecode(b, busyDocument(b))
}

// BenchmarkDecodeProjected decodes the same file for the seed sign-in query's columns only (trailq query
// --answer-first), and for one column.
func BenchmarkDecodeProjected(b *testing.B) {
	doc := busyDocument(b)
	for _, cols := range [][]string{
		{"eventtime", "eventname", "useridentity", "sourceipaddress", "useragent", "responseelements", "eventtype"},
		{"eventname"},
	} {
		b.Run(strings.Join(cols, ","), func(b *testing.B) {
			dec := cloudtrail.NewDecoder()
			dec.Project(cloudtrail.NewProjection(cols))
			benchDecodeWith(b, doc, dec)
		})
	}
}

// BenchmarkDecodeSmall decodes small generated log files (at most 4 records each, as most of a quiet account's
// files are), one after the other: the cost of a file, not of a record.
func BenchmarkDecodeSmall(b *testing.B) {
	p, err := gen.NewPlan(gen.Options{Records: 20_000, Days: 1, Accounts: 4, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	var docs [][]byte
	size, records := 0, 0
	for i, f := range p.Files {
		if f.Records <= 4 && len(docs) < 200 {
			docs = append(docs, p.Document(i))
			size += len(docs[len(docs)-1])
			records += f.Records
		}
	}
	dec := cloudtrail.NewDecoder()
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for _, doc := range docs {
			if err := dec.Decode(bytes.NewReader(doc), func(int, *cloudtrail.Record, []cloudtrail.Problem) error { return nil }, func(cloudtrail.Problem) {}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(len(docs))*float64(b.N)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkDecodeReal decodes the public CloudTrail samples of testdata (odd shapes, many services).
func BenchmarkDecodeReal(b *testing.B) {
	files, _ := filepath.Glob("../../testdata/cloudtrail/real/*.json*")
	var recs [][]byte
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		if strings.HasSuffix(f, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				b.Fatal(err)
			}
			if raw, err = io.ReadAll(zr); err != nil {
				b.Fatal(err)
			}
		}
		// Keep each file's Records array content, to join them into one document.
		i, j := bytes.IndexByte(raw, '['), bytes.LastIndexByte(raw, ']')
		if i < 0 || j <= i || !bytes.Contains(raw[:i], []byte(`"Records"`)) {
			continue
		}
		if inner := bytes.TrimSpace(raw[i+1 : j]); len(inner) > 0 {
			recs = append(recs, inner)
		}
	}
	doc := append(append([]byte(`{"Records":[`), bytes.Join(recs, []byte(","))...), "]}"...)
	benchDecode(b, doc)
}

// BenchmarkDecodeGzip reads one generated .json.gz file: gunzip (compress/gzip) and decode.
func BenchmarkDecodeGzip(b *testing.B) {
	doc := busyDocument(b)
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	zw.Write(doc)
	zw.Close()
	gz := buf.Bytes()
	dec := cloudtrail.NewDecoder()
	b.SetBytes(int64(len(gz)))
	b.ReportAllocs()
	records := 0
	for b.Loop() {
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			b.Fatal(err)
		}
		if err := dec.Decode(zr, func(int, *cloudtrail.Record, []cloudtrail.Problem) error { records++; return nil }, func(cloudtrail.Problem) {}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}
