package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/output"
	"github.com/trailq/trailq/internal/rules"
	"github.com/trailq/trailq/internal/sigma"
	"github.com/trailq/trailq/internal/signin"
	"github.com/trailq/trailq/internal/timewin"
)

// DetectOptions are the flags of trailq detect.
type DetectOptions struct {
	SourceOptions
	PeriodOptions
	// Rules and Sigma are more rule files or folders: trailq's own format (the built-in rules', Sigma YAML) and
	// SigmaHQ-format rules.
	Rules, Sigma []string
	NoBuiltin    bool
	// Thresholds are --threshold RULE=[OP]N[/TIMESPAN]: correlation rules' thresholds and timespans.
	Thresholds []string
	Severity   string
	Format     string
	// FailOnFindings makes the command end with ExitFindings when there are findings.
	FailOnFindings bool
	// VerifiedOnly runs the rules only when every log file of the period was verified valid (verify --logs).
	VerifiedOnly bool
	Explain      bool
	Wide, RawCSV bool
	FollowOptions
	// Exec is --exec: a command run for each new finding under --follow; ExecTimeout bounds each run.
	Exec        string
	ExecTimeout time.Duration
}

// detectLong and detectExamples are the help of trailq detect.
const detectLong = `Detect runs detection rules over the logs and lists what they find: trailq's built-in rules, rules of
your own (--rules) and SigmaHQ-format rules for CloudTrail (--sigma: logsource product aws, service
cloudtrail; detection rules, Sigma 1 count() aggregations and Sigma 2 correlations). New logs are loaded
first, as for query; every detection rule runs in one scan of the events, every correlation with its own
query.

A finding is one row: the rule (id, title, level, author, licence and rule set, as the Detection Rule
License asks), MITRE ATT&CK techniques, the first and last event's time (in --tz with its offset), the
principal (named as signins names it), account, regions, source IPs, the number of events, every evidence
event ID, and a line saying what happened. A detection rule's events make one finding per account,
principal and UTC hour: the same person doing it again within the hour adds to the finding, and a finding's
ID stays the same when more logs are loaded. A correlation rule makes one finding per group and window.

The built-in rules' findings are kept in the store (table trailq_findings, with when and by which rule
version they were computed), computed by the first detect after a load: without --since/--until, the next
detect reads them from there. --since and --until limit the events the rules read (and the log files loaded), as for signins.

A rule that cannot be compiled is named on stderr (file:line: why) and the others run; --strict stops
instead. Rules for other log sources (a whole SigmaHQ checkout) are skipped and counted. --explain prints
the SQL of every rule, and of the scan, without loading or running anything.

Output is an aligned table on a terminal, CSV when piped; --format picks table, csv, tsv, json, jsonl or
sarif (SARIF 2.1.0, for code-scanning and SIEM tools).

With --follow, detect keeps going: it loads what CloudTrail delivers as load --follow does (a poll every
--interval, listing every trail's current and previous UTC day from the last key seen; a whole listing
every --full-every), runs the rules over the store after each poll that brought events, and writes each
new finding once, as it appears: a JSON Lines object when piped, a table line on a terminal. Findings
are told apart by their stable IDs and remembered beside the store (STORE.reported), so a restart does
not report them again; the first run reports those the store already holds (--since and --severity
narrow them). --exec CMD runs CMD for each new finding with the finding's JSON on its stdin and
TRAILQ_FINDING_ID, _RULE, _LEVEL and _TITLE in its environment, without a shell (CMD is split into
words; quote with ' or "; for pipes or redirections give sh -c '…'); its output goes to stderr, and a
failure (or --exec-timeout) is told and following goes on. Ctrl-C or SIGTERM finishes the poll being
loaded and ends with status 0.

EXIT STATUS
  0  the rules ran (no findings is not an error); with --follow, stopped by Ctrl-C or SIGTERM
  1  an error (an unreadable rule path, a rule that fails as it runs, --strict and a rule not compiled, …)
  2  a usage error
  3  --fail-on-findings, and there are findings
  4  the rules ran, but the load before could not read some input (named): the findings lack it
  130  interrupted`

