package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/output"
	"github.com/trailq/trailq/internal/signin"
	"github.com/trailq/trailq/internal/timewin"
)

// SigninsOptions are the flags of trailq signins.
type SigninsOptions struct {
	SourceOptions
	PeriodOptions
	Kinds    []string
	All      bool
	Users    []string
	Accounts []string
	Regions  []string
	IPs      []string
	Failed   bool
	Root     bool
	NoMFA    bool
	Summary  bool
	Format   string
	Chart    string
	SQL      bool
	Wide     bool
	RawCSV   bool
	// AnswerFirst is auto, always or never, as for query.
	AnswerFirst string
	// VerifiedOnly refuses to answer unless every log file of the period was verified valid (verify --logs).
	VerifiedOnly bool
	// Columns, when set, are the columns to write, in order (names of signin.Columns and TableColumns).
	Columns []string
}

// NewCmdSignins builds "trailq signins".
func NewCmdSignins(f *Factory, runF func(context.Context, *SigninsOptions) error) *cobra.Command {
	opts := &SigninsOptions{}
	cmd := &cobra.Command{
		Use:   "signins",
		Short: "List AWS console sign-ins: who, when, from where, how, and did it work",
		Long: `Signins lists the AWS console sign-ins of a period across every account and region of the logs, one
row per event: the time (in your zone and in UTC), account, region, event, result (Success/Failure, from the
event's response, not from whether an ARN is present), failure reason, identity type, a readable principal
(root, IAM user, role and session, federated or IAM Identity Center user), ARN, whether AWS hid the user name
(an unknown user name, which may be a mistyped password), source IP, user agent with its browser and OS,
MFA (Yes, No, or IdP/unknown for federated sign-ins, where AWS cannot tell), MFA type, LoginTo, SAML
provider and event ID. IAM Identity Center sign-in steps, which AWS logs with identity type "Unknown", are
shown as IdentityCenterUser; CSV, TSV and JSON also give the type as recorded (identity_type_recorded).
--chart draws the sign-ins over time by result, as SVG or PNG (by the file's extension).

By default the list holds sign-in attempts: ConsoleLogin, IAM Identity Center UserAuthentication, and failed
Identity Center CredentialVerification (a failed Identity Center sign-in has no UserAuthentication).
--all adds every step (CheckMfa, SwitchRole, ExitRole, RenewRole, GetSigninToken, CredentialChallenge,
PasswordRecoveryRequested, …); --kind picks event names.

--since and --until take a date (2024-09-01: the whole day), a date-time (2024-09-01T09:30), an RFC 3339
time with its offset, a relative time (7d, 24h, 30m) or now/today/yesterday, read in --tz (an IANA zone such
as Asia/Tokyo; default: the local zone, $TZ; --utc for UTC), from 1970 on; --since is not in the future.
Times are shown in that zone with their offset, with the fraction of a second the record has. An event is
in the period by its instant: an eventTime written with another offset (…T08:30:00+09:00) counts by its UTC
time.
Only the log files of the UTC dates the period spans are read, plus a margin (--lag) for files delivered
after the period's end. The default period is the last 30 days.

Everything goes through the store's SQL; --sql prints the query (Athena SQL over cloudtrail_logs, which
trailq query runs as is) and the filters applied after it.

EXIT STATUS
  0  the list was written (no sign-ins is not an error)
  1  an error
  2  a usage error
  4  the list was written, but the load before it could not read some input (named): the list lacks it
  130  interrupted`,
		Example: `  # Every console sign-in of September, in Tokyo time:
  trailq signins --source ./AWSLogs --since 2024-09-01 --until 2024-09-30 --tz Asia/Tokyo

  # Failed sign-ins of the last 7 days, and who signed in without MFA:
  trailq signins --source ./AWSLogs --since 7d --failed
  trailq signins --source ./AWSLogs --since 30d --no-mfa --summary

  # One person, from one network, as JSON Lines; a chart of the month:
  trailq signins --source ./AWSLogs --user 'alice*' --ip 203.0.113.0/24 --format jsonl
  trailq signins --source ./AWSLogs --since 2024-09-01 --until 2024-09-30 --chart signins.svg
  trailq signins --source ./AWSLogs --since 7d --chart signins.png

  # The SQL it runs:
  trailq signins --since 2024-09-01 --until 2024-09-30 --utc --sql`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.UTC && opts.TZ != "" {
				return usageErrorf("give --tz or --utc, not both")
			}
			if opts.All && len(opts.Kinds) > 0 {
				return usageErrorf("give --kind or --all, not both")
			}
			if err := checkColumns(opts.Columns); err != nil {
				return err
			}
			if len(opts.Columns) > 0 && opts.Summary {
				return usageErrorf("--columns picks the columns of the sign-in list: it does not go with --summary")
			}
			if err := checkLag(opts.Lag); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runSignins(cmd.Context(), f, opts)
		},
	}
	addSourceFlags(cmd, &opts.SourceOptions)
	opts.addSigninsFlags(cmd)
	return cmd
}

