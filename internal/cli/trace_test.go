package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/trace"
	"github.com/trailq/trailq/internal/trace/tracetest"
)

// traceNow is the pinned "now" of the trace tests.
var traceNow = time.Date(2025, 1, 15, 12, 0, 0, 0, time.UTC)

// plantedDay is the day of the planted sessions of the trace tests.
var plantedDay = time.Date(2024, 9, 2, 0, 0, 0, 0, time.UTC)

// plantedLogs writes the planted sessions (tracetest) as a folder of log files.
func plantedLogs(t *testing.T) (string, *tracetest.Planted) {
	t.Helper()
	dir := t.TempDir()
	p := tracetest.Plant(3, plantedDay)
	tracetest.WriteFiles(t, dir, p.Files)
	return dir, p
}

// traceCmd runs trailq trace with a pinned clock and no environment.
func traceCmd(t *testing.T, args ...string) runResult {
	t.Helper()
	var out, errOut bytes.Buffer
	cache := t.TempDir()
	f := NewFactory(strings.NewReader(""), &out, &errOut, func(k string) string {
		if k == "TRAILQ_CACHE_DIR" {
			return cache
		}
		return ""
	})
	f.Now = func() time.Time { return traceNow }
	code := Run(context.Background(), f, append([]string{"trace"}, args...))
	return runResult{code, out.String(), errOut.String()}
}

func TestTraceFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "give what to trace"},
		{[]string{"--session", "x", "--ip", "192.0.2.1"}, "give one start to trace, not --session and --ip"},
		{[]string{"--role", "r", "--view", "everything"}, `--view "everything"`},
		{[]string{"--role", "r", "--tz", "Asia/Tokyo", "--utc"}, "give --tz or --utc"},
		{[]string{"--role", "r", "--depth", "-2"}, "--depth -2"},
		{[]string{"--ip", "10.0.0.0/99", "--store", "x.duckdb"}, `--ip "10.0.0.0/99"`},
		{[]string{"--session", " ", "--store", "x.duckdb"}, "--session: give a value"},
		{[]string{"--role", "r", "--since", "tomorrow", "--store", "x.duckdb"}, "--since"},
	} {
		r := traceCmd(t, c.args...)
		if r.code != ExitUsage || !strings.Contains(r.errOut, c.want) {
			t.Errorf("trace %q: exit %d, want %d with %q:\n%s", c.args, r.code, ExitUsage, c.want, r.errOut)
		}
	}

	// The flags as the command reads them: the start, and the depth each kind follows by default.
	for _, c := range []struct {
		args  []string
		kind  trace.Kind
		depth int
	}{
		{[]string{"--session", "e1"}, trace.BySession, trace.DefaultDepth},
		{[]string{"--access-key", "ASIAX"}, trace.ByAccessKey, trace.DefaultDepth},
		{[]string{"--principal", "alice", "--depth", "2"}, trace.ByPrincipal, 2},
		{[]string{"--ip", "192.0.2.0/24"}, trace.ByIP, 0},
		{[]string{"--resource", "b", "--depth", "3"}, trace.ByResource, 3},
		{[]string{"--role", "r"}, trace.ByRole, trace.DefaultDepth},
	} {
		var got *TraceOptions
		cmd := NewCmdTrace(NewFactory(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}, func(string) string { return "" }),
			func(_ context.Context, o *TraceOptions) error { got = o; return nil })
		cmd.SetArgs(c.args)
		if err := cmd.Execute(); err != nil {
			t.Fatalf("%q: %v", c.args, err)
		}
		q, err := got.query()
		if err != nil || q.Kind != c.kind || q.Depth != c.depth || q.Value != c.args[1] {
			t.Errorf("%q: query %+v (%v), want kind %s depth %d", c.args, q, err, c.kind, c.depth)
		}
	}
}

