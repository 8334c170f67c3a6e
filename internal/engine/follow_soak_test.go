package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/engine"
)

// TestFollowSoak follows a bucket of four trails over two hours of a fake clock (TRAILQ_SOAK_HOURS more, e.g.
// 24), across midnight, with a delivery to each trail every 5 minutes and a poll every minute: every delivery
// is loaded, and the Go heap (after a GC) and the goroutines do not grow from the first half hour to the end.
func TestFollowSoak(t *testing.T) {
	hours := 2
	if v := os.Getenv("TRAILQ_SOAK_HOURS"); v != "" {
		var err error
		if hours, err = strconv.Atoi(v); err != nil || hours < 1 {
			t.Fatalf("TRAILQ_SOAK_HOURS=%q: want a number of hours", v)
		}
	}
	s3 := newFakeS3(t)
	regions := []string{"eu-west-1", "us-east-1", "us-west-2", "ap-northeast-1"}
	start := time.Date(2026, 12, 4, 23, 0, 0, 0, time.UTC)
	for i, r := range regions {
		s3.deliver(t, r, start.Add(-time.Hour), i, 2)
	}
	clock := newFakeClock(start)
	o := engine.Options{Source: s3.source(t), StorePath: filepath.Join(t.TempDir(), "s.duckdb")}
	polls := hours * 60
	type sample struct {
		heap       uint64
		goroutines int
	}
	var samples []sample
	delivered, loaded, seq := len(regions), 0, len(regions)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fo := engine.FollowOptions{Interval: time.Minute, FullEvery: time.Hour, Clock: clock,
		Polled: func(_ context.Context, p *engine.Poll) error {
			if p.Err != nil {
				t.Errorf("poll at %s: %v", p.Start, p.Err)
			}
			if p.Report != nil {
				loaded += p.Report.Loaded
			}
			if n := len(samples) + 1; n%5 == 0 { // CloudTrail delivers, every 5 minutes per trail
				for _, r := range regions {
					s3.deliver(t, r, clock.Now().Add(30*time.Second), seq, 3)
					seq++
					delivered++
				}
			}
			s3.requests() // the test server's own notes are not the follower's memory
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			samples = append(samples, sample{ms.HeapAlloc, runtime.NumGoroutine()})
			if len(samples) == polls {
				cancel()
			}
			return nil
		}}
	if err := (&engine.Engine{}).Follower(o, fo).Run(ctx); err != nil {
		t.Fatal(err)
	}
	// The deliveries of the last poll's hook are not loaded.
	if want := delivered - len(regions)*boolInt(polls%5 == 0); loaded != want {
		t.Errorf("loaded %d objects, want %d", loaded, want)
	}
	warm, end := samples[20:40], samples[len(samples)-20:]
	base, last := medianHeap(warm, func(s sample) uint64 { return s.heap }), medianHeap(end, func(s sample) uint64 { return s.heap })
	maxG := func(ss []sample) int {
		m := 0
		for _, s := range ss {
			m = max(m, s.goroutines)
		}
		return m
	}
	t.Logf("%d polls over %d h: heap %s → %s (median after GC), goroutines %d → %d, RSS %s",
		len(samples), hours, mib(base), mib(last), maxG(warm), maxG(end), rss())
	if last > base+max(2<<20, base/5) {
		t.Errorf("the heap grew from %s to %s over %d hours of polls", mib(base), mib(last), hours)
	}
	if maxG(end) > maxG(warm)+2 {
		t.Errorf("goroutines grew from %d to %d", maxG(warm), maxG(end))
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func medianHeap[S any](ss []S, v func(S) uint64) uint64 {
	vals := make([]uint64, len(ss))
	for i, s := range ss {
		vals[i] = v(s)
	}
	slices.Sort(vals)
	return vals[len(vals)/2]
}

func mib(n uint64) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB" }

// rss reads the resident set size from /proc (Linux), for the log.
func rss() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
