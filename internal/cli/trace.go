package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/output"
	"github.com/trailq/trailq/internal/timewin"
	"github.com/trailq/trailq/internal/trace"
)

// TraceOptions are the flags of trailq trace.
type TraceOptions struct {
	SourceOptions
	PeriodOptions
	// Starts holds the value of each start flag given (--session, --access-key, …), by kind.
	Starts map[trace.Kind]*string
	// Depth is --depth: -1 for the kind's default (DefaultDepth, 0 for --ip and --resource).
	Depth  int
	kind   trace.Kind // the start flag given
	View   string
	Format string
	Wide   bool
	RawCSV bool
	// VerifiedOnly answers only when every log file of the period was verified valid (verify --logs).
	VerifiedOnly bool
	// NewOptions are the flags of --new (what is new or unusual in the period).
	NewOptions
}

// The views of a trace (--view).
const (
	viewAll      = "all"
	viewTimeline = "timeline"
	viewProfile  = "profile"
	viewSessions = "sessions"
)

// traceLong and traceExamples are the help of trailq trace.
const traceLong = `Trace follows what someone did in the logs, from one start:

  --session EVENTID    a sign-in or a call that opened a session: a ConsoleLogin (the console session: the
                       principal's calls whose session was created at the sign-in's second, with the
                       temporary ASIA… keys the console gave it), an AssumeRole, AssumeRoleWithSAML,
                       AssumeRoleWithWebIdentity, GetSessionToken or GetFederationToken (the calls made with
                       the access key in its response), an IAM Identity Center UserAuthentication (its
                       portal's calls and the AWSReservedSSO role sessions of that user in the 12 hours
                       after, linked by name and time, which the trace says); any other event: the session
                       of the key it was made with
  --access-key KEY     the calls made with an access key (AKIA… or ASIA…), and the call that issued it
  --principal ARN|NAME the calls of a principal: an ARN as written (user, assumed-role session, root), a user
                       or session name, or root
  --role ARN|NAME      the calls made in a role's sessions, one session per access key, each with the
                       AssumeRole call that opened it (whoever made it)
  --ip ADDR|CIDR       the calls from an address or a prefix
  --resource ARN|NAME  the calls that name a resource (in resources, or as a value of requestParameters:
                       a bucket, an instance, a key, …)

From there it follows role chaining: an AssumeRole (or GetSessionToken, …) made in a traced session opens a
child session, whose calls carry the key in that call's response, across accounts, --depth levels down
(default 5; 0 for --ip and --resource). The sessions are drawn as a tree (nested in JSON) with the role, the
role session name, the source identity and the call that opened each.

The output: the sessions, a profile (first and last seen, accounts, regions, source IPs, user agents,
services and event names with counts, denied calls — AccessDenied…, UnauthorizedOperation, … —, read and
write calls by the readonly field, and the principals' console sign-ins), then the timeline: each event's
time in your zone, session, account, region, service, event, resources, result or error code, source IP,
principal and user agent. The table format shows them all; CSV, TSV and JSON Lines write the timeline, or
the view --view picks (timeline, profile, sessions); JSON writes one document with everything (or the view).

A start that matches nothing is an error (exit status 1) that says so and names what the store holds near it
(keys sharing a prefix, principals or roles whose ARN contains the name, addresses sharing a prefix) or, with
a period, when the start's events are.

--since and --until take what trailq signins takes (dates, date-times, RFC 3339, 7d, …) in --tz; the default
is every stored event. Times are shown in that zone. The logs are loaded before the trace (with --since, only
the log files of the period's dates, plus --lag).

--new lists what is new or unusual in the period (default: the last 24 hours) against a baseline (default:
the 28 days before it; --baseline 7d, or --baseline-since/--baseline-until), for every principal or the one
--principal, --access-key or --role names. One row per finding: time, principal (the caller's ARN), kind,
value, the baseline it was compared with (with the numbers), evidence (event IDs). The kinds:
  ip, user_agent, region, service, event  a value the principal did not use in the baseline (a principal
                       with no event in the baseline is not compared: everything would be new; stderr counts them)
  asn, country         the same for its source IPs' ASN and country (--geoip)
  hour                 a console sign-in (a successful ConsoleLogin, or an IAM Identity Center
                       UserAuthentication: "user (IAM Identity Center)") at an hour of the day (in --tz) the
                       principal never signed in at in the baseline, judged only when the baseline holds at
                       least 5 of its sign-ins
  travel               two consecutive console sign-ins 500 km or more apart faster than 1000 km/h (--geoip)
  rate                 an hour whose calls (or errors) of an event name, or of a principal, are far above the
                       baseline's hours: score = 0.6745 × (count − median) / max(MAD, 1) over every hour of
                       the baseline (quiet hours count as 0) above 3.5; drops are not flagged
--geoip FILE reads a MaxMind-format database (GeoLite2-City, GeoLite2-Country, GeoLite2-ASN, GeoIP2-…
.mmdb), offline; give it twice for a City and an ASN file.

EXIT STATUS
  0  the trace was written
  1  an error, or a start that matches no event (the message names what does exist)
  2  a usage error
  4  the trace was written, but the load before it could not read some input (named)
  130  interrupted`

