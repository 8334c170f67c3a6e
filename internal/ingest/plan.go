package ingest

import (
	"context"
	"log/slog"
	"runtime"
	"time"

	"github.com/trailq/trailq/internal/progress"
	"github.com/trailq/trailq/internal/source"
	"github.com/trailq/trailq/internal/store"
)

// Plan says what a load would read, found by listing the source without reading any object.
type Plan struct {
	// Report has the listing's counts: Listed, ListedPrefixes, Outside, Unchanged, UnchangedBytes, Skipped.
	Report
	Objects int   // objects the load would read (new or changed)
	Bytes   int64 // their size as stored
	// ScanObjects and ScanBytes are every log object in the window and filters, loaded before or not: what a
	// query over the same scope reads each time it runs in Athena.
	ScanObjects int
	ScanBytes   int64
}

// PlanLoad lists src as Run would with opts and returns what Run would read. st may be nil (nothing loaded yet).
func PlanLoad(ctx context.Context, src source.Source, st *store.Store, opts Options) (*Plan, error) {
	start := time.Now()
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Progress == nil {
		opts.Progress = &progress.Counter{}
	}
	manifest := map[string]string{}
	if st != nil {
		var err error
		if manifest, err = st.Loaded(ctx); err != nil {
			return nil, err
		}
	}
	p := &Plan{Report: Report{Skipped: map[string]int{}}}
	jobs, err := plan(ctx, src, manifest, opts, &p.Report)
	if err != nil {
		return p, err
	}
	for _, j := range jobs {
		p.Objects++
		p.Bytes += j.obj.Size
	}
	p.ScanObjects = p.Objects + p.Unchanged
	p.ScanBytes = p.Bytes + p.UnchangedBytes
	p.Elapsed = time.Since(start)
	return p, nil
}
