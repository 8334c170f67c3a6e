package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/rules"
	"github.com/trailq/trailq/internal/sigma"
)

const tamperingRule = "53b4b5fb-e7e9-4b73-b86e-4b6bc18de69f" // CloudTrail trail stopped, deleted or changed

// followFindings runs FollowFindings with the built-in rules for the given polls (steps as followSteps) and
// returns the findings reported, as rule:principal.
func followFindings(t *testing.T, o engine.Options, clock *fakeClock, steps ...func(p *engine.Poll)) []string {
	t.Helper()
	set := sigma.Compile(rules.Files(), sigma.Options{})
	e := &engine.Engine{Rules: func() *sigma.Set { return set }, Now: clock.Now}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	polls := 0
	// The hook runs before the poll's findings are reported: one more poll after the last step reports them.
	fo := engine.FollowOptions{Interval: time.Minute, Clock: clock, Polled: func(_ context.Context, p *engine.Poll) error {
		if p.Err != nil {
			t.Errorf("poll: %v", p.Err)
		}
		if polls < len(steps) {
			steps[polls](p)
		} else {
			cancel()
		}
		polls++
		return nil
	}}
	var got []string
	report := func(_ context.Context, f *engine.Finding) error {
		got = append(got, f.RuleID+":"+f.Principal)
		return nil
	}
	if err := e.FollowFindings(ctx, o, set, engine.DetectOptions{}, fo, report); err != nil {
		t.Fatalf("FollowFindings: %v", err)
	}
	return got
}

// TestFollowFindingsOnce: detect --follow reports a planted attack once, as it arrives, not again on later
// polls, and not again after a restart; a second attack after the restart is reported.
func TestFollowFindingsOnce(t *testing.T) {
	s3 := newFakeS3(t)
	start := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	s3.deliver(t, followRegion, start.Add(-10*time.Minute), 0, 3)
	clock := newFakeClock(start)
	o := engine.Options{Source: s3.source(t), StorePath: filepath.Join(t.TempDir(), "s.duckdb")}
	got := followFindings(t, o, clock,
		func(p *engine.Poll) { // 10:00: nothing bad yet
			s3.deliver(t, followRegion, clock.Now(), 1, 2, stopLogging(clock.Now().Add(-20*time.Second), "attack-1"))
		},
		func(p *engine.Poll) { // 10:01: the attack is loaded (and reported after this hook)
			wantPoll(t, p, false, 1, 3)
			s3.deliver(t, followRegion, clock.Now(), 2, 2)
		},
		func(p *engine.Poll) { wantPoll(t, p, false, 1, 2) }, // 10:02: more events: nothing new to report
		func(p *engine.Poll) { wantPoll(t, p, false, 0, 0) },
	)
	if want := []string{tamperingRule + ":mallory"}; !slices.Equal(got, want) {
		t.Fatalf("reported %q, want %q", got, want)
	}
	b, err := os.ReadFile(engine.ReportedPath(o.StorePath))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("reported file:\n%s", b)

	// A restart: the store's findings are not reported again; a new attack (another hour) is.
	clock.jump(2 * time.Hour)
	got = followFindings(t, o, clock,
		func(p *engine.Poll) {
			s3.deliver(t, followRegion, clock.Now(), 3, 1, stopLogging(clock.Now().Add(-10*time.Second), "attack-2"))
		},
		func(p *engine.Poll) { wantPoll(t, p, false, 1, 2) },
	)
	if want := []string{tamperingRule + ":mallory"}; !slices.Equal(got, want) {
		t.Fatalf("after the restart, reported %q, want %q (the second attack only)", got, want)
	}
	r, err := engine.OpenReported(o.StorePath)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Len() != 2 {
		t.Fatalf("%d findings remembered, want 2", r.Len())
	}
}

// TestReportedCutLine: a line cut short by a kill is not taken for a finding, and the next one is written on a
// line of its own.
func TestReportedCutLine(t *testing.T) {
	store := filepath.Join(t.TempDir(), "s.duckdb")
	if err := os.WriteFile(engine.ReportedPath(store), []byte("aaaa 2026-12-04T10:00:00Z r1\nbbb"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := engine.OpenReported(store)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Has("aaaa") || r.Has("bbb") || r.Len() != 1 {
		t.Fatalf("read %d findings (aaaa %v, bbb %v), want aaaa only", r.Len(), r.Has("aaaa"), r.Has("bbb"))
	}
	if err := r.Add(&engine.Finding{ID: "cccc", RuleID: "r2"}, time.Date(2026, 12, 4, 11, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	r.Close()
	r, err = engine.OpenReported(store)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !r.Has("aaaa") || !r.Has("cccc") || r.Has("bbb") || r.Len() != 2 {
		t.Fatalf("after a restart: %d findings, want aaaa and cccc", r.Len())
	}
}