// addSigninsFlags adds the flags of trailq signins: the period, the filters, the output.
func (opts *SigninsOptions) addSigninsFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	opts.addFlags(fl, "30d", " and times are shown in", "read and show times in UTC")
	fl.StringSliceVar(&opts.Kinds, "kind", nil, "event names to list, e.g. ConsoleLogin,CheckMfa,SwitchRole (case-insensitive)")
	fl.BoolVar(&opts.All, "all", false, "list every sign-in step, not only sign-in attempts")
	fl.StringSliceVar(&opts.Users, "user", nil, "user name, principal or ARN; * and ? match anything (repeatable)")
	fl.StringSliceVar(&opts.Accounts, "account", nil, "only these account IDs (repeatable)")
	fl.StringSliceVar(&opts.Regions, "region", nil, "only events logged in these regions (default: all regions)")
	fl.StringSliceVar(&opts.IPs, "ip", nil, "source IP address or CIDR prefix (repeatable)")
	fl.BoolVar(&opts.Failed, "failed", false, "failed sign-ins only")
	fl.BoolVar(&opts.Root, "root", false, "root user sign-ins only")
	fl.BoolVar(&opts.NoMFA, "no-mfa", false, "successful sign-ins without MFA only (with --failed: failures without MFA; federated sign-ins, where MFA is up to the IdP, are left out)")
	fl.BoolVar(&opts.Summary, "summary", false, "one row per principal; failures with a hidden user name are grouped by source IP")
	fl.StringVar(&opts.Format, "format", "", "output format: table, csv, tsv, json, jsonl, xlsx (a workbook: redirect it to a file) (default: table on a terminal, csv otherwise)")
	fl.StringVar(&opts.Chart, "chart", "", "also draw the sign-ins over time, by result, as an SVG or PNG `FILE` (by its extension)")
	fl.BoolVar(&opts.SQL, "sql", false, "print the SQL that selects the events, and do not run it")
	fl.BoolVar(&opts.Wide, "wide", false, "do not shorten long values in the table format")
	fl.BoolVar(&opts.RawCSV, "raw-csv", false, "write text cells that start with = + - @ as they are in CSV/TSV (by default they get a leading ' so that a spreadsheet does not run them as formulas)")
	fl.StringSliceVar(&opts.Columns, "columns", nil, "the columns to write, in order, e.g. time,principal,source_ip,mfa (default: a set that fits a terminal on a terminal, every column otherwise; a name that is not a column lists them)")
	fl.BoolVar(&opts.VerifiedOnly, "verified-only", false, "answer only when every log file with events in the period was verified valid against the trail's digests (trailq verify --logs records it); else exit 1 and say which were not")
	fl.StringVar(&opts.AnswerFirst, "answer-first", "auto", "answer from a first read of the new logs (only the records that can be sign-ins), then store them: auto (when 32 MiB or more of a folder's logs are new), always, never")
}

// PeriodOptions are the flags that name a period: --since, --until, --tz/--utc and the delivery margin --lag.
type PeriodOptions struct {
	Since, Until string
	TZ           string
	UTC          bool
	Lag          time.Duration
}

// addFlags adds the period flags; shown says what else the zone is for, utcHelp is --utc's help.
func (o *PeriodOptions) addFlags(fl *pflag.FlagSet, since, shown, utcHelp string) {
	fl.StringVar(&o.Since, "since", since, "start of the period: a date, month (2024-09), date-time, RFC 3339 time, relative time (7d, 24h), today, yesterday, this-month or last-month")
	fl.StringVar(&o.Until, "until", "", "end of the period (a date includes the whole day, a date-time its whole second; default: now)")
	fl.StringVar(&o.TZ, "tz", "", "IANA time zone that --since/--until are read in"+shown+" (default: local)")
	fl.BoolVar(&o.UTC, "utc", false, utcHelp)
	fl.DurationVar(&o.Lag, "lag", timewin.DefaultLag, "also read log files delivered this long after the period's end")
}

