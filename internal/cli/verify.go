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
	// Logs switches to checking the source's log files against their digest files.
	Logs       bool
	PublicKeys []string
	Period     PeriodOptions
	Files      bool
	S3         S3Options
}

// NewCmdVerify builds "trailq verify".
func NewCmdVerify(f *Factory, runF func(context.Context, *VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify [--store FILE | --source PATH] | verify --logs --source PATH [--public-keys FILE]",
		Short: "Check the store's part files, or (--logs) the trail's log files against CloudTrail's signed digests",
		Long: `Verify has two checks.

Without --logs it reads every part file of the store (the Parquet files in FILE.parts/ that hold the events) and
compares its size and SHA-256 with what the load that wrote it recorded. Every command that opens the store
checks sizes and times, which is quick; verify hashes everything, which finds any changed byte. It changes
nothing: 'trailq load' drops damaged parts and reads their log files again.

With --logs it checks the log files in --source against the digest files CloudTrail writes beside them when
log file validation is on (CloudTrail-Digest/), as 'aws cloudtrail validate-logs' does: each digest's
SHA256withRSA signature (kept in the S3 object's x-amz-meta-signature) with CloudTrail's public key of that
region and time, each trail's chain of digests (every digest names the one before it), and the SHA-256 of every
log file a digest lists. It reports, per account, region, trail and UTC day:
  valid          the file is what CloudTrail wrote
  missing        a digest lists a log file the source does not have
  modified       a log file (or a digest) is not what its digest recorded
  not covered    a log file no digest lists, delivered while digests cover its account and region
  chain gap      a digest the next one names as its previous is not there (deleted)
  bad signature  the digest's signature does not match (or an S3 object has none)
  unknown key    no public key with the digest's fingerprint, valid at its time
  unsigned       no signature to check (not a failure, but said): a folder copy of the bucket keeps no S3
                 metadata; save each digest's signature as <digest file>.sig to have it checked
Public keys: --public-keys FILE (the JSON of 'aws cloudtrail list-public-keys --region R', one file per
region of the trail); without it, an s3:// source asks cloudtrail:ListPublicKeys with the same credentials.
--since/--until limit the check to the digests and log files of a period. The results for the log files the
source's store holds (--store, or the source's own) are recorded in it: signins then says whether the logs it
reads were verified, and --verified-only refuses to answer from any that were not.

EXIT STATUS
  0  every part is intact (--logs: every file checked is valid; unsigned digests are said, not failed)
  1  a part is damaged or missing, or (--logs) a file failed a check (listed on stderr), or an error
  2  a usage error`,
		Example: `  trailq verify --store ./audit.duckdb
  trailq verify --source s3://my-trail-bucket/ --format json
  trailq verify --logs --source s3://my-trail-bucket/ --since 7d
  aws cloudtrail list-public-keys --region eu-west-1 --start-time 2024-09-01 > keys-eu-west-1.json
  trailq verify --logs --source ./AWSLogs-copy --public-keys keys-eu-west-1.json --since 2024-09-01 --until 2024-09-30 --files`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.check(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			if opts.Logs {
				return runVerifyLogs(cmd.Context(), f, opts)
			}
			return runVerify(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Source, "source", "s", "", "the logs whose store to verify (env TRAILQ_SOURCE); with --logs, the logs to check")
	fl.StringVar(&opts.Store, "store", "", "store file to verify (env TRAILQ_STORE); with --logs, the store the results are recorded in (default: the source's)")
	fl.StringVar(&opts.Format, "format", "", "output format: table, csv, tsv, json, jsonl (default: table on a terminal, csv otherwise)")
	fl.BoolVar(&opts.Logs, "logs", false, "check the source's log files against CloudTrail's signed digest files instead of the store")
	fl.StringArrayVar(&opts.PublicKeys, "public-keys", nil, "with --logs: `FILE` of 'aws cloudtrail list-public-keys' JSON (repeatable, one per region; default for s3://: ask cloudtrail:ListPublicKeys)")
	fl.BoolVar(&opts.Files, "files", false, "with --logs: one row per file checked (status and why), not one per trail and day")
	fl.StringVar(&opts.Period.Since, "since", "", "with --logs: start of the period: a date, month (2024-09), date-time, RFC 3339 time, relative time (7d, 24h), today, yesterday, this-month or last-month")
	fl.StringVar(&opts.Period.Until, "until", "", "with --logs: end of the period (a date includes the whole day; default: now)")
	fl.StringVar(&opts.Period.TZ, "tz", "", "IANA time zone --since/--until are read in (default: local)")
	fl.BoolVar(&opts.Period.UTC, "utc", false, "read --since/--until in UTC")
	fl.StringVar(&opts.S3.Profile, "profile", "", "AWS profile for s3:// sources (default: AWS_PROFILE, else the default credential chain)")
	fl.StringVar(&opts.S3.Region, "aws-region", "", "region of the first S3 request (default: AWS_REGION or the profile's)")
	fl.StringVar(&opts.S3.EndpointURL, "endpoint-url", "", "`URL` of an S3-compatible store (env AWS_ENDPOINT_URL_S3)")
	return cmd
}

// check refuses flags that do not go together.
func (o *VerifyOptions) check(cmd *cobra.Command) error {
	if !o.Logs {
		for _, name := range []string{"public-keys", "files", "since", "until", "tz", "utc"} {
			if cmd.Flags().Changed(name) {
				return usageErrorf("--%s goes with --logs (checking log files against their digests)", name)
			}
		}
		return nil
	}
	if o.Period.UTC && o.Period.TZ != "" {
		return usageErrorf("give --tz or --utc, not both")
	}
	return nil
}

func runVerify(ctx context.Context, f *Factory, opts *VerifyOptions) error {
	format, err := f.OutputFormat(opts.Format)
	if err != nil {
		return err
	}
	so := &SourceOptions{Source: opts.Source, Store: opts.Store, S3: opts.S3}
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
