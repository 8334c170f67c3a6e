package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/trailq/trailq/internal/athena"
	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/progress"
	"github.com/trailq/trailq/internal/pushdown"
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

	answered bool
	queryErr error // the query's own error: the load still runs, and the command returns it
}

// step is the beforeLoad step of openStore.
func (a *answerFirst) step(ctx context.Context, st *store.Store, src source.Source, p *ingest.Plan, lopts ingest.Options) (bool, error) {
	log := a.f.Logger()
	t0 := time.Now()
	if why := a.unsuitable(src, p, lopts); why != "" {
		log.Debug("answer first: no", "why", why)
		return false, nil
	}
	cols, err := store.ScanColumns(ctx, a.sql, athena.InitSQL())
	if err != nil {
		// The query fails to plan (it will say why after the load) or reads other tables than the events.
		log.Debug("answer first: no", "why", err)
		return false, nil
	}
	proj := cloudtrail.NewProjection(cols)
	if proj.All() {
		log.Debug("answer first: no", "why", "the query reads every column")
		return false, nil
	}
	keep, err := a.rowFilter(ctx)
	if err != nil {
		return false, err
	}
	hashes, err := st.ContentHashes(ctx)
	if err != nil {
		return false, err
	}
	log.Debug("answer first: planned", "elapsed", time.Since(t0))
	path := st.Path()
	if err := st.Close(); err != nil {
		return true, fmt.Errorf("close store: %w", err)
	}
	dir, rel := store.PreviewDir(path)
	defer os.RemoveAll(dir)
	var bar *progress.Bar
	if a.f.IO.ErrTTY {
		bar = progress.Start(a.f.IO.ErrOut, lopts.Progress, "Reading", 200*time.Millisecond)
	}
	rep, err := ingest.Preview(ctx, src, p, lopts, ingest.PreviewOptions{Dir: dir, Stored: hashes, Projection: proj, Keep: keep})
	bar.Stop()
	if err != nil {
		return true, err
	}
	extra := make([]string, len(rep.Files))
	for i, n := range rep.Files {
		extra[i] = filepath.Join(rel, n)
	}
	log.Debug("answer first: read", "elapsed", time.Since(t0))
	rst, err := store.Open(ctx, path, store.Options{ReadOnly: true, Sandbox: true, InitSQL: athena.InitSQL(), ExtraParts: extra})
	if err != nil {
		return true, err
	}
	log.Debug("answer first: opened", "elapsed", time.Since(t0))
	fmt.Fprintf(a.f.IO.ErrOut, "Answering from a first read of %d new object%s (%d records, %s, read in %s: the columns the query reads of the %d records its WHERE clause can keep); storing every column follows (--answer-first=never stores first).\n",
		rep.Objects, plural(rep.Objects), rep.Records, progress.HumanBytes(p.Bytes), rep.Elapsed.Round(time.Millisecond), rep.Records-rep.Left)
	log.Debug("answer first", "columns", strings.Join(cols, ","), "rows", rep.Rows)
	a.queryErr = a.run(ctx, rst)
	rst.Close()
	log.Debug("answer first: answered", "elapsed", time.Since(t0))
	a.answered = true
	if a.queryErr == nil {
		// Whoever reads the answer from a pipe has all of it now, not after the load.
		a.f.releaseOut()
	}
	if errors.Is(a.queryErr, context.Canceled) {
		return true, a.queryErr
	}
	return true, nil
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

// rowFilter returns the check of the conditions of the query's WHERE clause that compare a text field of the
// records with constants (pushdown.Analyze), or nil: a record that fails one cannot be in the answer, so the
// first read need not write it. DuckDB still applies the whole WHERE clause.
func (a *answerFirst) rowFilter(ctx context.Context) (func(*cloudtrail.Record) bool, error) {
	tree, err := store.SyntaxTree(ctx, a.sql)
	if err != nil {
		return nil, err
	}
	sc, ok, err := pushdown.Analyze(tree, store.LogsView, store.LogsExtView)
	if err != nil || !ok {
		return nil, err
	}
	return sc.RecordFilter(), nil
}