// period reads --since and --until in loc: the period [since, until), either bound open when not given. since
// must not be after now, until must be after since.
func (o *PeriodOptions) period(now time.Time, loc *time.Location) (timewin.Period, error) {
	var p timewin.Period
	var err error
	if o.Since != "" {
		if p.Start, err = timewin.ParseSince(o.Since, now, loc); err != nil {
			return p, &UsageError{Err: fmt.Errorf("--since: %w", err)}
		}
		if p.Start.After(now) {
			return p, &UsageError{Err: withHint(fmt.Errorf("--since %q is in the future: %s, and now is %s", o.Since,
				signin.FormatTime(p.Start, loc), signin.FormatTime(now.Truncate(time.Second), loc)),
				"--since takes a time up to now: a date (2024-09-01), a date-time, an RFC 3339 time or a relative time (7d, 24h)")}
		}
	}
	if o.Until != "" {
		if p.End, err = timewin.ParseUntil(o.Until, now, loc); err != nil {
			return p, &UsageError{Err: fmt.Errorf("--until: %w", err)}
		}
	}
	if !p.Start.IsZero() && !p.End.IsZero() && !p.End.After(p.Start) {
		return p, usageErrorf("--until (%s) is not after --since (%s)", signin.FormatTime(p.End, loc), signin.FormatTime(p.Start, loc))
	}
	return p, nil
}

// checkLag refuses a negative --lag.
func checkLag(lag time.Duration) error {
	if lag < 0 {
		return usageErrorf("--lag %s: must not be negative: give how long after the period log files may be delivered, e.g. 3h (the default) or 0", lag)
	}
	return nil
}

// zone returns the --tz/--utc zone, else $TZ, else the local zone.
func (o *PeriodOptions) zone(f *Factory) (*time.Location, error) { return zoneOf(f, o.TZ, o.UTC) }

// zoneOf returns the zone of --tz (tz) or --utc, else $TZ, else the local zone.
func zoneOf(f *Factory, tz string, utc bool) (*time.Location, error) {
	if utc {
		return time.UTC, nil
	}
	name := tz
	if name == "" {
		// $TZ as the C library reads it; a value Go cannot load (a POSIX rule such as JST-9) leaves the
		// local zone, which the Go runtime derived from the same variable.
		name = strings.TrimPrefix(f.Getenv("TZ"), ":")
		if name == "" {
			return time.Local, nil
		}
		if loc, err := time.LoadLocation(name); err == nil {
			return loc, nil
		}
		return time.Local, nil
	}
	loc, err := timewin.ParseZone(name)
	if err != nil {
		return nil, &UsageError{Err: withHint(err,
			"--tz takes a zone name such as Asia/Tokyo, Europe/Berlin or America/New_York, an offset such as +09:00, or an abbreviation such as JST; or use --utc")}
	}
	return loc, nil
}

// query builds the signin.Query of the flags.
func (o *SigninsOptions) query(now time.Time, loc *time.Location) (*signin.Query, error) {
	q := &signin.Query{All: o.All, Accounts: o.Accounts, Regions: o.Regions, Root: o.Root, Users: o.Users,
		Failed: o.Failed, NoMFA: o.NoMFA}
	if len(o.Kinds) > 0 {
		q.Kinds = canonKinds(o.Kinds)
	}
	var err error
	if q.Period, err = o.period(now, loc); err != nil {
		return nil, err
	}
	for _, s := range o.IPs {
		p, err := signin.ParseIP(s)
		if err != nil {
			return nil, &UsageError{Err: withHint(err, "--ip takes an address (192.0.2.10) or a CIDR prefix (192.0.2.0/24)")}
		}
		q.IPs = append(q.IPs, p)
	}
	return q, nil
}

// canonKinds spells known event names as AWS does; others are kept as given (the SQL compares lower-case).
func canonKinds(kinds []string) []string {
	out := make([]string, 0, len(kinds))
	for _, k := range kinds {
		k = strings.TrimSpace(k)
		for _, n := range signin.EventNames {
			if strings.EqualFold(n, k) {
				k = n
			}
		}
		if k != "" {
			out = append(out, k)
		}
	}
	return out
}

