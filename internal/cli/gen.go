package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailq/trailq/internal/gen"
	"github.com/trailq/trailq/internal/progress"
)

// GenOptions are the flags of trailq gen.
type GenOptions struct {
	Out      string
	Records  int
	Days     int
	Accounts int
	Seed     uint64
	Org      string
	Start    string
	Workers  int
	DryRun   bool
}

// NewCmdGen builds "trailq gen".
func NewCmdGen(f *Factory, runF func(context.Context, *GenOptions) error) *cobra.Command {
	opts := &GenOptions{}
	cmd := &cobra.Command{
		Use:   "gen --out DIR",
		Short: "Write a realistic synthetic CloudTrail log tree (for benchmarks and demos)",
		Long: `Gen writes synthetic CloudTrail log files under DIR/AWSLogs/, laid out as CloudTrail delivers them to S3:
one file per account, region and 5-minute delivery, many small files in quiet regions and larger ones in busy
regions, about 35 kinds of API calls with their nested parameters, access denials and throttling, and about
1.5 % console sign-in events (IAM users with and without MFA, root, IAM Identity Center, role switches and
bursts of failed sign-ins from one address). With --org the tree is an organization trail.

The same flags give the same bytes: --seed selects the data.

EXIT STATUS
  0  the files were written
  1  an error
  2  a usage error`,
		Example: `  # A month of two accounts' logs, 200,000 records:
  trailq gen --out /tmp/ct --records 200000 --days 30 --accounts 2
  trailq query --source /tmp/ct/AWSLogs "SELECT eventname, count(*) FROM cloudtrail_logs GROUP BY 1 ORDER BY 2 DESC"

  # An organization trail; only print how many objects it would write:
  trailq gen --out /tmp/org --records 1000000 --days 7 --accounts 12 --org o-a1b2c3d4e5 --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Out == "" && !opts.DryRun {
				return usageErrorf("gen needs --out DIR")
			}
			if opts.Start != "" {
				if _, err := time.Parse("2006-01-02", opts.Start); err != nil {
					return usageErrorf("--start %q is not a date (YYYY-MM-DD)", opts.Start)
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runGen(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Out, "out", "", "folder to write AWSLogs/… under")
	fl.IntVar(&opts.Records, "records", 100_000, "number of records")
	fl.IntVar(&opts.Days, "days", 7, "number of UTC days")
	fl.IntVar(&opts.Accounts, "accounts", 3, "number of AWS accounts")
	fl.Uint64Var(&opts.Seed, "seed", 1, "random seed: the same seed and flags give the same files")
	fl.StringVar(&opts.Org, "org", "", "organization ID (o-…): write an organization trail")
	fl.StringVar(&opts.Start, "start", gen.DefaultStart.Format("2006-01-02"), "first day (UTC, YYYY-MM-DD)")
	fl.IntVar(&opts.Workers, "workers", 0, "files built at once (default: one per CPU)")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "only print how many objects and records the tree would have")
	return cmd
}

func runGen(ctx context.Context, f *Factory, opts *GenOptions) error {
	start, _ := time.Parse("2006-01-02", opts.Start)
	p, err := gen.NewPlan(gen.Options{Records: opts.Records, Days: opts.Days, Accounts: opts.Accounts, Seed: opts.Seed,
		Org: opts.Org, Start: start, Workers: opts.Workers})
	if err != nil {
		return &UsageError{Err: err}
	}
	st := p.Stats()
	if opts.DryRun {
		fmt.Fprintf(f.IO.Out, "%d objects, %d records (%d to %d per object)\n", st.Objects, st.Records, st.Min, st.Max)
		return nil
	}
	c := &progress.Counter{}
	c.Total.Store(int64(st.Objects))
	var bar *progress.Bar
	if f.IO.ErrTTY {
		bar = progress.Start(f.IO.ErrOut, c, "Writing", 200*time.Millisecond)
	}
	sum, err := gen.Generate(ctx, p, opts.Out, func(int) { c.Done.Add(1) })
	bar.Stop()
	if err != nil {
		return err
	}
	fmt.Fprintf(f.IO.ErrOut, "Wrote %d objects (%s gzip, %s JSON), %d records (%d sign-in events) to %s in %s\n",
		sum.Objects, progress.HumanBytes(sum.Bytes), progress.HumanBytes(sum.Uncompressed), sum.Records, sum.Signins,
		opts.Out, sum.Elapsed.Round(time.Millisecond))
	return nil
}