const traceExamples = `  # The console session a sign-in opened (trailq signins lists event IDs), in Tokyo time:
  trailq trace --source ./AWSLogs --session 3f1c9b1e-1a2b-4c3d-9e8f-0a1b2c3d4e5f --tz Asia/Tokyo

  # Everything done with a key, and the role sessions opened from it, as JSON:
  trailq trace --source ./AWSLogs --access-key ASIAY34FZKBOKMUTVV7A --format json

  # Who touched a bucket last week; what came from a network:
  trailq trace --source ./AWSLogs --resource arn:aws:s3:::payroll --since 7d
  trailq trace --source ./AWSLogs --ip 203.0.113.0/24 --view profile

  # A role's sessions, without following chaining:
  trailq trace --source ./AWSLogs --role arn:aws:iam::111122223333:role/deploy --depth 0 --view sessions

  # What is new or unusual yesterday against the 28 days before, with places from GeoLite2:
  trailq trace --source ./AWSLogs --new --since yesterday --until yesterday --tz Asia/Tokyo \
    --geoip GeoLite2-City.mmdb --geoip GeoLite2-ASN.mmdb`

// NewCmdTrace builds "trailq trace".
func NewCmdTrace(f *Factory, runF func(context.Context, *TraceOptions) error) *cobra.Command {
	opts := &TraceOptions{Starts: map[trace.Kind]*string{}}
	cmd := &cobra.Command{
		Use:     "trace (--session EVENTID | --access-key KEY | --principal ARN|NAME | --ip ADDR|CIDR | --role ARN|NAME | --resource ARN|NAME | --new)",
		Short:   "Follow what someone did: from a sign-in, key, principal, role, IP or resource to every call",
		Long:    traceLong,
		Example: traceExamples,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.check(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runTrace(cmd.Context(), f, opts)
		},
	}
	addSourceFlags(cmd, &opts.SourceOptions)
	fl := cmd.Flags()
	for _, k := range trace.Kinds {
		opts.Starts[k] = fl.String(string(k), "", traceFlagHelp[k])
	}
	opts.addFlags(fl, "", " and times are shown in", "read and show times in UTC")
	fl.IntVar(&opts.Depth, "depth", -1, "levels of sessions opened from traced sessions to follow (default 5; 0 for --ip and --resource)")
	fl.StringVar(&opts.View, "view", "", "what to write: all (the table's and JSON's default), timeline (CSV's, TSV's and JSON Lines' default), profile or sessions")
	fl.StringVar(&opts.Format, "format", "", "output format: table, csv, tsv, json, jsonl (default: table on a terminal, csv otherwise)")
	fl.BoolVar(&opts.Wide, "wide", false, "do not shorten long values, nor the profile's lists, in the table format")
	fl.BoolVar(&opts.RawCSV, "raw-csv", false, "write text cells that start with = + - @ as they are in CSV/TSV")
	fl.BoolVar(&opts.VerifiedOnly, "verified-only", false, "answer only when every log file with events in the period was verified valid against the trail's digests (trailq verify --logs records it); else exit 1 and say which were not")
	opts.addNewFlags(fl)
	return cmd
}

var traceFlagHelp = map[trace.Kind]string{
	trace.BySession:   "start from an event ID: a sign-in, an AssumeRole … call, or any call",
	trace.ByAccessKey: "start from an access key (AKIA… or ASIA…)",
	trace.ByPrincipal: "start from a principal: an ARN, a user or session name, or root",
	trace.ByIP:        "start from a source IP address or CIDR prefix",
	trace.ByRole:      "start from a role's ARN or name",
	trace.ByResource:  "start from a resource's ARN or name (bucket, instance ID, …)",
}

