package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trailq/trailq/internal/engine"
)

// DDLOptions are the flags of trailq ddl athena.
type DDLOptions struct {
	Source   string
	S3       S3Options
	Table    string
	Database string
	Location string
}

// NewCmdDDL builds "trailq ddl", whose one subcommand is athena.
func NewCmdDDL(f *Factory, runF func(context.Context, *DDLOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ddl",
		Short: "Print the DDL of a table over the raw CloudTrail logs, for those who stay on Athena",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newCmdDDLAthena(f, runF))
	return cmd
}

func newCmdDDLAthena(f *Factory, runF func(context.Context, *DDLOptions) error) *cobra.Command {
	opts := &DDLOptions{}
	cmd := &cobra.Command{
		Use:   "athena --source s3://BUCKET/[PREFIX]",
		Short: "Print CREATE EXTERNAL TABLE for a bucket's CloudTrail logs, with partition projection",
		Long: `ddl athena lists the trail folders of --source (folder listings only: no log is read) and prints the
Athena CREATE EXTERNAL TABLE over its raw logs: the columns, types and JSON SerDe of the table the CloudTrail
console makes, partitioned by account, region and timestamp (the day, yyyy/MM/dd) with partition projection:
the accounts and regions found as enums, the days from the first found to NOW, and the folders' template. No
partition is ever added by hand and no MSCK REPAIR is run; a new day is found as it comes. A new account or
region needs the table made again (run this again).

An organization trail's logs (AWSLogs/o-…/<account>/…) get a table of their own; when the source holds more
than one folder of accounts, each table's name gets the folder's organization (or key prefix) as a suffix.
A source that is one account's folder (…/AWSLogs/<account>/) gives the table over the folder above it,
projected onto that account.

--source may be a local copy of a bucket (a folder holding AWSLogs/): the DDL then names the folder's path,
to be replaced by the bucket's s3:// address (or give it as --location s3://bucket/).

On stderr: what was found (accounts, regions, first day) for each table.

EXIT STATUS
  0  printed
  1  an error (nothing CloudTrail-shaped under --source, a listing refused)
  2  a usage error`,
		Example: `  trailq ddl athena --source s3://my-trail-bucket/ > cloudtrail.sql
  trailq ddl athena --source s3://my-trail-bucket/AWSLogs/o-abc123defg/ --database security --table org_trail
  trailq ddl athena --source ./bucket-copy --location s3://my-trail-bucket/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runDDLAthena(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Source, "source", "s", "", "CloudTrail logs: s3://bucket/prefix or a folder copy of one (env TRAILQ_SOURCE)")
	fl.StringVar(&opts.Table, "table", "cloudtrail_logs", "table name")
	fl.StringVar(&opts.Database, "database", "", "database (Glue catalog) the table is made in (default: the query editor's)")
	fl.StringVar(&opts.Location, "location", "", "s3:// address that --source stands for (default: the source's own; for a folder, give the bucket it was copied from)")
	fl.StringVar(&opts.S3.Profile, "profile", "", "AWS profile for s3:// sources (default: AWS_PROFILE, else the default credential chain)")
	fl.StringVar(&opts.S3.Region, "aws-region", "", "region of the first S3 request (the bucket's own region is found out)")
	fl.StringVar(&opts.S3.EndpointURL, "endpoint-url", "", "`URL` of an S3-compatible store (env AWS_ENDPOINT_URL_S3)")
	return cmd
}

func runDDLAthena(ctx context.Context, f *Factory, opts *DDLOptions) error {
	if opts.Source == "" {
		opts.Source = f.Getenv("TRAILQ_SOURCE")
	}
	switch {
	case opts.Source == "":
		return usageErrorf("ddl athena needs --source s3://bucket/[prefix] (or a folder copy of the bucket)")
	case !safeTable.MatchString(opts.Table):
		return usageErrorf("--table %q: use letters, digits and underscores", opts.Table)
	case opts.Database != "" && !safeTable.MatchString(opts.Database):
		return usageErrorf("--database %q: use letters, digits and underscores", opts.Database)
	case opts.Location != "" && !strings.HasPrefix(opts.Location, "s3://"):
		return usageErrorf("--location %q: give the s3:// address the source stands for", opts.Location)
	}
	so := &SourceOptions{Source: opts.Source, S3: opts.S3}
	src, err := f.openSourceFor(ctx, so)
	if err != nil {
		return err
	}
	res, err := f.Engine().LogsDDL(ctx, src, engine.LogsDDLOptions{Database: opts.Database, Table: opts.Table, Location: opts.Location})
	if err != nil {
		return err
	}
	for i, t := range res.Tables {
		if i > 0 {
			fmt.Fprintln(f.IO.Out)
		}
		fmt.Fprint(f.IO.Out, res.DDL[i])
		fmt.Fprintf(f.IO.ErrOut, "%s: %d account%s (%s), %d region%s (%s), first day %s, under %s\n", t.Name,
			len(t.Accounts), plural(len(t.Accounts)), strings.Join(t.Accounts, ", "),
			len(t.Regions), plural(len(t.Regions)), strings.Join(t.Regions, ", "), t.FirstDay, t.Root)
	}
	if res.Local {
		fmt.Fprintf(f.IO.ErrOut, "Note: LOCATION and storage.location.template name the folder %s: replace it with the s3:// address it was copied from (or run again with --location s3://bucket/…).\n",
			res.Base)
	}
	return nil
}
