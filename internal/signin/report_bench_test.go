package signin_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/athena"
	"github.com/trailq/trailq/internal/signin"
	"github.com/trailq/trailq/internal/store"
	"github.com/trailq/trailq/internal/timewin"
)

// BenchmarkSignInReport times the sign-in report in process (query, decoding and classification; no output) on
// a loaded store named by TRAILQ_BENCH_STORE (scripts/bench.sh passes data set C's), for one day and for the
// whole of September 2024. Without the variable it is skipped.
func BenchmarkSignInReport(b *testing.B) {
	path := os.Getenv("TRAILQ_BENCH_STORE")
	if path == "" {
		b.Skip("TRAILQ_BENCH_STORE is not set")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, path, store.Options{ReadOnly: true, Sandbox: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	for _, tc := range []struct {
		name       string
		start, end time.Time
	}{
		{"day", time.Date(2024, 9, 2, 0, 0, 0, 0, time.UTC), time.Date(2024, 9, 3, 0, 0, 0, 0, time.UTC)},
		{"september", time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			q := &signin.Query{Period: timewin.Period{Start: tc.start, End: tc.end}}
			sql, err := athena.NewTranslator(athena.Tables{Logs: st.SignInsTable(ctx), LogsExt: store.LogsExtView}).Translate(q.SQL())
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for b.Loop() {
				events, err := signin.Fetch(ctx, st, sql, q)
				if err != nil {
					b.Fatal(err)
				}
				n = len(events)
			}
			b.ReportMetric(float64(n), "events")
		})
	}
}