const detectExamples = `  # Every finding of the built-in rules:
  trailq detect --source ./AWSLogs

  # SigmaHQ's CloudTrail rules too, the last 7 days, high and critical only, in Tokyo time:
  trailq detect --source ./AWSLogs --sigma ~/sigma/rules/cloud/aws --since 7d --severity high --tz Asia/Tokyo

  # For a code-scanning tool, failing a pipeline on findings:
  trailq detect --source s3://trail-bucket/AWSLogs --format sarif --fail-on-findings > findings.sarif

  # A stricter brute-force threshold: 10 failed sign-ins within 30 minutes:
  trailq detect --source ./AWSLogs --threshold console_login_brute_force=10/30m

  # Page yourself: every new finding, as CloudTrail delivers it, to a script:
  trailq detect --source s3://trail-bucket/AWSLogs --follow --severity high --exec './page-oncall --json'

  # The SQL each rule runs:
  trailq detect --sigma ./my-rules --no-builtin --explain`

// NewCmdDetect builds "trailq detect".
func NewCmdDetect(f *Factory, runF func(context.Context, *DetectOptions) error) *cobra.Command {
	opts := &DetectOptions{}
	cmd := &cobra.Command{
		Use:     "detect",
		Short:   "Find what is wrong: run detection rules (built-in and Sigma) over the logs",
		Long:    detectLong,
		Example: detectExamples,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.UTC && opts.TZ != "" {
				return usageErrorf("give --tz or --utc, not both")
			}
			if err := checkLag(opts.Lag); err != nil {
				return err
			}
			if _, err := parseSeverity(opts.Severity); err != nil {
				return err
			}
			for _, t := range opts.Thresholds {
				if _, err := sigma.ParseOverride(t); err != nil {
					return &UsageError{Err: err}
				}
			}
			if err := opts.checkFollow(cmd); err != nil {
				return err
			}
			if opts.NoBuiltin && len(opts.Rules) == 0 && len(opts.Sigma) == 0 {
				return &UsageError{Err: withHint(errors.New("--no-builtin and no rules given"), "--rules DIR or --sigma DIR")}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runDetect(cmd.Context(), f, opts)
		},
	}
	addSourceFlags(cmd, &opts.SourceOptions)
	fl := cmd.Flags()
	fl.Lookup("strict").Usage = "stop on a rule that cannot be compiled, and on the first broken log file or record, instead of naming it and going on"
	opts.addFlags(fl, "", " and times are shown in", "read and show times in UTC")
	fl.Lookup("since").Usage = "only events from this time: a date, date-time, RFC 3339 time or relative time (7d, 24h); default: all"
	fl.StringArrayVar(&opts.Rules, "rules", nil, "also run the rules in this `FILE or folder` (*.yml, *.yaml: trailq's rule format, Sigma; repeatable)")
	fl.StringArrayVar(&opts.Sigma, "sigma", nil, "also run the SigmaHQ-format rules in this `FILE or folder` (rules for other log sources are skipped; repeatable)")
	fl.BoolVar(&opts.NoBuiltin, "no-builtin", false, "do not run the built-in rules")
	fl.StringArrayVar(&opts.Thresholds, "threshold", nil, "set a correlation rule's threshold and timespan: `RULE=[OP]N[/TIMESPAN]`, RULE its file name, id or title (console_login_brute_force=10/30m: 10 or more in 30 minutes; repeatable)")
	fl.StringVar(&opts.Severity, "severity", "", "only rules of this level or higher: low, medium, high or critical")
	fl.StringSliceVar(&opts.Accounts, "account", nil, "only the events of these account IDs (and only their logs are loaded; repeatable)")
	fl.StringSliceVar(&opts.Regions, "region", nil, "only the events of these regions (and only their logs are loaded; repeatable)")
	fl.StringVar(&opts.Format, "format", "", "output format: table, csv, tsv, json, jsonl, sarif (default: table on a terminal, csv otherwise)")
	fl.BoolVar(&opts.VerifiedOnly, "verified-only", false, "run the rules only when every log file with events in the period was verified valid against the trail's digests (trailq verify --logs records it); else exit 1 and say which were not")
	fl.BoolVar(&opts.FailOnFindings, "fail-on-findings", false, fmt.Sprintf("end with exit status %d when there are findings", ExitFindings))
	fl.BoolVar(&opts.Explain, "explain", false, "print each rule's SQL and the scan's, and do not load or run anything")
	fl.BoolVar(&opts.Wide, "wide", false, "do not shorten long values in the table format")
	addFollowFlags(cmd, &opts.FollowOptions, "load new logs and report each new finding once")
	fl.StringVar(&opts.Exec, "exec", "", "with --follow, run `CMD` for each new finding, the finding as JSON on its stdin (no shell: give sh -c '…' for one)")
	fl.DurationVar(&opts.ExecTimeout, "exec-timeout", 30*time.Second, "with --exec, stop a run of the command after this long")
	fl.BoolVar(&opts.RawCSV, "raw-csv", false, "write text cells that start with = + - @ as they are in CSV/TSV (by default they get a leading ' so that a spreadsheet does not run them as formulas)")
	return cmd
}

