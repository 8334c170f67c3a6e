package engine_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/engine"
)

// fakeClock is a follower's clock for tests: Sleep moves it on by the wait at once (so hours pass in
// milliseconds), after which the test's hook may deliver new logs or stop.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func newFakeClock(now time.Time) *fakeClock { return &fakeClock{now: now} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.slept = append(c.slept, d)
	c.mu.Unlock()
	return nil
}

// jump moves the clock on without a Sleep (the machine slept).
func (c *fakeClock) jump(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

const (
	followAccount = "111122223333"
	followRegion  = "eu-west-1"
)

// deliveryKey is the key CloudTrail gives the log file it delivers at t for the test account and region.
func deliveryKey(region string, t time.Time, seq int) string {
	t = t.UTC()
	return fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%04dFollow.json.gz",
		followAccount, region, t.Format("2006/01/02"), followAccount, region, t.Format("20060102T1504Z"), seq)
}

// logFile returns a gzipped log file of n records a minute apart before t, with event IDs unique to key; extra
// records (JSON objects) are added as they are.
func logFile(key string, t time.Time, n int, extra ...string) []byte {
	var b strings.Builder
	b.WriteString(`{"Records":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		at := t.Add(-time.Duration(i+1) * time.Minute).UTC().Format(time.RFC3339)
		fmt.Fprintf(&b, `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAFOLLOW","arn":"arn:aws:iam::%[1]s:user/alice","accountId":"%[1]s","userName":"alice"},"eventTime":"%[2]s","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"%[3]s","sourceIPAddress":"192.0.2.1","userAgent":"aws-cli/2","requestParameters":null,"responseElements":null,"eventID":"%[4]s-%[5]d","readOnly":true,"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"%[1]s","eventCategory":"Data"}`,
			followAccount, at, followRegion, key, i)
	}
	for _, x := range extra {
		if n > 0 {
			b.WriteByte(',')
		}
		b.WriteString(x)
		n++
	}
	b.WriteString(`]}`)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(b.String()))
	zw.Close()
	return buf.Bytes()
}

// stopLogging is a record that fires the built-in rule for a trail stopped (CloudTrail tampering) at t.
func stopLogging(t time.Time, id string) string {
	return fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAMALLORY","arn":"arn:aws:iam::%[1]s:user/mallory","accountId":"%[1]s","userName":"mallory"},"eventTime":"%[2]s","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"%[3]s","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2","requestParameters":{"name":"main"},"responseElements":null,"eventID":"%[4]s","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"%[1]s","eventCategory":"Management"}`,
		followAccount, t.UTC().Format(time.RFC3339), followRegion, id)
}

func writeFile(t testing.TB, dir, key string, body []byte) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, body, 0o644); err != nil {
		t.Fatal(err)
	}
}

// storedCount returns the records the store holds.
func storedCount(t testing.TB, o engine.Options) int64 {
	t.Helper()
	var e engine.Engine
	st, err := e.Reader(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.Query(context.Background(), "SELECT count(*) FROM "+engine.EventsTable)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		n = v[0].(int64)
	}
	return n
}

// followSteps runs a follower whose Polled hook is steps[i] for poll i (each may check the poll and deliver
// logs); it stops after the last. It returns the polls.
func followSteps(t *testing.T, e *engine.Engine, o engine.Options, fo engine.FollowOptions, steps ...func(p *engine.Poll)) []*engine.Poll {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var polls []*engine.Poll
	fo.Polled = func(_ context.Context, p *engine.Poll) error {
		polls = append(polls, p)
		if i := len(polls) - 1; i < len(steps) {
			steps[i](p)
		}
		if len(polls) >= len(steps) {
			cancel()
		}
		return nil
	}
	if err := e.Follower(o, fo).Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return polls
}

func wantPoll(t *testing.T, p *engine.Poll, full bool, newObjects, inserted int) {
	t.Helper()
	if p.Err != nil {
		t.Fatalf("poll at %s: %v", p.Start, p.Err)
	}
	if p.Full != full || p.New != newObjects {
		t.Fatalf("poll at %s: full %v, %d new objects; want full %v, %d", p.Start, p.Full, p.New, full, newObjects)
	}
	got := 0
	if p.Report != nil {
		got = p.Report.Inserted
	}
	if got != inserted {
		t.Fatalf("poll at %s: %d records added, want %d", p.Start, got, inserted)
	}
}

