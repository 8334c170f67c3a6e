package ingest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"golang.org/x/sync/errgroup"
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
	prefixes := opts.Prefixes
	windowed := false
	if len(prefixes) == 0 && (opts.Window != nil || len(opts.Accounts) > 0 || len(opts.Regions) > 0) {
		wp, ok, err := windowPrefixes(ctx, src, opts.Window, opts.Accounts, opts.Regions)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", src, err)
		}
		if ok {
			prefixes, windowed = wp, true
			rep.ListedPrefixes = len(wp)
		}
	}
	if len(prefixes) == 0 && !windowed {
		prefixes = []string{""}
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
	// A part of a listing that could not be listed (a local folder it may not read, a dangling link) is reported
	// and the rest loaded, unless under --strict.
	var parts []FileReport
	part := func(key string, err error) bool {
		if opts.Strict {
			return false
		}
		parts = append(parts, FileReport{Key: key, Outcome: OutcomeNotListed, Detail: err.Error()})
		return true
	}
	err := listAll(ctx, src, prefixes, opts.Workers, func(o source.Object) error {
		rep.Listed++
		k := cloudtrail.ParseKey(o.Key)
		switch k.Kind {
		case cloudtrail.KindDigest, cloudtrail.KindInsight, cloudtrail.KindConfig, cloudtrail.KindOther:
			rep.Skipped[k.Kind.String()]++
			return nil
		}
		if !opts.keep(k) || opts.Filter != nil && !opts.Filter(o.Key, k) {
			rep.Outside++
			return nil
		}
		v, seen := manifest[o.Key]
		if seen && v == o.Version() {
			rep.Unchanged++
			rep.UnchangedBytes += o.Size
			return nil
		}
		jobs = append(jobs, job{obj: o, key: k, replaces: seen})
		opts.Progress.Total.Add(1) // the bar counts what listing found so far
		return nil
	}, skip, part)
	if err != nil {
		return nil, err
	}
	if len(unlisted) > 0 && len(unlisted) == len(prefixes) {
		return nil, firstErr // nothing could be listed: say why once
	}
	rep.Files = append(rep.Files, unlisted...)
	rep.Files = append(rep.Files, parts...)
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

// partRecords is the most records a worker hands to the writer at once: a large file goes in parts, so memory
// stays bounded whatever the file's size — (workers + queue) × partRecords records at most, even with the dozens
// of workers of an S3 load.
const partRecords = 2_000

// load reads the jobs with a pool of workers and commits their records from one goroutine.
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

// writer adds the decoded parts of a load's files to the store, from one goroutine.
type writer struct {
	ld   *store.Load
	opts Options
	rep  *Report
	open map[string]*FileReport // files whose last part has not come yet
	err  error                  // the first error; the parts that follow are drained
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

// pass reads the jobs with a pool of workers and commits their records from this goroutine. It commits what it
// has when the context is cancelled, so that a stopped load keeps what it read.
func (w *writer) pass(ctx context.Context, src source.Source, jobs []job) error {
	opts := w.opts
	g, gctx := errgroup.WithContext(ctx)
	work := make(chan job)
	// The decoded parts wait for the writer in a queue bounded by records, not parts: while the writer commits
	// (a part file and DuckDB's log are synced to disk), the readers go on decoding instead of waiting.
	queue := semaphore.NewWeighted(queueRecords)
	parts := make(chan part, queueRecords)
	mem := newBudget(gctx, opts.RecordMemory)
	g.Go(func() error {
		defer close(work)
		for _, j := range jobs {
			select {
			case work <- j:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	var workers errgroup.Group
	for range opts.Workers {
		workers.Go(func() error {
			dec := cloudtrail.NewDecoder()
			dec.Limit(opts.MaxRecord, mem)
			for j := range work {
				err := readFile(gctx, src, j, dec, opts, func(f *store.File, held int64) error {
					if err := queue.Acquire(gctx, weight(f)); err != nil {
						mem.Release(held)
						return err
					}
					select {
					case parts <- part{f, held}:
						return nil
					case <-gctx.Done():
						mem.Release(held)
						return gctx.Err()
					}
				})
				if err != nil {
					return err
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(parts)
		return workers.Wait()
	})
	for pt := range parts {
		queue.Release(weight(pt.f)) // the part being added no longer counts
		if w.err == nil {
			w.err = w.add(ctx, pt.f)
		}
		mem.Release(pt.held) // the store has the records (or never will)
	}
	gerr := g.Wait()
	if w.err != nil {
		return w.err
	}
	if err := w.commit(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	if gerr != nil {
		return gerr
	}
	return ctx.Err()
}

// add hands one part to the store, reports its file once its last part came, and commits every BatchRecords.
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

// part is a part of a file on its way to the writer, and the bytes of the record budget its records hold.
type part struct {
	f    *store.File
	held int64
}

// budget is the readers' cloudtrail.Budget: a semaphore of bytes, waited on until ctx is done.
type budget struct {
	ctx context.Context
	sem *semaphore.Weighted
}

func newBudget(ctx context.Context, n int64) *budget {
	return &budget{ctx: ctx, sem: semaphore.NewWeighted(n)}
}

func (b *budget) Reserve(n int64) error {
	if err := b.sem.Acquire(b.ctx, n); err != nil {
		return fmt.Errorf("wait for memory for a large record: %w", err)
	}
	return nil
}

func (b *budget) Release(n int64) {
	if n > 0 {
		b.sem.Release(n)
	}
}

// weight is what a part counts against queueRecords.
func weight(f *store.File) int64 { return int64(max(1, len(f.Records))) }

// maxProblemsReported bounds the problems a report keeps per file (the manifest keeps the count).
const maxProblemsReported = 100

// readFile opens, decompresses and decodes one object, handing it to send in parts of at most partRecords
// records; the last part has Final set. A part with a record that holds some of the decoder's record budget
// (Decoder.Limit) is sent at once, with those bytes (held), which send (or its receiver) releases once the
// records are stored or dropped. Problems with the content are recorded in the parts; the error is only for
// cancellation (the source failing to open the object is reported as the file's problem).
func readFile(ctx context.Context, src source.Source, j job, dec *cloudtrail.Decoder, opts Options, send func(f *store.File, held int64) error) error {
	version := j.obj.Version()
	newPart := func() *store.File {
		return &store.File{
			Key:      j.obj.Key,
			Path:     location(src, j.obj.Key),
			Parsed:   j.key,
			Size:     j.obj.Size,
			Version:  version,
			Replaces: j.replaces,
			Refill:   j.refill,
		}
	}
	f := newPart()
	defer func() {
		opts.Progress.Done.Add(1)
		opts.Progress.Bytes.Add(j.obj.Size)
	}()
	rc, err := src.Open(ctx, j.obj.Key)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		f.Err, f.Final = fmt.Errorf("open: %w", err), true
		// The source failed (access refused, network), not the file: an empty version makes the next load read
		// it again (internal/source/s3 TestLoadForbiddenObjectsAreNamedAndTheRestLoaded checks this).
		f.Version = ""
		return send(f, 0)
	}
	defer rc.Close()
	// What was read is recorded: the object may have been rewritten since it was listed (then its listed size does
	// not say how long it is either).
	sr := &sourceReader{r: rc, want: j.obj.Size}
	if v, ok := rc.(source.Versioned); ok && v.Version() != "" && v.Version() != version {
		version, sr.want = v.Version(), -1
		f.Version = version
	}
	// The read buffer and gunzip state are reused from object to object: a load of millions of small objects would
	// otherwise allocate (and collect) about 300 KiB for each.
	rs := readStates.Get().(*readState)
	defer func() {
		rs.br.Reset(nil)
		readStates.Put(rs)
	}()
	r, err := decompress(rs, sr, opts.MaxUncompressed)
	if err != nil {
		f.Err, f.Final = err, true
		if sr.err != nil {
			f.Version = "" // the source failed, not the file: read it again next time
		}
		return send(f, 0)
	}
	sent := false
	// Decode reads to the end: every gzip member and document, a gzip stream's checksum and length.
	err = dec.Decode(r, func(i int, rec *cloudtrail.Record, problems []cloudtrail.Problem) error {
		f.Records = append(f.Records, rec)
		f.Problems = append(f.Problems, problems...)
		opts.Progress.Records.Add(1)
		held := dec.TakeHeld()
		if len(f.Records) < partRecords && held == 0 {
			return nil
		}
		if err := send(f, held); err != nil {
			return err
		}
		sent = true
		f = newPart()
		return nil
	}, func(p cloudtrail.Problem) {
		f.Problems = append(f.Problems, p)
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	switch {
	case err == nil:
	case !sent && (errors.Is(err, cloudtrail.ErrDigest) || errors.Is(err, cloudtrail.ErrNoRecords) && j.key.Kind == cloudtrail.KindUnknown):
		// A JSON file that is not a trail log, under a name that did not say so: skip it, but remember it.
		f.Skip, f.SkipReason = true, err.Error()
		f.Records, f.Problems = nil, nil
	default:
		f.Err = err
	}
	f.Final = true
	if sr.err != nil {
		// The source broke off mid-object (a reset, a stall, a short body), not the file: an empty version makes
		// the next load read it again, replacing what this one kept of it.
		f.Version = ""
	}
	return send(f, 0)
}

// sourceReader remembers a read error of the source (as opposed to a problem with the content). An object that
// ends before its size (want, when known) is such an error: a transport fault, not a broken file.
type sourceReader struct {
	r    io.Reader
	want int64
	n    int64
	err  error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.n += int64(n)
	if errors.Is(err, io.EOF) && s.n < s.want {
		err = fmt.Errorf("read: the object ended after %d of its %d bytes (a download cut short; the next load reads it again)", s.n, s.want)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		s.err = err
	}
	return n, err
}

// readState is what decompress needs to read one object, kept in readStates between objects.
type readState struct {
	br *bufio.Reader
	zr *gzip.Reader // nil until the first gzipped object
}

var readStates = sync.Pool{New: func() any { return &readState{br: bufio.NewReaderSize(nil, 256<<10)} }}

// decompress returns a reader of the object's content, gunzipping it when it starts with the gzip magic bytes
// (whatever its name says).
func decompress(rs *readState, r io.Reader, limit int64) (io.Reader, error) {
	br := rs.br
	br.Reset(r)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(magic) == 0 {
		return nil, errors.New("empty file")
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		if rs.zr == nil {
			rs.zr = new(gzip.Reader)
		}
		if err := rs.zr.Reset(br); err != nil {
			return nil, fmt.Errorf("gunzip: %w", err)
		}
		return &limitedReader{r: &gzipErrReader{rs.zr}, n: limit, limit: limit}, nil
	}
	return &limitedReader{r: br, n: limit, limit: limit}, nil
}

type gzipErrReader struct{ r io.Reader }

func (g *gzipErrReader) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = errors.New("truncated gzip data")
		}
		err = fmt.Errorf("gunzip: %w", err)
	}
	return n, err
}

// limitedReader fails, rather than ending quietly, once more than n bytes were read.
type limitedReader struct {
	r     io.Reader
	n     int64
	limit int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		// Another byte would be one too many; at the end there is none.
		var one [1]byte
		if n, err := l.r.Read(one[:]); n == 0 && errors.Is(err, io.EOF) {
			return 0, io.EOF
		}
		return 0, fmt.Errorf("read past byte %d: the decompressed size exceeds the limit of %d bytes (a gzip bomb?)", l.limit, l.limit)
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}
