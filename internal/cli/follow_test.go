package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailq/trailq/internal/engine"
)

// stepClock is a follower's clock for tests: Sleep moves it on by the wait at once.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *stepClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return nil
}

// deliverLog writes a gzipped CloudTrail log file delivered at t with the given records (JSON objects) into
// dir, as CloudTrail names it.
func deliverLog(t *testing.T, dir string, at time.Time, seq int, records ...string) {
	t.Helper()
	key := fmt.Sprintf("AWSLogs/111122223333/CloudTrail/eu-west-1/%s/111122223333_CloudTrail_eu-west-1_%s_%04dcli.json.gz",
		at.UTC().Format("2006/01/02"), at.UTC().Format("20060102T1504Z"), seq)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(`{"Records":[` + strings.Join(records, ",") + `]}`))
	zw.Close()
	p := filepath.Join(dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// trailStopped is a record that fires the built-in rule for a CloudTrail trail stopped, by user at t.
func trailStopped(user string, at time.Time, id string) string {
	return fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDA%[1]s","arn":"arn:aws:iam::111122223333:user/%[1]s","accountId":"111122223333","userName":"%[1]s"},"eventTime":"%[2]s","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2","requestParameters":{"name":"main"},"responseElements":null,"eventID":"%[3]s","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`,
		user, at.UTC().Format(time.RFC3339), id)
}

// followCmd runs detect --follow (or load, given newCmd) with a step clock; after poll i, steps[i] runs, and
// after the last the command is stopped (as by SIGTERM).
func followCmd[O any](t *testing.T, newCmd func(*Factory, func(context.Context, *O) error) *cobra.Command,
	run func(context.Context, *Factory, *O) error, follow func(*O) *FollowOptions, clock *stepClock, args []string, steps ...func()) (out, errOut string, err error) {
	t.Helper()
	var o, e bytes.Buffer
	f := NewFactory(strings.NewReader(""), &o, &e, func(string) string { return "" })
	f.Now = clock.Now
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := newCmd(f, func(ctx context.Context, opts *O) error {
		fo := follow(opts)
		fo.clock = clock
		n := 0
		fo.polled = func(*engine.Poll) {
			if n < len(steps) {
				steps[n]()
			}
			if n++; n >= len(steps) {
				cancel()
			}
		}
		return run(ctx, f, opts)
	})
	cmd.SetArgs(args)
	cmd.SetOut(&o)
	cmd.SetErr(&e)
	err = cmd.ExecuteContext(ctx)
	return o.String(), e.String(), err
}

func followDetectCmd(t *testing.T, clock *stepClock, args []string, steps ...func()) (string, string, error) {
	return followCmd(t, NewCmdDetect, runDetect, func(o *DetectOptions) *FollowOptions { return &o.FollowOptions }, clock, args, steps...)
}

// TestDetectFollow: detect --follow writes each new finding once as JSON Lines (piped), runs --exec with the
// same JSON on its stdin, goes on when --exec fails, ends 0 when stopped, and does not report a finding again
// after a restart.
func TestDetectFollow(t *testing.T) {
	dir, store := t.TempDir(), filepath.Join(t.TempDir(), "s.duckdb")
	execOut := filepath.Join(t.TempDir(), "paged.jsonl")
	start := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	deliverLog(t, dir, start.Add(-5*time.Minute), 0, trailStopped("mallory", start.Add(-7*time.Minute), "attack-1"))
	clock := &stepClock{now: start}
	args := []string{"--source", dir, "--store", store, "--follow", "--interval", "1m",
		"--exec", fmt.Sprintf(`sh -c 'cat >> "$0"; echo >> "$0"' %q`, execOut)}
	out, errOut, err := followDetectCmd(t, clock, args,
		func() { // after the first poll (mallory reported): eve, in a later poll
			deliverLog(t, dir, clock.Now(), 1, trailStopped("eve", clock.Now().Add(-30*time.Second), "attack-2"))
		},
		func() {}, // eve reported
		func() {}, // nothing new
	)
	if err != nil {
		t.Fatalf("detect --follow: %v\n%s", err, errOut)
	}
	if got := exitCode(&bytes.Buffer{}, err, context.Background()); got != ExitOK {
		t.Fatalf("exit status %d after a stop, want 0", got)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("stdout has %d lines, want one per finding (2):\n%s\nstderr:\n%s", len(lines), out, errOut)
	}
	for i, who := range []string{"mallory", "eve"} {
		var row map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &row); err != nil {
			t.Fatalf("line %d is not JSON: %v: %s", i+1, err, lines[i])
		}
		if row["principal"] != who || row["rule_id"] != "53b4b5fb-e7e9-4b73-b86e-4b6bc18de69f" {
			t.Errorf("finding %d: principal %v, rule %v; want %s's CloudTrail tampering", i+1, row["principal"], row["rule_id"], who)
		}
	}
	paged, err := os.ReadFile(execOut)
	if err != nil {
		t.Fatalf("--exec did not run: %v\nstderr:\n%s", err, errOut)
	}
	if got := strings.Split(strings.TrimSpace(strings.ReplaceAll(string(paged), "\n\n", "\n")), "\n"); len(got) != 2 || got[0] != lines[0] || got[1] != lines[1] {
		t.Errorf("--exec got on stdin:\n%s\nwant the findings' lines:\n%s", paged, out)
	}

	// A restart: nothing again, and a failing --exec is told and does not stop following.
	args[len(args)-1] = "false"
	out, errOut, err = followDetectCmd(t, clock, args,
		func() {
			deliverLog(t, dir, clock.Now(), 2, trailStopped("trudy", clock.Now().Add(-10*time.Second), "attack-3"))
		},
		func() {}, // trudy reported
		func() {},
	)
	if err != nil {
		t.Fatalf("detect --follow again: %v", err)
	}
	if n := strings.Count(out, "\n"); n != 1 || !strings.Contains(out, `"trudy"`) {
		t.Fatalf("after a restart, stdout:\n%s\nwant trudy's finding only", out)
	}
	if !strings.Contains(errOut, "Warning: --exec false for finding") || !strings.Contains(errOut, "following goes on") {
		t.Errorf("a failing --exec was not told:\n%s", errOut)
	}
}

// TestLoadFollow: load --follow loads what arrives at each poll, says so in one line, and ends 0 when stopped.
func TestLoadFollow(t *testing.T) {
	dir, store := t.TempDir(), filepath.Join(t.TempDir(), "s.duckdb")
	start := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	deliverLog(t, dir, start.Add(-5*time.Minute), 0, trailStopped("mallory", start.Add(-7*time.Minute), "e-1"))
	clock := &stepClock{now: start}
	_, errOut, err := followCmd(t, NewCmdLoad, runLoad, func(o *LoadOptions) *FollowOptions { return &o.FollowOptions }, clock,
		[]string{"--source", dir, "--store", store, "--follow"},
		func() {
			deliverLog(t, dir, clock.Now(), 1, trailStopped("eve", clock.Now(), "e-2"), trailStopped("eve", clock.Now(), "e-3"))
		},
		func() {},
	)
	if err != nil {
		t.Fatalf("load --follow: %v", err)
	}
	for _, want := range []string{"Following " + dir, "Loaded 1 new object", "poll 2: 1 new object, 2 records added.", "Stopped following after 2 polls: 2 objects loaded."} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestFollowFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"load", "--source", ".", "--interval", "1m"}, "--interval goes with --follow"},
		{[]string{"load", "--source", ".", "--follow", "--interval", "10ms"}, "give at least 1s"},
		{[]string{"load", "--source", ".", "--follow", "--interval", "2h"}, "--full-every 1h0m0s is shorter than --interval"},
		{[]string{"load", "--source", ".", "--follow", "--dry-run"}, "does not go with --dry-run"},
		{[]string{"load", "--source", ".", "--follow", "--since", "1d", "--until", "1h"}, "does not go with --until"},
		{[]string{"detect", "--source", ".", "--exec", "true"}, "add --follow"},
		{[]string{"detect", "--source", ".", "--follow", "--fail-on-findings"}, "does not go with --fail-on-findings"},
		{[]string{"detect", "--source", ".", "--follow", "--exec", "sh -c 'x"}, "a ' is not closed"},
		{[]string{"detect", "--source", ".", "--follow", "--no-load"}, "does not go with --no-load"},
		{[]string{"serve", "--source", ".", "--full-every", "2h"}, "--full-every goes with --follow"},
	} {
		r := run(t, t.TempDir(), "", tc.args...)
		if r.code != ExitUsage || !strings.Contains(r.errOut, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", tc.args, r.code, r.errOut, ExitUsage, tc.want)
		}
	}
}

func TestSplitCommand(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"notify-send trailq", []string{"notify-send", "trailq"}},
		{`sh -c 'cat > "$0"' /tmp/x`, []string{"sh", "-c", `cat > "$0"`, "/tmp/x"}},
		{`page "on call" a\ b ""`, []string{"page", "on call", "a b", ""}},
		{`say "a \"quoted\" word" \\`, []string{"say", `a "quoted" word`, `\`}},
		{"  spaced\tout  ", []string{"spaced", "out"}},
	} {
		got, err := splitCommand(tc.in)
		if err != nil || strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
			t.Errorf("splitCommand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "   ", `a "b`, "a 'b"} {
		if _, err := splitCommand(bad); err == nil {
			t.Errorf("splitCommand(%q) gave no error", bad)
		}
	}
}

