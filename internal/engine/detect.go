package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/trailq/trailq/internal/hint"
	"github.com/trailq/trailq/internal/sigma"
	"github.com/trailq/trailq/internal/timewin"
)

// DetectOptions say which events Detect reads and which of the rules it runs.
type DetectOptions struct {
	// Period limits the events the rules read, by eventtime as an instant (zero bounds are open). With a start,
	// the load keeps to the log files of the period's key dates, plus Lag for late delivery (as signins does).
	Period timewin.Period
	Lag    time.Duration
	// Now is the time relative periods were read at and findings are computed at.
	Now time.Time
	// MinLevel, when set, runs only the rules of that level or higher.
	MinLevel sigma.Level
	// Accounts and Regions, when set, limit the events the rules read (and the load) to those accounts and
	// regions (the key's, else recipientAccountId and awsRegion).
	Accounts, Regions []string
	// VerifiedOnly refuses to run the rules unless every log file with events in the period was verified valid
	// against the trail's digests (RecordLogChecks).
	VerifiedOnly bool
}

// whole reports whether the rules read every stored event (no period, account or region): only then are the
// built-in rules' stored findings the answer.
func (do DetectOptions) whole() bool {
	return do.Period.Start.IsZero() && do.Period.End.IsZero() && len(do.Accounts) == 0 && len(do.Regions) == 0
}

// DetectResult is what Detect found.
type DetectResult struct {
	Report *Report // the load's (nil when nothing was loaded)
	// Rules are the rules run: the standalone detection and correlation rules at MinLevel or above.
	Rules    []*sigma.Rule
	Findings []Finding
	// Stored is how many of the rules had their findings read from the store's findings table (computed after
	// the last load), at StoredAt.
	Stored   int
	StoredAt time.Time
	// Queries are the statements run on the store (DuckDB SQL), in order: one scan for all the detection rules,
	// one query per correlation rule, one lookup of the correlations' evidence events, or one read of the
	// findings table.
	Queries []string
	// Verified is what the checks of the logs say of the log files with events in the period.
	Verified Verified
}

// Finding is one thing a rule found: the events of a detection rule by one principal of one account in one
// hour (UTC), or one finding of a correlation rule (its group in its window). It carries what the Detection Rule
// License asks a finding to carry: the rule's author, its licence and where the rule set is.
type Finding struct {
	// ID is stable across runs: a hash of the rule, the group and the window's start.
	ID                       string
	RuleID, Title            string
	Level                    sigma.Level
	Author, License, RuleSet string
	// RuleVersion is a hash of what the rule runs and says (its SQL, title, level, …).
	RuleVersion string
	Techniques  []string
	// First and Last are the times of the first and last event (zero when the events' times are unreadable).
	First, Last time.Time
	// Principal is the readable principal (as trailq signins shows it); Account the account ID; Region the
	// regions; several are joined with ", ".
	Principal, Account, Region string
	SourceIPs                  []string
	Count                      int64
	// EventIDs are all the evidence events' eventid values, in time order.
	EventIDs []string
	// Summary says in one line what happened.
	Summary string
	// ComputedAt is when the finding was computed.
	ComputedAt time.Time

	fileID int64 // the newest object among the evidence events
}

