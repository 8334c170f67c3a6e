package engine

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/trailq/trailq/internal/athena"
	"github.com/trailq/trailq/internal/hint"
	"github.com/trailq/trailq/internal/store"
	"github.com/trailq/trailq/internal/trace"
)

// TraceOptions say what to trace and which logs to load first.
type TraceOptions struct {
	Query trace.Query
	// Now is the time relative periods were read at; Lag the delivery margin of the load's key dates.
	Now time.Time
	Lag time.Duration
}

// TraceResult is a trace and the load before it.
type TraceResult struct {
	*trace.Result
	Report *Report // the load's (nil when nothing was loaded)
}

// Trace loads what is new in the source (unless there is none or NoLoad; with a period that has a start, only
// the log files of its key dates) and follows the query's start through the sandboxed reader: the sessions it
// opened, their calls, the profile. A start that matches nothing gives a *trace.NotFoundError, with a hint of
// what the store holds near it.
func (e *Engine) Trace(ctx context.Context, o Options, to TraceOptions) (*TraceResult, error) {
	res := &TraceResult{}
	if to.Now.IsZero() {
		to.Now = e.now()
	}
	if o.readOnly() {
		if _, err := os.Stat(o.StorePath); err != nil {
			return res, hint.With(fmt.Errorf("open store %s: %w", o.StorePath, err), "load logs first with --source")
		}
	} else {
		if d, ok := to.Query.Period.KeyDays(to.Now, to.Lag); ok {
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
	res.Result, err = trace.Run(ctx, &traceQuerier{st: st}, to.Query)
	if nf, ok := err.(*trace.NotFoundError); ok {
		return res, hint.With(nf, nf.Hint())
	}
	return res, err
}

// traceQuerier runs a trace's Athena SQL on the store: over the events, or over the sign-in table.
type traceQuerier struct{ st *Store }

func (q *traceQuerier) Events(ctx context.Context, sql string, fn func([]any) error) error {
	return q.run(ctx, athena.Tables{Logs: store.LogsView, LogsExt: store.LogsExtView}, sql, fn)
}

func (q *traceQuerier) SignIns(ctx context.Context, sql string, fn func([]any) error) error {
	return q.run(ctx, athena.Tables{Logs: q.st.SignInsTable(ctx), LogsExt: store.LogsExtView}, sql, fn)
}

func (q *traceQuerier) run(ctx context.Context, tables athena.Tables, sql string, fn func([]any) error) error {
	duck, err := athena.NewTranslator(tables).Translate(sql)
	if err != nil {
		return fmt.Errorf("translate: %w", err)
	}
	rows, err := q.st.Query(ctx, duck)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return rows.Err()
}

// TraceStore follows q through an open store (the web UI's read handle), without a load: the web's entity
// pages call it under their read lock. A start that matches nothing gives a *trace.NotFoundError.
func TraceStore(ctx context.Context, st *Store, q trace.Query) (*trace.Result, error) {
	return trace.Run(ctx, &traceQuerier{st: st}, q)
}