// TestTraceFormats traces the planted console sign-in in every format: the same events, the sessions as a tree.
func TestTraceFormats(t *testing.T) {
	dir, p := plantedLogs(t)
	store := filepath.Join(t.TempDir(), "s.duckdb")
	want := p.IDs(time.Time{}, time.Time{}, tracetest.Console, tracetest.Deploy, tracetest.Audit)
	base := []string{"--source", dir, "--store", store, "--session", p.ConsoleLogin, "--tz", "Asia/Tokyo"}

	r := traceCmd(t, append(base, "--format", "csv")...)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	recs, err := csv.NewReader(strings.NewReader(r.out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], trace.TimelineColumns) {
		t.Fatalf("header %q", recs[0])
	}
	var ids []string
	for _, rec := range recs[1:] {
		ids = append(ids, rec[len(rec)-1])
		if !strings.HasSuffix(rec[0], "JST") {
			t.Errorf("time %q is not in Tokyo time", rec[0])
		}
	}
	slices.Sort(ids)
	if !slices.Equal(ids, want) {
		t.Errorf("CSV events %v, want %v", ids, want)
	}
	if !strings.Contains(r.errOut, "events in 3 sessions") || !strings.Contains(r.errOut, "times in Asia/Tokyo") {
		t.Errorf("summary: %s", r.errOut)
	}

	// The table: the tree drawn, the profile, the timeline.
	r = traceCmd(t, append(base, "--no-load", "--format", "table")...)
	for _, s := range []string{"Sessions (times in Asia/Tokyo)\n1  console session of " + p.AliceARN, "\n└─ 1.1  role " + p.DeployRoleARN + " as " + tracetest.SessionName,
		"source identity " + tracetest.Alice, "\n   └─ 1.1.1  role arn:aws:iam::" + tracetest.AccountA + ":role/" + tracetest.AuditRole,
		"\nProfile\n", "denied calls", "sign-ins      2024-09-02", "\nTimeline\n"} {
		if !strings.Contains(r.out, s) {
			t.Errorf("table lacks %q:\n%s", s, r.out)
		}
	}

	// JSON: one document, the sessions nested.
	r = traceCmd(t, append(base, "--no-load", "--format", "json")...)
	var doc struct {
		Zone     string
		Sessions struct {
			Kind     string
			Children []struct {
				AccessKey string `json:"access_key"`
				Children  []struct {
					AccessKey string `json:"access_key"`
				}
			}
		}
		Events []struct {
			Time    string
			EventID string `json:"event_id"`
		}
		Profile struct{ Events int }
	}
	if err := json.Unmarshal([]byte(r.out), &doc); err != nil {
		t.Fatalf("JSON: %v\n%s", err, r.out)
	}
	if doc.Zone != "Asia/Tokyo" || doc.Sessions.Kind != "console" || len(doc.Sessions.Children) != 1 ||
		doc.Sessions.Children[0].AccessKey != p.DeployKey || len(doc.Sessions.Children[0].Children) != 1 ||
		doc.Sessions.Children[0].Children[0].AccessKey != p.AuditKey || len(doc.Events) != len(want) || doc.Profile.Events != len(want) {
		t.Errorf("JSON document: %+v", doc)
	}
	if len(doc.Events) > 0 && !strings.HasSuffix(doc.Events[0].Time, "+09:00") {
		t.Errorf("JSON time %q is not in Tokyo time", doc.Events[0].Time)
	}

	// JSON Lines and TSV: the timeline; the other views.
	r = traceCmd(t, append(base, "--no-load", "--format", "jsonl")...)
	if lines := strings.Split(strings.TrimSpace(r.out), "\n"); len(lines) != len(want) || !json.Valid([]byte(lines[0])) {
		t.Errorf("JSON Lines: %d lines, want %d", len(lines), len(want))
	}
	r = traceCmd(t, append(base, "--no-load", "--format", "tsv")...)
	if lines := strings.Split(strings.TrimSpace(r.out), "\n"); len(lines) != len(want)+1 {
		t.Errorf("TSV: %d lines, want %d", len(lines), len(want)+1)
	}
	r = traceCmd(t, append(base, "--no-load", "--format", "csv", "--view", "sessions")...)
	recs, _ = csv.NewReader(strings.NewReader(r.out)).ReadAll()
	if len(recs) != 4 || recs[2][0] != "1.1" || recs[2][1] != "1" || recs[3][1] != "1.1" {
		t.Errorf("sessions view:\n%s", r.out)
	}
	r = traceCmd(t, append(base, "--no-load", "--format", "csv", "--view", "profile")...)
	recs, _ = csv.NewReader(strings.NewReader(r.out)).ReadAll()
	if len(recs) < 8 || !slices.Equal(recs[1][:3], []string{"total", "events", strings.TrimSpace(itoa(len(want)))}) {
		t.Errorf("profile view:\n%s", r.out)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestTraceNoMatch: a start that matches nothing is exit status 1, says so and names what is near it.
func TestTraceNoMatch(t *testing.T) {
	dir, p := plantedLogs(t)
	store := filepath.Join(t.TempDir(), "s.duckdb")
	r := traceCmd(t, "--source", dir, "--store", store, "--access-key", p.DeployKey[:10])
	if r.code != ExitError || !strings.Contains(r.errOut, "Error: no event was made with access key "+p.DeployKey[:10]) ||
		!strings.Contains(r.errOut, "Try: --access-key "+p.DeployKey) || r.out != "" {
		t.Errorf("exit %d:\n%s%s", r.code, r.out, r.errOut)
	}
	r = traceCmd(t, "--store", store, "--principal", p.AliceARN, "--since", "2024-09-10", "--utc")
	if r.code != ExitError || !strings.Contains(r.errOut, "in the period (it has") || !strings.Contains(r.errOut, "--since 2024-09-02") {
		t.Errorf("exit %d:\n%s", r.code, r.errOut)
	}
}

// TestTraceSince keeps to the period: from the day after, only the decoy session of Alice is in her trace.
func TestTraceSince(t *testing.T) {
	dir, p := plantedLogs(t)
	store := filepath.Join(t.TempDir(), "s.duckdb")
	r := traceCmd(t, "--source", dir, "--store", store, "--principal", tracetest.Alice, "--since", "2024-09-03", "--utc", "--format", "jsonl")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	var ids []string
	for _, line := range strings.Split(strings.TrimSpace(r.out), "\n") {
		var e struct {
			EventID string `json:"event_id"`
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.EventID)
	}
	slices.Sort(ids)
	if want := p.IDs(plantedDay.AddDate(0, 0, 1), time.Time{}, tracetest.Decoy); !slices.Equal(ids, want) {
		t.Errorf("events %v, want %v", ids, want)
	}
}