// TestFollowLocalFolder follows a folder: the first poll loads it whole, later polls load what was delivered
// since (day folders only), a poll with nothing new does not open the store, a late delivery to an older day
// is found by the hourly whole listing.
func TestFollowLocalFolder(t *testing.T) {
	dir, storePath := t.TempDir(), filepath.Join(t.TempDir(), "s.duckdb")
	start := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	for i, at := range []time.Time{start.Add(-26 * time.Hour), start.Add(-20 * time.Minute), start.Add(-15 * time.Minute)} {
		k := deliveryKey(followRegion, at, i)
		writeFile(t, dir, k, logFile(k, at, 3))
	}
	// A file that is not CloudTrail's, sorting after every log of the day: polls neither load it nor stop at it.
	writeFile(t, dir, "AWSLogs/"+followAccount+"/CloudTrail/"+followRegion+"/2026/12/04/zz-notes.txt", []byte("notes"))
	clock := newFakeClock(start)
	o := options(t, dir, storePath)
	e := &engine.Engine{}
	loads := 0
	fo := engine.FollowOptions{Interval: 5 * time.Minute, FullEvery: time.Hour, Clock: clock,
		Load: func(ctx context.Context, o engine.Options) (*engine.Report, error) { loads++; return e.Sync(ctx, o) }}
	deliver := func(at time.Time, seq, n int) {
		k := deliveryKey(followRegion, at, seq)
		writeFile(t, dir, k, logFile(k, at, n))
	}
	polls := followSteps(t, e, o, fo,
		func(p *engine.Poll) { // 10:00, whole
			wantPoll(t, p, true, 3, 9)
			deliver(clock.Now().Add(-time.Minute), 10, 2)
		},
		func(p *engine.Poll) { // 10:05
			wantPoll(t, p, false, 1, 2)
			if p.Folders != 2 {
				t.Fatalf("listed %d day folders, want 2 (today and yesterday of one trail)", p.Folders)
			}
			loads = 0
		},
		func(p *engine.Poll) { // 10:10: nothing new
			wantPoll(t, p, false, 0, 0)
			if loads != 0 {
				t.Fatalf("a poll with nothing new loaded %d times", loads)
			}
			// Late: a file for three days ago, and one in today's folder that sorts before the last key.
			deliver(start.AddDate(0, 0, -3), 11, 4)
			deliver(start.Add(-30*time.Minute), 12, 1)
		},
		func(p *engine.Poll) { wantPoll(t, p, false, 0, 0) }, // 10:15: not seen yet
		func(p *engine.Poll) {}, func(p *engine.Poll) {}, func(p *engine.Poll) {}, func(p *engine.Poll) {},
		func(p *engine.Poll) {}, func(p *engine.Poll) {}, func(p *engine.Poll) {},
		func(p *engine.Poll) { // 10:55
			wantPoll(t, p, false, 0, 0)
		},
		func(p *engine.Poll) { wantPoll(t, p, true, 2, 5) }, // 11:00: the whole listing
	)
	if len(polls) != 13 {
		t.Fatalf("%d polls", len(polls))
	}
	if got, want := storedCount(t, o), int64(9+2+5); got != want {
		t.Fatalf("the store holds %d records, want %d", got, want)
	}
}

// TestFollowCatchesUpAfterSleep: after the machine slept two days, the next poll lists every day folder since
// the day before the last poll, and loads what was delivered meanwhile.
func TestFollowCatchesUpAfterSleep(t *testing.T) {
	dir, storePath := t.TempDir(), filepath.Join(t.TempDir(), "s.duckdb")
	start := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	k := deliveryKey(followRegion, start.Add(-5*time.Minute), 0)
	writeFile(t, dir, k, logFile(k, start, 1))
	clock := newFakeClock(start)
	o := options(t, dir, storePath)
	fo := engine.FollowOptions{Interval: time.Minute, FullEvery: 100 * time.Hour, Clock: clock}
	deliver := func(at time.Time, seq int) {
		k := deliveryKey(followRegion, at, seq)
		writeFile(t, dir, k, logFile(k, at, 1))
	}
	followSteps(t, &engine.Engine{}, o, fo,
		func(p *engine.Poll) {
			wantPoll(t, p, true, 1, 1)
			clock.jump(48 * time.Hour) // CloudTrail goes on delivering
			deliver(start.Add(24*time.Hour), 1)
			deliver(start.Add(47*time.Hour), 2)
		},
		func(p *engine.Poll) {
			wantPoll(t, p, false, 2, 2)
			if p.Gap < 48*time.Hour {
				t.Fatalf("gap %s: the sleep was not noticed", p.Gap)
			}
			if p.Folders != 4 {
				t.Fatalf("listed %d day folders after a two-day sleep, want 4 (from the day before the last poll)", p.Folders)
			}
		},
		func(p *engine.Poll) {
			wantPoll(t, p, false, 0, 0)
			if p.Folders != 2 {
				t.Fatalf("listed %d day folders, want 2 again", p.Folders)
			}
		},
	)
}

