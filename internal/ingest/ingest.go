package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/progress"
	"github.com/trailq/trailq/internal/source"
	"github.com/trailq/trailq/internal/store"
	"github.com/trailq/trailq/internal/timewin"
)

// Options control a load.
type Options struct {
	// Prefixes limit listing to these key prefixes; none lists everything.
	Prefixes []string
	// Window, when set, loads only the objects filed under its UTC dates. Sources that can list folders
	// (source.DirLister) list only those day folders; others are listed whole and filtered by key.
	// Objects whose key carries no date are always read.
	Window *timewin.Days
	// Accounts and Regions, when set, load only those accounts' and regions' logs.
	Accounts, Regions []string
	// Filter, when set, keeps only the objects it returns true for (judged from the key, before any read).
	Filter func(key string, k cloudtrail.Key) bool
	// Workers is the number of objects fetched and decoded at once; 0 means two per CPU.
	Workers int
	// Strict makes the first problem of any file fatal.
	Strict bool
	// BatchRecords is how many records are committed together; 0 means 200,000.
	BatchRecords int
	// Progress, when set, is updated as the load goes.
	Progress *progress.Counter
	// Log receives debug messages; nil discards them.
	Log *slog.Logger
	// MaxUncompressed bounds the decompressed size of one object (a gzip bomb stops there; the file is named and
	// what was read of it kept); 0 means DefaultMaxUncompressed.
	MaxUncompressed int64
	// MaxRecord bounds the bytes of one record (a larger one is named and skipped); 0 means
	// cloudtrail.MaxRecordBytes.
	MaxRecord int
	// RecordMemory bounds the memory all the readers together give to records too large for their usual
	// buffers (a window to read one, the record, until the store has it); 0 means DefaultRecordMemory. It is
	// at least what one record of MaxRecord takes.
	RecordMemory int64
}

// DefaultMaxUncompressed is the default of Options.MaxUncompressed: CloudTrail files are small.
const DefaultMaxUncompressed = 2 << 30

// DefaultRecordMemory is the default of Options.RecordMemory: about four records of the largest size at once.
const DefaultRecordMemory = 512 << 20

// FileReport names one object that was not loaded cleanly.
type FileReport struct {
	Key     string
	Outcome string // store.Outcome*
	Detail  string // why the file (or its rest) could not be read
	Records int    // records loaded from it
	// Problems are the first problems found (at most 100); ProblemCount counts them all.
	Problems     []cloudtrail.Problem
	ProblemCount int
}

// Report says what a load did.
type Report struct {
	Listed int // objects listed
	// ListedPrefixes is the number of folders listed: day folders under a window, else the trails' folders of the
	// accounts and regions asked for (0: the source was listed whole).
	ListedPrefixes int
	Outside        int            // objects outside the window or the account/region filters
	Unchanged      int            // already in the store, not read again
	UnchangedBytes int64          // their size
	Loaded         int            // objects read (including failed and skipped ones kept in the manifest)
	Committed      int            // objects whose rows and manifest entry were committed
	Records        int            // records read
	Inserted       int            // rows added
	Duplicates     int            // identical records already stored, not added again
	Refilled       int            // objects read again for copies of events whose stored copy went with a changed object
	Bytes          int64          // bytes read (as stored)
	Skipped        map[string]int // objects that are not trail logs, by kind (digest, insight, config, other)
	Files          []FileReport   // objects with problems, by key
	Elapsed        time.Duration
}

// Problems returns the number of objects with problems.
func (r *Report) Problems() int { return len(r.Files) }

// StrictError is returned under Options.Strict for the first problem found.
type StrictError struct{ File FileReport }

func (e *StrictError) Error() string {
	msg := e.File.Detail
	if msg == "" && len(e.File.Problems) > 0 {
		msg = e.File.Problems[0].String()
	}
	return fmt.Sprintf("load %s: %s (--strict)", e.File.Key, msg)
}

// Run loads what is new in src into st: PlanLoad, then Load.
func Run(ctx context.Context, src source.Source, st *store.Store, opts Options) (*Report, error) {
	p, err := PlanLoad(ctx, src, st, opts)
	if err != nil {
		if p == nil {
			return &Report{Skipped: map[string]int{}}, err
		}
		return &p.Report, err
	}
	return Load(ctx, src, st, p, opts)
}

