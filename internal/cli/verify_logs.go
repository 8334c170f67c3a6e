package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/trailq/trailq/internal/digest"
	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/output"
)

// verifyStatuses are the columns of the per-period table, in order.
var verifyStatuses = []digest.Status{digest.Valid, digest.Missing, digest.Modified, digest.NotCovered, digest.ChainGap,
	digest.BadSignature, digest.UnknownKey, digest.Unsigned, digest.Invalid, digest.Unreadable}

func runVerifyLogs(ctx context.Context, f *Factory, opts *VerifyOptions) error {
	format, err := f.OutputFormat(opts.Format)
	if err != nil {
		return err
	}
	so := &SourceOptions{Source: opts.Source, Store: opts.Store, S3: opts.S3}
	so.resolve(f)
	if so.Source == "" {
		return usageErrorf("verify --logs needs --source PATH (a folder copy of the trail's bucket, or s3://bucket/prefix)")
	}
	loc, err := opts.Period.zone(f)
	if err != nil {
		return err
	}
	period, err := opts.Period.period(f.Now(), loc)
	if err != nil {
		return err
	}
	eo, err := f.engineOptions(ctx, so, nil)
	if err != nil {
		return err
	}
	src := eo.Source
	e := f.Engine()
	if _, err := os.Stat(eo.StorePath); err == nil {
		// The store first takes what changed in the source, so that the checks are of the versions it holds.
		if _, err := e.Sync(ctx, eo); err != nil {
			return err
		}
	}
	rep, err := e.VerifyLogs(ctx, engine.VerifyLogsOptions{Source: src, KeyFiles: opts.PublicKeys,
		From: period.Start, To: period.End, Workers: so.Workers})
	if err != nil {
		return err
	}
	w := output.New(f.IO.Out, format, output.Options{})
	if opts.Files {
		writeVerifyFiles(w, rep)
	} else {
		writeVerifyPeriods(w, rep)
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := recordLogChecks(ctx, f, eo.StorePath, rep); err != nil {
		return err
	}
	return summarizeVerifyLogs(f.IO.ErrOut, src.String(), rep)
}

// recordLogChecks keeps the results in the source's store, when it has one, for the commands that say whether
// the logs they read were verified.
func recordLogChecks(ctx context.Context, f *Factory, path string, rep *engine.LogsReport) error {
	n, err := f.Engine().RecordLogChecks(ctx, path, rep, f.Now())
	if err != nil {
		return err
	}
	if n > 0 {
		fmt.Fprintf(f.IO.ErrOut, "Recorded the checks of %d log file%s in the store %s: signins, detect and trace say whether the logs they read were verified (--verified-only to insist).\n", n, plural(n), path)
	}
	return nil
}

func utcText(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func writeVerifyPeriods(w output.Writer, rep *engine.LogsReport) {
	header := []string{"account", "region", "trail", "day", "from", "to", "digests", "logs"}
	for _, s := range verifyStatuses {
		header = append(header, strings.ReplaceAll(string(s), " ", "_"))
	}
	w.Header(append(header, "status"))
	for _, p := range rep.Periods() {
		row := []any{p.Trail.Account, p.Trail.Region, p.Trail.Name, p.Day.Format("2006-01-02"), utcText(p.From), utcText(p.To), p.Digests, p.Logs}
		status := "ok"
		for _, s := range verifyStatuses {
			row = append(row, p.Counts[s])
			if p.Counts[s] > 0 && s.Failed() {
				status = "FAILED"
			}
		}
		w.Row(append(row, status))
	}
}

func writeVerifyFiles(w output.Writer, rep *engine.LogsReport) {
	w.Header([]string{"kind", "key", "account", "region", "trail", "start", "end", "status", "detail", "digest"})
	for _, r := range rep.Results {
		w.Row([]any{r.Kind, r.Key, r.Trail.Account, r.Trail.Region, r.Trail.Name, utcText(r.Start), utcText(r.End), string(r.Status), r.Detail, r.Digest})
	}
}

// summarizeVerifyLogs names every failed file on stderr, says what could not be checked, and returns the error
// that ends the command with exit status 1 when a file failed.
func summarizeVerifyLogs(w io.Writer, src string, rep *engine.LogsReport) error {
	byStatus := map[digest.Status]int{}
	digests, logs, unsigned := 0, 0, 0
	for _, r := range rep.Results {
		byStatus[r.Status]++
		if r.Kind == "digest" {
			digests++
		} else {
			logs++
		}
		if r.Status == digest.Unsigned {
			unsigned++
		}
		if r.Status.Failed() {
			fmt.Fprintf(w, "%s %s: %s", strings.ToUpper(string(r.Status)), r.Kind, r.Key)
			if r.Detail != "" {
				fmt.Fprintf(w, ": %s", r.Detail)
			}
			fmt.Fprintln(w)
		}
	}
	if unsigned > 0 {
		fmt.Fprintf(w, "%d digest file%s have no signature to check (a folder copy keeps no S3 metadata): their hashes and chain were checked, not who wrote them. Save each digest's signature as <digest file>.sig (aws s3api head-object --bucket B --key K --query Metadata.signature --output text) to check it.\n",
			unsigned, plural(unsigned))
	}
	failed := rep.Failures()
	if failed == 0 {
		fmt.Fprintf(w, "%d digest files and %d log files of %s checked: no failure.\n", digests, logs, src)
		return nil
	}
	var parts []string
	for _, s := range verifyStatuses {
		if n := byStatus[s]; n > 0 && s.Failed() {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	return withHint(fmt.Errorf("verify logs of %s: %d of %d files failed (%s)", src, failed, digests+logs, strings.Join(parts, ", ")),
		"each is named above; --files --format json lists every file with its status")
}
