package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/source/local"
	"github.com/trailq/trailq/internal/timewin"
	"github.com/trailq/trailq/internal/trace"
)

// TestTraceIndex checks that a trace reads the store's trace index (its key, principal and session queries
// name the objects the index gives) and answers as the scan of every event does: after the first load, after
// a load that replaces objects (some of their events gone, all of one's), and with the index made again from
// the stored rows, as a store made before the index gets it when next opened for writing.
func TestTraceIndex(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p := writePlanted(t, dir, 3_000, 11)
	src, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	wo := engine.Options{Source: src, StorePath: filepath.Join(t.TempDir(), "s.duckdb")}
	if _, err := (&engine.Engine{}).Sync(ctx, wo); err != nil {
		t.Fatal(err)
	}
	ro := engine.Options{StorePath: wo.StorePath}
	day := plantedDay
	queries := []trace.Query{
		{Kind: trace.BySession, Value: p.ConsoleLogin, Depth: trace.DefaultDepth},
		{Kind: trace.BySession, Value: p.AssumeDeploy, Depth: trace.DefaultDepth},
		{Kind: trace.ByPrincipal, Value: p.AliceARN, Depth: trace.DefaultDepth},
		{Kind: trace.ByPrincipal, Value: p.DeployARN, Depth: 1},
		{Kind: trace.ByAccessKey, Value: p.DeployKey, Depth: trace.DefaultDepth},
		{Kind: trace.ByAccessKey, Value: p.AliceLongKey, Depth: trace.DefaultDepth},
		{Kind: trace.ByRole, Value: p.DeployRoleARN, Depth: trace.DefaultDepth},
		{Kind: trace.ByPrincipal, Value: p.AliceARN, Depth: trace.DefaultDepth,
			Period: timewin.Period{Start: day.Add(10 * time.Hour), End: day.Add(30 * time.Hour)}},
	}
	// answer traces q; a start that matches nothing (after the replacement) is an answer too.
	answer := func(q trace.Query) (string, int) {
		t.Helper()
		res, err := (&engine.Engine{}).Trace(ctx, ro, engine.TraceOptions{Query: q})
		var b bytes.Buffer
		if err != nil {
			return "error: " + err.Error(), res.Indexed
		}
		if err := res.WriteJSON(&b, time.UTC); err != nil {
			t.Fatal(err)
		}
		qs, _ := json.Marshal(res.Queries)
		return b.String() + string(qs), res.Indexed
	}
	setThrough := func(v string) {
		t.Helper()
		st, err := (&engine.Engine{}).Writer(ctx, wo.StorePath)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if v != "" {
			if err := st.Exec(ctx, `UPDATE trailq_meta SET value = ? WHERE key = 'trace_keys_through'`, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	check := func(stage string) {
		t.Helper()
		indexed := make([]string, len(queries))
		found := 0
		for i, q := range queries {
			a, n := answer(q)
			if !strings.HasPrefix(a, "error: ") {
				found++
				if n == 0 {
					t.Errorf("%s: trace --%s %s read no query through the index", stage, q.Kind, q.Value)
				}
			}
			indexed[i] = a
		}
		if found < len(queries)/2 {
			t.Fatalf("%s: only %d of the traces found their start", stage, found)
		}
		// The index behind the objects: every query scans, and answers the same.
		setThrough("-1")
		for i, q := range queries {
			a, n := answer(q)
			if n != 0 {
				t.Errorf("%s: trace --%s %s used an index that is not current", stage, q.Kind, q.Value)
			}
			if d := cmp.Diff(a, indexed[i]); d != "" {
				t.Errorf("%s: trace --%s %s with the index and without differ (-scan +index):\n%s", stage, q.Kind, q.Value, d)
			}
		}
		// Opened for writing, the store makes its index again from the stored rows.
		setThrough("")
		for i, q := range queries {
			a, n := answer(q)
			if n == 0 && !strings.HasPrefix(a, "error: ") {
				t.Errorf("%s: trace --%s %s read no query through the remade index", stage, q.Kind, q.Value)
			}
			if d := cmp.Diff(a, indexed[i]); d != "" {
				t.Errorf("%s: trace --%s %s with the remade index differs (-remade +loaded):\n%s", stage, q.Kind, q.Value, d)
			}
		}
	}
	check("first load")

	// Replace planted objects: one loses every other record, one all of them.
	keys := make([]string, 0, len(p.Files))
	for k := range p.Files {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) < 2 {
		t.Fatalf("%d planted files", len(keys))
	}
	for i, k := range keys[:2] {
		var doc struct{ Records []json.RawMessage }
		if err := json.Unmarshal(p.Files[k], &doc); err != nil {
			t.Fatal(err)
		}
		var kept []json.RawMessage
		for j, r := range doc.Records {
			if i == 0 && j%2 == 0 {
				kept = append(kept, r)
			}
		}
		b, err := json.Marshal(map[string]any{"Records": append([]json.RawMessage{}, kept...)})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		later := time.Now().Add(time.Duration(i+1) * time.Minute)
		if err := os.Chtimes(path, later, later); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := (&engine.Engine{}).Sync(ctx, wo); err != nil {
		t.Fatal(err)
	}
	check("after replacing objects")
}