// tickClock is a follower's clock whose Sleep waits for the test's tick (then the wait has passed).
type tickClock struct {
	stepClock
	ticks chan struct{}
}

func (c *tickClock) Sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-c.ticks:
	}
	return c.stepClock.Sleep(ctx, d)
}

// TestServeFollow: serve --follow loads what arrives while it serves; GET /api/data and /api/load say what the
// follower did, and the findings page's findings come from the findings table, computed again by the poll.
func TestServeFollow(t *testing.T) {
	dir, store := t.TempDir(), filepath.Join(t.TempDir(), "s.duckdb")
	start := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	deliverLog(t, dir, start.Add(-5*time.Minute), 0, trailStopped("mallory", start.Add(-7*time.Minute), "attack-1"))
	clock := &tickClock{stepClock: stepClock{now: start}, ticks: make(chan struct{})}
	polled := make(chan *engine.Poll, 1)
	f := NewFactory(strings.NewReader(""), &lockedBuffer{}, &lockedBuffer{}, func(string) string { return "" })
	f.Now = clock.Now
	ready := make(chan string, 1)
	opts := &ServeOptions{SourceOptions: SourceOptions{Source: dir, Store: store}, Addr: "127.0.0.1:0", QueryTimeout: time.Minute,
		FollowOptions: FollowOptions{Follow: true, Interval: time.Minute, FullEvery: time.Hour, clock: clock,
			polled: func(p *engine.Poll) { polled <- p }},
		ready: func(u string) { ready <- u }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, f, opts) }()
	var u string
	select {
	case u = <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve --follow returned %v when stopped, want nil", err)
		}
	}()
	<-polled // the first incremental poll: nothing new
	following := func(path string) map[string]any {
		t.Helper()
		code, rep := getJSON(t, u+path, nil)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, code, rep)
		}
		fl, ok := rep["following"].(map[string]any)
		if !ok {
			t.Fatalf("GET %s has no following: %v", path, rep)
		}
		return fl
	}
	// The first load (a whole listing, before the server started) and one poll.
	if fl := following("api/data"); fl["polls"] != 2.0 || fl["changes"] != 1.0 || fl["interval_s"] != 60.0 || fl["last_poll"] != "2026-12-04T10:00:00Z" {
		t.Fatalf("following before any delivery: %v", fl)
	}
	principals := func() (stored any, who []string) {
		code, rep := getJSON(t, u+"api/findings?from=2026-12-01&to=2026-12-05&tz=UTC", nil)
		if code != http.StatusOK {
			t.Fatalf("GET /api/findings: %d %v", code, rep)
		}
		for _, x := range rep["findings"].([]any) {
			who = append(who, x.(map[string]any)["principal"].(string))
		}
		return rep["stored"], who
	}
	if stored, who := principals(); stored != true || strings.Join(who, ",") != "mallory" {
		t.Fatalf("findings before: stored %v, %q", stored, who)
	}
	deliverLog(t, dir, clock.Now(), 1, trailStopped("eve", clock.Now().Add(-time.Second), "attack-2"))
	clock.ticks <- struct{}{}
	if p := <-polled; p.Err != nil || p.New != 1 {
		t.Fatalf("poll after a delivery: %d new, %v", p.New, p.Err)
	}
	fl := following("api/load")
	if fl["last_new"] != 1.0 || fl["last_added"] != 1.0 || fl["changes"] != 2.0 || fl["last_poll"] != "2026-12-04T10:01:00Z" {
		t.Fatalf("following after a delivery: %v", fl)
	}
	if stored, who := principals(); stored != true || strings.Join(who, ",") != "eve,mallory" {
		t.Fatalf("findings after the poll: stored %v, %q; want eve's too, read from the findings table", stored, who)
	}
}

