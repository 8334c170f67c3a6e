package partfile

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/gen"
)

// BenchmarkWriter encodes 50,000 generated records (data set A's shape) into a part file: the load's cost per
// row on top of decoding.
func BenchmarkWriter(b *testing.B) {
	const records = 50_000
	dir := b.TempDir()
	p, err := gen.NewPlan(gen.Options{Records: records, Days: 1, Accounts: 1, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := gen.Generate(context.Background(), p, dir, nil); err != nil {
		b.Fatal(err)
	}
	var recs []*cloudtrail.Record
	dec := cloudtrail.NewDecoder()
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json.gz") {
			return err
		}
		raw, _ := os.ReadFile(path)
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(zr)
		return dec.Decode(bytes.NewReader(body), func(_ int, r *cloudtrail.Record, _ []cloudtrail.Problem) error {
			recs = append(recs, r)
			return nil
		}, func(cloudtrail.Problem) {})
	})
	if len(recs) != records {
		b.Fatalf("decoded %d records, want %d", len(recs), records)
	}
	var jsonBytes int64
	for _, r := range recs {
		jsonBytes += int64(len(r.RequestParameters.S) + len(r.ResponseElements.S) + len(r.AdditionalEventData.S))
	}
	obj := NewOrigin(1, cloudtrail.ParseKey("AWSLogs/111122223333/CloudTrail/us-east-1/2024/09/01/111122223333_CloudTrail_us-east-1_20240901T0005Z_a.json.gz"), "s3://bucket/key")
	out := b.TempDir()
	b.ReportAllocs()
	// SetBytes counts the JSON text of the three largest columns: MB/s says how fast the bulk of a row goes.
	b.SetBytes(jsonBytes)
	var size int64
	var cpu time.Duration
	for b.Loop() {
		if cpu == 0 {
			cpu = cpuTime()
		}
		w, err := Create(out, "part.parquet")
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range recs {
			if err := w.Add(r, obj); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Finish(); err != nil {
			b.Fatal(err)
		}
		fi, _ := os.Stat(w.path)
		size = fi.Size()
		os.Remove(w.path)
	}
	b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	if cpu > 0 {
		b.ReportMetric(float64(cpuTime()-cpu)/1e3/float64(records)/float64(b.N), "cpu-µs/record")
	}
	b.ReportMetric(float64(size)/records, "file-B/record")
}
