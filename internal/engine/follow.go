package engine

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/trailq/trailq/internal/hint"
	"github.com/trailq/trailq/internal/progress"
	"github.com/trailq/trailq/internal/store"
)

// ErrLocked is the error of a store another trailq process holds open for writing.
var ErrLocked = store.ErrLocked

// Clock is the follower's time: the wall clock, and waiting. Tests give a fake one.
type Clock interface {
	// Now is the wall-clock time (UTC days and the time between polls are read from it).
	Now() time.Time
	// Sleep waits d, or until ctx is done (then it returns ctx.Err()).
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the machine's clock. Its Sleep wakes early when the wall clock passes the end of the wait
// while the monotonic clock did not (the machine slept: Go's timers do not count that time), so that the next
// poll comes at once after a laptop wakes.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now() }

func (SystemClock) Sleep(ctx context.Context, d time.Duration) error {
	end := time.Now().Round(0).Add(d) // wall clock only
	for {
		left := time.Until(end)
		if left <= 0 {
			return nil
		}
		t := time.NewTimer(min(left, wallCheck))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// wallCheck is how often SystemClock.Sleep looks at the wall clock.
const wallCheck = 10 * time.Second

// FollowOptions configure a Follower. The zero value polls every minute and lists everything every hour.
type FollowOptions struct {
	// Interval is the time between polls (0: DefaultFollowInterval). CloudTrail delivers every 5 minutes or so
	// per account and region.
	Interval time.Duration
	// FullEvery is the time between whole listings of the source, which find late deliveries (a key that sorts
	// before the last one seen in its day folder, or in an older day) and new accounts and regions (0:
	// DefaultFullEvery).
	FullEvery time.Duration
	// MaxBackoff caps the wait before a poll after failures (0: DefaultMaxBackoff; never less than Interval).
	MaxBackoff time.Duration
	// Clock is the time (nil: SystemClock).
	Clock Clock
	// Load loads the objects of o.Source into the store (nil: Engine.Sync). serve, which holds the store, gives
	// a load through its own handle.
	Load func(ctx context.Context, o Options) (*Report, error)
	// Polled is called after each poll, in the follower's goroutine (detect --follow reports new findings
	// there). Its error is told and following goes on.
	Polled func(ctx context.Context, p *Poll) error
	// Synced says the store was loaded from the source whole just before (SyncFirst): the first poll lists only
	// the day folders.
	Synced bool
}

// Defaults of FollowOptions.
const (
	DefaultFollowInterval = time.Minute
	DefaultFullEvery      = time.Hour
	DefaultMaxBackoff     = 5 * time.Minute
)

// Poll is what one poll did.
type Poll struct {
	// Start is when it began (wall clock); Full is true for a whole listing.
	Start time.Time
	Full  bool
	// Folders is how many day folders an incremental poll listed; New how many objects it found that sort
	// after the last one seen in their folder (a whole listing: the objects the load read).
	Folders, New int
	// Report is the load's; nil when nothing was new.
	Report *Report
	// Err is why the poll failed (a listing, the store in use, the load), nil when it did not.
	Err error
	// Gap is the time since the previous poll began when it is much longer than planned (the machine slept).
	Gap time.Duration
}

// Changed reports whether the poll added or removed events.
func (p *Poll) Changed() bool {
	return p.Report != nil && (p.Report.Inserted > 0 || p.Report.Loaded > 0)
}

// FollowStatus is what a follower has done so far, for the web UI.
type FollowStatus struct {
	Interval  time.Duration
	Polls     int
	LastPoll  time.Time // when the last poll began (zero before the first ended)
	LastNew   int       // new objects the last poll found
	LastAdded int       // records it added
	Loaded    int       // objects loaded since following began
	// Changes counts the polls that changed the events: a page that shows numbers reads them again when it grows.
	Changes   int
	LastError string
	Failures  int // polls failed in a row
	NextPoll  time.Time
	NextFull  time.Time
}

// Follower keeps a store current as CloudTrail delivers: it polls the source, lists only what can be new, and
// loads it. Make one with Engine.Follower; Run it once.
type Follower struct {
	e    *Engine
	o    Options
	fo   FollowOptions
	plan *followPlan

	lastStart time.Time // the last poll's start, wall clock
	lastOK    time.Time // the last poll's that worked: the days since are listed
	nextFull  time.Time
	failures  int
	failedAt  time.Time
	// toldLayout is set once the user was told that the source is not laid out as CloudTrail's buckets are.
	toldLayout bool

	mu     sync.Mutex
	status FollowStatus
}

// Follower returns a follower of o.Source into o.StorePath.
func (e *Engine) Follower(o Options, fo FollowOptions) *Follower {
	if fo.Interval <= 0 {
		fo.Interval = DefaultFollowInterval
	}
	if fo.FullEvery <= 0 {
		fo.FullEvery = DefaultFullEvery
	}
	if fo.MaxBackoff <= 0 {
		fo.MaxBackoff = DefaultMaxBackoff
	}
	fo.MaxBackoff = max(fo.MaxBackoff, fo.Interval)
	if fo.Clock == nil {
		fo.Clock = SystemClock{}
	}
	if fo.Load == nil {
		fo.Load = func(ctx context.Context, o Options) (*Report, error) { return e.sync(ctx, o, nil, nil) }
	}
	f := &Follower{e: e, o: o, fo: fo, plan: newFollowPlan(o)}
	f.status.Interval = fo.Interval
	return f
}

// Status returns what the follower has done so far; it may be called from any goroutine.
func (f *Follower) Status() FollowStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

// SyncFirst loads what is new in the source, listing it whole as Sync does, and remembers the last key of each
// recent day folder, so that Run's first poll lists only what came after. Run does it itself unless
// FollowOptions.Synced.
func (f *Follower) SyncFirst(ctx context.Context) (*Report, error) {
	p := &Poll{Start: f.fo.Clock.Now(), Full: true}
	f.full(ctx, p)
	f.finish(p)
	return p.Report, p.Err
}

// Run polls until ctx is done, then returns nil: a poll that is loading finishes first (an incremental one is
// a few files; a whole listing's load stops at its next commit). A poll that fails is told through the
// engine's Notify, and the next one comes after a backoff.
func (f *Follower) Run(ctx context.Context) error {
	if f.fo.Synced {
		f.nextFull = f.fo.Clock.Now().Add(f.fo.FullEvery)
		f.lastStart, f.lastOK = f.fo.Clock.Now(), f.fo.Clock.Now()
	}
	for ctx.Err() == nil {
		p := f.poll(ctx)
		f.finish(p)
		if ctx.Err() != nil {
			break
		}
		wait := f.wait(p)
		if f.fo.Polled != nil {
			if err := f.fo.Polled(ctx, p); err != nil && ctx.Err() == nil {
				f.e.notify("Warning: after the poll: %v", err)
			}
		}
		f.setNext(wait)
		if err := f.fo.Clock.Sleep(ctx, wait); err != nil {
			break
		}
	}
	return nil
}

// poll makes one poll: a whole listing when one is due (or the days since the last poll are too many to list
// one by one), else the day folders.
func (f *Follower) poll(ctx context.Context) *Poll {
	now := f.fo.Clock.Now()
	p := &Poll{Start: now}
	if !f.lastStart.IsZero() {
		if gap := now.Sub(f.lastStart); gap > 2*f.fo.MaxBackoff+time.Minute {
			p.Gap = gap
			f.e.notify("The last poll was %s ago (the machine slept?): catching up.", gap.Round(time.Second))
		}
	}
	days := f.plan.days(f.lastOK, now)
	if f.nextFull.IsZero() || !now.Before(f.nextFull) || !f.plan.laidOut || len(days) > maxCatchUpDays {
		p.Full = true
		f.full(ctx, p)
		return p
	}
	f.incremental(ctx, p, days)
	return p
}

// maxCatchUpDays bounds the day folders an incremental poll lists per trail (after a long sleep); more make a
// whole listing.
const maxCatchUpDays = 7

// full lists the source whole and loads what is new, recording the last key of each recent day folder.
func (f *Follower) full(ctx context.Context, p *Poll) {
	rec := recorder(f.o.Source, recent(p.Start))
	o := f.o
	o.Source = rec
	o.Load.Days = f.plan.window(p.Start)
	rep, err := f.fo.Load(ctx, o)
	p.Report = rep
	if rep != nil {
		p.New = rep.Loaded
	}
	if err != nil {
		p.Err = err
		return
	}
	f.plan.record(rec.last(), recent(p.Start))
	if err := f.plan.discover(ctx, f.o.Source); err != nil {
		p.Err = err
		return
	}
	if !f.plan.laidOut && !f.toldLayout {
		f.toldLayout = true
		f.e.notify("%s is not laid out as CloudTrail lays out a bucket (AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/): every poll lists it whole.", f.o.Source)
	}
	f.nextFull = p.Start.Add(f.fo.FullEvery)
}

// incremental lists the day folders of days in every trail from the last key seen, and loads what came.
func (f *Follower) incremental(ctx context.Context, p *Poll, days []time.Time) {
	if len(days) == 0 {
		return // the window starts after today
	}
	found, err := f.plan.list(ctx, f.o.Source, days, f.o.Load.Workers)
	p.Folders, p.New = found.folders, len(found.objects)
	if len(found.objects) > 0 {
		o := f.o
		o.Source = listed(f.o.Source, found.objects)
		o.Load.Days = nil
		// A few files: finished even when the command is stopped meanwhile (SIGTERM), so that they are kept.
		rep, lerr := f.fo.Load(context.WithoutCancel(ctx), o)
		p.Report = rep
		if lerr != nil {
			p.Err = errors.Join(err, lerr)
			return
		}
	}
	p.Err = err
	// Folders listed without error keep their last key; the days the next poll lists are kept.
	f.plan.record(found.last, days[0])
}

// finish records a poll in the status and tells a failure, or the end of failures.
func (f *Follower) finish(p *Poll) {
	f.lastStart = p.Start
	f.mu.Lock()
	defer f.mu.Unlock()
	s := &f.status
	s.Polls++
	s.LastPoll = p.Start
	s.LastNew = p.New
	s.LastAdded = 0
	if r := p.Report; r != nil {
		s.LastAdded = r.Inserted
		s.Loaded += r.Loaded
	}
	if p.Changed() {
		s.Changes++
	}
	s.NextFull = f.nextFull
	if p.Err == nil {
		f.lastOK = p.Start
		if f.failures > 0 {
			f.e.notify("Following again: the poll worked after %d failure%s since %s.", f.failures, plural(f.failures), f.failedAt.UTC().Format(time.RFC3339))
		}
		f.failures, s.Failures, s.LastError = 0, 0, ""
		return
	}
	if f.failures == 0 {
		f.failedAt = p.Start
	}
	f.failures++
	s.Failures, s.LastError = f.failures, p.Err.Error()
}

// wait returns the time to the next poll: the interval, or after a failure a backoff that doubles from
// min(Interval, 10 s) up to MaxBackoff. A failure is told with the wait.
func (f *Follower) wait(p *Poll) time.Duration {
	if p.Err == nil {
		return f.fo.Interval
	}
	d := min(f.fo.Interval, 10*time.Second)
	for i := 1; i < f.failures && d < f.fo.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, f.fo.MaxBackoff)
	what := "Poll failed"
	if errors.Is(p.Err, ErrLocked) {
		what = "Waiting for the store"
	}
	try := ""
	if h := (*hint.Error)(nil); errors.As(p.Err, &h) && h.Hint != "" {
		try = " (Try: " + h.Hint + ")"
	}
	f.e.notify("%s (%d in a row): %v; retrying in %s%s.", what, f.failures, p.Err, d, try)
	return d
}

func (f *Follower) setNext(wait time.Duration) {
	f.mu.Lock()
	f.status.NextPoll = f.fo.Clock.Now().Add(wait)
	f.mu.Unlock()
}

// FollowLoad is serve's load for a follower: SyncStore on the store opened for writing (counting on c), then the built-in
// rules' findings computed again on the same handle when the events changed, so that the findings page reads
// them from the store (trailq detect's keepFindings cannot write beside the server's handle).
func (e *Engine) FollowLoad(ctx context.Context, st *Store, o Options, c *progress.Counter) (*Report, error) {
	rep, err := e.SyncStore(ctx, st, o, c)
	if err != nil || rep == nil || rep.Inserted == 0 && rep.Loaded == 0 {
		return rep, err
	}
	return rep, e.refreshFindings(ctx, st)
}
