package rules_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/rules"
	"github.com/trailq/trailq/internal/sigma"
	"github.com/trailq/trailq/internal/source/local"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/name, or writes it there with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", p, diff)
	}
}

// compile compiles the built-in rules, failing the test on any problem.
func compile(t *testing.T, table string) *sigma.Set {
	t.Helper()
	set := sigma.Compile(rules.Files(), sigma.Options{Table: table})
	for _, p := range set.Problems {
		t.Errorf("%v", p)
	}
	if len(set.Rules) == 0 {
		t.Fatal("no rules")
	}
	return set
}

// openStore loads the CloudTrail files under dir into a new store through the engine, as `trailq load` does,
// and returns its read-only handle. Under strict, a file with a problem fails the test.
func openStore(t *testing.T, dir string, strict bool) *engine.Store {
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
	if strict && rep.Problems() != 0 {
		t.Fatalf("problems loading %s: %+v", dir, rep.Files)
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
	ctx := context.Background()
	q, err := engine.Prepare(ctx, sql, engine.Athena)
	if err != nil {
		t.Fatalf("%v\n%s", err, sql)
	}
	rows, err := q.Run(ctx, st)
	if err != nil {
		t.Fatalf("%v\n%s", err, sql)
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, append([]any(nil), vals...))
	}
	if err := q.MapError(rows.Err()); err != nil {
		t.Fatalf("%v\nDuckDB SQL:\n%s", err, q.SQL)
	}
	return out
}

// evidence returns the event IDs of a correlation's finding row.
func evidence(t *testing.T, r *sigma.Rule, row []any) []string {
	t.Helper()
	var ids []string
	raw := row[len(r.Correlation.GroupBy)+3]
	var data []byte
	switch v := raw.(type) {
	case json.RawMessage:
		data = v
	case string:
		data = []byte(v)
	default:
		data = []byte(fmt.Sprint(v))
	}
	if err := json.Unmarshal(data, &ids); err != nil {
		t.Fatalf("%s: event_ids %v: %v", r.ID, raw, err)
	}
	return ids
}
