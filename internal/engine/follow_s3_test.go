package engine_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/source/s3src"
)

// fakeS3 is gofakes3 (in process) on a loopback port, behind a handler that notes every object listing
// (prefix and start-after) and folder listing, and answers 500 to everything while down is set.
type fakeS3 struct {
	url     string
	backend *s3mem.Backend
	down    atomic.Bool
	refused atomic.Int64

	mu       sync.Mutex
	listings []string // "prefix after=start-after" of each object listing
	dirs     int      // folder (delimiter) listings
}

func newFakeS3(t testing.TB) *fakeS3 {
	t.Helper()
	s := &fakeS3{backend: s3mem.New()}
	if err := s.backend.CreateBucket("trail"); err != nil {
		t.Fatal(err)
	}
	h := gofakes3.New(s.backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.down.Load() {
			s.refused.Add(1)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>down (test)</Message></Error>`))
			return
		}
		if q := r.URL.Query(); r.Method == http.MethodGet && q.Get("list-type") == "2" {
			s.mu.Lock()
			if q.Get("delimiter") != "" {
				s.dirs++
			} else {
				s.listings = append(s.listings, q.Get("prefix")+" after="+q.Get("start-after"))
			}
			s.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	s.url = ts.URL
	return s
}

func (s *fakeS3) put(t testing.TB, key string, body []byte) {
	t.Helper()
	if _, err := s.backend.PutObject("trail", key, map[string]string{}, bytes.NewReader(body), int64(len(body)), nil); err != nil {
		t.Fatal(err)
	}
}

// deliver puts a log file of n records delivered at at in region's folder.
func (s *fakeS3) deliver(t testing.TB, region string, at time.Time, seq, n int, extra ...string) string {
	k := deliveryKey(region, at, seq)
	s.put(t, k, logFile(k, at, n, extra...))
	return k
}

// requests returns the listings since the last call and forgets them.
func (s *fakeS3) requests() (listings []string, dirs int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	listings, dirs = s.listings, s.dirs
	s.listings, s.dirs = nil, 0
	return listings, dirs
}

// source opens s3://trail/ through the real SDK, with few, quick retries (an outage fails a poll fast).
func (s *fakeS3) source(t testing.TB) *s3src.Source {
	t.Helper()
	src, err := s3src.New(context.Background(), "s3://trail/", s3src.Options{
		EndpointURL: s.url, Region: "us-east-1", MaxAttempts: 2, MaxBackoff: time.Millisecond,
		Credentials: credentials.NewStaticCredentialsProvider("AKIATRAILQFOLLOW0001", "trailq/FOLLOW/secret/000000000000000", ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// notes collects what an engine tells the user.
type notes struct {
	mu    sync.Mutex
	lines []string
}

func (n *notes) add(s string) { n.mu.Lock(); n.lines = append(n.lines, s); n.mu.Unlock() }

func (n *notes) take() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	l := n.lines
	n.lines = nil
	return l
}

func anyContains(lines []string, s string) bool {
	return slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, s) })
}

// TestFollowS3 follows a bucket through the real SDK: objects added while following are loaded at the next
// poll, which lists only the day folders of each trail from the last key seen (one request each, no folder
// listings); an outage is told, backed off and survived; the hourly whole listing finds a late delivery in an
// older day.
func TestFollowS3(t *testing.T) {
	s3 := newFakeS3(t)
	start := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	regions := []string{"eu-west-1", "us-east-1"}
	for _, r := range regions {
		s3.deliver(t, r, start.Add(-25*time.Hour), 0, 2)
		s3.deliver(t, r, start.Add(-10*time.Minute), 1, 2)
	}
	clock := newFakeClock(start)
	n := &notes{}
	e := &engine.Engine{Notify: n.add}
	o := engine.Options{Source: s3.source(t), StorePath: filepath.Join(t.TempDir(), "s.duckdb")}
	fo := engine.FollowOptions{Interval: time.Minute, FullEvery: time.Hour, MaxBackoff: 30 * time.Second, Clock: clock}
	var lastKeys []string
	steps := []func(p *engine.Poll){
		func(p *engine.Poll) { // 10:00: whole
			wantPoll(t, p, true, 4, 8)
			s3.requests()
			for _, r := range regions {
				lastKeys = append(lastKeys, s3.deliver(t, r, clock.Now().Add(-30*time.Second), 2, 3))
			}
		},
		func(p *engine.Poll) { // 10:01
			wantPoll(t, p, false, 2, 6)
			listings, dirs := s3.requests()
			if dirs != 0 {
				t.Errorf("%d folder listings, want none between whole listings", dirs)
			}
			slices.Sort(listings)
			want := []string{
				"AWSLogs/111122223333/CloudTrail/eu-west-1/2026/12/03/ after=" + deliveryKey("eu-west-1", start.Add(-25*time.Hour), 0),
				"AWSLogs/111122223333/CloudTrail/eu-west-1/2026/12/04/ after=" + deliveryKey("eu-west-1", start.Add(-10*time.Minute), 1),
				"AWSLogs/111122223333/CloudTrail/us-east-1/2026/12/03/ after=" + deliveryKey("us-east-1", start.Add(-25*time.Hour), 0),
				"AWSLogs/111122223333/CloudTrail/us-east-1/2026/12/04/ after=" + deliveryKey("us-east-1", start.Add(-10*time.Minute), 1),
			}
			if !slices.Equal(listings, want) {
				t.Errorf("listings:\n%s\nwant:\n%s", strings.Join(listings, "\n"), strings.Join(want, "\n"))
			}
			s3.down.Store(true)
			n.take()
		},
		func(p *engine.Poll) { // 10:02: down
			if p.Err == nil {
				t.Fatal("a poll during the outage did not fail")
			}
			said := n.take()
			t.Logf("told: %q", said)
			if !anyContains(said, "Poll failed (1 in a row)") {
				t.Error("the failure was not told")
			}
		},
		func(p *engine.Poll) { // 10:02:10, still down
			if p.Err == nil {
				t.Fatal("a poll during the outage did not fail")
			}
			s3.down.Store(false)
			s3.deliver(t, "eu-west-1", clock.Now(), 3, 1)
			s3.deliver(t, "eu-west-1", start.AddDate(0, 0, -3), 4, 5) // late, in an older day
		},
		func(p *engine.Poll) { // 10:02:30, back
			wantPoll(t, p, false, 1, 1)
			if !anyContains(n.take(), "Following again: the poll worked after 2 failures") {
				t.Error("the recovery was not told")
			}
			s3.requests()
		},
	}
	for range 57 { // 10:03:30 … 10:59:30: nothing new, four listings each
		steps = append(steps, func(p *engine.Poll) {
			wantPoll(t, p, false, 0, 0)
			if l, _ := s3.requests(); len(l) != 4 {
				t.Fatalf("%d listings, want 4", len(l))
			}
		})
	}
	steps = append(steps, func(p *engine.Poll) { wantPoll(t, p, true, 1, 5) }) // 11:00:30: whole, finds the late file
	polls := followSteps(t, e, o, fo, steps...)
	if got, want := len(polls), len(steps); got != want {
		t.Fatalf("%d polls, want %d", got, want)
	}
	waits := clock.waits()
	if got, want := waits[2:5], []time.Duration{10 * time.Second, 20 * time.Second, time.Minute}; !slices.Equal(got, want) {
		t.Errorf("waits after the third poll: %v, want %v (back off, then the interval)", got, want)
	}
	if s3.refused.Load() == 0 {
		t.Fatal("the outage refused nothing")
	}
	if got, want := storedCount(t, o), int64(8+6+1+5); got != want {
		t.Fatalf("the store holds %d records, want %d", got, want)
	}
}

// TestFollowOutageAcrossDays: after an outage of two days, the first poll that works lists every day since the
// day before the last poll that worked, and finds what was delivered on the day the outage began.
func TestFollowOutageAcrossDays(t *testing.T) {
	s3 := newFakeS3(t)
	start := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	s3.deliver(t, followRegion, start.Add(-10*time.Minute), 0, 1)
	clock := newFakeClock(start)
	o := engine.Options{Source: s3.source(t), StorePath: filepath.Join(t.TempDir(), "s.duckdb")}
	fo := engine.FollowOptions{Interval: time.Minute, FullEvery: 100 * time.Hour, Clock: clock}
	followSteps(t, &engine.Engine{}, o, fo,
		func(p *engine.Poll) {
			wantPoll(t, p, true, 1, 1)
			s3.down.Store(true)
			s3.deliver(t, followRegion, start.Add(2*time.Hour), 1, 3) // delivered during the outage
		},
		func(p *engine.Poll) {
			if p.Err == nil {
				t.Fatal("a poll during the outage did not fail")
			}
			clock.jump(48 * time.Hour)
		},
		func(p *engine.Poll) {
			if p.Err == nil {
				t.Fatal("a poll during the outage did not fail")
			}
			s3.down.Store(false)
		},
		func(p *engine.Poll) {
			wantPoll(t, p, false, 1, 3)
			if p.Folders != 4 {
				t.Fatalf("listed %d day folders, want 4: from the day before the last poll that worked", p.Folders)
			}
		},
	)
}
