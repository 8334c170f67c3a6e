package cli

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trailq/trailq/internal/baseline"
	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/output"
	"github.com/trailq/trailq/internal/timewin"
	"github.com/trailq/trailq/internal/trace"
)

// NewOptions are the flags of trailq trace --new.
type NewOptions struct {
	New bool
	// Baseline is --baseline (7d, 72h); BaselineSince and BaselineUntil its bounds instead.
	Baseline, BaselineSince, BaselineUntil string
	// GeoIP are the .mmdb files of --geoip.
	GeoIP []string
}

// defaultNewPeriod is the period of --new without --since: the last 24 hours.
const defaultNewPeriod = 24 * time.Hour

func (o *NewOptions) addNewFlags(fl *pflag.FlagSet) {
	fl.BoolVar(&o.New, "new", false, "list what is new or unusual in the period (default: the last 24 hours) against the baseline before it")
	fl.StringVar(&o.Baseline, "baseline", "", "with --new: how long before the period the baseline is (28d by default; 7d, 72h, …)")
	fl.StringVar(&o.BaselineSince, "baseline-since", "", "with --new: the baseline's start (as --since), instead of --baseline")
	fl.StringVar(&o.BaselineUntil, "baseline-until", "", "with --new: the baseline's end (as --until; default: the period's start)")
	fl.StringArrayVar(&o.GeoIP, "geoip", nil, "with --new: a MaxMind-format .mmdb file (GeoLite2-City, -Country, -ASN, GeoIP2-…) for the ASN, country and impossible travel findings; repeatable")
}

// newStarts are the starts --new can be limited to.
var newStarts = []trace.Kind{trace.ByPrincipal, trace.ByAccessKey, trace.ByRole}

// checkNew refuses the flags of --new without it, and what --new does not take.
func (o *NewOptions) checkNew(cmd *cobra.Command, kind trace.Kind, given []string) error {
	fl := cmd.Flags()
	if !o.New {
		for _, name := range []string{"baseline", "baseline-since", "baseline-until", "geoip"} {
			if fl.Changed(name) {
				return usageErrorf("--%s is for --new", name)
			}
		}
		return nil
	}
	switch {
	case len(given) > 1:
		return usageErrorf("--new takes one of --principal, --access-key or --role, not %s", strings.Join(given, " and "))
	case len(given) == 1 && !slices.Contains(newStarts, kind):
		return usageErrorf("--new with %s: give --principal, --access-key or --role, or none for every principal", given[0])
	case fl.Changed("view") || fl.Changed("depth"):
		return usageErrorf("--new lists findings: it takes no --view nor --depth")
	case o.Baseline != "" && (o.BaselineSince != "" || o.BaselineUntil != ""):
		return usageErrorf("give --baseline or --baseline-since/--baseline-until, not both")
	}
	if o.Baseline != "" {
		if _, err := parseSpan(o.Baseline); err != nil {
			return &UsageError{Err: fmt.Errorf("--baseline: %w", err)}
		}
	}
	for _, f := range o.GeoIP {
		if strings.TrimSpace(f) == "" {
			return usageErrorf("--geoip: give a file")
		}
	}
	return nil
}

var spanRE = regexp.MustCompile(`^([0-9]+)d$`)

// parseSpan reads a length of time: days (28d) or a Go duration (72h).
func parseSpan(s string) (time.Duration, error) {
	var d time.Duration
	if m := spanRE.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 3660 {
			return 0, fmt.Errorf("%q: too long", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, withHint(fmt.Errorf("%q is not a length of time", s), "give days (28d) or hours (72h)")
		}
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q: give a length above zero", s)
	}
	return d, nil
}

// newQuery builds the baseline.Query of the flags, its GeoIP databases open.
func (o *TraceOptions) newQuery(now time.Time, loc *time.Location) (baseline.Query, error) {
	q := baseline.Query{Now: now, Zone: loc}
	var err error
	if q.Period, err = o.period(now, loc); err != nil {
		return q, err
	}
	if q.Period.Start.IsZero() {
		q.Period.Start = now.Add(-defaultNewPeriod).Truncate(time.Second)
	}
	if q.Baseline, err = o.baselinePeriod(q.Period.Start, now, loc); err != nil {
		return q, err
	}
	if o.kind != "" {
		if q.Where, err = (trace.Query{Kind: o.kind, Value: *o.Starts[o.kind]}).Where(); err != nil {
			return q, &UsageError{Err: err}
		}
	}
	return q, nil
}

