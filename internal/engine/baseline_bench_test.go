package engine_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/trailq/trailq/internal/baseline"
	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/timewin"
	"github.com/trailq/trailq/internal/trace/tracetest"
)

// BenchmarkBaseline compares the planted day with the 28 days before it in a store of generated events over 30
// days (TRAILQ_BENCH_EVENTS, else 200,000) and the planted novelties, with the test GeoIP database: "all" every
// principal, "principal" one. Each iteration is what trace --new does after its load: open the sandboxed
// reader, compare, close.
func BenchmarkBaseline(b *testing.B) {
	n := benchEvents(b)
	dir := b.TempDir()
	nov := writeNovelties(b, dir, n, 1)
	o := loadStore(b, dir)
	path := filepath.Join(b.TempDir(), "test.mmdb")
	if err := tracetest.WriteGeoIP(path); err != nil {
		b.Fatal(err)
	}
	g, err := baseline.OpenGeoIP(path)
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	for _, c := range []struct{ name, where string }{
		{"all", ""},
		{"principal", "useridentity.arn = '" + tracetest.ARN(tracetest.NovBurst) + "'"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			q := baseline.Query{Period: timewin.Period{Start: nov.Start, End: nov.End}, Zone: tracetest.Tokyo, GeoIP: g, Where: c.where}
			var res *engine.BaselineResult
			var err error
			for b.Loop() {
				if res, err = (&engine.Engine{}).Baseline(context.Background(), o, engine.BaselineOptions{Query: q}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(res.Findings)), "findings")
			b.ReportMetric(float64(len(res.Queries)), "queries")
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "stored-events/s")
		})
	}
}