// TestFindingPrinter: on a terminal a finding is one table line; --exec gets the finding's JSON on stdin and
// TRAILQ_FINDING_* in its environment, and one that runs past --exec-timeout is stopped and told.
func TestFindingPrinter(t *testing.T) {
	var out, errOut bytes.Buffer
	f := NewFactory(strings.NewReader(""), &out, &errOut, func(string) string { return "" })
	fd := &engine.Finding{ID: "f00d", RuleID: "r-1", Title: "CloudTrail trail stopped", Level: "high", Principal: "mallory",
		Account: "111122223333", Count: 2, Summary: "mallory called StopLogging",
		First: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC), Last: time.Date(2026, 12, 4, 10, 1, 0, 0, time.UTC)}
	dir := t.TempDir()
	p := &findingPrinter{f: f, format: "table", loc: time.UTC, timeout: 10 * time.Second,
		argv: []string{"sh", "-c", `cat > "$0.json"; printf '%s %s %s' "$TRAILQ_FINDING_ID" "$TRAILQ_FINDING_LEVEL" "$TRAILQ_FINDING_RULE" > "$0"`, filepath.Join(dir, "env")}}
	if err := p.report(context.Background(), fd); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.HasPrefix(got, "high ") || strings.Count(got, "\n") != 1 ||
		!strings.Contains(got, "CloudTrail trail stopped  mallory  111122223333  2 events  mallory called StopLogging") {
		t.Errorf("table line %q", got)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "env")); string(b) != "f00d high r-1" {
		t.Errorf("--exec's environment gave %q", b)
	}
	var row map[string]any
	if b, _ := os.ReadFile(filepath.Join(dir, "env.json")); json.Unmarshal(b, &row) != nil || row["finding_id"] != "f00d" {
		t.Errorf("--exec's stdin: %q", b)
	}
	p.argv, p.timeout = []string{"sleep", "30"}, 100*time.Millisecond
	start := time.Now()
	if err := p.report(context.Background(), fd); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 20*time.Second || !strings.Contains(errOut.String(), "stopped after --exec-timeout 100ms") {
		t.Errorf("a hanging --exec: %s later, stderr %q", time.Since(start), errOut.String())
	}
}

