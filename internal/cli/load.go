package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/trailq/trailq/internal/engine"
)

// LoadOptions are the flags of trailq load.
type LoadOptions struct {
	SourceOptions
	PeriodOptions
	FollowOptions
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

With --since (and --until), only the log files of that period are read: the UTC dates it spans, plus a
margin (--lag) for files delivered after its end; over S3 only those day folders are listed.

With --follow, load keeps going: it polls the source every --interval (1m) and loads what CloudTrail
delivered since, listing only every trail's current and previous UTC day from the last key seen (over
S3, one request per day folder), and lists the source whole every --full-every (1h) for late deliveries.
A poll that fails (the network, the store held by another trailq) is told, and retried after a backoff;
Ctrl-C or SIGTERM lets the poll being loaded finish, then stops with status 0.

--max-file-size (2GiB) bounds what is read of one file, decompressed, and --max-record-size (64MiB) one
record: the rest of a larger file, or a larger record, is left out and named.

EXIT STATUS
  0  the load finished (files with odd fields, stored as NULL, are listed, not fatal)
  1  an error, or a problem under --strict
  2  a usage error
  4  the load finished, but some input could not be read: a folder or file not listed, a file not read to
     its end, a record skipped (each is named); the rest is loaded. A later load that finds nothing new
     ends 0: the store's manifest keeps the files' outcomes
  130  interrupted: what was read before is kept (with --follow: 0)`,
		Example: `  trailq load --source ./AWSLogs
  trailq load --source s3://my-trail-bucket/ --profile audit --account 111122223333 --region us-east-1
  trailq load --source ./AWSLogs --store ./audit.duckdb --strict
  trailq load --source s3://my-trail-bucket/ --since 90d          # the last 90 days only
  trailq load --source s3://my-trail-bucket/ --follow             # and keep loading as CloudTrail delivers`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.NoLoad = false
			opts.ReportFiles = 0
			if err := opts.FollowOptions.check(cmd, &opts.SourceOptions); err != nil {
				return err
			}
			if opts.Follow && opts.Until != "" {
				return usageErrorf("--follow loads what arrives: it does not go with --until")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runLoad(cmd.Context(), f, opts)
		},
	}
	addSourceFlags(cmd, &opts.SourceOptions)
	addTrailFilterFlags(cmd, &opts.SourceOptions)
	cmd.Flags().Lookup("no-load").Hidden = true
	opts.addFlags(cmd.Flags(), "", "", "read --since/--until in UTC")
	addFollowFlags(cmd, &opts.FollowOptions, "load new logs")
	return cmd
}

func runLoad(ctx context.Context, f *Factory, opts *LoadOptions) error {
	opts.resolve(f)
	if opts.Source == "" {
		return usageErrorf("load needs --source (a folder, a file, or s3://bucket/prefix)")
	}
	hook, err := opts.keyDays(f)
	if err != nil {
		return err
	}
	if opts.Follow {
		return followLoad(ctx, f, opts, hook)
	}
	st, _, err := f.OpenStore(ctx, &opts.SourceOptions, hook)
	if err != nil {
		return err
	}
	if st == nil {
		return nil // --dry-run
	}
	fmt.Fprintf(f.IO.ErrOut, "Store: %s ('trailq stores' lists every store).\n", st.Path())
	return st.Close()
}

// keyDays returns the load hook of --since/--until (the key dates of the period, with --lag), or nil.
func (o *LoadOptions) keyDays(f *Factory) (LoadHook, error) {
	switch {
	case o.Since == "" && o.Until == "":
		return nil, nil
	case o.Since == "":
		return nil, usageErrorf("--until needs --since")
	case o.UTC && o.TZ != "":
		return nil, usageErrorf("give --tz or --utc, not both")
	}
	if err := checkLag(o.Lag); err != nil {
		return nil, err
	}
	loc, err := o.zone(f)
	if err != nil {
		return nil, err
	}
	now := f.Now()
	p, err := o.period(now, loc)
	if err != nil {
		return nil, err
	}
	d, ok := p.KeyDays(now, o.Lag)
	if !ok {
		return nil, nil
	}
	return func(lo *engine.LoadOptions) { lo.Days = &d }, nil
}

// followLoad is load --follow: the engine's follower, until ctx is done.
func followLoad(ctx context.Context, f *Factory, opts *LoadOptions, hook LoadHook) error {
	eo, err := f.engineOptions(ctx, &opts.SourceOptions, hook)
	if err != nil {
		return err
	}
	fmt.Fprintf(f.IO.ErrOut, "Store: %s ('trailq stores' lists every store).\n", eo.StorePath)
	f.followIntro(eo.Source, &opts.FollowOptions)
	e := f.Engine()
	fo := opts.FollowOptions.engineOptions()
	fo.Polled = opts.hooked(f.followEngine(e, eo.Source))
	return f.followed(ctx, e.Follower(eo, fo))
}
