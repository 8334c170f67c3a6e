package cli

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
	"github.com/trailq/trailq/internal/source/local"
	"github.com/trailq/trailq/internal/store"
)

// answerFirstAutoBytes is how much new log data (as stored: gzip) makes --answer-first=auto answer before the
// load: below it a load takes a second or two, and answering first would only add the second read.
const answerFirstAutoBytes = 32 << 20

// answerFirst answers a query before the load that stores the new logs (trailq query --answer-first). A load
// stores every field of every record so that later questions are free; the first question needs only the
// fields it reads. So the new logs are read once for the question (decoded as the load decodes them, identical
// records left out as it leaves them out, only the fields the query reads written, by every reader at once) and
// the query runs over the store's parts and those files; then the load stores everything as usual. The answer
// comes in about half the time of a load; the command as a whole takes a read more.
type answerFirst struct {
	f   *Factory
	sql string // DuckDB SQL, as the store runs it
	// run runs the query on st and writes its output.
	run func(ctx context.Context, st *store.Store) error
	// minBytes is the least new data that is answered first (0: any).
	minBytes int64
	// keep, when set, checks the conditions of the query's WHERE clause on a record's own text fields
	// (pushdown.Scope.RecordFilter): the records it refuses are not written by the first read.
	keep func(*cloudtrail.Record) bool

	answered bool
	queryErr error // the query's own error: the load still runs, and the command returns it
}

// answer lists src, and answers the query first when that pays (see unsuitable). It returns the plan of the load
// that follows (nil when it could not list with what the store holds, and the load lists again). The store at
// path is only read here, and only when it exists: a new store is created while the logs are read.
func (a *answerFirst) answer(ctx context.Context, src source.Source, path string, lopts ingest.Options) (*ingest.Plan, error) {
	log := a.f.Logger()
	t0 := time.Now()
	// DuckDB's planner says which columns the query reads, in a database of its own, while the store is read
	// and the source listed.
	type scanned struct {
		cols []string
		err  error
	}
	scan := make(chan scanned, 1)
	go func() {
		cols, err := store.ScanColumns(ctx, a.sql, athena.InitSQL())
		scan <- scanned{cols, err}
	}()
	manifest, hashes, exists, err := readStore(ctx, path)
	if err != nil {
		log.Debug("answer first: no", "why", err)
		return nil, nil // the load opens the store and says what is wrong with it
	}
	p, err := ingest.PlanLoadFrom(ctx, src, manifest, lopts)
	if err != nil {
		return nil, nil // the load lists again, and reports it
	}
	if why := a.unsuitable(src, p, lopts); why != "" {
		log.Debug("answer first: no", "why", why)
		return p, nil
	}
	sc := <-scan
	if sc.err != nil {
		// The query fails to plan (it will say why after the load) or reads other tables than the events.
		log.Debug("answer first: no", "why", sc.err)
		return p, nil
	}
	proj := cloudtrail.NewProjection(sc.cols)
	if proj.All() {
		log.Debug("answer first: no", "why", "the query reads every column")
		return p, nil
	}
	log.Debug("answer first: planned", "elapsed", time.Since(t0))
	created := make(chan error, 1)
	if exists {
		created <- nil
	} else {
		// The load needs the store anyway, and the answer needs its file: created on the side.
		go func() {
			st, err := store.Open(ctx, path, store.Options{})
			if err == nil {
				err = st.Close()
			}
			created <- err
		}()
	}
	dir, rel := store.PreviewDir(path)
	defer os.RemoveAll(dir)
	var bar *progress.Bar
	if a.f.IO.ErrTTY {
		bar = progress.Start(a.f.IO.ErrOut, lopts.Progress, "Reading", 200*time.Millisecond)
	}
	rep, err := ingest.Preview(ctx, src, p, lopts, ingest.PreviewOptions{Dir: dir, Stored: hashes, Projection: proj, Keep: a.keep})
	bar.Stop()
	if cerr := <-created; err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	log.Debug("answer first: read", "elapsed", time.Since(t0))
	extra := make([]string, len(rep.Files))
	for i, n := range rep.Files {
		extra[i] = filepath.Join(rel, n)
	}
	rst, err := store.Open(ctx, path, store.Options{ReadOnly: true, Sandbox: true, InitSQL: athena.InitSQL(), ExtraParts: extra})
	if err != nil {
		return nil, err
	}
	log.Debug("answer first: opened", "elapsed", time.Since(t0))
	fmt.Fprintf(a.f.IO.ErrOut, "Answering from a first read of %d new object%s (%d records, %s, read in %s: the columns the query reads of the %d records its WHERE clause can keep); storing every column follows (--answer-first=never stores first).\n",
		rep.Objects, plural(rep.Objects), rep.Records, progress.HumanBytes(p.Bytes), rep.Elapsed.Round(time.Millisecond), rep.Records-rep.Left)
	log.Debug("answer first", "columns", strings.Join(sc.cols, ","), "rows", rep.Rows)
	a.queryErr = a.run(ctx, rst)
	rst.Close()
	log.Debug("answer first: answered", "elapsed", time.Since(t0))
	a.answered = true
	if a.queryErr == nil {
		// Whoever reads the answer from a pipe has all of it now, not after the load.
		a.f.releaseOut()
	}
	if errors.Is(a.queryErr, context.Canceled) {
		return nil, a.queryErr
	}
	return p, nil
}

// readStore reads the manifest and the content hashes of the store at path through a read-only handle, or
// returns none when there is no store yet.
func readStore(ctx context.Context, path string) (manifest map[string]string, hashes []uint64, exists bool, err error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil, false, nil
	}
	st, err := store.Open(ctx, path, store.Options{ReadOnly: true})
	if err != nil {
		return nil, nil, true, err
	}
	defer st.Close()
	if manifest, err = st.Loaded(ctx); err != nil {
		return nil, nil, true, err
	}
	hashes, err = st.ContentHashes(ctx)
	return manifest, hashes, true, err
}

// unsuitable says why the load's plan is not answered first, or "".
func (a *answerFirst) unsuitable(src source.Source, p *ingest.Plan, lopts ingest.Options) string {
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
	if _, ok := src.(*local.Local); !ok {
		// A second read of a bucket's objects would fetch them twice.
		return "not a local folder"
	}
	return ""
}
