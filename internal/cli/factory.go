package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/trailq/trailq/internal/athena"
	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/output"
	"github.com/trailq/trailq/internal/progress"
	"github.com/trailq/trailq/internal/signin"
	"github.com/trailq/trailq/internal/source"
	"github.com/trailq/trailq/internal/source/local"
	"github.com/trailq/trailq/internal/store"
)

// IOStreams are the command's standard streams and what they are connected to.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// OutTTY and ErrTTY are true when the stream is a terminal.
	OutTTY, ErrTTY bool
}

// Factory carries what commands need from the outside world; tests build their own.
type Factory struct {
	IO       IOStreams
	Getenv   func(string) string
	Now      func() time.Time
	LogLevel string
	// OpenSource opens a --source value; NewFactory sets the default that knows folders and files.
	OpenSource func(ctx context.Context, spec string) (source.Source, error)

	// unread says what of its input the command's load could not read (unreadInput), "" when it read it all:
	// the command then ends with ExitPartial.
	unread string
}

// NewFactory returns a Factory over real streams.
func NewFactory(in io.Reader, out, errOut io.Writer, getenv func(string) string) *Factory {
	f := &Factory{
		IO:     IOStreams{In: in, Out: out, ErrOut: errOut, OutTTY: isTerminal(out), ErrTTY: isTerminal(errOut)},
		Getenv: getenv,
		Now:    time.Now,
	}
	f.OpenSource = f.openSource
	return f
}

func isTerminal(w io.Writer) bool {
	file, ok := w.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}

// Logger returns the slog logger for --log-level, writing to stderr.
func (f *Factory) Logger() *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(f.LogLevel)); err != nil {
		lvl = slog.LevelWarn
	}
	return slog.New(slog.NewTextHandler(f.IO.ErrOut, &slog.HandlerOptions{Level: lvl}))
}

func (f *Factory) openSource(ctx context.Context, spec string) (source.Source, error) {
	if strings.HasPrefix(spec, "s3://") {
		return f.openS3(ctx, spec, S3Options{})
	}
	src, err := local.New(spec)
	if err != nil {
		return nil, withHint(err, "--source takes a folder of CloudTrail logs, one log file, or s3://bucket/prefix")
	}
	return src, nil
}

// OutputFormat returns the --format a user asked for, or the default: a table on a terminal, CSV when piped.
func (f *Factory) OutputFormat(flag string) (output.Format, error) {
	if flag == "" {
		if f.IO.OutTTY {
			return output.Table, nil
		}
		return output.CSV, nil
	}
	format, err := output.ParseFormat(flag)
	if err != nil {
		return "", &UsageError{Err: err}
	}
	return format, nil
}

// SourceOptions are the flags of every command that reads logs.
type SourceOptions struct {
	Source  string
	Store   string
	Strict  bool
	NoLoad  bool
	Workers int
	// ReportFiles is how many files with problems the load summary lists (0: all).
	ReportFiles int
	S3          S3Options
	DryRun      bool
	// Accounts and Regions limit the load (flags of the commands that have them, e.g. load --account).
	Accounts, Regions []string
	// MemoryLimit is --memory-limit as given; memoryLimit in bytes (resolveMemoryLimit).
	MemoryLimit string
	memoryLimit int64
	// MaxFileSize and MaxRecordSize are --max-file-size and --max-record-size as given; caps holds them in
	// bytes (resolveCaps).
	MaxFileSize, MaxRecordSize string
	caps                       sizeCaps
}

func addSourceFlags(cmd *cobra.Command, o *SourceOptions) {
	cmd.Flags().StringVarP(&o.Source, "source", "s", "", "CloudTrail logs: a folder, one file, or s3://bucket/prefix (env TRAILQ_SOURCE)")
	cmd.Flags().StringVar(&o.Store, "store", "", "store file to use, with its folder FILE.parts beside it (env TRAILQ_STORE; default: one per source in the user cache folder)")
	cmd.Flags().BoolVar(&o.Strict, "strict", false, "fail on the first broken file or record instead of reporting it and going on")
	cmd.Flags().BoolVar(&o.NoLoad, "no-load", false, "answer from what the store has, without looking for new logs")
	cmd.Flags().IntVar(&o.Workers, "workers", 0, "objects read at once (default: two per CPU; for S3 see --concurrency)")
	addS3Flags(cmd, o)
	cmd.Flags().StringVar(&o.MemoryLimit, "memory-limit", "", "memory a query may use, e.g. 4GiB (default: a quarter of the machine's memory); a query that needs more stops with an error")
	cmd.Flags().StringVar(&o.MaxFileSize, "max-file-size", "", "read at most this much of one log file, decompressed, e.g. 512MiB (default 2GiB; CloudTrail's files are small): the rest of a larger file (a gzip bomb) is left out and the file named")
	cmd.Flags().StringVar(&o.MaxRecordSize, "max-record-size", "", "skip and name a record larger than this, e.g. 16MiB (default 64MiB)")
	o.ReportFiles = 5
}

