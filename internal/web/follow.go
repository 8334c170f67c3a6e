package web

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/progress"
)

// FollowFunc returns what the follower keeping the store current (trailq serve --follow) has done.
type FollowFunc func() engine.FollowStatus

// Following is the follower's status in GET /api/data and GET /api/load: "following: last poll 12 s ago, 3 new
// objects".
type Following struct {
	IntervalS int64  `json:"interval_s"` // seconds between polls
	Polls     int    `json:"polls"`
	LastPoll  string `json:"last_poll,omitempty"` // RFC 3339 in UTC; absent before the first poll ended
	// LastPollAgoS is the seconds since the last poll began, by the server's clock.
	LastPollAgoS int64 `json:"last_poll_ago_s"`
	LastNew      int   `json:"last_new"`   // new objects the last poll found
	LastAdded    int   `json:"last_added"` // records it added
	Loaded       int   `json:"loaded"`     // objects loaded since the server started following
	// Changes counts the polls that changed the events: a page reads its numbers again when it grows.
	Changes   int    `json:"changes"`
	NextPoll  string `json:"next_poll,omitempty"`
	NextFull  string `json:"next_full,omitempty"` // the next whole listing of the source
	Failures  int    `json:"failures"`            // polls failed in a row
	LastError string `json:"last_error,omitempty"`
}

// following returns the follower's status, or nil when the server does not follow.
func (s *Server) following() *Following {
	if s.opts.Follow == nil {
		return nil
	}
	st := s.opts.Follow()
	f := &Following{IntervalS: int64(st.Interval / time.Second), Polls: st.Polls, LastNew: st.LastNew, LastAdded: st.LastAdded,
		Loaded: st.Loaded, Changes: st.Changes, Failures: st.Failures, LastError: st.LastError,
		NextPoll: rfc3339(st.NextPoll), NextFull: rfc3339(st.NextFull)}
	if !st.LastPoll.IsZero() {
		f.LastPoll = rfc3339(st.LastPoll)
		f.LastPollAgoS = int64(s.opts.Now().Sub(st.LastPoll) / time.Second)
	}
	return f
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// LoadWith runs a load that another part of the program starts (a follower's poll), as the "load new logs"
// action runs one: the requests' read-only handle is swapped for a writable one given to load, and back; GET
// /api/load reports it while it runs and after. It waits for a load already running. It fails once the server
// is closed.
func (s *Server) LoadWith(ctx context.Context, load func(ctx context.Context, st *engine.Store, c *progress.Counter) (*engine.Report, error)) (*engine.Report, error) {
	h := s.db
	if err := h.ctx.Err(); err != nil {
		return nil, errors.New("the server is closed")
	}
	h.wg.Add(1)
	defer h.wg.Done()
	c := &progress.Counter{}
	h.mu.Lock() // waits for a load already running
	h.smu.Lock()
	h.state = loadState{running: true, counter: c, started: h.now()}
	h.smu.Unlock()
	rep, err := h.swapLoad(ctx, func(ctx context.Context, st *engine.Store) (*engine.Report, error) { return load(ctx, st, c) })
	h.mu.Unlock()
	h.smu.Lock()
	h.state.running, h.state.finished, h.state.report, h.state.err = false, h.now(), rep, err
	h.smu.Unlock()
	if err != nil {
		return rep, fmt.Errorf("load while serving: %w", err)
	}
	return rep, nil
}
