package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/progress"
	"github.com/trailq/trailq/internal/source"
	"github.com/trailq/trailq/internal/source/s3src"
)

// S3Options are the flags that say how to reach an s3:// source.
type S3Options struct {
	Profile     string
	Region      string
	EndpointURL string
	// Concurrency is the number of objects fetched at once from S3 (0: s3src.DefaultConcurrency).
	Concurrency int
}

// addS3Flags adds the S3 and --dry-run flags to a command that takes --source. The region flag is
// --aws-region because --region filters events by region in the commands that have that filter.
func addS3Flags(cmd *cobra.Command, o *SourceOptions) {
	fl := cmd.Flags()
	fl.StringVar(&o.S3.Profile, "profile", "", "AWS profile for s3:// sources (default: AWS_PROFILE, else the default credential chain)")
	fl.StringVar(&o.S3.Region, "aws-region", "", "region of the first S3 request (default: AWS_REGION or the profile's; the bucket's own region is found out)")
	fl.StringVar(&o.S3.EndpointURL, "endpoint-url", "", "`URL` of an S3-compatible store, e.g. http://127.0.0.1:9000 (path-style requests; env AWS_ENDPOINT_URL_S3)")
	fl.IntVar(&o.S3.Concurrency, "concurrency", 0, fmt.Sprintf("objects fetched from S3 at once (default %d)", s3src.DefaultConcurrency))
	fl.BoolVar(&o.DryRun, "dry-run", false, "list what would be read (objects, bytes) and what the same scan costs in Athena and S3, then stop")
}

// addTrailFilterFlags adds --account and --region, which limit a load to some trails: on S3 only their folders
// are listed.
func addTrailFilterFlags(cmd *cobra.Command, o *SourceOptions) {
	cmd.Flags().StringSliceVar(&o.Accounts, "account", nil, "load only these account IDs' logs (repeatable)")
	cmd.Flags().StringSliceVar(&o.Regions, "region", nil, "load only the logs of these regions (repeatable)")
}

// openSourceFor opens o.Source with the command's S3 flags when it is an s3:// address, else with OpenSource.
// For S3 the worker count defaults to the S3 concurrency.
func (f *Factory) openSourceFor(ctx context.Context, o *SourceOptions) (source.Source, error) {
	if !strings.HasPrefix(o.Source, "s3://") {
		return f.OpenSource(ctx, o.Source)
	}
	if o.S3.Concurrency < 0 {
		return nil, usageErrorf("--concurrency must not be negative")
	}
	if o.Workers == 0 {
		o.Workers = o.S3.Concurrency
		if o.Workers == 0 {
			o.Workers = s3src.DefaultConcurrency
		}
	}
	return f.openS3(ctx, o.Source, o.S3)
}

