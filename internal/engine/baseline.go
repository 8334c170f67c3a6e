package engine

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/trailq/trailq/internal/baseline"
	"github.com/trailq/trailq/internal/hint"
)

// BaselineOptions say which period to compare with which baseline, and which logs to load first.
type BaselineOptions struct {
	Query baseline.Query
	// Now is the time relative periods were read at (and the end of an open period); Lag the delivery margin
	// of the load's key dates.
	Now time.Time
	Lag time.Duration
}

// BaselineResult is what is new or unusual in a period, and the load before it.
type BaselineResult struct {
	*baseline.Result
	Report *Report // the load's (nil when nothing was loaded)
}

// Baseline loads what is new in the source (unless there is none or NoLoad: only the log files of the key
// dates from the baseline's start to the period's end) and compares the period with its baseline through the
// sandboxed reader (trailq trace --new): the values each principal used for the first time, sign-ins at odd
// hours, impossible travel, hours of calls or errors far above the baseline's. Result.SignIns marks each
// sign-in of the period whose IP or country is new for its principal, for the web UI's sign-ins page.
func (e *Engine) Baseline(ctx context.Context, o Options, bo BaselineOptions) (*BaselineResult, error) {
	res := &BaselineResult{}
	if bo.Now.IsZero() {
		bo.Now = e.now()
	}
	if bo.Query.Now.IsZero() {
		bo.Query.Now = bo.Now
	}
	if o.readOnly() {
		if _, err := os.Stat(o.StorePath); err != nil {
			return res, hint.With(fmt.Errorf("open store %s: %w", o.StorePath, err), "load logs first with --source")
		}
	} else {
		if d, ok := bo.Query.Load().KeyDays(bo.Now, bo.Lag); ok {
			o.Load.Days = &d
		}
		rep, err := e.sync(ctx, o, nil, nil)
		res.Report = rep
		if err != nil {
			return res, err
		}
	}
	st, err := e.Reader(ctx, o)
	if err != nil {
		return res, err
	}
	defer st.Close()
	res.Result, err = baseline.Run(ctx, &traceQuerier{st: st}, bo.Query)
	return res, err
}

// BaselineStore compares a period with its baseline through an open store (the web UI's read handle), without
// a load: for the sign-ins page, Result.SignIns says which sign-ins of the period come from an IP or a country
// new for their principal (q.Now must be set when the period is open).
func BaselineStore(ctx context.Context, st *Store, q baseline.Query) (*baseline.Result, error) {
	return baseline.Run(ctx, &traceQuerier{st: st}, q)
}