func (o *SourceOptions) resolve(f *Factory) {
	if o.Source == "" {
		o.Source = f.Getenv("TRAILQ_SOURCE")
	}
	if o.Store == "" {
		o.Store = f.Getenv("TRAILQ_STORE")
	}
}

// DefaultStorePath returns the store file used for a source when --store is not given.
func (f *Factory) DefaultStorePath(src source.Source) (string, error) {
	dir := f.Getenv("TRAILQ_CACHE_DIR")
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", withHint(fmt.Errorf("find the cache folder: %w", err), "give --store FILE or set TRAILQ_CACHE_DIR")
		}
		dir = filepath.Join(base, "trailq")
	}
	id := src.String()
	name := safeName.ReplaceAllString(filepath.Base(strings.TrimSuffix(id, "/")), "_")
	if ider, ok := src.(source.Identifier); ok {
		id = ider.Identity()
	}
	sum := sha256.Sum256([]byte(id))
	if len(name) > 40 {
		name = name[:40]
	}
	return filepath.Join(dir, "stores", name+"-"+hex.EncodeToString(sum[:6])+".duckdb"), nil
}

var safeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// LoadHook, when set on a command's options, replaces the default ingest options (used by sources that need
// other listing, e.g. a time window).
type LoadHook func(*ingest.Options)

// OpenStore opens the store for o and, unless --no-load, first loads what is new in the source.
// It prints the load summary to stderr.
func (f *Factory) OpenStore(ctx context.Context, o *SourceOptions, hook LoadHook) (*store.Store, *ingest.Report, error) {
	return f.openStore(ctx, o, hook, nil)
}

// openStore is OpenStore, with the query's answer first when first says so: before the store is opened for
// writing (a query answered first then returns a nil store).
func (f *Factory) openStore(ctx context.Context, o *SourceOptions, hook LoadHook, first *answerFirst) (*store.Store, *ingest.Report, error) {
	o.resolve(f)
	if err := o.resolveMemoryLimit(); err != nil {
		return nil, nil, err
	}
	if err := o.resolveCaps(); err != nil {
		return nil, nil, err
	}
	if o.Workers < 0 {
		return nil, nil, usageErrorf("--workers %d: give a number of objects read at once, or 0 for two per CPU", o.Workers)
	}
	if o.Source == "" && o.Store == "" {
		return nil, nil, &UsageError{Err: withHint(fmt.Errorf("no logs given"), "--source ./AWSLogs (a folder, a file or s3://bucket/prefix), or --store FILE")}
	}
	var src source.Source
	if o.Source != "" {
		var err error
		if src, err = f.openSourceFor(ctx, o); err != nil {
			return nil, nil, err
		}
	}
	path := o.Store
	if path == "" {
		var err error
		if path, err = f.DefaultStorePath(src); err != nil {
			return nil, nil, err
		}
	}
	if o.DryRun && src != nil {
		return nil, nil, f.dryRun(ctx, o, src, path, hook)
	}
	readOnly := src == nil || o.NoLoad
	if readOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, nil, withHint(fmt.Errorf("open store %s: %w", path, err), "load logs first with --source")
		}
	}
	var opts ingest.Options
	if !readOnly {
		opts = ingest.Options{Strict: o.Strict, Workers: o.Workers, Log: f.Logger(), Progress: &progress.Counter{},
			Accounts: o.Accounts, Regions: o.Regions, MaxUncompressed: o.caps.file, MaxRecord: o.caps.record}
		if v := f.Getenv("TRAILQ_BATCH_RECORDS"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return nil, nil, usageErrorf("TRAILQ_BATCH_RECORDS=%q: want a positive number of records", v)
			}
			opts.BatchRecords = n
		}
		if hook != nil {
			hook(&opts)
		}
	}
	var plan *ingest.Plan
	loadSrc := src
	if first != nil && !readOnly {
		var err error
		first.storeOpts = o.queryStoreOptions()
		plan, err = first.answer(ctx, src, path, opts)
		if first.spoolDir != "" {
			defer os.RemoveAll(first.spoolDir)
		}
		if err != nil {
			return nil, nil, err
		}
		if first.loadSrc != nil {
			loadSrc = first.loadSrc
		}
		opts.Progress = &progress.Counter{}
	}
	sopts := store.Options{InitSQL: athena.InitSQL()}
	if readOnly {
		sopts = o.queryStoreOptions()
	}
	sopts.Notify = func(msg string) { fmt.Fprintln(f.IO.ErrOut, msg) }
	st, err := store.Open(ctx, path, sopts)
	if err != nil {
		return nil, nil, err
	}
	if readOnly {
		return st, nil, nil
	}
	if err := st.SetMeta(ctx, "source", src.String()); err != nil {
		st.Close()
		return nil, nil, err
	}
	var bar *progress.Bar
	if f.IO.ErrTTY {
		what := "Loading"
		if first != nil && first.answered {
			what = "Storing"
		}
		bar = progress.Start(f.IO.ErrOut, opts.Progress, what, 200*time.Millisecond)
	}
	var rep *ingest.Report
	if plan != nil {
		// Listed before the answer: brought up to date with the manifest, which another load may have changed.
		err = plan.Refresh(ctx, st)
	} else {
		plan, err = ingest.PlanLoad(ctx, src, st, opts)
	}
	switch {
	case err == nil:
		rep, err = ingest.Load(ctx, loadSrc, st, plan, opts)
	case plan != nil:
		rep = &plan.Report
	}
	bar.Stop()
	if err == nil {
		// The sign-in report reads each sign-in classified once (it would classify them as it reads otherwise).
		err = signin.Classify(ctx, st)
	}
	if rep != nil && err == nil {
		printReport(f.IO.ErrOut, rep, src, o.ReportFiles)
		printRequests(f.IO.ErrOut, src, rep)
		if f.unread = unreadInput(rep); f.unread != "" {
			fmt.Fprintf(f.IO.ErrOut, "Some input could not be read (%s): the rest is loaded, and the command ends with exit status %d.\n", f.unread, ExitPartial)
		}
	}
	if err != nil {
		st.Close()
		if rep != nil && rep.Loaded > 0 {
			fmt.Fprintf(f.IO.ErrOut, "Load stopped: %d of the %d objects read were committed (%d rows added); the rest was not kept and the next load reads it again.\n",
				rep.Committed, rep.Loaded, rep.Inserted)
		}
		if errors.Is(err, syscall.ENOSPC) || strings.Contains(err.Error(), "No space left on device") {
			err = withHint(err, "free space on the disk that holds "+path+", or give --store a file on another disk")
		}
		return nil, rep, err
	}
	// Answer from a read-only handle: user SQL cannot change the store, and the write lock is released.
	if err := st.Close(); err != nil {
		return nil, rep, fmt.Errorf("close store: %w", err)
	}
	if first != nil && first.answered {
		return nil, rep, nil
	}
	st, err = store.Open(ctx, path, o.queryStoreOptions())
	if err != nil {
		return nil, rep, err
	}
	return st, rep, nil
}

