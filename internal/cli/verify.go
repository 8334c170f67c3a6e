package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/trailq/trailq/internal/output"
	"github.com/trailq/trailq/internal/progress"
)

// VerifyOptions are the flags of trailq verify.
type VerifyOptions struct {
	Source string
	Store  string
	Format string
}

// NewCmdVerify builds "trailq verify".
func NewCmdVerify(f *Factory, runF func(context.Context, *VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify [--store FILE | --source PATH]",
		Short: "Check that every part file of the store is what its load wrote",
		Long: `Verify reads every part file of the store (the Parquet files in FILE.parts/ that hold the events) and
compares its size and SHA-256 with what the load that wrote it recorded. Every command that opens the store
checks sizes and times, which is quick; verify hashes everything, which finds any changed byte. It changes
nothing: 'trailq load' drops damaged parts and reads their log files again.

EXIT STATUS
  0  every part is intact
  1  a part is damaged or missing (listed), or an error
  2  a usage error`,
		Example: `  trailq verify --store ./audit.duckdb
  trailq verify --source s3://my-trail-bucket/ --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runVerify(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Source, "source", "s", "", "the logs whose store to verify (env TRAILQ_SOURCE); nothing is read from them")
	cmd.Flags().StringVar(&opts.Store, "store", "", "store file to verify (env TRAILQ_STORE)")
	cmd.Flags().StringVar(&opts.Format, "format", "", "output format: table, csv, tsv, json, jsonl (default: table on a terminal, csv otherwise)")
	return cmd
}

func runVerify(ctx context.Context, f *Factory, opts *VerifyOptions) error {
	format, err := f.OutputFormat(opts.Format)
	if err != nil {
		return err
	}
	so := &SourceOptions{Source: opts.Source, Store: opts.Store}
	so.resolve(f)
	path := so.Store
	if path == "" {
		if so.Source == "" {
			return usageErrorf("verify needs --store FILE or --source PATH")
		}
		src, err := f.openSourceFor(ctx, so)
		if err != nil {
			return err
		}
		if path, err = f.DefaultStorePath(src); err != nil {
			return err
		}
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return withHint(fmt.Errorf("verify store %s: %w", path, err), "load logs first with trailq load --source …")
	}
	checks, lost, err := f.Engine().Verify(ctx, path)
	if err != nil {
		return err
	}
	w := output.New(f.IO.Out, format, output.Options{})
	w.Header([]string{"part", "rows", "bytes", "status"})
	var bad, unrecorded int
	var bytes int64
	for _, c := range checks {
		status := "ok"
		switch {
		case c.Problem != "":
			status, bad = c.Problem, bad+1
		case c.Unrecorded:
			status, unrecorded = "no checksum recorded (a store made before checksums: the next load records them)", unrecorded+1
		}
		bytes += c.Size
		w.Row([]any{c.Name, c.Rows, c.Size, status})
	}
	if err := w.Close(); err != nil {
		return err
	}
	if bad > 0 {
		return withHint(fmt.Errorf("verify store %s: %d of %d part files are damaged or missing", path, bad, len(checks)),
			"run trailq load with the store's source: it drops the damaged parts and reads their log files again")
	}
	fmt.Fprintf(f.IO.ErrOut, "%d part files (%s) of %s match what their loads recorded", len(checks)-unrecorded, progress.HumanBytes(bytes), path)
	if unrecorded > 0 {
		fmt.Fprintf(f.IO.ErrOut, "; %d have no checksum yet", unrecorded)
	}
	fmt.Fprintln(f.IO.ErrOut, ".")
	if len(lost) > 0 {
		fmt.Fprintf(f.IO.ErrOut, "The events of %d log file%s are missing: a damaged part was dropped and they were not read again since (load from their source to restore them):\n", len(lost), plural(len(lost)))
		for _, l := range lost {
			fmt.Fprintf(f.IO.ErrOut, "  %s (%d records) lost %s: %s\n", l.Key, l.Records, l.At.UTC().Format("2006-01-02 15:04 UTC"), l.Reason)
		}
		return withHint(fmt.Errorf("verify store %s: the events of %d log file%s are missing", path, len(lost), plural(len(lost))),
			"run trailq load with the store's source while the log files are still there")
	}
	return nil
}