// check refuses what cannot be traced: no start or several, a bad --view, --tz with --utc.
func (o *TraceOptions) check(cmd *cobra.Command) error {
	var given []string
	for _, k := range trace.Kinds {
		if cmd.Flags().Changed(string(k)) {
			given = append(given, "--"+string(k))
			o.kind = k
		}
	}
	if err := o.checkNew(cmd, o.kind, given); err != nil {
		return err
	}
	switch {
	case o.UTC && o.TZ != "":
		return usageErrorf("give --tz or --utc, not both")
	case o.New:
	case len(given) == 0:
		return &UsageError{Err: withHint(fmt.Errorf("give what to trace"),
			"--session EVENTID, --access-key KEY, --principal ARN|NAME, --ip ADDR|CIDR, --role ARN|NAME or --resource ARN|NAME; or --new")}
	case len(given) > 1:
		return usageErrorf("give one start to trace, not %s", strings.Join(given, " and "))
	case o.Depth < -1:
		return usageErrorf("--depth %d: give how many levels of role chaining to follow (0: none)", o.Depth)
	}
	switch o.View {
	case "", viewAll, viewTimeline, viewProfile, viewSessions:
	default:
		return usageErrorf("--view %q: use all, timeline, profile or sessions", o.View)
	}
	return checkLag(o.Lag)
}

// query builds the trace.Query of the flags.
func (o *TraceOptions) query() (trace.Query, error) {
	q := trace.Query{Kind: o.kind, Value: *o.Starts[o.kind]}
	q.Depth = o.Depth
	if q.Depth < 0 {
		q.Depth = trace.DefaultDepth
		if q.Kind == trace.ByIP || q.Kind == trace.ByResource {
			q.Depth = 0
		}
	}
	if err := q.Check(); err != nil {
		return q, &UsageError{Err: err}
	}
	return q, nil
}

func runTrace(ctx context.Context, f *Factory, opts *TraceOptions) error {
	if opts.New {
		return runTraceNew(ctx, f, opts)
	}
	format, err := f.OutputFormat(opts.Format)
	if err != nil {
		return err
	}
	loc, err := opts.zone(f)
	if err != nil {
		return err
	}
	q, err := opts.query()
	if err != nil {
		return err
	}
	now := f.Now()
	if q.Period, err = opts.period(now, loc); err != nil {
		return err
	}
	eo, err := f.engineOptions(ctx, &opts.SourceOptions, nil)
	if err != nil {
		return err
	}
	if opts.DryRun && eo.Source != nil {
		return f.dryRun(ctx, eo)
	}
	e := f.Engine()
	res, err := e.Trace(ctx, eo, engine.TraceOptions{Query: q, Now: now, Lag: opts.Lag})
	var nf *trace.NotFoundError
	if err != nil && !errors.As(err, &nf) {
		return err
	}
	// What the checks of the logs say comes with a "not found" too: it is about the logs looked in.
	say, verr := f.checkVerified(ctx, e, eo, q.Period, opts.VerifiedOnly)
	if verr != nil {
		return verr
	}
	defer say()
	if err != nil {
		return err
	}
	view := opts.View
	if view == "" {
		view = viewAll
		if format != output.Table && format != output.JSON {
			view = viewTimeline
		}
	}
	w := &traceWriter{f: f, res: res.Result, format: format, loc: loc, wide: opts.Wide, raw: opts.RawCSV}
	if err := w.write(view); err != nil {
		return err
	}
	for _, n := range res.Notes {
		fmt.Fprintln(f.IO.ErrOut, "Note: "+n)
	}
	sessions := 0
	res.Root.Walk(func(*trace.Session, int) { sessions++ })
	fmt.Fprintf(f.IO.ErrOut, "%d event%s in %d session%s (%d denied) %s, times in %s\n", len(res.Events), plural(len(res.Events)),
		sessions, plural(sessions), res.Profile.Denied, describePeriod(q.Period, loc), zoneName(loc, now))
	return nil
}

// checkVerified reads what the checks of the logs say of the period's log files (for a command that has read
// them): with only (--verified-only), an error unless all were verified valid. say prints the line that says it,
// when the store keeps checks or only was asked.
func (f *Factory) checkVerified(ctx context.Context, e *engine.Engine, eo engine.Options, p timewin.Period, only bool) (say func(), err error) {
	eo.NoLoad = true
	v, err := e.VerifiedOf(ctx, eo, p)
	if err != nil {
		return nil, err
	}
	if only {
		if err := engine.VerifiedOnly(v); err != nil {
			return nil, err
		}
	}
	return func() {
		if v.Checked || only {
			fmt.Fprintf(f.IO.ErrOut, "Logs of the period: %s.\n", v)
		}
	}, nil
}
