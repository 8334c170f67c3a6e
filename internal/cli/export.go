package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/progress"
	"github.com/trailq/trailq/internal/s3out"
	"github.com/trailq/trailq/internal/source/s3src"
)

// ExportOptions are the flags of trailq export.
type ExportOptions struct {
	SourceOptions
	Out      string
	Location string
	Table    string
	// Work is where an export to S3 is written first, in a new folder removed afterwards ("": beside the store).
	Work string
}

// safeTable is what --table accepts: a plain Athena table name.
var safeTable = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// The Athena DDL that export writes beside the data: with MSCK REPAIR TABLE, and with partition projection.
const (
	ddlFile       = "athena.sql"
	projectedFile = "athena-projection.sql"
)

// defaultLocation is --location's default for a local export.
const defaultLocation = "s3://YOUR-BUCKET/cloudtrail-parquet/"

// NewCmdExport builds "trailq export".
func NewCmdExport(f *Factory, runF func(context.Context, *ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{}
	cmd := &cobra.Command{
		Use:   "export --out DIR|s3://BUCKET/PREFIX",
		Short: "Write the events as Hive-partitioned Parquet, with Athena DDL, for Athena, Trino or Spark",
		Long: `Export writes every event of the store (loading new logs from --source first) as Parquet files under
--out, partitioned as account=…/region=…/year=…/month=…/day=…/, with Athena's CloudTrail columns (useridentity
a struct, resources a list of structs, requestparameters JSON text, …), and the Athena DDL of the same table
twice: ` + ddlFile + ` (CREATE EXTERNAL TABLE, then MSCK REPAIR TABLE to find the partitions) and
` + projectedFile + ` (the same table with partition projection over the export's accounts, regions and
years: no MSCK REPAIR, no crawler; new days are found as they come, new accounts or regions need the table
made again from a new export's DDL). Published Athena queries then run there as they run in trailq, over less
data than the JSON logs: this is how trailq hands work past one machine to Athena, Trino or Spark.

--out DIR writes a local folder; copy it to S3 (aws s3 sync) and give --location that S3 folder. DIR must be
new or empty, or hold an export that was stopped (killed): its files are removed and the export is written
again. Each file is written under a temporary name in DIR/.trailq-export-unfinished/ and renamed to its place
once complete and synced (the DDL last), so a .parquet file under DIR is never a partial one.

--out s3://BUCKET/PREFIX writes the export in a new local folder first (made in --work, by default beside the
store; removed afterwards), then uploads it with the AWS SDK (the same credentials, --profile, --aws-region
and --endpoint-url as an s3:// source): large files as multipart uploads, and only the files the prefix does
not already hold with the same size and checksum. An export of the same events is the same bytes, so a
re-run uploads only the partitions that are new or changed, and finishes an upload that was stopped. Data
files under the prefix that the export no longer has (account=…/…/events_N.parquet) are deleted; nothing
else there is touched. The DDL is uploaded last, and LOCATION is the --out folder.

EXIT STATUS
  0  exported
  1  an error
  2  a usage error`,
		Example: `  trailq export --source ./AWSLogs --out ./ct-parquet --location s3://my-analytics/cloudtrail/
  aws s3 sync ./ct-parquet s3://my-analytics/cloudtrail/
  # then run ./ct-parquet/` + projectedFile + ` in the Athena console

  # straight to S3; run it again each day to add the new partitions
  trailq export --source s3://my-trail-bucket/AWSLogs/ --out s3://my-analytics/cloudtrail/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runExport(cmd.Context(), f, opts)
		},
	}
	addSourceFlags(cmd, &opts.SourceOptions)
	addTrailFilterFlags(cmd, &opts.SourceOptions)
	cmd.Flags().StringVarP(&opts.Out, "out", "o", "", "folder to write (new or empty), or s3://bucket/prefix to upload to")
	cmd.Flags().StringVar(&opts.Location, "location", "", "S3 folder the DDL's LOCATION names: where you will copy --out (default: --out when it is s3://, else "+defaultLocation+")")
	cmd.Flags().StringVar(&opts.Table, "table", "cloudtrail_logs_parquet", "table name in the DDL")
	cmd.Flags().StringVar(&opts.Work, "work", "", "with --out s3://: folder in which to write the export before the upload, in a new folder removed afterwards (default: beside the store)")
	return cmd
}

func runExport(ctx context.Context, f *Factory, opts *ExportOptions) error {
	toS3 := strings.HasPrefix(opts.Out, "s3://")
	switch {
	case opts.Out == "":
		return usageErrorf("export needs --out DIR (a new or empty folder) or --out s3://bucket/prefix")
	case !safeTable.MatchString(opts.Table):
		return usageErrorf("--table %q: use letters, digits and underscores", opts.Table)
	case opts.Work != "" && !toS3:
		return usageErrorf("--work is for --out s3://…: a local --out is written in place")
	case opts.Location != "" && !strings.HasPrefix(opts.Location, "s3://"):
		return usageErrorf("--location %q: give the s3:// folder the export is (or will be) copied to", opts.Location)
	}
	start := time.Now()
	eo, err := f.engineOptions(ctx, &opts.SourceOptions, nil)
	if err != nil {
		return err
	}
	xo := engine.ExportOptions{Store: eo.StorePath, Dir: opts.Out, Table: opts.Table, Location: opts.Location,
		DDLFile: ddlFile, ProjectedFile: projectedFile}
	if toS3 {
		if xo.Upload, err = f.exportUploader(ctx, opts); err != nil {
			return err
		}
		xo.Dir = opts.Work
		if xo.Location == "" {
			xo.Location = xo.Upload.URL()
		}
	}
	if xo.Location == "" {
		xo.Location = defaultLocation
	}
	e := f.Engine()
	if eo.Source != nil && !eo.NoLoad {
		if _, err := e.Sync(ctx, eo); err != nil {
			return err
		}
	}
	res, err := e.Export(ctx, xo)
	if err != nil && !toS3 {
		return withHint(err, "give --out a new or empty folder on a disk with room for about 0.6× the gzipped logs")
	}
	if err != nil {
		if res.Uploaded != nil {
			printUpload(f, res.Uploaded)
		}
		return err
	}
	fmt.Fprintf(f.IO.ErrOut, "Exported %d events into %d Parquet files (%.1f MiB) in %s.\n",
		res.Rows, res.Files, float64(res.Bytes)/(1<<20), time.Since(start).Round(10*time.Millisecond))
	printLayout(f, res.Layout)
	if !toS3 {
		fmt.Fprintf(f.IO.ErrOut, "Wrote them under %s. Next: aws s3 sync %s %s, then run %s in Athena.\n",
			opts.Out, opts.Out, xo.Location, filepath.Join(opts.Out, projectedFile))
		return nil
	}
	printUpload(f, res.Uploaded)
	fmt.Fprintf(f.IO.ErrOut, "Next: run %s%s in Athena (or %s, then MSCK REPAIR TABLE).\n", xo.Upload.URL(), projectedFile, ddlFile)
	return nil
}

// exportUploader opens the bucket of --out s3://… with the command's S3 flags.
func (f *Factory) exportUploader(ctx context.Context, opts *ExportOptions) (*s3out.Uploader, error) {
	if _, _, err := s3src.ParseSpec(opts.Out); err != nil {
		return nil, usageErrorf("--out: %v", err)
	}
	dst, err := f.openS3(ctx, opts.Out, opts.S3)
	if err != nil {
		return nil, err
	}
	s3dst, ok := dst.(*s3src.Source)
	if !ok {
		return nil, fmt.Errorf("open %s: not an S3 bucket", opts.Out)
	}
	return s3out.New(s3dst.Client(), s3dst.Bucket(), s3dst.Prefix(), s3out.Options{
		Concurrency: opts.S3.Concurrency,
		Remove:      engine.ExportRemoves,
	}), nil
}

// printLayout says what the projected DDL enumerates.
func printLayout(f *Factory, l engine.ExportLayout) {
	fmt.Fprintf(f.IO.ErrOut, "Partitions: %d account%s, %d region%s, years from %s.\n",
		len(l.Accounts), plural(len(l.Accounts)), len(l.Regions), plural(len(l.Regions)), l.FirstYear)
	if l.Unplaced > 0 {
		fmt.Fprintf(f.IO.ErrOut, "Warning: %d events have no key date: the projected table does not read them (the MSCK REPAIR one does).\n", l.Unplaced)
	}
}

// printUpload says what an upload did.
func printUpload(f *Factory, r *s3out.Result) {
	fmt.Fprintf(f.IO.ErrOut, "S3: uploaded %d file%s (%s), %d already there", r.Uploaded, plural(r.Uploaded),
		progress.HumanBytes(r.Bytes), r.Skipped)
	if r.Deleted > 0 {
		fmt.Fprintf(f.IO.ErrOut, ", deleted %d old data file%s", r.Deleted, plural(r.Deleted))
	}
	fmt.Fprintln(f.IO.ErrOut, ".")
}