// checkFollow refuses what does not go with --follow, and --exec without it.
func (o *DetectOptions) checkFollow(cmd *cobra.Command) error {
	if err := o.FollowOptions.check(cmd, &o.SourceOptions); err != nil {
		return err
	}
	switch {
	case !o.Follow && (o.Exec != "" || cmd.Flags().Changed("exec-timeout")):
		return usageErrorf("--exec runs a command for each new finding of --follow: add --follow")
	case !o.Follow:
		return nil
	case o.FailOnFindings:
		return usageErrorf("--follow does not end on findings: it does not go with --fail-on-findings (use --exec to act on each)")
	case o.Explain:
		return usageErrorf("--explain prints the rules' SQL and stops: it does not go with --follow")
	case o.Until != "":
		return usageErrorf("--follow reports what arrives: it does not go with --until")
	case o.VerifiedOnly:
		return usageErrorf("--follow reads logs as they arrive, before any digest covers them: it does not go with --verified-only")
	case o.ExecTimeout <= 0:
		return usageErrorf("--exec-timeout %s: give a positive duration, e.g. 30s (the default)", o.ExecTimeout)
	}
	if _, err := splitCommand(o.Exec); o.Exec != "" && err != nil {
		return usageErrorf("--exec %q: %v", o.Exec, err)
	}
	return nil
}

// FindingsError ends a command asked to fail on findings (--fail-on-findings) that found some.
type FindingsError struct{ N int }

func (e *FindingsError) Error() string {
	return fmt.Sprintf("%d finding%s (--fail-on-findings)", e.N, plural(e.N))
}

func parseSeverity(s string) (sigma.Level, error) {
	switch l := sigma.Level(strings.ToLower(s)); l {
	case "":
		return "", nil
	case sigma.Informational, sigma.Low, sigma.Medium, sigma.High, sigma.Critical:
		return l, nil
	}
	return "", usageErrorf("unknown --severity %q: use low, medium, high or critical", s)
}

// Where the rules come from, for the link the Detection Rule License asks findings to carry.
const (
	builtinRuleSet = "https://github.com/trailq/trailq/tree/main/internal/rules/builtin"
	sigmaHQRuleSet = "https://github.com/SigmaHQ/sigma"
	// sigmaHQLicenseFile is the licence file of SigmaHQ's repository (the Detection Rule License 1.1).
	sigmaHQLicenseFile = "LICENSE.Detection.Rules.md"
)

// builtinRules compiles the built-in rules.
func builtinRules() *sigma.Set {
	return sigma.Compile(rules.Files(), sigma.Options{RuleSet: builtinRuleSet})
}

// engineRules is Engine.Rules: the built-in rules, compiled once when first asked for.
func engineRules() func() *sigma.Set {
	var once sync.Once
	var set *sigma.Set
	return func() *sigma.Set {
		once.Do(func() { set = builtinRules() })
		return set
	}
}

