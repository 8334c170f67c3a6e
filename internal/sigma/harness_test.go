package sigma

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/source/local"
)

// openStore loads the CloudTrail files under dir into a new store through the engine, as `trailq load` does,
// and returns its read-only handle.
func openStore(t *testing.T, dir string) *engine.Store {
	t.Helper()
	ctx := context.Background()
	src, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	o := engine.Options{Source: src, StorePath: filepath.Join(t.TempDir(), "s.duckdb")}
	var e engine.Engine
	rep, err := e.Sync(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Inserted == 0 {
		t.Fatalf("no records loaded from %s: %+v", dir, rep)
	}
	st, err := e.Reader(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// run runs Athena SQL on the store as `trailq query` does and returns the rows.
func run(t *testing.T, st *engine.Store, sql string) [][]any {
	t.Helper()
	rows, err := runErr(st, sql)
	if err != nil {
		t.Fatalf("%v\n%s", err, sql)
	}
	return rows
}

func runErr(st *engine.Store, sql string) ([][]any, error) {
	ctx := context.Background()
	q, err := engine.Prepare(ctx, sql, engine.Athena)
	if err != nil {
		return nil, err
	}
	rows, err := q.Run(ctx, st)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		out = append(out, append([]any(nil), vals...))
	}
	if err := q.MapError(rows.Err()); err != nil {
		return nil, fmt.Errorf("%w\nDuckDB SQL:\n%s", err, q.SQL)
	}
	return out, nil
}
