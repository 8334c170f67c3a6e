package sigma

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/trailq/trailq/internal/athena"
	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/source/local"
	"github.com/trailq/trailq/internal/store"
)

// The harness loads and queries a store with the packages the engine uses (ingest, store, athena), the way
// `trailq load` and `trailq query` do, and not through internal/engine: the engine runs compiled rules
// (Engine.Detect takes a *sigma.Set), so a test of this package that imported it would be an import cycle.

// openStore loads the CloudTrail files under dir into a new store, as `trailq load` does, and returns the
// read-only, sandboxed handle that `trailq query` answers from.
func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	ctx := context.Background()
	src, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "s.duckdb")
	w, err := store.Open(ctx, path, store.Options{InitSQL: athena.InitSQL()})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ingest.Run(ctx, src, w, ingest.Options{})
	if err != nil {
		w.Close()
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if rep.Inserted == 0 {
		t.Fatalf("no records loaded from %s: %+v", dir, rep)
	}
	st, err := store.Open(ctx, path, store.Options{ReadOnly: true, Sandbox: true, InitSQL: athena.InitSQL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// run runs Athena SQL on the store as `trailq query` does and returns the rows.
func run(t *testing.T, st *store.Store, sql string) [][]any {
	t.Helper()
	rows, err := runErr(st, sql)
	if err != nil {
		t.Fatalf("%v\n%s", err, sql)
	}
	return rows
}

func runErr(st *store.Store, sql string) ([][]any, error) {
	ctx := context.Background()
	q, err := athena.NewTranslator(athena.Tables{Logs: store.LogsView, LogsExt: store.LogsExtView}).TranslateQuery(sql)
	if err != nil {
		return nil, err
	}
	rows, err := st.Query(ctx, q.SQL)
	if err != nil {
		return nil, q.MapError(err)
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
