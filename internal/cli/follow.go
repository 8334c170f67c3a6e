package cli

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/progress"
	"github.com/trailq/trailq/internal/source"
	"github.com/trailq/trailq/internal/web"
)

// FollowOptions are the flags of load, detect and serve that keep the store current: --follow, --interval,
// --full-every.
type FollowOptions struct {
	Follow    bool
	Interval  time.Duration
	FullEvery time.Duration

	// clock and polled, when set (tests), are the follower's clock and are called after each poll.
	clock  engine.Clock
	polled func(p *engine.Poll)
}

func addFollowFlags(cmd *cobra.Command, o *FollowOptions, what string) {
	fl := cmd.Flags()
	fl.BoolVar(&o.Follow, "follow", false, "keep going: "+what+" as CloudTrail delivers (every ~5 minutes per account and region), until Ctrl-C or SIGTERM")
	fl.DurationVar(&o.Interval, "interval", engine.DefaultFollowInterval, "with --follow, the time between polls: each lists only every trail's current and previous UTC day from the last key seen")
	fl.DurationVar(&o.FullEvery, "full-every", engine.DefaultFullEvery, "with --follow, the time between whole listings of the source, which find late deliveries and new accounts and regions")
}

// check refuses what does not go with --follow.
func (o *FollowOptions) check(cmd *cobra.Command, so *SourceOptions) error {
	fl := cmd.Flags()
	if !o.Follow {
		for _, name := range []string{"interval", "full-every"} {
			if fl.Changed(name) {
				return usageErrorf("--%s goes with --follow", name)
			}
		}
		return nil
	}
	switch {
	case o.Interval < time.Second:
		return usageErrorf("--interval %s: give at least 1s (CloudTrail delivers every ~5 minutes; the default is 1m)", o.Interval)
	case o.FullEvery < o.Interval:
		return usageErrorf("--full-every %s is shorter than --interval %s: give a longer one (the default is 1h)", o.FullEvery, o.Interval)
	case so.NoLoad:
		return usageErrorf("--follow loads as logs arrive: it does not go with --no-load")
	case so.DryRun:
		return usageErrorf("--follow does not go with --dry-run (run --dry-run alone to see what a load would read)")
	}
	return nil
}

// engineOptions are the engine's options of the flags.
func (o *FollowOptions) engineOptions() engine.FollowOptions {
	return engine.FollowOptions{Interval: o.Interval, FullEvery: o.FullEvery, Clock: o.clock}
}

// hooked returns polled, then the test hook.
func (o *FollowOptions) hooked(polled func(ctx context.Context, p *engine.Poll) error) func(ctx context.Context, p *engine.Poll) error {
	if o.polled == nil {
		return polled
	}
	return func(ctx context.Context, p *engine.Poll) error {
		err := polled(ctx, p)
		o.polled(p)
		return err
	}
}

// followEngine makes e speak as a follower does: the first load's summary and progress bar as for any load,
// then one line per poll that loaded something (pollLine); failures and catching up are told by the engine.
// The returned function is the follower's Polled hook. src is the source followed (the load sees it wrapped).
func (f *Factory) followEngine(e *engine.Engine, src source.Source) func(ctx context.Context, p *engine.Poll) error {
	first, summarized := true, false
	bar := e.Progress
	e.Progress = func(what string, c *progress.Counter) func() {
		if !first || bar == nil {
			return func() {}
		}
		return bar(what, c)
	}
	e.Loaded = func(rep *engine.Report, _ source.Source) {
		if first {
			f.printLoad(rep, src, false)
			first, summarized = false, true
		}
	}
	polls := 0
	return func(_ context.Context, p *engine.Poll) error {
		polls++
		if !summarized && p.Changed() {
			f.pollLine(p, polls)
		}
		summarized = false
		return nil
	}
}

// pollLine writes one line on stderr for a poll that loaded something.
func (f *Factory) pollLine(p *engine.Poll, n int) {
	r := p.Report
	what := "poll"
	if p.Full {
		what = "whole listing"
	}
	fmt.Fprintf(f.IO.ErrOut, "%s %s %d: %d new object%s, %d record%s added", p.Start.UTC().Format("2006-01-02 15:04:05Z"),
		what, n, r.Loaded, plural(r.Loaded), r.Inserted, plural(r.Inserted))
	if r.Duplicates > 0 {
		fmt.Fprintf(f.IO.ErrOut, " (%d duplicate%s already stored)", r.Duplicates, plural(r.Duplicates))
	}
	if r.Problems() > 0 {
		fmt.Fprintf(f.IO.ErrOut, ", %d file%s with problems ('trailq load' lists them)", r.Problems(), plural(r.Problems()))
	}
	fmt.Fprintln(f.IO.ErrOut, ".")
}

// followIntro says on stderr what following does.
func (f *Factory) followIntro(src source.Source, o *FollowOptions) {
	fmt.Fprintf(f.IO.ErrOut, "Following %s: a poll every %s, a whole listing every %s; Ctrl-C stops.\n", src, o.Interval, o.FullEvery)
}

// serveFollower is serve --follow's follower: its first load runs before the server holds the store, the
// others through the server (web.Server.LoadWith), which swaps its handles around them.
type serveFollower struct {
	*engine.Follower
	srv  atomic.Pointer[web.Server]
	done chan struct{}
}

// newServeFollower makes the follower and loads what is new (its first, whole listing).
func (f *Factory) newServeFollower(ctx context.Context, e *engine.Engine, eo engine.Options, o *FollowOptions) (*serveFollower, error) {
	sf := &serveFollower{done: make(chan struct{})}
	fo := o.engineOptions()
	fo.Polled = o.hooked(f.followEngine(e, eo.Source))
	fo.Synced = true // by SyncFirst
	fo.Load = func(ctx context.Context, lo engine.Options) (*engine.Report, error) {
		srv := sf.srv.Load()
		if srv == nil {
			return e.Sync(ctx, lo) // before the server holds the store
		}
		return srv.LoadWith(ctx, func(ctx context.Context, st *engine.Store, c *progress.Counter) (*engine.Report, error) {
			return e.FollowLoad(ctx, st, lo, c)
		})
	}
	sf.Follower = e.Follower(eo, fo)
	if _, err := sf.SyncFirst(ctx); err != nil {
		return nil, err
	}
	f.followIntro(eo.Source, o)
	return sf, nil
}

// start follows through srv until ctx is done or the returned function is called, which waits for the
// follower to end.
func (sf *serveFollower) start(ctx context.Context, srv *web.Server) (stop func()) {
	sf.srv.Store(srv)
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		defer close(sf.done)
		sf.Run(ctx)
	}()
	return func() {
		cancel()
		<-sf.done
	}
}

// followed runs fl until ctx is done and says on stderr what it did.
func (f *Factory) followed(ctx context.Context, fl *engine.Follower) error {
	err := fl.Run(ctx)
	st := fl.Status()
	fmt.Fprintf(f.IO.ErrOut, "Stopped following after %d poll%s: %d object%s loaded.\n", st.Polls, plural(st.Polls), st.Loaded, plural(st.Loaded))
	return err
}
