package ingest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/source"
	"github.com/trailq/trailq/internal/store"
)

// chunkRecords is the most records a reader hands to a sink at once: a large file goes in chunks, so memory
// stays bounded whatever the file's size — (workers + queue) × chunkRecords records at most, even with the
// dozens of workers of an S3 load.
const chunkRecords = 2_000

// chunk is a slice of up to chunkRecords records of one file (a whole small file) on its way from a reader to a
// sink, with the bytes of the record budget its records hold.
type chunk struct {
	f    *store.File
	held int64
	mem  *budget
}

// release gives back the chunk's share of the record budget, once its records are stored, copied or dropped.
func (c chunk) release() { c.mem.Release(c.held) }

// sink is what the readers of a pipeline hand their chunks to: the load's queue to its one writer, or the
// preview's Parquet files (one per reader).
type sink interface {
	// setup configures a reader's decoder beyond its record limits (the preview's projection).
	setup(dec *cloudtrail.Decoder)
	// put takes one chunk decoded by reader (0 to Workers-1), in that reader's goroutine; a file's chunks come in
	// order, from one reader, the last with Final set. put owns the chunk's share of the record budget from then
	// on (chunk.release), also when it fails. Its error stops the pipeline.
	put(ctx context.Context, reader int, c chunk) error
	// drain runs beside the readers, in a goroutine of the pipeline, until it returns (at once if the sink needs
	// no goroutine of its own); readersDone is called once every reader stopped, so that drain can end. drain's
	// error stops the pipeline.
	drain(ctx context.Context) error
	readersDone()
}

// read reads the jobs into s: a feeder hands them out in their order to opts.Workers readers, each with a
// cloudtrail.Decoder of its own, all limited by one record budget (opts.MaxRecord, opts.RecordMemory); a reader
// reads one object at a time (readFile) and puts its chunks into s. The first error of the feeder, a reader or
// the sink (the context's cancellation among them) cancels the others; read returns it once all stopped.
func read(ctx context.Context, src source.Source, jobs []job, opts Options, s sink) error {
	g, gctx := errgroup.WithContext(ctx)
	mem := newBudget(gctx, opts.RecordMemory)
	work := make(chan job)
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
	var readers sync.WaitGroup
	for i := range opts.Workers {
		readers.Add(1)
		g.Go(func() error {
			defer readers.Done()
			dec := cloudtrail.NewDecoder()
			dec.Limit(opts.MaxRecord, mem)
			s.setup(dec)
			send := func(f *store.File, held int64) error { return s.put(gctx, i, chunk{f, held, mem}) }
			for j := range work {
				if err := readFile(gctx, src, j, dec, opts, send); err != nil {
					return err
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		readers.Wait()
		s.readersDone()
		return nil
	})
	g.Go(func() error { return s.drain(gctx) })
	return g.Wait()
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

// readFile opens, decompresses and decodes one object, handing it to send in chunks of at most chunkRecords
// records; the last chunk has Final set. A chunk with a record that holds some of the decoder's record budget
// (Decoder.Limit) is sent at once, with those bytes (held), which send (or its receiver) releases once the
// records are stored or dropped. Problems with the content are recorded in the chunks; the error is only for
// cancellation or send's (the source failing to open the object is reported as the file's problem).
func readFile(ctx context.Context, src source.Source, j job, dec *cloudtrail.Decoder, opts Options, send func(f *store.File, held int64) error) error {
	defer func() {
		opts.Progress.Done.Add(1)
		opts.Progress.Bytes.Add(j.obj.Size)
	}()
	o := &object{src: src, j: j, version: j.obj.Version()}
	rc, sr, err := o.open(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		f := o.chunk()
		f.Err, f.Final = fmt.Errorf("open: %w", err), true
		// The source failed (access refused, network), not the file: an empty version makes the next load read
		// it again (internal/source/s3src TestLoadForbiddenObjectsAreNamedAndTheRestLoaded checks this).
		f.Version = ""
		return send(f, 0)
	}
	defer rc.Close()
	// The read buffer and gunzip state are reused from object to object: a load of millions of small objects would
	// otherwise allocate (and collect) about 300 KiB for each.
	rs := readStates.Get().(*readState)
	defer func() {
		rs.br.Reset(nil)
		readStates.Put(rs)
	}()
	r, err := decompress(rs, sr, opts.MaxUncompressed)
	if err != nil {
		f := o.chunk()
		f.Err, f.Final = err, true
		if sr.err != nil {
			f.Version = "" // the source failed, not the file: read it again next time
		}
		return send(f, 0)
	}
	f, sent := o.chunk(), false
	// Decode reads to the end: every gzip member and document, a gzip stream's checksum and length.
	err = dec.Decode(r, func(i int, rec *cloudtrail.Record, problems []cloudtrail.Problem) error {
		f.Records = append(f.Records, rec)
		f.Problems = append(f.Problems, problems...)
		opts.Progress.Records.Add(1)
		held := dec.TakeHeld()
		if len(f.Records) < chunkRecords && held == 0 {
			return nil
		}
		if err := send(f, held); err != nil {
			return err
		}
		f, sent = o.chunk(), true
		return nil
	}, func(p cloudtrail.Problem) {
		f.Problems = append(f.Problems, p)
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	o.last(f, err, sent, sr)
	return send(f, 0)
}

// object is the object readFile reads.
type object struct {
	src     source.Source
	j       job
	version string // the version read: the listed one, unless the source opened another
}

// open opens the object. What was read is recorded: the object may have been rewritten since it was listed (then
// its listed size does not say how long it is either).
func (o *object) open(ctx context.Context) (io.ReadCloser, *sourceReader, error) {
	rc, err := o.src.Open(ctx, o.j.obj.Key)
	if err != nil {
		return nil, nil, err
	}
	sr := &sourceReader{r: rc, want: o.j.obj.Size}
	if v, ok := rc.(source.Versioned); ok && v.Version() != "" && v.Version() != o.version {
		o.version, sr.want = v.Version(), -1
	}
	return rc, sr, nil
}

// chunk returns a new, empty chunk of the object.
func (o *object) chunk() *store.File {
	return &store.File{
		Key:      o.j.obj.Key,
		Path:     location(o.src, o.j.obj.Key),
		Parsed:   o.j.key,
		Size:     o.j.obj.Size,
		Version:  o.version,
		Replaces: o.j.replaces,
		Refill:   o.j.refill,
	}
}

// last makes f the object's last chunk, given Decode's error and whether earlier chunks were sent.
func (o *object) last(f *store.File, err error, sent bool, sr *sourceReader) {
	switch {
	case err == nil:
	case !sent && (errors.Is(err, cloudtrail.ErrDigest) || errors.Is(err, cloudtrail.ErrNoRecords) && o.j.key.Kind == cloudtrail.KindUnknown):
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
