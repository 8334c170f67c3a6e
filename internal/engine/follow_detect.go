package engine

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/trailq/trailq/internal/sigma"
)

// Reported is the set of findings a follower has reported, kept in a file beside the store
// (ReportedPath): a line per finding (its ID, when it was reported, its rule), appended and synced as each is
// reported, so that a restart does not report them again.
type Reported struct {
	path string
	ids  map[string]bool
	f    *os.File
}

// ReportedPath is the file of the findings trailq detect --follow reported from the store at storePath.
func ReportedPath(storePath string) string { return storePath + ".reported" }

// OpenReported reads the findings reported from the store at storePath and opens their file to add more.
func OpenReported(storePath string) (*Reported, error) {
	path := ReportedPath(storePath)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the reported findings %s: %w", path, err)
	}
	r := &Reported{path: path, ids: map[string]bool{}, f: f}
	if err := r.read(); err != nil {
		f.Close()
		return nil, fmt.Errorf("read the reported findings %s: %w", path, err)
	}
	return r, nil
}

// read loads the IDs of the file's lines. A last line without its newline (the process was killed as it wrote
// it) is cut off: its finding is reported again.
func (r *Reported) read() error {
	br := bufio.NewReader(r.f)
	var complete int64
	for {
		line, err := br.ReadString('\n')
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		complete += int64(len(line))
		if id, _, _ := strings.Cut(strings.TrimSpace(line), " "); id != "" && !strings.HasPrefix(id, "#") {
			r.ids[id] = true
		}
	}
	if err := r.f.Truncate(complete); err != nil {
		return err
	}
	_, err := r.f.Seek(complete, io.SeekStart)
	return err
}

// Has reports whether the finding id was reported.
func (r *Reported) Has(id string) bool { return r.ids[id] }

// Len is how many findings were reported.
func (r *Reported) Len() int { return len(r.ids) }

// Add records that f was reported at now, on disk before it returns.
func (r *Reported) Add(f *Finding, now time.Time) error {
	if _, err := fmt.Fprintf(r.f, "%s %s %s\n", f.ID, now.UTC().Format(time.RFC3339), f.RuleID); err != nil {
		return fmt.Errorf("note the reported finding in %s: %w", r.path, err)
	}
	if err := r.f.Sync(); err != nil {
		return fmt.Errorf("note the reported finding in %s: %w", r.path, err)
	}
	r.ids[f.ID] = true
	return nil
}

// Close closes the file.
func (r *Reported) Close() error { return r.f.Close() }

// FollowFindings is detect --follow: it follows o.Source (Follower) and, once the first poll has loaded what is
// new and after every poll that changed the events, runs set's rules over the store (Detect without a load)
// and calls report with each finding not reported before, in time order. A finding is remembered (by its stable
// ID, beside the store) once report returns nil; report's error stops following and is returned. A detect that
// fails is told, and tried again after the next poll.
func (e *Engine) FollowFindings(ctx context.Context, o Options, set *sigma.Set, do DetectOptions, fo FollowOptions,
	report func(ctx context.Context, f *Finding) error) error {
	seen, err := OpenReported(o.StorePath)
	if err != nil {
		return err
	}
	defer seen.Close()
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	if fo.Clock == nil {
		fo.Clock = SystemClock{}
	}
	pending := true // the store may hold findings not reported yet
	polled := fo.Polled
	fo.Polled = func(ctx context.Context, p *Poll) error {
		if polled != nil {
			if err := polled(ctx, p); err != nil {
				return err
			}
		}
		if !p.Changed() && !pending {
			return nil
		}
		n, err := e.reportNew(ctx, o, set, do, fo.Clock.Now(), seen, report)
		var re *reportError
		switch {
		case errors.As(err, &re):
			stop(re.err)
			return nil
		case err != nil:
			pending = true
			return fmt.Errorf("run the rules (tried again after the next poll): %w", err)
		}
		pending = false
		e.log().Debug("findings reported", "new", n, "reported", seen.Len())
		return nil
	}
	if err := e.Follower(o, fo).Run(ctx); err != nil {
		return err
	}
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// reportError carries the error of the report function: it stops following.
type reportError struct{ err error }

func (r *reportError) Error() string { return r.err.Error() }

// reportNew runs the rules over the store as it is and reports the findings not reported before.
func (e *Engine) reportNew(ctx context.Context, o Options, set *sigma.Set, do DetectOptions, now time.Time, seen *Reported,
	report func(ctx context.Context, f *Finding) error) (int, error) {
	o.NoLoad = true
	do.Now = now
	quiet := *e
	quiet.Notify = nil // the store's warnings were told by the load
	res, err := quiet.Detect(ctx, o, set, do)
	if err != nil {
		return 0, err
	}
	n := 0
	for i := range res.Findings {
		f := &res.Findings[i]
		if seen.Has(f.ID) {
			continue
		}
		if err := report(ctx, f); err != nil {
			return n, &reportError{err: err}
		}
		if err := seen.Add(f, now); err != nil {
			return n, &reportError{err: err}
		}
		n++
	}
	return n, nil
}
