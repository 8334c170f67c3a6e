package engine_test

import (
	"context"
	"testing"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/trace"
)

// BenchmarkTrace traces the planted sessions in a store of generated events (TRAILQ_BENCH_EVENTS, else 200,000;
// the target is 10,000,000 events, each trace within 300 ms as a whole command): "session" follows the
// console sign-in through its role chain, "principal" reads all of a user's calls and their profile. Each
// iteration is what the command does after its load: open the sandboxed reader, run the trace, close.
func BenchmarkTrace(b *testing.B) {
	n := benchEvents(b)
	dir := b.TempDir()
	p := writePlanted(b, dir, n, 1)
	o := loadStore(b, dir)
	for _, c := range []struct {
		name string
		q    trace.Query
	}{
		{"session", trace.Query{Kind: trace.BySession, Value: p.ConsoleLogin, Depth: trace.DefaultDepth}},
		{"principal", trace.Query{Kind: trace.ByPrincipal, Value: p.AliceARN, Depth: trace.DefaultDepth}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var res *engine.TraceResult
			var err error
			for b.Loop() {
				if res, err = (&engine.Engine{}).Trace(context.Background(), o, engine.TraceOptions{Query: c.q}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(res.Events)), "events")
			b.ReportMetric(float64(len(res.Queries)), "queries")
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "stored-events/s")
		})
	}
}