// printReport writes the load summary and every file with problems.
// At most maxFiles files are listed (0: all).
func printReport(w io.Writer, r *ingest.Report, src source.Source, maxFiles int) {
	newObjs := r.Loaded
	fmt.Fprintf(w, "Loaded %d new object%s (%s, %d records, %d added", newObjs, plural(newObjs), progress.HumanBytes(r.Bytes), r.Records, r.Inserted)
	if r.Duplicates > 0 {
		fmt.Fprintf(w, ", %d duplicates already stored", r.Duplicates)
	}
	fmt.Fprintf(w, ") from %s in %s; %d unchanged", src, r.Elapsed.Round(time.Millisecond), r.Unchanged)
	if len(r.Skipped) > 0 {
		fmt.Fprint(w, "; skipped")
		first := true
		for _, k := range []string{"digest", "insight", "config", "not-cloudtrail", "other"} {
			if n := r.Skipped[k]; n > 0 {
				if !first {
					fmt.Fprint(w, ",")
				}
				first = false
				fmt.Fprintf(w, " %d %s", n, skippedName(k))
			}
		}
	}
	fmt.Fprintln(w, ".")
	if len(r.Files) == 0 {
		return
	}
	fmt.Fprintf(w, "%d file%s with problems (the rest of each was loaded):\n", len(r.Files), plural(len(r.Files)))
	for i, fr := range r.Files {
		if maxFiles > 0 && i == maxFiles {
			fmt.Fprintf(w, "  … and %d more files: 'trailq load --source %s' lists them all\n", len(r.Files)-maxFiles, src)
			break
		}
		fmt.Fprintf(w, "  %s: %s", fr.Key, fr.Outcome)
		if fr.Detail != "" {
			fmt.Fprintf(w, ": %s", fr.Detail)
		}
		fmt.Fprintf(w, " (%d records loaded)\n", fr.Records)
		for i, p := range fr.Problems {
			if i == 3 {
				fmt.Fprintf(w, "    … and %d more\n", fr.ProblemCount-3)
				break
			}
			fmt.Fprintf(w, "    %s\n", p)
		}
	}
}

// unreadInput says what of its input a load could not read: folders or files not listed, files not read to
// their end, records skipped; "" when it read everything (files with odd fields stored as NULL were read).
func unreadInput(r *ingest.Report) string {
	var notListed, cut, skipped int
	for _, fr := range r.Files {
		switch fr.Outcome {
		case ingest.OutcomeNotListed:
			notListed++
		case store.OutcomeFailed, store.OutcomePartial:
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

func skippedName(kind string) string {
	switch kind {
	case "digest":
		return "digest files"
	case "insight":
		return "CloudTrail Insights files"
	case "config":
		return "AWS Config files"
	case "not-cloudtrail":
		return "JSON files that are not CloudTrail logs"
	}
	return "other files"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
