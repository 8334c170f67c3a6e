package engine_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/source/local"
	"github.com/trailq/trailq/internal/trace"
)

// stratusStore loads the Stratus Red Team detonation logs into a store of the test's own.
func stratusStore(t *testing.T) engine.Options {
	t.Helper()
	src, err := local.New(stratusFile)
	if err != nil {
		t.Fatal(err)
	}
	o := engine.Options{Source: src, StorePath: filepath.Join(t.TempDir(), "s.duckdb")}
	if _, err := (&engine.Engine{}).Sync(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	return engine.Options{StorePath: o.StorePath}
}

func TestTraceSmoke(t *testing.T) {
	o := stratusStore(t)
	res, err := (&engine.Engine{}).Trace(context.Background(), o, engine.TraceOptions{Query: trace.Query{Kind: trace.ByAccessKey, Value: "AKIAWOGXN38MFN92ING5", Depth: 5}})
	if err != nil {
		t.Fatal(err)
	}
	res.Root.Walk(func(s *trace.Session, d int) { t.Logf("%*s%s %s %s calls=%d", d*2, "", s.ID, s.Kind, s.AccessKey, s.Calls) })
	for _, e := range res.Events {
		t.Logf("%s %s %s %s %s %v", e.Session, e.TimeText, e.Name, e.AccessKey, e.Principal, e.Resources)
	}
	t.Logf("%+v", res.Profile)
	t.Log(res.Notes)
}
