package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// LoadOptions are the flags of trailq load.
type LoadOptions struct {
	SourceOptions
}

// NewCmdLoad builds "trailq load".
func NewCmdLoad(f *Factory, runF func(context.Context, *LoadOptions) error) *cobra.Command {
	opts := &LoadOptions{}
	cmd := &cobra.Command{
		Use:   "load --source PATH",
		Short: "Load new CloudTrail logs into the local store",
		Long: `Load reads the CloudTrail log files of a source that the store does not have yet (new or changed
objects) and adds their records. Files that are not trail logs (digest, Insights and AWS Config files) are
skipped and counted. A broken file is named with the reason and every good record in it is still loaded.

EXIT STATUS
  0  the load finished (files with problems are listed, not fatal)
  1  an error, or a problem under --strict
  2  a usage error
  130  interrupted: what was read before is kept`,
		Example: `  trailq load --source ./AWSLogs
  trailq load --source s3://my-trail-bucket/ --profile audit --account 111122223333 --region us-east-1
  trailq load --source ./AWSLogs --store ./audit.duckdb --strict`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.NoLoad = false
			opts.ReportFiles = 0
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runLoad(cmd.Context(), f, opts)
		},
	}
	addSourceFlags(cmd, &opts.SourceOptions)
	addTrailFilterFlags(cmd, &opts.SourceOptions)
	cmd.Flags().Lookup("no-load").Hidden = true
	return cmd
}

func runLoad(ctx context.Context, f *Factory, opts *LoadOptions) error {
	opts.resolve(f)
	if opts.Source == "" {
		return usageErrorf("load needs --source (a folder, a file, or s3://bucket/prefix)")
	}
	st, _, err := f.OpenStore(ctx, &opts.SourceOptions, nil)
	if err != nil {
		return err
	}
	return st.Close()
}