func runSignins(ctx context.Context, f *Factory, opts *SigninsOptions) error {
	format, err := f.OutputFormat(opts.Format)
	if err != nil {
		return err
	}
	if opts.Chart != "" && chartWriter(opts.Chart) == nil {
		return &UsageError{Err: withHint(fmt.Errorf("write chart %s: charts are drawn as SVG or PNG", opts.Chart), "--chart FILE.svg or --chart FILE.png")}
	}
	loc, err := opts.zone(f)
	if err != nil {
		return err
	}
	now := f.Now()
	q, err := opts.query(now, loc)
	if err != nil {
		return err
	}
	for _, k := range q.Kinds {
		if !slices.Contains(signin.EventNames, k) {
			fmt.Fprintf(f.IO.ErrOut, "Note: --kind %s is not a sign-in step trailq knows (%s): only events of that name from signin.amazonaws.com are listed.\n",
				k, strings.Join(signin.EventNames, ", "))
		}
	}
	sql := q.SQL()
	if opts.SQL {
		for _, n := range q.Notes() {
			fmt.Fprintf(f.IO.Out, "-- then, in trailq: %s\n", n)
		}
		fmt.Fprintln(f.IO.Out, sql+";")
		return nil
	}
	eo, err := f.engineOptions(ctx, &opts.SourceOptions, func(lo *engine.LoadOptions) {
		if d, ok := q.Period.KeyDays(now, opts.Lag); ok {
			lo.Days = &d
		}
		lo.Accounts, lo.Regions = opts.Accounts, opts.Regions
	})
	if err != nil {
		return err
	}
	if opts.DryRun && eo.Source != nil {
		return f.dryRun(ctx, eo)
	}
	switch opts.AnswerFirst {
	case engine.AnswerFirstAuto, engine.AnswerFirstAlways, engine.AnswerFirstNever:
	default:
		return usageErrorf("unknown --answer-first %q: use auto, always or never", opts.AnswerFirst)
	}
	qo := engine.QueryOptions{AnswerFirst: opts.AnswerFirst, Lag: opts.Lag, Now: now}
	_, err = f.Engine().SignInsAnswer(ctx, eo, q, qo, func(ctx context.Context, st *engine.Store, events []signin.Event) error {
		return writeSigninsAnswer(ctx, f, opts, format, q, loc, now, st, events)
	})
	return err
}

// writeSigninsAnswer writes the sign-in events (and the chart), then a line that says how many and, when there
// are none, what the store holds.
func writeSigninsAnswer(ctx context.Context, f *Factory, opts *SigninsOptions, format output.Format, q *signin.Query,
	loc *time.Location, now time.Time, st *engine.Store, events []signin.Event) error {
	verified, err := engine.VerifiedFiles(ctx, st, q.Period)
	if err != nil {
		return err
	}
	if opts.VerifiedOnly {
		if err := engine.VerifiedOnly(verified); err != nil {
			return err
		}
	}
	if verified.Checked || opts.VerifiedOnly {
		defer fmt.Fprintf(f.IO.ErrOut, "Logs of the period: %s.\n", verified)
	}
	if opts.Chart != "" {
		if err := writeChart(opts.Chart, events, q.Period, loc); err != nil {
			return err
		}
	}
	w := output.New(f.IO.Out, format, output.Options{MaxWidth: maxWidth(f, opts.Wide, format), Location: loc, RawCSV: opts.RawCSV})
	if err := writeSignins(w, format, events, opts.Summary, opts.Columns, loc); err != nil {
		return err
	}
	failures := 0
	for i := range events {
		if events[i].Failed() {
			failures++
		}
	}
	fmt.Fprintf(f.IO.ErrOut, "%d sign-in event%s (%d failed) %s, times in %s\n", len(events), plural(len(events)), failures, describePeriod(q.Period, loc), zoneName(loc, now))
	if len(events) == 0 {
		// Nothing is not a clue: say what the store holds.
		sp, err := engine.EventSpan(ctx, st)
		switch {
		case err != nil:
			return err
		case sp.Events == 0:
			fmt.Fprintln(f.IO.ErrOut, "The store holds no events: only the log files of the period's dates were read; 'trailq load --source …' reads them all (check that it holds CloudTrail logs: AWSLogs/<account>/CloudTrail/…).")
		default:
			fmt.Fprintf(f.IO.ErrOut, "The store holds %d events from %s to %s: a period such as --since %s takes them in.\n",
				sp.Events, sp.First, sp.Last, firstDate(sp.First))
		}
	}
	return nil
}