// Load reads what the plan p says into st. The report starts from the plan's listing counts.
func Load(ctx context.Context, src source.Source, st *store.Store, p *Plan, opts Options) (*Report, error) {
	start := time.Now()
	opts.defaults()
	rep := p.Report
	rep.Skipped = maps.Clone(p.Skipped)
	rep.Files = slices.Clone(p.Files)
	opts.Progress.Total.Store(int64(len(p.jobs)))
	err := load(ctx, src, st, p.jobs, opts, &rep)
	sort.Slice(rep.Files, func(i, j int) bool { return rep.Files[i].Key < rep.Files[j].Key })
	rep.Elapsed = p.Elapsed + time.Since(start)
	return &rep, err
}

type job struct {
	obj      source.Object
	key      cloudtrail.Key
	replaces bool
	refill   bool // read again for the copies of events it holds (store.Load.Refills)
}

// plan lists the source and keeps the objects to read.
func plan(ctx context.Context, src source.Source, manifest map[string]string, opts Options, rep *Report) ([]job, error) {
	prefixes, err := planPrefixes(ctx, src, opts, rep)
	if err != nil {
		return nil, err
	}
	var jobs []job
	var unlisted []FileReport
	var firstErr error
	// A folder that cannot be listed (access refused to one account's logs) is reported and the others loaded,
	// unless it is the only one, or under --strict.
	skip := func(prefix string, err error) bool {
		if opts.Strict || len(prefixes) == 1 {
			return false
		}
		unlisted = append(unlisted, FileReport{Key: prefix, Outcome: OutcomeNotListed, Detail: err.Error()})
		if firstErr == nil {
			firstErr = err
		}
		return true
	}
	// A gap in a listing (a local folder it may not read, a dangling link) is reported and the rest loaded,
	// unless under --strict.
	var gaps []FileReport
	gap := func(key string, err error) bool {
		if opts.Strict {
			return false
		}
		gaps = append(gaps, FileReport{Key: key, Outcome: OutcomeNotListed, Detail: err.Error()})
		return true
	}
	err = listAll(ctx, src, prefixes, opts.Workers, func(o source.Object) error {
		if j, ok := pick(o, manifest, opts, rep); ok {
			jobs = append(jobs, j)
			opts.Progress.Total.Add(1) // the bar counts what listing found so far
		}
		return nil
	}, skip, gap)
	if err != nil {
		return nil, err
	}
	if len(unlisted) > 0 && len(unlisted) == len(prefixes) {
		return nil, firstErr // nothing could be listed: say why once
	}
	rep.Files = append(rep.Files, unlisted...)
	rep.Files = append(rep.Files, gaps...)
	// Read day by day (files without a date in their key last), each day's folders in key order: the rows of each
	// part file, and of each of its row groups, then cover a day or less, which DuckDB skips by the groups'
	// eventtime statistics when a query asks for another time. (Strict delivery order, across every folder of a
	// day, made loads of many small files 10 % slower.)
	slices.SortStableFunc(jobs, func(a, b job) int {
		if c := cmpTime(a.key.Date, b.key.Date); c != 0 {
			return c
		}
		return strings.Compare(a.obj.Key, b.obj.Key)
	})
	return jobs, nil
}

// planPrefixes returns the prefixes to list: the options', else the day folders of a window or the trails'
// folders of the accounts and regions asked for when the source can list folders, else the whole source ("").
func planPrefixes(ctx context.Context, src source.Source, opts Options, rep *Report) ([]string, error) {
	if len(opts.Prefixes) > 0 {
		return opts.Prefixes, nil
	}
	if opts.Window != nil || len(opts.Accounts) > 0 || len(opts.Regions) > 0 {
		wp, ok, err := windowPrefixes(ctx, src, opts.Window, opts.Accounts, opts.Regions)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", src, err)
		}
		if ok {
			rep.ListedPrefixes = len(wp)
			return wp, nil
		}
	}
	return []string{""}, nil
}

