package web

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/progress"
)

// errBusy is returned while a load has the store.
var errBusy = errors.New("new logs are being loaded: try again when the load has finished")

// handle owns the store. Requests share one read-only handle (read lock); a load takes the write lock, closes
// the read-only handle, opens the file read-write, loads, closes it and reopens it read-only. DuckDB does not
// let one process hold a file open read-only and read-write at once, so requests that arrive during a load are
// answered 503 rather than queued behind it.
type handle struct {
	mu   sync.RWMutex  // read: a request uses st; write: a load replaces it
	st   *engine.Store // nil when reopening failed
	open OpenFunc
	load LoadFunc
	now  func() time.Time

	// ctx lives as long as the server: loads run under it, and close cancels it.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	smu   sync.Mutex // guards state
	state loadState

	// warnings are what every answer of st lacks (engine.Store.Warnings), set with st under the write lock.
	warnings []string
}

// loadState is what GET /api/load reports.
type loadState struct {
	running  bool
	counter  *progress.Counter
	started  time.Time
	finished time.Time
	report   *engine.Report
	err      error
}

func openHandle(ctx context.Context, open OpenFunc, load LoadFunc, now func() time.Time) (*handle, error) {
	if open == nil {
		return nil, errors.New("web: Options.Open is required")
	}
	st, err := open(ctx, true)
	if err != nil {
		return nil, err
	}
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	h := &handle{st: st, open: open, load: load, now: now, ctx: lctx, cancel: cancel}
	h.warnings = warningsOf(ctx, st)
	return h, nil
}

// warningsOf returns what every answer of st lacks, as one line each without control characters (they go
// into a response header).
func warningsOf(ctx context.Context, st *engine.Store) []string {
	ws, err := st.Warnings(ctx)
	if err != nil {
		ws = []string{"could not read what the store lacks: " + err.Error()}
	}
	for i, w := range ws {
		ws[i] = strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
				return ' '
			}
			return r
		}, w)
	}
	return ws
}

// currentWarnings returns the warnings of the open store, or none while a load has it.
func (h *handle) currentWarnings() []string {
	if !h.mu.TryRLock() {
		return nil
	}
	defer h.mu.RUnlock()
	return h.warnings
}

// acquire returns the read-only store for one request; call release when done with it.
func (h *handle) acquire() (st *engine.Store, release func(), err error) {
	if !h.mu.TryRLock() {
		return nil, nil, errBusy
	}
	if h.st == nil {
		h.mu.RUnlock()
		return nil, nil, errors.New("the store is not open (the last load could not reopen it): restart trailq serve")
	}
	return h.st, h.mu.RUnlock, nil
}

// startLoad begins loading new logs in the background. It returns false when a load is already running.
func (h *handle) startLoad() (bool, error) {
	if h.load == nil {
		return false, errors.New("this server has no source to load from (it was started with --no-load or a store only)")
	}
	h.smu.Lock()
	defer h.smu.Unlock()
	if h.state.running {
		return false, nil
	}
	c := &progress.Counter{}
	h.state = loadState{running: true, counter: c, started: h.now()}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		rep, err := h.runLoad(h.ctx, c)
		h.smu.Lock()
		h.state.running = false
		h.state.finished = h.now()
		h.state.report = rep
		h.state.err = err
		h.smu.Unlock()
	}()
	return true, nil
}

// runLoad swaps the read-only handle for a read-write one, loads, and swaps back.
func (h *handle) runLoad(ctx context.Context, c *progress.Counter) (*engine.Report, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.swapLoad(ctx, func(ctx context.Context, rw *engine.Store) (*engine.Report, error) { return h.load(ctx, rw, c) })
}

// swapLoad is runLoad with load, the write lock held.
func (h *handle) swapLoad(ctx context.Context, load func(ctx context.Context, rw *engine.Store) (*engine.Report, error)) (*engine.Report, error) {
	if h.st != nil {
		if err := h.st.Close(); err != nil {
			return nil, fmt.Errorf("close store: %w", err)
		}
		h.st = nil
	}
	var rep *engine.Report
	rw, err := h.open(ctx, false)
	if err == nil {
		rep, err = load(ctx, rw)
		if cerr := rw.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close store: %w", cerr)
		}
	}
	st, oerr := h.open(context.WithoutCancel(ctx), true)
	if oerr != nil {
		return rep, errors.Join(err, oerr)
	}
	h.st = st
	h.warnings = warningsOf(context.WithoutCancel(ctx), st)
	return rep, err
}

// snapshot returns a copy of the load state.
func (h *handle) snapshot() loadState {
	h.smu.Lock()
	defer h.smu.Unlock()
	return h.state
}

func (h *handle) close() error {
	h.cancel()
	h.wg.Wait()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.st == nil {
		return nil
	}
	err := h.st.Close()
	h.st = nil
	return err
}
