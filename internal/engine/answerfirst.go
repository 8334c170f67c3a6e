package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/trailq/trailq/internal/athena"
	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/progress"
	"github.com/trailq/trailq/internal/source"
	"github.com/trailq/trailq/internal/store"
)

// spoolMaxBytes bounds the new objects of a remote source (S3) that are answered first: the first read keeps a
// copy of them on the local disk, beside the store, so that the load does not fetch them again.
const spoolMaxBytes = 4 << 30

// AnswerFirstAutoBytes is how much new log data (as stored: gzip) makes AnswerFirstAuto answer before the
// load: below it a load takes a second or two, and answering first would only add the second read.
const AnswerFirstAutoBytes = 32 << 20

func isLocal(src source.Source) bool {
	ll, ok := src.(source.LocalLister)
	return ok && ll.ListsLocally()
}

// firstRead answers a query before the load that stores the new logs. A load stores every field of every
// record so that later questions are free; the first question needs only the fields it reads. So the new logs
// are read once for the question (decoded as the load decodes them, identical records left out as it leaves
// them out, only the fields the query reads written, by every reader at once) and the query runs over the
// store's parts and those files; then the load stores everything as usual. The answer comes in about half the
// time of a load; the command as a whole takes a read more.
type firstRead struct {
	e *Engine
	q *Query
	// answer runs the query on st and writes its output.
	answer func(ctx context.Context, st *Store) error
	// minBytes is the least new data that is answered first (0: any).
	minBytes int64
	// keep, when set, checks the conditions of the query's WHERE clause on a record's own text fields: the
	// records it refuses are not written by the first read.
	keep func(*cloudtrail.Record) bool
}

// firstAnswer is what a first read did.
type firstAnswer struct {
	plan     *Plan // the load's plan (nil: the load lists again)
	answered bool
	err      error // the query's own error: the load still runs, and the command returns it
	// loadSrc, when set, is the source the load reads: a remote source's objects from the first read's copy
	// (ingest.Spool), kept in spoolDir until the load ends.
	loadSrc  source.Source
	spoolDir string
}

// run lists the source and answers the query first when that pays (see unsuitable). The store is only read here,
// and only when it exists: a new store is created while the logs are read.
func (a *firstRead) run(ctx context.Context, o Options, lopts ingest.Options) (*firstAnswer, error) {
	log := a.e.log()
	t0 := time.Now()
	res := &firstAnswer{}
	// The store, when there is one, is read through a read-only handle: its manifest first, its content hashes
	// only when the query is answered first.
	var rst *store.Store
	manifest := map[string]string{}
	_, err := os.Stat(o.StorePath)
	exists := !errors.Is(err, fs.ErrNotExist)
	if exists {
		if rst, err = store.Open(ctx, o.StorePath, store.Options{ReadOnly: true}); err == nil {
			manifest, err = rst.Loaded(ctx)
		}
		if err != nil {
			if rst != nil {
				rst.Close()
			}
			log.Debug("answer first: no", "why", err)
			return res, nil // the load opens the store and says what is wrong with it
		}
		defer func() {
			if rst != nil {
				rst.Close()
			}
		}()
	}
	// DuckDB's planner says which columns the query reads, in a database of its own: while the source is listed
	// when there is no store yet (a first question), else once the listing says the question is answered first,
	// while the store's content hashes are read.
	var scan <-chan scanned
	if !exists {
		scan = a.scanColumns(ctx)
	}
	p, err := ingest.PlanLoadFrom(ctx, o.Source, manifest, lopts)
	if err != nil {
		return res, nil // the load lists again, and reports it
	}
	res.plan = p
	if why := a.unsuitable(o.Source, p, lopts); why != "" {
		log.Debug("answer first: no", "why", why)
		return res, nil
	}
	if scan == nil {
		scan = a.scanColumns(ctx)
	}
	var hashes []uint64
	if rst != nil {
		hashes, err = rst.ContentHashes(ctx)
		rst.Close()
		rst = nil
	}
	sc := <-scan
	if err != nil {
		return nil, err
	}
	if sc.err != nil {
		// The query fails to plan (it will say why after the load) or reads other tables than the events.
		log.Debug("answer first: no", "why", sc.err)
		return res, nil
	}
	proj := cloudtrail.NewProjection(sc.cols)
	if proj.All() {
		log.Debug("answer first: no", "why", "the query reads every column")
		return res, nil
	}
	log.Debug("answer first: planned", "elapsed", time.Since(t0))
	return res, a.read(ctx, o, lopts, res, exists, hashes, proj, sc.cols, t0)
}

