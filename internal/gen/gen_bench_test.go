package gen

import (
	"testing"
)

// BenchmarkBuild measures building one busy file's JSON (no gzip, no disk).
func BenchmarkBuild(b *testing.B) {
	p, err := NewPlan(Options{Records: 50_000, Days: 1, Accounts: 1, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	big := 0
	for i, f := range p.Files {
		if f.Records > p.Files[big].Records {
			big = i
		}
	}
	g := &fileGen{}
	doc, _ := p.build(big, g)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		p.build(big, g)
	}
	b.ReportMetric(float64(p.Files[big].Records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
