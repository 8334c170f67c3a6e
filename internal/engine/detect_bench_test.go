package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/gen"
	"github.com/trailq/trailq/internal/rules"
	"github.com/trailq/trailq/internal/sigma"
	"github.com/trailq/trailq/internal/source/local"
)

// benchEvents is how many generated events BenchmarkDetect stores: TRAILQ_BENCH_EVENTS, else 200,000 (the
// issue's target is 2,000,000: TRAILQ_BENCH_EVENTS=2000000).
func benchEvents(b *testing.B) int {
	if v := os.Getenv("TRAILQ_BENCH_EVENTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("TRAILQ_BENCH_EVENTS=%q: want a number of events", v)
		}
		return n
	}
	return 200_000
}

// BenchmarkDetect runs the built-in rules and SigmaHQ's CloudTrail rules over a store of generated events:
// "scan" computes every finding (the one scan, the correlations' queries, the evidence lookup), "table" reads
// the built-in rules' findings from the store's table (computed by the load) and computes SigmaHQ's.
func BenchmarkDetect(b *testing.B) {
	ctx := context.Background()
	n := benchEvents(b)
	dir := b.TempDir()
	p, err := gen.NewPlan(gen.Options{Records: n, Days: max(1, n/200_000), Accounts: 3, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := gen.Generate(ctx, p, dir, nil); err != nil {
		b.Fatal(err)
	}
	src, err := local.New(dir)
	if err != nil {
		b.Fatal(err)
	}
	builtin := sigma.Compile(rules.Files(), sigma.Options{})
	sigmaHQ := sigmaHQ(b)
	all := &sigma.Set{Rules: append(append([]*sigma.Rule{}, builtin.Rules...), sigmaHQ.Rules...)}
	storePath := filepath.Join(b.TempDir(), "s.duckdb")
	loader := engine.Engine{Rules: func() *sigma.Set { return builtin }}
	if _, err := loader.Sync(ctx, engine.Options{Source: src, StorePath: storePath}); err != nil {
		b.Fatal(err)
	}
	ro := engine.Options{StorePath: storePath}
	for _, c := range []struct {
		name string
		e    engine.Engine
	}{
		{"scan", engine.Engine{}},
		{"table", engine.Engine{Rules: func() *sigma.Set { return builtin }}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var res *engine.DetectResult
			for b.Loop() {
				if res, err = c.e.Detect(ctx, ro, all, engine.DetectOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(len(res.Rules)), "rules")
			b.ReportMetric(float64(len(res.Findings)), "findings")
			b.ReportMetric(float64(len(res.Queries)), "queries")
		})
	}
}
