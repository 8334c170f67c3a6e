package cloudtrail_test

import (
	"testing"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/gen"
)

// BenchmarkParseKey classifies the keys of a generated organization trail (one op = all keys).
func BenchmarkParseKey(b *testing.B) {
	p, err := gen.NewPlan(gen.Options{Records: 20_000, Days: 1, Accounts: 3, Seed: 1, Org: "o-a1b2c3d4e5"})
	if err != nil {
		b.Fatal(err)
	}
	keys := make([]string, len(p.Files))
	size := 0
	for i, f := range p.Files {
		keys[i] = f.Key
		size += len(f.Key)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for _, k := range keys {
			if cloudtrail.ParseKey(k).Kind != cloudtrail.KindLog {
				b.Fatalf("%s: not a log key", k)
			}
		}
	}
	b.ReportMetric(float64(len(keys))*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
}