// sigmaOptions gives SigmaHQ's rules (a folder holding, or under one holding, SigmaHQ's licence file) the
// Detection Rule License and SigmaHQ's rule set; others name their licence themselves and the path they came
// from.
func sigmaOptions(path string) sigma.Options {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	for dir := abs; ; {
		if _, err := os.Stat(filepath.Join(dir, sigmaHQLicenseFile)); err == nil {
			return sigma.Options{License: "DRL-1.1", RuleSet: sigmaHQRuleSet}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return sigma.Options{RuleSet: abs}
}

// loadRules compiles the rules the flags name: the built-in ones (unless --no-builtin), --rules and --sigma,
// and sets the thresholds --threshold gives. A rule whose id another has already is a problem, and left out.
func (o *DetectOptions) loadRules() (*sigma.Set, error) {
	set := &sigma.Set{}
	add := func(s *sigma.Set) {
		for _, r := range s.Rules {
			if other := set.Rule(r.ID); other != nil {
				set.Problems = append(set.Problems, &sigma.Problem{File: r.File, Line: r.Line, Rule: r.Title, Kind: sigma.Invalid,
					Msg: fmt.Sprintf("rule %s is also at %s:%d: left out", r.ID, other.File, other.Line)})
				continue
			}
			set.Rules = append(set.Rules, r)
		}
		set.Problems = append(set.Problems, s.Problems...)
	}
	if !o.NoBuiltin {
		add(builtinRules())
	}
	for _, p := range o.Rules {
		s, err := sigma.Load([]string{p}, sigma.Options{RuleSet: absPath(p)})
		if err != nil {
			return nil, withHint(err, "--rules takes a rule file or a folder of *.yml rules")
		}
		add(s)
	}
	for _, p := range o.Sigma {
		s, err := sigma.Load([]string{p}, sigmaOptions(p))
		if err != nil {
			return nil, withHint(err, "--sigma takes a Sigma rule file or a folder of them, e.g. sigma/rules/cloud/aws")
		}
		add(s)
	}
	for _, t := range o.Thresholds {
		ov, err := sigma.ParseOverride(t)
		if err == nil {
			err = set.Override(ov)
		}
		if err != nil {
			return nil, &UsageError{Err: err}
		}
	}
	return set, nil
}

func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// reportProblems names each rule not compiled on w, and counts those for other log sources; it returns how
// many could not be compiled (not counting those).
func reportProblems(f *Factory, set *sigma.Set) int {
	n, other := 0, 0
	for _, p := range set.Problems {
		if p.Kind == sigma.NotCloudTrail {
			other++
			continue
		}
		n++
		fmt.Fprintf(f.IO.ErrOut, "Rule not compiled (%s): %s\n", p.Kind, p.Error())
	}
	if other > 0 {
		fmt.Fprintf(f.IO.ErrOut, "%d rule%s for other log sources than CloudTrail skipped.\n", other, plural(other))
	}
	return n
}

func runDetect(ctx context.Context, f *Factory, opts *DetectOptions) error {
	sarif := strings.EqualFold(opts.Format, "sarif")
	var format output.Format
	if !sarif {
		var err error
		if format, err = f.OutputFormat(opts.Format); err != nil {
			return &UsageError{Err: fmt.Errorf("%w, sarif", err)}
		}
	}
	minLevel, err := parseSeverity(opts.Severity)
	if err != nil {
		return err
	}
	loc, err := opts.zone(f)
	if err != nil {
		return err
	}
	now := f.Now()
	period, err := opts.period(now, loc)
	if err != nil {
		return err
	}
	set, err := opts.loadRules()
	if err != nil {
		return err
	}
	if n := reportProblems(f, set); n > 0 && opts.Strict {
		return withHint(fmt.Errorf("%d rule%s not compiled (--strict)", n, plural(n)), "fix the rules named above, or run without --strict to run the others")
	}
	if len(set.Rules) == 0 {
		return withHint(errors.New("no rule to run"), "--sigma DIR with rules for CloudTrail (logsource product aws, service cloudtrail)")
	}
	if opts.Explain {
		return explainDetect(f, set)
	}
	eo, err := f.engineOptions(ctx, &opts.SourceOptions, nil)
	if err != nil {
		return err
	}
	do := engine.DetectOptions{Period: period, Lag: opts.Lag, Now: now, MinLevel: minLevel, Accounts: opts.Accounts, Regions: opts.Regions,
		VerifiedOnly: opts.VerifiedOnly}
	if opts.Follow {
		return followDetect(ctx, f, opts, eo, set, do)
	}
	if opts.DryRun && eo.Source != nil {
		if d, ok := period.KeyDays(now, opts.Lag); ok {
			eo.Load.Days = &d
		}
		return f.dryRun(ctx, eo)
	}
	e := f.Engine()
	start := time.Now()
	res, err := e.Detect(ctx, eo, set, do)
	if err != nil {
		return err
	}
	if sarif {
		err = writeSARIF(f.IO.Out, res, loc)
	} else {
		w := output.New(f.IO.Out, format, output.Options{MaxWidth: maxWidth(f, opts.Wide, format), Location: loc, RawCSV: opts.RawCSV})
		err = writeFindings(w, format, res.Findings, loc)
	}
	if err != nil {
		return err
	}
	f.printDetectSummary(res, period, loc, now, time.Since(start))
	if res.Verified.Checked || opts.VerifiedOnly {
		fmt.Fprintf(f.IO.ErrOut, "Logs read: %s.\n", res.Verified)
	}
	if opts.FailOnFindings && len(res.Findings) > 0 {
		return &FindingsError{N: len(res.Findings)}
	}
	return nil
}

// explainDetect prints every rule's SQL, then the one scan the detection rules run in.
func explainDetect(f *Factory, set *sigma.Set) error {
	if err := set.Explain(f.IO.Out); err != nil {
		return err
	}
	var dets []*sigma.Rule
	for _, r := range set.Rules {
		if r.Kind == sigma.Detection && r.Standalone {
			dets = append(dets, r)
		}
	}
	if sql := engine.DetectScanSQL(dets); sql != "" {
		_, err := fmt.Fprintf(f.IO.Out, "-- The scan trailq runs: every standalone detection rule above at once (trailq_rules: the\n"+
			"-- indexes of the rules a row matches, in this order: %s)\n%s;\n", strings.Join(ruleIDs(dets), ", "), sql)
		return err
	}
	return nil
}

func ruleIDs(rs []*sigma.Rule) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// printDetectSummary says on stderr how many findings of which levels the rules made, over which period.
func (f *Factory) printDetectSummary(res *engine.DetectResult, period timewin.Period, loc *time.Location, now time.Time, took time.Duration) {
	by := map[sigma.Level]int{}
	for i := range res.Findings {
		by[res.Findings[i].Level]++
	}
	var levels []string
	for _, l := range []sigma.Level{sigma.Critical, sigma.High, sigma.Medium, sigma.Low, sigma.Informational} {
		if n := by[l]; n > 0 {
			levels = append(levels, fmt.Sprintf("%d %s", n, l))
		}
	}
	w := f.IO.ErrOut
	fmt.Fprintf(w, "%d finding%s", len(res.Findings), plural(len(res.Findings)))
	if len(levels) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(levels, ", "))
	}
	fmt.Fprintf(w, " of %d rule%s, events %s, times in %s; in %s.\n", len(res.Rules), plural(len(res.Rules)),
		describePeriod(period, loc), zoneName(loc, now), took.Round(time.Millisecond))
	if res.Stored > 0 {
		fmt.Fprintf(w, "The findings of %d built-in rule%s are those computed after the last load, at %s.\n",
			res.Stored, plural(res.Stored), signin.FormatTime(res.StoredAt, loc))
	}
}

