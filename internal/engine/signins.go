package engine

import (
	"context"
	"fmt"

	"github.com/trailq/trailq/internal/athena"
	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/signin"
	"github.com/trailq/trailq/internal/store"
)

// SignIns returns the sign-in events of q. The store keeps the rows that can be sign-in events in a table of
// their own: the same answer, without scanning every event.
func SignIns(ctx context.Context, st *Store, q *signin.Query) ([]signin.Event, error) {
	sql, err := SignInSQL(ctx, st, q)
	if err != nil {
		return nil, err
	}
	events, err := signin.Fetch(ctx, st, sql, q)
	if err != nil {
		return nil, fmt.Errorf("query sign-ins: %w", err)
	}
	return events, nil
}

// SignInsAnswer answers a sign-in query as Query answers SQL: after loading what is new of its period, or
// first from a read of the new logs that keeps only the records that can be sign-in events, then loading them.
// answer gets the handle and the events either way.
func (e *Engine) SignInsAnswer(ctx context.Context, o Options, sq *signin.Query, qo QueryOptions,
	answer func(ctx context.Context, st *Store, events []signin.Event) error) (*QueryResult, error) {
	q, err := Prepare(ctx, sq.SQL(), Athena)
	if err != nil {
		return nil, err
	}
	qo.Keep = func(r *cloudtrail.Record) bool { return store.IsSignInCandidate(r.EventSource.S, r.EventType.S) }
	qo.FirstAnswer = func(ctx context.Context, st *Store) error {
		events, err := signin.FetchRows(ctx, st, q.SQL, sq)
		if err != nil {
			return fmt.Errorf("query sign-ins: %w", err)
		}
		return answer(ctx, st, events)
	}
	qo.Answer = func(ctx context.Context, st *Store) error {
		events, err := SignIns(ctx, st, sq)
		if err != nil {
			return err
		}
		return answer(ctx, st, events)
	}
	return e.Query(ctx, o, q, qo)
}

// SignInSQL returns the DuckDB SQL of q over the store's sign-in table.
func SignInSQL(ctx context.Context, st *Store, q *signin.Query) (string, error) {
	sql, err := athena.NewTranslator(athena.Tables{Logs: st.SignInsTable(ctx), LogsExt: store.LogsExtView}).Translate(q.SQL())
	if err != nil {
		return "", fmt.Errorf("translate sign-in query: %w", err)
	}
	return sql, nil
}

// Span is what the store holds: its events' count and the first and last eventtime (as written).
type Span struct {
	Events      int64
	First, Last string
}

// EventSpan returns the store's Span, for a command whose period held nothing to say what there is.
func EventSpan(ctx context.Context, st *Store) (Span, error) {
	rows, err := st.Query(ctx, `SELECT count(*), coalesce(min(eventtime), ''), coalesce(max(eventtime), '') FROM `+store.LogsView)
	if err != nil {
		return Span{}, fmt.Errorf("read the store's span: %w", err)
	}
	defer rows.Close()
	var sp Span
	if rows.Next() {
		v, err := rows.Values()
		if err != nil {
			return Span{}, fmt.Errorf("read the store's span: %w", err)
		}
		sp.Events, _ = v[0].(int64)
		sp.First, _ = v[1].(string)
		sp.Last, _ = v[2].(string)
	}
	return sp, rows.Err()
}
