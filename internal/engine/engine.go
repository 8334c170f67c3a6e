package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/trailq/trailq/internal/athena"
	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/hint"
	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/progress"
	"github.com/trailq/trailq/internal/sigma"
	"github.com/trailq/trailq/internal/signin"
	"github.com/trailq/trailq/internal/source"
	"github.com/trailq/trailq/internal/store"
	"github.com/trailq/trailq/internal/timewin"
)

// The store's handle and what a load reports, as the commands see them.
type (
	Store       = store.Store
	Rows        = store.Rows
	Column      = store.Column
	Report      = ingest.Report
	FileReport  = ingest.FileReport
	Plan        = ingest.Plan
	StrictError = ingest.StrictError
	Lost        = store.Lost
	PartCheck   = store.PartCheck
)

// OutcomeProblems is the outcome of a file loaded whole with odd fields (stored as NULL) or skipped records.
const OutcomeProblems = store.OutcomeProblems

// The tables every query may name.
const (
	LogsView    = store.LogsView
	LogsExtView = store.LogsExtView
	EventsTable = store.EventsTable
)

// Engine runs what every command does with a source and its store. The zero value works, silently.
type Engine struct {
	// Log receives debug messages; nil discards them.
	Log *slog.Logger
	// Notify gets one line for the user (a repair, the dates a load keeps to, a first answer); nil drops them.
	Notify func(string)
	// Progress, when set, shows the counter of a long step ("Loading", "Reading", "Storing") until the returned
	// function is called.
	Progress func(what string, c *progress.Counter) (stop func())
	// Answered is called once an answer given before the load is complete (the command closes its output).
	Answered func()
	// Loaded gets the report of every load that ended well, before anything is answered from it.
	Loaded func(rep *Report, src source.Source)
	// Rules, when set, gives the built-in detection rules: their findings are kept in the store's findings table,
	// computed after each load that changed the events (see Detect).
	Rules func() *sigma.Set
	// Now is the time findings are computed at (nil: the clock's).
	Now func() time.Time
}

// Options say which logs and store a command works on, and how a load reads.
type Options struct {
	// Source is where the logs are; nil answers from the store alone.
	Source source.Source
	// StorePath is the store's file.
	StorePath string
	// NoLoad answers from the store as it is.
	NoLoad bool
	// MemoryLimit bounds the memory of each query, in bytes (0: DuckDB's default).
	MemoryLimit int64
	Load        LoadOptions
}

// LoadOptions configure a load.
type LoadOptions struct {
	Strict   bool
	Workers  int
	Accounts []string
	Regions  []string
	// Days, when set, limits the load to the log files of those key dates.
	Days *timewin.Days
	// BatchRecords is the records per commit (0: the default).
	BatchRecords int
	// MaxFileSize and MaxRecordSize cap a file's decompressed size and a record's (0: the defaults).
	MaxFileSize, MaxRecordSize int64
}

func (e *Engine) log() *slog.Logger {
	if e.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Log
}

func (e *Engine) notify(format string, args ...any) {
	if e.Notify != nil {
		e.Notify(fmt.Sprintf(format, args...))
	}
}

func (e *Engine) progress(what string, c *progress.Counter) func() {
	if e.Progress == nil {
		return func() {}
	}
	return e.Progress(what, c)
}

func (o *Options) readOnly() bool { return o.Source == nil || o.NoLoad }

func (o *Options) ingestOptions(e *Engine) ingest.Options {
	l := o.Load
	return ingest.Options{Strict: l.Strict, Workers: l.Workers, Log: e.log(), Progress: &progress.Counter{},
		Accounts: l.Accounts, Regions: l.Regions, Window: l.Days, BatchRecords: l.BatchRecords,
		MaxUncompressed: l.MaxFileSize, MaxRecord: int(l.MaxRecordSize)}
}

// ReaderOptions are the options of the read-only, sandboxed handle every answer comes from.
func (o *Options) readerOptions(ctx context.Context) (store.Options, error) {
	vs, err := checkedViews(ctx, o.StorePath)
	if err != nil {
		return store.Options{}, err
	}
	init := append(athena.InitSQL(), viewSQL(vs)...)
	return store.Options{ReadOnly: true, Sandbox: true, InitSQL: init, MemoryLimit: o.MemoryLimit}, nil
}

// Reader opens the store read-only and sandboxed, with the Athena macros: user SQL cannot change it. What the
// store lacks (log files lost with a damaged part) is told through Notify.
func (e *Engine) Reader(ctx context.Context, o Options) (*Store, error) {
	sopts, err := o.readerOptions(ctx)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, o.StorePath, sopts)
	if err != nil {
		return nil, err
	}
	warnings, err := st.Warnings(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	for _, w := range warnings {
		e.notify("Warning: %s", w)
	}
	return st, nil
}

// Writer opens the store for loading (creating it), repairing what is damaged.
func (e *Engine) Writer(ctx context.Context, path string) (*Store, error) {
	return store.Open(ctx, path, store.Options{InitSQL: athena.InitSQL(), Notify: e.Notify})
}

// Open loads what is new in the source (unless there is none or NoLoad) and returns a read-only handle to answer
// from, with the load's report (nil when nothing was loaded).
func (e *Engine) Open(ctx context.Context, o Options) (*Store, *Report, error) {
	if o.readOnly() {
		if _, err := os.Stat(o.StorePath); err != nil {
			return nil, nil, hint.With(fmt.Errorf("open store %s: %w", o.StorePath, err), "load logs first with --source")
		}
		st, err := e.Reader(ctx, o)
		return st, nil, err
	}
	rep, err := e.Sync(ctx, o)
	if err != nil {
		return nil, rep, err
	}
	st, err := e.Reader(ctx, o)
	return st, rep, err
}