// baselinePeriod reads --baseline or --baseline-since/--baseline-until; zero bounds are the defaults.
func (o *NewOptions) baselinePeriod(start, now time.Time, loc *time.Location) (timewin.Period, error) {
	var b timewin.Period
	var err error
	if o.Baseline != "" {
		d, _ := parseSpan(o.Baseline)
		return timewin.Period{Start: start.Add(-d), End: start}, nil
	}
	if o.BaselineSince != "" {
		if b.Start, err = timewin.ParseSince(o.BaselineSince, now, loc); err != nil {
			return b, &UsageError{Err: fmt.Errorf("--baseline-since: %w", err)}
		}
	}
	if o.BaselineUntil != "" {
		if b.End, err = timewin.ParseUntil(o.BaselineUntil, now, loc); err != nil {
			return b, &UsageError{Err: fmt.Errorf("--baseline-until: %w", err)}
		}
	}
	end := b.End
	if end.IsZero() {
		end = start
	}
	switch {
	case end.After(start):
		return b, usageErrorf("the baseline must end by the period's start (%s): --baseline-until %s", output.FormatTime(start, loc), o.BaselineUntil)
	case !b.Start.IsZero() && !end.After(b.Start):
		return b, usageErrorf("--baseline-since (%s) is not before the baseline's end (%s)", output.FormatTime(b.Start, loc), output.FormatTime(end, loc))
	}
	return b, nil
}

// runTraceNew lists what is new or unusual in the period.
func runTraceNew(ctx context.Context, f *Factory, opts *TraceOptions) error {
	format, err := f.OutputFormat(opts.Format)
	if err != nil {
		return err
	}
	loc, err := opts.zone(f)
	if err != nil {
		return err
	}
	now := f.Now()
	q, err := opts.newQuery(now, loc)
	if err != nil {
		return err
	}
	if len(opts.GeoIP) > 0 {
		g, err := baseline.OpenGeoIP(opts.GeoIP...)
		if err != nil {
			return err
		}
		defer g.Close()
		q.GeoIP = g
	}
	eo, err := f.engineOptions(ctx, &opts.SourceOptions, nil)
	if err != nil {
		return err
	}
	if opts.DryRun && eo.Source != nil {
		return f.dryRun(ctx, eo)
	}
	e := f.Engine()
	res, err := e.Baseline(ctx, eo, engine.BaselineOptions{Query: q, Now: now, Lag: opts.Lag})
	if err != nil {
		return err
	}
	read := timewin.Period{Start: res.Query.Baseline.Start, End: res.Query.Period.End}
	say, err := f.checkVerified(ctx, e, eo, read, opts.VerifiedOnly)
	if err != nil {
		return err
	}
	defer say()
	if err := writeNew(f, res.Result, format, loc, opts); err != nil {
		return err
	}
	for _, n := range res.Notes {
		fmt.Fprintln(f.IO.ErrOut, "Note: "+n)
	}
	rq := &res.Query
	newOnes := ""
	if n := len(res.NewPrincipals); n > 0 {
		newOnes = fmt.Sprintf("; %d principal%s first seen in the period, not compared", n, plural(n))
	}
	fmt.Fprintf(f.IO.ErrOut, "%d finding%s for %d principal%s compared%s, %s against %s, times in %s\n",
		len(res.Findings), plural(len(res.Findings)), res.Compared, plural(res.Compared), newOnes,
		describePeriod(rq.Period, loc), rq.BaselineText(), zoneName(loc, now))
	return nil
}

// writeNew writes the findings: one JSON document, or rows of baseline.Columns.
func writeNew(f *Factory, res *baseline.Result, format output.Format, loc *time.Location, opts *TraceOptions) error {
	if format == output.JSON {
		return res.WriteJSON(f.IO.Out, loc)
	}
	ow := output.New(f.IO.Out, format, output.Options{MaxWidth: maxWidth(f, opts.Wide, format), Location: loc, RawCSV: opts.RawCSV})
	if err := ow.Header(baseline.Columns); err != nil {
		return err
	}
	for i := range res.Findings {
		if err := ow.Row(res.Findings[i].Row(loc)); err != nil {
			return err
		}
	}
	return ow.Close()
}