// Detect loads what is new in the source (unless there is none or NoLoad; with a period, only the log files of
// its key dates) and runs the standalone rules of set over the store: every detection rule in one scan of the
// events, every correlation rule with its own query, all through the sandboxed reader. Without a period, the
// findings of built-in rules (Engine.Rules) come from the store's findings table when it is current. Problems
// of the set are the caller's to report.
func (e *Engine) Detect(ctx context.Context, o Options, set *sigma.Set, do DetectOptions) (*DetectResult, error) {
	res := &DetectResult{}
	if do.Now.IsZero() {
		do.Now = e.now()
	}
	if !do.Period.Start.IsZero() && !do.Period.End.IsZero() && !do.Period.End.After(do.Period.Start) {
		return res, fmt.Errorf("detect: the period ends (%s) before it starts (%s)", do.Period.End, do.Period.Start)
	}
	if set != nil {
		res.Rules = runnable(set.Rules, do.MinLevel)
	}
	if o.readOnly() {
		if _, err := os.Stat(o.StorePath); err != nil {
			return res, hint.With(fmt.Errorf("open store %s: %w", o.StorePath, err), "load logs first with --source")
		}
	} else {
		if d, ok := do.Period.KeyDays(do.Now, do.Lag); ok {
			o.Load.Days = &d
		}
		o.Load.Accounts, o.Load.Regions = do.Accounts, do.Regions
		rep, err := e.sync(ctx, o, nil, nil)
		res.Report = rep
		if err != nil {
			return res, err
		}
	}
	if do.whole() {
		e.keepFindings(ctx, o)
	}
	st, err := e.Reader(ctx, o)
	if err != nil {
		return res, err
	}
	defer st.Close()
	if res.Verified, err = VerifiedFiles(ctx, st, do.Period); err != nil {
		return res, err
	}
	if do.VerifiedOnly {
		if err := VerifiedOnly(res.Verified); err != nil {
			return res, err
		}
	}
	return res, e.detect(ctx, st, res, do)
}

// keepFindings computes the built-in rules' findings into the findings table when it is not current (the first
// detect after a load), so that the next detect over the whole store and the web UI read them. A store another
// process holds (trailq serve) is left as it is: detect then computes them as it answers.
func (e *Engine) keepFindings(ctx context.Context, o Options) {
	if len(e.builtinRules()) == 0 {
		return
	}
	st, err := e.Writer(ctx, o.StorePath)
	if err != nil {
		e.log().Debug("findings not kept", "why", err)
		return
	}
	defer st.Close()
	if err := e.refreshFindings(ctx, st); err != nil {
		e.log().Debug("findings not kept", "why", err)
	}
}

// runnable returns the rules that make findings (standalone), at min or above.
func runnable(rules []*sigma.Rule, min sigma.Level) []*sigma.Rule {
	var out []*sigma.Rule
	for _, r := range rules {
		if !r.Standalone || min != "" && r.Level.Rank() < min.Rank() {
			continue
		}
		if r.Kind == sigma.Detection && r.Where == "" || r.Kind == sigma.Correlation && r.Correlation == nil {
			continue
		}
		out = append(out, r)
	}
	return out
}

// detect runs res.Rules on st and fills in res.
func (e *Engine) detect(ctx context.Context, st *Store, res *DetectResult, do DetectOptions) error {
	rules := res.Rules
	if do.whole() {
		var err error
		if rules, err = e.storedFindings(ctx, st, res); err != nil {
			return err
		}
	}
	r := &detectRun{e: e, st: st, res: res, period: do.Period, accounts: do.Accounts, regions: do.Regions, now: do.Now, sandboxed: true}
	if err := r.run(ctx, rules); err != nil {
		return err
	}
	sortFindings(res.Findings)
	return nil
}

// sortFindings orders findings by their first time, then by level (highest first), rule and principal.
func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if c := a.First.Compare(b.First); c != 0 {
			return c
		}
		if c := b.Level.Rank() - a.Level.Rank(); c != 0 {
			return c
		}
		if c := strings.Compare(a.RuleID, b.RuleID); c != 0 {
			return c
		}
		if c := strings.Compare(a.Principal, b.Principal); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// RuleVersion is a hash of what a rule runs and of what its findings say of it: findings stored by a rule of
// another version are not reused.
func RuleVersion(r *sigma.Rule) string {
	h := sha256.New()
	for _, s := range []string{findingsFormat, r.ID, r.Title, string(r.Level), r.Author, r.License, r.RuleSet,
		strings.Join(r.Techniques, ","), string(r.Kind), fmt.Sprint(r.Standalone), r.Where, r.SQL} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// findingsFormat names how findings are built from a rule's matches (the grouping, the summary): change it when
// they change, and stored findings are computed again.
const findingsFormat = "findings-1"

func findingID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:8])
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}