// pick counts a listed object in rep and returns its job if it is to be read: a trail log in the options' scope
// that the manifest does not have at this version.
func pick(o source.Object, manifest map[string]string, opts Options, rep *Report) (job, bool) {
	rep.Listed++
	k := cloudtrail.ParseKey(o.Key)
	switch k.Kind {
	case cloudtrail.KindDigest, cloudtrail.KindInsight, cloudtrail.KindConfig, cloudtrail.KindOther:
		rep.Skipped[k.Kind.String()]++
		return job{}, false
	}
	if !opts.keep(k) || opts.Filter != nil && !opts.Filter(o.Key, k) {
		rep.Outside++
		return job{}, false
	}
	v, seen := manifest[o.Key]
	if seen && v == o.Version() {
		rep.Unchanged++
		rep.UnchangedBytes += o.Size
		return job{}, false
	}
	return job{obj: o, key: k, replaces: seen}, true
}

// cmpTime orders times, the zero time last.
func cmpTime(a, b time.Time) int {
	switch {
	case a.Equal(b):
		return 0
	case a.IsZero():
		return 1
	case b.IsZero():
		return -1
	}
	return a.Compare(b)
}

func describe(src source.Source, prefix string) string {
	if prefix == "" {
		return src.String()
	}
	return strings.TrimSuffix(src.String(), "/") + "/" + prefix
}

// Locator is implemented by sources that name their objects in a form other than String()+"/"+key
// (for S3: s3://bucket/key). The name is what Athena's "$path" column shows.
type Locator interface {
	Location(key string) string
}

func location(src source.Source, key string) string {
	if l, ok := src.(Locator); ok {
		return l.Location(key)
	}
	s := src.String()
	if strings.HasSuffix(s, key) {
		return s // a single file
	}
	return strings.TrimSuffix(s, "/") + "/" + key
}

// load reads the jobs (read) and commits their records from one goroutine, then reads again the objects that hold
// copies of events whose stored copy went with a replaced object (store.Load.Refills).
func load(ctx context.Context, src source.Source, st *store.Store, jobs []job, opts Options, rep *Report) error {
	if len(jobs) == 0 {
		// Nothing new, unless an earlier load removed rows and stopped before reading their copies again.
		if pending, err := st.RefillPending(ctx); err != nil || !pending {
			return err
		}
	}
	ld, err := st.BeginLoad(ctx)
	if err != nil {
		return err
	}
	defer ld.Close()
	w := &writer{ld: ld, opts: opts, rep: rep, open: map[string]*FileReport{}}
	for {
		if err := w.pass(ctx, src, jobs); err != nil {
			return err
		}
		// Events whose stored copy went with a replaced object are stored again from the objects that hold a copy.
		refills, err := ld.Refills(ctx)
		if err != nil {
			return err
		}
		if len(refills) == 0 {
			return w.commit(context.WithoutCancel(ctx))
		}
		jobs = jobs[:0]
		for _, r := range refills {
			jobs = append(jobs, job{obj: source.Object{Key: r.Key, Size: r.Size}, key: cloudtrail.ParseKey(r.Key), refill: true})
		}
		rep.Refilled += len(refills)
		opts.Progress.Total.Add(int64(len(refills)))
	}
}

// writer adds the decoded chunks of a load's files to the store, from one goroutine.
type writer struct {
	ld   *store.Load
	opts Options
	rep  *Report
	open map[string]*FileReport // files whose last chunk has not come yet
}

func (w *writer) commit(ctx context.Context) error {
	cs, err := w.ld.Commit(ctx)
	if err != nil {
		return err
	}
	w.rep.Inserted += cs.Inserted
	w.rep.Duplicates += cs.Duplicates
	w.rep.Committed += cs.Files
	return nil
}

