package ingest_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/gen"
	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/source/local"
	"github.com/trailq/trailq/internal/store"
)

// BenchmarkLoad loads a generated tree of 50,000 records into a fresh store per iteration: "busy" has a few
// hundred records per object (data set A's shape), "small" about ten (data set B's shape).
func BenchmarkLoad(b *testing.B) {
	for _, tc := range []struct {
		name           string
		days, accounts int
	}{{"busy", 1, 1}, {"small", 1, 5}} {
		b.Run(tc.name, func(b *testing.B) {
			const records = 50_000
			ctx := context.Background()
			src, sum := genSource(b, gen.Options{Records: records, Days: tc.days, Accounts: tc.accounts, Seed: 1})
			b.SetBytes(sum.Bytes)
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				b.StopTimer()
				st, err := store.Open(ctx, filepath.Join(b.TempDir(), fmt.Sprintf("s%d.duckdb", n)), store.Options{})
				if err != nil {
					b.Fatal(err)
				}
				n++
				b.StartTimer()
				rep, err := ingest.Run(ctx, src, st, ingest.Options{})
				if err != nil {
					b.Fatal(err)
				}
				if err := st.Close(); err != nil { // includes DuckDB's checkpoint
					b.Fatal(err)
				}
				if rep.Records != records || rep.Problems() != 0 {
					b.Fatalf("loaded %d records, %d problem files", rep.Records, rep.Problems())
				}
			}
			b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(sum.Objects), "objects")
		})
	}
}

// BenchmarkPreview reads the same kind of tree as BenchmarkLoad for an answer first (trailq query
// --answer-first): the seed sign-in query's columns, with and without its WHERE clause's row filter.
func BenchmarkPreview(b *testing.B) {
	const records = 50_000
	ctx := context.Background()
	src, sum := genSource(b, gen.Options{Records: records, Days: 1, Accounts: 1, Seed: 1})
	plan, err := ingest.PlanLoad(ctx, src, nil, ingest.Options{})
	if err != nil {
		b.Fatal(err)
	}
	proj := cloudtrail.NewProjection([]string{"eventtime", "eventname", "useridentity", "sourceipaddress", "useragent", "responseelements", "eventtype"})
	signIns := func(r *cloudtrail.Record) bool { return r.EventType.Valid && r.EventType.S == "AwsConsoleSignIn" }
	for _, tc := range []struct {
		name string
		keep func(*cloudtrail.Record) bool
	}{{"columns", nil}, {"columns+rows", signIns}} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(sum.Bytes)
			b.ReportAllocs()
			for b.Loop() {
				rep, err := ingest.Preview(ctx, src, plan, ingest.Options{}, ingest.PreviewOptions{Dir: b.TempDir(), Projection: proj, Keep: tc.keep})
				if err != nil {
					b.Fatal(err)
				}
				if rep.Records != records {
					b.Fatalf("read %d records", rep.Records)
				}
			}
			b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// genSource generates a tree into a temporary folder and opens it as a source.
func genSource(b *testing.B, opts gen.Options) (*local.Local, *gen.Summary) {
	b.Helper()
	dir := b.TempDir()
	p, err := gen.NewPlan(opts)
	if err != nil {
		b.Fatal(err)
	}
	sum, err := gen.Generate(context.Background(), p, dir, nil)
	if err != nil {
		b.Fatal(err)
	}
	src, err := local.New(dir)
	if err != nil {
		b.Fatal(err)
	}
	return src, sum
}
