package s3src_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/store"
)

// BenchmarkLoad fetches and loads 10,000 small log objects (2 records, about 600 B gzipped, as many CloudTrail
// files are) from the loopback S3 server into a new store, at several concurrency levels; objects/s is the
// figure to compare. With latency=0 the server answers at once, so the figure is the CPU cost of a GET, gunzip,
// decode and store; latency=10ms holds every GET for 10 ms, like S3's time to first byte, which is what the
// concurrency is for:
//
//	go test -run '^$' -bench Load -benchtime 3x ./internal/source/s3src/
func BenchmarkLoad(b *testing.B) {
	const objects = 10_000
	srv := newServer(b, "trail")
	var total int64
	for i := range objects {
		day := day0.AddDate(0, 0, i%30)
		account := orgAccounts[i%len(orgAccounts)]
		k := trailKey(org, account, "us-east-1", day, i)
		body := logObject(k, account, "us-east-1", day, 2)
		total += int64(len(body))
		srv.put(b, "trail", k, body)
	}
	for _, bc := range []struct {
		latency     time.Duration
		concurrency []int
	}{
		{0, []int{1, 8, 32, 64}},
		{10 * time.Millisecond, []int{8, 32, 64, 128}},
	} {
		for _, c := range bc.concurrency {
			b.Run(fmt.Sprintf("latency=%s/concurrency=%d", bc.latency, c), func(b *testing.B) {
				srv.setInject(func(r *http.Request) (int, string, http.Header) {
					if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "" {
						time.Sleep(bc.latency)
					}
					return 0, "", nil
				})
				defer srv.setInject(nil)
				src := srv.open(b, "s3://trail")
				dir := b.TempDir()
				b.ReportAllocs()
				b.SetBytes(total)
				var elapsed time.Duration
				n := 0
				for b.Loop() {
					n++
					st, err := store.Open(context.Background(), filepath.Join(dir, fmt.Sprintf("%d.duckdb", n)), store.Options{})
					if err != nil {
						b.Fatal(err)
					}
					start := time.Now()
					rep, err := ingest.Run(context.Background(), src, st, ingest.Options{Workers: c})
					elapsed += time.Since(start)
					if err != nil {
						b.Fatal(err)
					}
					if rep.Loaded != objects {
						b.Fatalf("loaded %d objects, want %d", rep.Loaded, objects)
					}
					st.Close()
				}
				b.ReportMetric(float64(n*objects)/elapsed.Seconds(), "objects/s")
			})
		}
	}
}