// firstDate returns the date of an eventtime as written (2024-09-01T…), or the text when it has none.
func firstDate(eventtime string) string {
	if len(eventtime) >= 10 {
		return eventtime[:10]
	}
	return eventtime
}

func describePeriod(p timewin.Period, loc *time.Location) string {
	switch {
	case p.Start.IsZero() && p.End.IsZero():
		return "at any time"
	case p.End.IsZero():
		return "since " + signin.FormatTime(p.Start, loc)
	case p.Start.IsZero():
		return "before " + signin.FormatTime(p.End, loc)
	}
	return "from " + signin.FormatTime(p.Start, loc) + " to before " + signin.FormatTime(p.End, loc)
}

// signinColumns are the names --columns takes: every column of the list, and the table's client.
func signinColumns() []string {
	out := slices.Clone(signin.Columns)
	for _, c := range signin.TableColumns {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// checkColumns refuses a --columns name that is not a column.
func checkColumns(cols []string) error {
	for _, c := range cols {
		if !slices.Contains(signinColumns(), c) {
			return usageErrorf("--columns: no column %q: use %s", c, strings.Join(signinColumns(), ", "))
		}
	}
	return nil
}

// pickColumns returns a row of the columns cols, from the table's values for its columns (in the table format)
// and the list's for the others.
func pickColumns(e *signin.Event, cols []string, table bool, loc *time.Location) []any {
	values := map[string]any{}
	for i, c := range signin.Columns {
		values[c] = e.Row(loc)[i]
	}
	if table {
		for i, c := range signin.TableColumns {
			values[c] = e.TableRow(loc)[i]
		}
	} else {
		values["client"] = e.TableRow(loc)[slices.Index(signin.TableColumns, "client")]
	}
	out := make([]any, len(cols))
	for i, c := range cols {
		out[i] = values[c]
	}
	return out
}

func writeSignins(w output.Writer, format output.Format, events []signin.Event, summary bool, columns []string, loc *time.Location) error {
	if summary {
		if err := w.Header(signin.SummaryColumns); err != nil {
			return err
		}
		for _, s := range signin.Summarize(events) {
			if err := w.Row(s.Row(loc)); err != nil {
				return err
			}
		}
		return w.Close()
	}
	cols, row := signin.Columns, (*signin.Event).Row
	if format == output.Table {
		cols, row = signin.TableColumns, (*signin.Event).TableRow
	}
	if len(columns) > 0 {
		cols = columns
		row = func(e *signin.Event, loc *time.Location) []any {
			return pickColumns(e, columns, format == output.Table, loc)
		}
	}
	if err := w.Header(cols); err != nil {
		return err
	}
	for i := range events {
		if err := w.Row(row(&events[i], loc)); err != nil {
			return err
		}
	}
	return w.Close()
}

// chartWriter returns the chart writer for path's extension (.svg or .png), or nil.
func chartWriter(path string) func(io.Writer, string, []signin.Event, timewin.Period, *time.Location) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".svg":
		return signin.WriteChart
	case ".png":
		return signin.WriteChartPNG
	}
	return nil
}

func writeChart(path string, events []signin.Event, period timewin.Period, loc *time.Location) error {
	file, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write chart: %w", err)
	}
	title := "AWS console sign-ins " + describePeriod(period, loc)
	if err := chartWriter(path)(file, title, events, period, loc); err != nil {
		file.Close()
		return fmt.Errorf("write chart %s: %w", path, err)
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("write chart %s: %w", path, err)
	}
	return nil
}

// zoneName names loc for people: its IANA name, or for the local zone its abbreviation at now.
func zoneName(loc *time.Location, now time.Time) string {
	if loc != time.Local {
		return loc.String()
	}
	abbr, off := now.In(loc).Zone()
	return fmt.Sprintf("the local zone (%s, UTC%+03d:%02d)", abbr, off/3600, abs(off%3600)/60)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