// Sync loads what is new in the source into the store and brings the derived tables up to date.
func (e *Engine) Sync(ctx context.Context, o Options) (*Report, error) {
	return e.sync(ctx, o, nil, nil)
}

// sync is Sync from a plan made before (nil: list now) and, when loadSrc is set, reading the objects from it.
func (e *Engine) sync(ctx context.Context, o Options, plan *Plan, loadSrc source.Source) (*Report, error) {
	e.log().Info("load", "source", o.Source.String(), "store", o.StorePath)
	st, err := e.Writer(ctx, o.StorePath)
	if err != nil {
		return nil, err
	}
	if loadSrc == nil {
		loadSrc = o.Source
	}
	what := "Loading"
	if plan != nil {
		what = "Storing"
	}
	rep, err := e.syncStore(ctx, st, o, plan, loadSrc, what)
	if err != nil {
		st.Close()
		if rep != nil && rep.Loaded > 0 {
			e.notify("Load stopped: %d of the %d objects read were committed (%d rows added); the rest was not kept and the next load reads it again.",
				rep.Committed, rep.Loaded, rep.Inserted)
		}
		if errors.Is(err, syscall.ENOSPC) || strings.Contains(err.Error(), "No space left on device") {
			err = hint.With(err, "free space on the disk that holds "+o.StorePath+", or give --store a file on another disk")
		}
		return rep, err
	}
	if err := st.Close(); err != nil {
		return rep, fmt.Errorf("close store: %w", err)
	}
	if e.Loaded != nil {
		e.Loaded(rep, o.Source)
	}
	return rep, nil
}

// SyncStore is Sync on a store opened for writing (Writer), counting on c (nil: a counter of its own).
func (e *Engine) SyncStore(ctx context.Context, st *Store, o Options, c *progress.Counter) (*Report, error) {
	lo := o.ingestOptions(e)
	if c != nil {
		lo.Progress = c
	}
	return e.load(ctx, st, o.Source, lo, nil, o.Source)
}

func (e *Engine) syncStore(ctx context.Context, st *Store, o Options, plan *Plan, loadSrc source.Source, what string) (*Report, error) {
	lo := o.ingestOptions(e)
	stop := e.progress(what, lo.Progress)
	defer stop()
	return e.load(ctx, st, o.Source, lo, plan, loadSrc)
}

func (e *Engine) load(ctx context.Context, st *Store, src source.Source, lo ingest.Options, plan *Plan, loadSrc source.Source) (*Report, error) {
	if err := st.SetMeta(ctx, "source", src.String()); err != nil {
		return nil, err
	}
	var err error
	if plan != nil {
		// Listed before the answer: brought up to date with the manifest, which another load may have changed.
		err = plan.Refresh(ctx, st)
	} else {
		plan, err = ingest.PlanLoad(ctx, src, st, lo)
	}
	if err != nil {
		if plan != nil {
			return &plan.Report, err
		}
		return nil, err
	}
	rep, err := ingest.Load(ctx, loadSrc, st, plan, lo)
	if err != nil {
		return rep, err
	}
	// The sign-in report reads each sign-in classified once (it would classify them as it reads otherwise). The
	// built-in rules' findings are not computed here (a quarter of a load's time): the first detect after a
	// load computes and keeps them (keepFindings).
	return rep, signin.Classify(ctx, st)
}

// PlanLoad lists the source and says what a load would read, without reading any object or writing anything:
// the store is only read, when it exists.
func (e *Engine) PlanLoad(ctx context.Context, o Options) (*Plan, error) {
	var st *Store
	if _, err := os.Stat(o.StorePath); err == nil {
		if st, err = store.Open(ctx, o.StorePath, store.Options{ReadOnly: true}); err != nil {
			return nil, err
		}
		defer st.Close()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open store %s: %w", o.StorePath, err)
	}
	return ingest.PlanLoad(ctx, o.Source, st, o.ingestOptions(e))
}

// DefaultMaxFileSize is the most of one log file a load reads, decompressed, unless LoadOptions say otherwise.
const DefaultMaxFileSize = ingest.DefaultMaxUncompressed

// Unread says what of its input a load could not read: folders or files not listed, files not read to their
// end, records skipped; "" when it read everything (files with odd fields stored as NULL were read).
func Unread(r *Report) string {
	var notListed, cut, skipped int
	for _, fr := range r.Files {
		switch fr.Outcome {
		case ingest.OutcomeNotListed:
			notListed++
		case store.OutcomeFailed, store.OutcomePartial, ingest.OutcomeRefillFailed:
			cut++
		default:
			if slices.ContainsFunc(fr.Problems, func(p cloudtrail.Problem) bool { return p.Skipped }) {
				skipped++
			}
		}
	}
	var what []string
	if notListed > 0 {
		what = append(what, fmt.Sprintf("%d folder%s or file%s not listed", notListed, plural(notListed), plural(notListed)))
	}
	if cut > 0 {
		what = append(what, fmt.Sprintf("%d file%s not read to the end", cut, plural(cut)))
	}
	if skipped > 0 {
		what = append(what, fmt.Sprintf("records skipped in %d file%s", skipped, plural(skipped)))
	}
	return strings.Join(what, ", ")
}
