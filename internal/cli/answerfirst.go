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
	hashes, err := st.ContentHashes(ctx)
	if err != nil {
		return false, err
	}
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
	rep, err := ingest.Preview(ctx, src, p, lopts, ingest.PreviewOptions{Dir: dir, Stored: hashes, Projection: proj})
	bar.Stop()
	if err != nil {
		return true, err
	}
	extra := make([]string, len(rep.Files))
	for i, n := range rep.Files {
		extra[i] = filepath.Join(rel, n)
	}
	rst, err := store.Open(ctx, path, store.Options{ReadOnly: true, Sandbox: true, InitSQL: athena.InitSQL(), ExtraParts: extra})
	if err != nil {
		return true, err
	}
	fmt.Fprintf(a.f.IO.ErrOut, "Answering from a first read of %d new object%s (%d records, %s) in %s, of the columns the query reads (%s); storing every column follows (--answer-first=never loads first).\n",
		rep.Objects, plural(rep.Objects), rep.Records, progress.HumanBytes(p.Bytes), rep.Elapsed.Round(time.Millisecond), strings.Join(proj.Columns(), ", "))
	a.queryErr = a.run(ctx, rst)
	rst.Close()
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