// read reads the new logs for the query, answers it, and records the outcome in res.
func (a *firstRead) read(ctx context.Context, o Options, lopts ingest.Options, res *firstAnswer, exists bool,
	hashes []uint64, proj cloudtrail.Projection, cols []string, t0 time.Time) error {
	log := a.e.log()
	created := make(chan error, 1)
	if exists {
		created <- nil
	} else {
		// The load needs the store anyway, and the answer needs its file: created on the side.
		go func() {
			st, err := store.Open(ctx, o.StorePath, store.Options{})
			if err == nil {
				err = st.Close()
			}
			created <- err
		}()
	}
	dir, rel := store.PreviewDir(o.StorePath)
	defer os.RemoveAll(dir)
	stop := a.e.progress("Reading", lopts.Progress)
	readSrc := o.Source
	if !isLocal(o.Source) {
		spool := ingest.NewSpool(o.Source, dir+"-spool")
		readSrc, res.loadSrc, res.spoolDir = spool, spool.Replay(), dir+"-spool"
	}
	p := res.plan
	rep, err := ingest.Preview(ctx, readSrc, p, lopts, ingest.PreviewOptions{Dir: dir, Stored: hashes, Projection: proj, Keep: a.keep})
	stop()
	if cerr := <-created; err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	log.Debug("answer first: read", "elapsed", time.Since(t0))
	sopts, err := o.readerOptions(ctx)
	if err != nil {
		return err
	}
	for _, n := range rep.Files {
		sopts.ExtraParts = append(sopts.ExtraParts, filepath.Join(rel, n))
	}
	qst, err := store.Open(ctx, o.StorePath, sopts)
	if err != nil {
		return err
	}
	log.Debug("answer first: opened", "elapsed", time.Since(t0))
	a.e.notify("Answering from a first read of %d new object%s (%d records, %s, read in %s: the columns the query reads of the %d records its WHERE clause can keep); storing every column follows (Ctrl-C stops it, and the next command goes on; --answer-first never stores first).",
		rep.Objects, plural(rep.Objects), rep.Records, progress.HumanBytes(p.Bytes), rep.Elapsed.Round(time.Millisecond), rep.Records-rep.Left)
	log.Debug("answer first", "columns", strings.Join(cols, ","), "rows", rep.Rows)
	res.err = a.answer(ctx, qst)
	qst.Close()
	log.Debug("answer first: answered", "elapsed", time.Since(t0))
	res.answered = true
	if res.err == nil && a.e.Answered != nil {
		// Whoever reads the answer from a pipe has all of it now, not after the load.
		a.e.Answered()
	}
	if errors.Is(res.err, context.Canceled) {
		return res.err
	}
	return nil
}

type scanned struct {
	cols []string
	err  error
}

// scanColumns runs store.ScanColumns on the query in a goroutine.
func (a *firstRead) scanColumns(ctx context.Context) <-chan scanned {
	c := make(chan scanned, 1)
	go func() {
		cols, err := store.ScanColumns(ctx, a.q.SQL, athena.InitSQL())
		c <- scanned{cols, err}
	}()
	return c
}

// unsuitable says why the load's plan is not answered first, or "".
func (a *firstRead) unsuitable(src source.Source, p *Plan, lopts ingest.Options) string {
	switch {
	case p.Objects == 0:
		return "nothing new to read"
	case p.Bytes < a.minBytes:
		return fmt.Sprintf("only %s new", progress.HumanBytes(p.Bytes))
	case p.Replacing > 0:
		// The store's rows of an object's earlier version would be in the answer beside the new version's.
		return "the store has earlier versions of objects to read"
	case lopts.Strict:
		return "--strict: a broken file must stop the command before any answer"
	}
	if !isLocal(src) && p.Bytes > spoolMaxBytes {
		// The first read keeps a copy of a remote source's objects for the load: not of that much.
		return fmt.Sprintf("%s new in a remote source (the first read's copy is limited to %s)",
			progress.HumanBytes(p.Bytes), progress.HumanBytes(spoolMaxBytes))
	}
	return ""
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