// TestFollowStoreBusy: while another trailq process holds the store for writing, a poll with new logs fails
// with ErrLocked (told, backed off), and the next poll after the other process ends loads them.
func TestFollowStoreBusy(t *testing.T) {
	dir, storePath := t.TempDir(), filepath.Join(t.TempDir(), "s.duckdb")
	start := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	k := deliveryKey(followRegion, start.Add(-5*time.Minute), 0)
	writeFile(t, dir, k, logFile(k, start, 1))
	clock := newFakeClock(start)
	o := options(t, dir, storePath)
	n := &notes{}
	e := &engine.Engine{Notify: n.add}
	var release func()
	deliver := func(seq int) {
		k := deliveryKey(followRegion, clock.Now(), seq)
		writeFile(t, dir, k, logFile(k, clock.Now(), 2))
	}
	followSteps(t, e, o, engine.FollowOptions{Interval: time.Minute, Clock: clock},
		func(p *engine.Poll) {
			wantPoll(t, p, true, 1, 1)
			release = holdStore(t, storePath)
			deliver(1)
			n.take()
		},
		func(p *engine.Poll) {
			if !errors.Is(p.Err, engine.ErrLocked) {
				t.Fatalf("poll while the store is held: %v, want ErrLocked", p.Err)
			}
			said := n.take()
			t.Logf("told: %q", said)
			if !anyContains(said, "Waiting for the store (1 in a row): open store ") || !anyContains(said, "(Try: ") {
				t.Fatalf("told %q, want the store in use and what to do", said)
			}
			release()
		},
		func(p *engine.Poll) { wantPoll(t, p, false, 1, 2) },
	)
}

// holdStore opens the store for writing in another process (this test binary, as TestHoldStoreHelper) until
// the returned function is called.
func holdStore(t *testing.T, path string) func() {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHoldStoreHelper$")
	cmd.Env = append(os.Environ(), "TRAILQ_HOLD_STORE="+path)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "holding") {
		cmd.Process.Kill()
		t.Fatalf("the helper did not open the store: %q, %v", line, err)
	}
	done := false
	release := func() {
		if done {
			return
		}
		done = true
		in.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("helper: %v", err)
		}
	}
	t.Cleanup(release)
	return release
}

// TestHoldStoreHelper is holdStore's other process; it does nothing in a normal run.
func TestHoldStoreHelper(t *testing.T) {
	path := os.Getenv("TRAILQ_HOLD_STORE")
	if path == "" {
		t.Skip("the other process of TestFollowStoreBusy")
	}
	st, err := (&engine.Engine{}).Writer(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("holding")
	io.Copy(io.Discard, os.Stdin)
	st.Close()
}

// TestFollowStopFinishesTheBatch: a stop (SIGTERM) while a poll loads lets the load finish, and Run returns nil.
func TestFollowStopFinishesTheBatch(t *testing.T) {
	dir, storePath := t.TempDir(), filepath.Join(t.TempDir(), "s.duckdb")
	start := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	k := deliveryKey(followRegion, start.Add(-5*time.Minute), 0)
	writeFile(t, dir, k, logFile(k, start, 1))
	clock := newFakeClock(start)
	o := options(t, dir, storePath)
	e := &engine.Engine{}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	loads, polls := 0, 0
	fo := engine.FollowOptions{Interval: time.Minute, Clock: clock,
		Load: func(lctx context.Context, o engine.Options) (*engine.Report, error) {
			if loads++; loads == 2 {
				stop() // the signal comes as the second poll loads
			}
			return e.Sync(lctx, o)
		},
		Polled: func(_ context.Context, p *engine.Poll) error {
			polls++
			k := deliveryKey(followRegion, clock.Now(), polls)
			writeFile(t, dir, k, logFile(k, clock.Now(), 4))
			return nil
		}}
	if err := e.Follower(o, fo).Run(ctx); err != nil {
		t.Fatalf("Run after a stop: %v, want nil", err)
	}
	if polls != 1 || loads != 2 {
		t.Fatalf("%d polls hooked, %d loads; want the stop to end following after the second load", polls, loads)
	}
	if got := storedCount(t, o); got != 1+4 {
		t.Fatalf("the store holds %d records, want 5: the batch being loaded at the stop is kept", got)
	}
}
