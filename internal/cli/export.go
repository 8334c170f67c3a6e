package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"time"

	"github.com/spf13/cobra"
)

// ExportOptions are the flags of trailq export.
type ExportOptions struct {
	SourceOptions
	Out      string
	Location string
	Table    string
}

// safeTable is what --table accepts: a plain Athena table name.
var safeTable = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ddlFile is the name of the Athena DDL that export writes beside the data.
const ddlFile = "athena.sql"

// NewCmdExport builds "trailq export".
func NewCmdExport(f *Factory, runF func(context.Context, *ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{}
	cmd := &cobra.Command{
		Use:   "export --out DIR",
		Short: "Write the events as Hive-partitioned Parquet, with Athena DDL, for Athena, Trino or Spark",
		Long: `Export writes every event of the store (loading new logs from --source first) as Parquet files under
DIR, partitioned as account=…/region=…/year=…/month=…/day=…/, with Athena's CloudTrail columns (useridentity
a struct, resources a list of structs, requestparameters JSON text, …). DIR/` + ddlFile + ` holds the Athena
statements for the same table: copy DIR to S3 (aws s3 sync DIR s3://bucket/prefix/), then run them in Athena
with --location set to that S3 folder. Published Athena queries then run there as they run in trailq, over
less data than the JSON logs (Parquet is columnar and compressed): this is how trailq hands work past one
machine to Athena, Trino or Spark.

DIR must be new or empty, or hold an export that was stopped (killed): its files are removed and the export
is written again. Each file is written under a temporary name in DIR/.trailq-export-unfinished/ and renamed to
its place once complete and synced (` + ddlFile + ` last), so a .parquet file under DIR is never a partial one.

EXIT STATUS
  0  exported
  1  an error
  2  a usage error`,
		Example: `  trailq export --source ./AWSLogs --out ./ct-parquet --location s3://my-analytics/cloudtrail/
  aws s3 sync ./ct-parquet s3://my-analytics/cloudtrail/ --exclude ` + ddlFile + `
  # then run ./ct-parquet/` + ddlFile + ` in the Athena console`,
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
	cmd.Flags().StringVarP(&opts.Out, "out", "o", "", "folder to write (new or empty)")
	cmd.Flags().StringVar(&opts.Location, "location", "s3://YOUR-BUCKET/cloudtrail-parquet/", "S3 folder the DDL's LOCATION names: where you will copy --out")
	cmd.Flags().StringVar(&opts.Table, "table", "cloudtrail_logs_parquet", "table name in the DDL")
	return cmd
}

func runExport(ctx context.Context, f *Factory, opts *ExportOptions) error {
	if opts.Out == "" {
		return usageErrorf("export needs --out DIR (a new or empty folder)")
	}
	if !safeTable.MatchString(opts.Table) {
		return usageErrorf("--table %q: use letters, digits and underscores", opts.Table)
	}
	start := time.Now()
	eo, err := f.engineOptions(ctx, &opts.SourceOptions, nil)
	if err != nil {
		return err
	}
	e := f.Engine()
	if eo.Source != nil && !eo.NoLoad {
		if _, err := e.Sync(ctx, eo); err != nil {
			return err
		}
	}
	res, err := e.Export(ctx, eo.StorePath, opts.Out, ddlFile, opts.Table, opts.Location)
	if err != nil {
		return withHint(err, "give --out a new or empty folder on a disk with room for about 0.6× the gzipped logs")
	}
	ddl := filepath.Join(opts.Out, ddlFile)
	fmt.Fprintf(f.IO.ErrOut, "Exported %d events into %d Parquet files (%.1f MiB) under %s in %s.\n",
		res.Rows, res.Files, float64(res.Bytes)/(1<<20), opts.Out, time.Since(start).Round(10*time.Millisecond))
	fmt.Fprintf(f.IO.ErrOut, "Next: aws s3 sync %s %s --exclude %s, then run %s in Athena.\n", opts.Out, opts.Location, ddlFile, ddl)
	return nil
}