// pass reads the jobs (read) and adds their records to the store from one goroutine, the sink's drain. It
// commits what it has when the context is cancelled, so that a stopped load keeps what it read.
func (w *writer) pass(ctx context.Context, src source.Source, jobs []job) error {
	q := &queue{w: w, space: semaphore.NewWeighted(queueRecords), chunks: make(chan chunk, queueRecords)}
	rerr := read(ctx, src, jobs, w.opts, q)
	if q.err != nil {
		return q.err // the store's error, or the first problem under --strict: nothing more is committed
	}
	if err := w.commit(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	if rerr != nil {
		return rerr
	}
	return ctx.Err()
}

// queue is the load's sink: the decoded chunks wait for the writer in a queue bounded by records, not chunks
// (queueRecords, and the record budget): while the writer commits (a part file and DuckDB's log are synced to
// disk), the readers go on decoding instead of waiting. The writer adds them to the store from drain's goroutine,
// in the order they came.
type queue struct {
	w      *writer
	space  *semaphore.Weighted // records, of queueRecords
	chunks chan chunk
	err    error // the writer's error, which stopped drain
}

func (q *queue) setup(*cloudtrail.Decoder) {}

func (q *queue) put(ctx context.Context, _ int, c chunk) error {
	if err := q.space.Acquire(ctx, weight(c.f)); err != nil {
		c.release()
		return err
	}
	select {
	case q.chunks <- c:
		return nil
	case <-ctx.Done():
		c.release()
		return ctx.Err()
	}
}

// drain adds the chunks to the store until the readers stopped and every chunk queued is added. Once the context
// is cancelled it still adds what was queued (a stopped load keeps what it read); its first error stops the
// readers.
func (q *queue) drain(ctx context.Context) error {
	for c := range q.chunks {
		q.space.Release(weight(c.f)) // the chunk being added no longer counts
		err := q.w.add(ctx, c.f)
		c.release() // the store has the records (or never will)
		if err != nil {
			q.err = err
			return err
		}
	}
	return nil
}

func (q *queue) readersDone() { close(q.chunks) }

// add hands one chunk to the store, reports its file once its last chunk came, and commits every BatchRecords.
func (w *writer) add(ctx context.Context, f *store.File) error {
	if f.Refill {
		// Read before: its report and problems are the first load's.
		if err := w.ld.Add(context.WithoutCancel(ctx), f); err != nil {
			return err
		}
		if f.Final && f.Err != nil {
			w.rep.Files = append(w.rep.Files, FileReport{Key: f.Key, Outcome: OutcomeRefillFailed,
				Detail: "read again for the events it holds whose stored copy went with a changed log file: " + f.Err.Error() +
					"; those events are missing until it can be read (the next load tries it again)"})
		}
		return w.commitEvery(ctx)
	}
	fr := w.open[f.Key]
	if fr == nil {
		fr = &FileReport{Key: f.Key}
		w.open[f.Key] = fr
	}
	fr.Records += len(f.Records)
	fr.ProblemCount += len(f.Problems)
	if room := maxProblemsReported - len(fr.Problems); room > 0 {
		fr.Problems = append(fr.Problems, f.Problems[:min(room, len(f.Problems))]...)
	}
	if f.Final {
		delete(w.open, f.Key)
		fr.Outcome = store.Outcome(f.Skip, f.Err, fr.Records, fr.ProblemCount)
		if f.Err != nil {
			fr.Detail = f.Err.Error()
		}
	}
	if w.opts.Strict && (len(f.Problems) > 0 || f.Final && f.Err != nil) {
		if fr.Outcome == "" {
			fr.Outcome = store.OutcomeProblems
		}
		return &StrictError{File: *fr}
	}
	if err := w.ld.Add(context.WithoutCancel(ctx), f); err != nil {
		return err
	}
	w.rep.Records += len(f.Records)
	if f.Final {
		w.rep.Loaded++
		w.rep.Bytes += f.Size
		switch fr.Outcome {
		case store.OutcomeLoaded:
		case store.OutcomeSkipped:
			w.rep.Skipped["not-cloudtrail"]++
		default:
			w.rep.Files = append(w.rep.Files, *fr)
		}
	}
	return w.commitEvery(ctx)
}

func (w *writer) commitEvery(ctx context.Context) error {
	if w.ld.Staged() >= w.opts.BatchRecords {
		return w.commit(context.WithoutCancel(ctx))
	}
	return nil
}

// queueRecords bounds the records decoded and not yet handed to the store (about 2.5 KB each in memory; the
// large ones are bounded by bytes too: RecordMemory).
const queueRecords = 24_000

// weight is what a chunk counts against queueRecords.
func weight(f *store.File) int64 { return int64(max(1, len(f.Records))) }

// maxProblemsReported bounds the problems a report keeps per file (the manifest keeps the count).
const maxProblemsReported = 100