// The columns of the findings list: all of them (CSV, TSV, JSON) and on a terminal.
var (
	findingColumns = []string{"finding_id", "level", "rule_id", "rule", "first_seen", "last_seen", "principal",
		"account", "region", "source_ips", "event_count", "what_happened", "techniques", "event_ids", "author",
		"license", "rule_set", "rule_version", "computed_at"}
	findingTableColumns = []string{"level", "first_seen", "rule", "principal", "account", "events", "what_happened"}
)

func writeFindings(w output.Writer, format output.Format, fs []engine.Finding, loc *time.Location) error {
	cols := findingColumns
	if format == output.Table {
		cols = findingTableColumns
	}
	if err := w.Header(cols); err != nil {
		return err
	}
	for i := range fs {
		x := &fs[i]
		var row []any
		if format == output.Table {
			row = []any{string(x.Level), signin.FormatTime(x.First, loc), x.Title, x.Principal, x.Account, x.Count, x.Summary}
		} else {
			row = []any{x.ID, string(x.Level), x.RuleID, x.Title, signin.FormatTime(x.First, loc), signin.FormatTime(x.Last, loc),
				x.Principal, x.Account, x.Region, jsonList(x.SourceIPs), x.Count, x.Summary, jsonList(x.Techniques),
				jsonList(x.EventIDs), x.Author, x.License, x.RuleSet, x.RuleVersion, signin.FormatTime(x.ComputedAt, loc)}
		}
		if err := w.Row(row); err != nil {
			return err
		}
	}
	return w.Close()
}

// jsonList is a list as JSON (an array in JSON output, its text in CSV).
func jsonList(s []string) json.RawMessage {
	if s == nil {
		s = []string{}
	}
	b, _ := json.Marshal(s)
	return b
}