// TestLoadFollowS3: over S3, load --follow's first load is summed up with its requests, and a later poll lists
// only two day folders per trail (today's and yesterday's), no folder listings.
func TestLoadFollowS3(t *testing.T) {
	var mu sync.Mutex
	var listings, dirs []string
	url := s3SampleWith(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if q := r.URL.Query(); q.Get("list-type") == "2" {
				mu.Lock()
				if q.Get("delimiter") != "" {
					dirs = append(dirs, q.Get("prefix"))
				} else {
					listings = append(listings, q.Get("prefix"))
				}
				mu.Unlock()
			}
			h.ServeHTTP(w, r)
		})
	})
	take := func() (l, d []string) {
		mu.Lock()
		defer mu.Unlock()
		l, d, listings, dirs = listings, dirs, nil, nil
		return l, d
	}
	clock := &stepClock{now: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)}
	var trails int
	_, errOut, err := followCmd(t, NewCmdLoad, runLoad, func(o *LoadOptions) *FollowOptions { return &o.FollowOptions }, clock,
		[]string{"--source", "s3://trail/AWSLogs", "--endpoint-url", url, "--store", filepath.Join(t.TempDir(), "s.duckdb"), "--follow"},
		func() { // the whole listing and the trail folders' discovery
			_, d := take()
			for _, p := range d {
				if strings.HasSuffix(p, "/CloudTrail/") {
					trails++ // each account's CloudTrail/ folder is listed for its regions
				}
			}
		},
		func() {
			l, d := take()
			if len(d) != 0 || len(l) == 0 {
				t.Errorf("a poll made %d folder listings and %d object listings (%q)", len(d), len(l), l)
			}
			for _, p := range l {
				if !strings.HasSuffix(p, "/2026/12/04/") && !strings.HasSuffix(p, "/2026/12/03/") {
					t.Errorf("a poll listed %q, not a day folder of today or yesterday", p)
				}
			}
		},
	)
	if err != nil {
		t.Fatalf("load --follow: %v\n%s", err, errOut)
	}
	if trails == 0 {
		t.Fatal("no trail folders were discovered")
	}
	if !strings.Contains(errOut, "S3: ") || !strings.Contains(errOut, "LIST and") {
		t.Errorf("the first load's summary lacks its S3 requests:\n%s", errOut)
	}
}