func (f *Factory) openS3(ctx context.Context, spec string, o S3Options) (source.Source, error) {
	if o.EndpointURL == "" {
		o.EndpointURL = f.Getenv("AWS_ENDPOINT_URL_S3")
	}
	if o.EndpointURL == "" {
		o.EndpointURL = f.Getenv("AWS_ENDPOINT_URL")
	}
	src, err := s3src.New(ctx, spec, s3src.Options{
		Profile:     o.Profile,
		Region:      o.Region,
		EndpointURL: o.EndpointURL,
		Concurrency: o.Concurrency,
		Log:         f.Logger(),
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		var e *s3src.Error
		if errors.As(err, &e) {
			return nil, err // its message says what to do
		}
		return nil, withHint(fmt.Errorf("open source %s: %w", spec, err), "check --profile (aws configure list-profiles) and the AWS configuration")
	}
	return src, nil
}

// errDryRun ends a command after --dry-run printed its estimate: exit status 0.
var errDryRun = errors.New("dry run")

// Prices used by --dry-run (US East, S3 Standard; other regions differ a little).
const (
	athenaPerTB      = 5.0      // USD per TB scanned
	athenaMinBytes   = 10 << 20 // each query is billed at least 10 MB
	s3GetPer1000     = 0.0004   // USD per 1,000 GET requests
	s3ListPer1000    = 0.005    // USD per 1,000 LIST requests
	bytesPerTB       = 1 << 40
	athenaRoundBytes = 1 << 20 // Athena rounds the data scanned up to the megabyte
)

// dryRun lists what loading the source would read and prints it with the cost of the same scan in Athena.
// It reads no object and writes nothing: the store is only read, when it exists.
func (f *Factory) dryRun(ctx context.Context, o engine.Options) error {
	p, err := f.Engine().PlanLoad(ctx, o)
	if err != nil {
		return err
	}
	return f.writeDryRun(o, p)
}

// writeDryRun prints a dry run's plan and ends the command.
func (f *Factory) writeDryRun(o engine.Options, p *engine.Plan) error {
	var lists int64 = -1
	if s3, ok := o.Source.(*s3src.Source); ok {
		lists = s3.Requests().List
	}
	writePlan(f.IO.Out, o.Source, p, lists)
	return errDryRun
}

// writePlan prints a dry run's findings. lists is the number of LIST requests made, or -1 for a local source.
func writePlan(w io.Writer, src source.Source, p *engine.Plan, lists int64) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Dry run of %s: nothing was fetched or loaded.\n", src)
	listed := fmt.Sprintf("%d objects", p.Listed)
	if p.ListedPrefixes > 0 {
		listed += fmt.Sprintf(" in %d folder%s", p.ListedPrefixes, plural(p.ListedPrefixes))
	}
	if lists >= 0 {
		listed += fmt.Sprintf(", %d LIST request%s (%s)", lists, plural(int(lists)), usd(float64(lists)/1000*s3ListPer1000))
	}
	fmt.Fprintf(tw, "Listed:\t%s\n", listed)
	if n := p.Outside; n > 0 {
		fmt.Fprintf(tw, "Outside the period or filters:\t%d objects\n", n)
	}
	if len(p.Skipped) > 0 {
		var parts []string
		for _, k := range []string{"digest", "insight", "config", "other"} {
			if n := p.Skipped[k]; n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n, skippedName(k)))
			}
		}
		fmt.Fprintf(tw, "Not trail logs (skipped):\t%s\n", strings.Join(parts, ", "))
	}
	for i, fr := range p.Files {
		if i == 3 {
			fmt.Fprintf(tw, "\t… and %d more folders that could not be listed\n", len(p.Files)-3)
			break
		}
		fmt.Fprintf(tw, "Could not list:\t%s\n", fr.Detail)
	}
	fmt.Fprintf(tw, "Already in the store:\t%d objects, %s\n", p.Unchanged, progress.HumanBytes(p.UnchangedBytes))
	read := fmt.Sprintf("%d objects, %s", p.Objects, progress.HumanBytes(p.Bytes))
	if lists >= 0 {
		read += fmt.Sprintf(", %d GET requests (%s)", p.Objects, usd(float64(p.Objects)/1000*s3GetPer1000))
	}
	fmt.Fprintf(tw, "Would read:\t%s\n", read)
	scanned := max(roundUp(p.ScanBytes, athenaRoundBytes), athenaMinBytes)
	athena := float64(scanned) / bytesPerTB * athenaPerTB
	gets := float64(p.ScanObjects) / 1000 * s3GetPer1000
	fmt.Fprintf(tw, "The same scan in Athena:\t%d objects, %s: %s per query ($5/TB scanned, 10 MB minimum) + %s of S3 GETs\n",
		p.ScanObjects, progress.HumanBytes(p.ScanBytes), usd(athena), usd(gets))
	tw.Flush()
	fmt.Fprintln(w, "trailq reads each object once; later queries over the same period cost no S3 request beyond listing.")
}

func roundUp(n, unit int64) int64 { return (n + unit - 1) / unit * unit }

// usd formats an amount in dollars with two significant digits below a cent ($0.000048).
func usd(v float64) string {
	switch {
	case v <= 0:
		return "$0"
	case v < 0.01:
		return fmt.Sprintf("$%.*f", 1-int(math.Floor(math.Log10(v))), v)
	}
	return fmt.Sprintf("$%.2f", v)
}

// printRequests adds the S3 requests of a load to its summary, and a warning when the prefix held nothing.
func printRequests(w io.Writer, src source.Source, rep *engine.Report) {
	s3, ok := src.(*s3src.Source)
	if !ok {
		return
	}
	r := s3.Requests()
	fmt.Fprintf(w, "S3: %d LIST and %d GET request%s (%s).\n", r.List, r.Get, plural(int(r.Get)),
		usd(float64(r.List)/1000*s3ListPer1000+float64(r.Get)/1000*s3GetPer1000))
	if rep.Listed == 0 && rep.ListedPrefixes == 0 && rep.Unchanged == 0 {
		fmt.Fprintf(w, "Warning: no objects under %s: check the bucket and prefix (aws s3 ls s3://%s/).\n", src, s3.Bucket())
	}
}
