package sigma

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Kind says what a rule is.
type Kind string

// The kinds of rule.
const (
	// Detection rules match single events: Where is the condition over one row of cloudtrail_logs.
	Detection Kind = "detection"
	// Correlation rules match groups of events that other rules matched, within a timespan.
	Correlation Kind = "correlation"
)

// Level is a rule's Sigma level, its severity.
type Level string

// Sigma's levels, lowest first.
const (
	Informational Level = "informational"
	Low           Level = "low"
	Medium        Level = "medium"
	High          Level = "high"
	Critical      Level = "critical"
)

var levels = []Level{Informational, Low, Medium, High, Critical}

// Rank orders levels: 1 for informational to 5 for critical, 0 for none.
func (l Level) Rank() int {
	for i, x := range levels {
		if x == l {
			return i + 1
		}
	}
	return 0
}

// Rule is one compiled rule, with what a finding must carry (the Detection Rule License asks for the author and
// a link to the rule or the rule set).
type Rule struct {
	ID    string // the rule's id (a UUID in SigmaHQ's rules); its name or file and line when it has none
	Name  string // the rule's name, by which correlations may refer to it
	Title string
	// Description, Status ("stable", "test", "experimental", "deprecated", "unsupported"), Date and Modified are as
	// written in the rule.
	Description, Status, Date, Modified string
	Author                              string
	// License is the rule's own license attribute, else Options.License.
	License string
	// RuleSet is Options.RuleSet: where the rules come from, for the link the license asks for.
	RuleSet        string
	Level          Level
	Tags           []string
	Techniques     []string // MITRE ATT&CK techniques from the tags, upper case: "T1078", "T1078.004"
	Tactics        []string // MITRE ATT&CK tactics from the tags, with hyphens: "initial-access"
	References     []string
	FalsePositives []string
	Fields         []string // the rule's fields attribute: what a reader of a finding should look at

	File string // the file the rule is in, as given to Compile
	Line int    // the line its document starts on

	Kind Kind
	// Standalone is false for a detection rule that correlations use and that does not ask to stand alone
	// (generate: true): its matches feed the correlations and are not findings themselves.
	Standalone bool
	// Where is the condition of a detection rule over the columns of cloudtrail_logs, in Athena's SQL. Matches are
	// never NULL: a row matches or does not.
	Where string
	// SQL is the query that gives the rule's matches: the rows of cloudtrail_logs for a detection rule, one row
	// per finding for a correlation (see Correlation).
	SQL string
	// Correlation is set for correlation rules.
	Correlation *CorrelationSpec
	// Warnings are what compiled but may not do what the author meant, each with its line.
	Warnings []string
}

// Problem is a rule trailq could not compile, or a rule file it could not read.
type Problem struct {
	File         string
	Line, Column int
	Rule         string // the rule's title (else its id), when it was read that far
	Kind         ProblemKind
	Msg          string
}

// ProblemKind says why a rule was not compiled.
type ProblemKind string

// The kinds of problem.
const (
	// Invalid: the file does not parse, or the rule is not valid Sigma (an unknown field or modifier, a
	// condition that does not parse, a threshold that makes no sense).
	Invalid ProblemKind = "invalid"
	// Unsupported: valid Sigma that trailq cannot compile (keyword searches, placeholders, near).
	Unsupported ProblemKind = "unsupported"
	// NotCloudTrail: the rule's logsource is not product aws, service cloudtrail.
	NotCloudTrail ProblemKind = "not-cloudtrail"
)

func (p *Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Column > 0 {
			fmt.Fprintf(&b, ":%d", p.Column)
		}
	}
	b.WriteString(": ")
	if p.Rule != "" {
		fmt.Fprintf(&b, "rule %q: ", p.Rule)
	}
	b.WriteString(p.Msg)
	return b.String()
}

var (
	techniqueTag = regexp.MustCompile(`^attack\.(t\d{4}(?:\.\d{3})?)$`)
	tacticTags   = map[string]bool{
		"reconnaissance": true, "resource-development": true, "initial-access": true, "execution": true,
		"persistence": true, "privilege-escalation": true, "defense-evasion": true, "stealth": true,
		"defense-impairment": true, "credential-access": true, "discovery": true, "lateral-movement": true,
		"collection": true, "command-and-control": true, "exfiltration": true, "impact": true,
	}
)

// attack returns the MITRE ATT&CK techniques and tactics the tags name.
func attack(tags []string) (techniques, tactics []string) {
	for _, t := range tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if m := techniqueTag.FindStringSubmatch(t); m != nil {
			techniques = append(techniques, strings.ToUpper(m[1]))
			continue
		}
		if name, ok := strings.CutPrefix(t, "attack."); ok {
			name = strings.ReplaceAll(name, "_", "-")
			if tacticTags[name] {
				tactics = append(tactics, name)
			}
		}
	}
	return techniques, tactics
}

// CorrelationType is the type of a correlation rule.
type CorrelationType string

// Sigma's correlation types.
const (
	EventCount      CorrelationType = "event_count"
	ValueCount      CorrelationType = "value_count"
	Temporal        CorrelationType = "temporal"
	TemporalOrdered CorrelationType = "temporal_ordered"
)

// Window says how a correlation's timespan is laid over time.
type Window string

// The windows.
const (
	// Sliding: at each matched event, the events of its group in the timespan up to and including it. A threshold
	// is crossed at the event that crosses it, wherever the clock is; overlapping windows that cross it make one
	// finding. Used for conditions with only a lower bound (gt, gte) and for temporal correlations.
	Sliding Window = "sliding"
	// Tumbling: fixed windows of the timespan from the Unix epoch (UTC). Used for conditions with an upper bound
	// (lt, lte, eq): a sliding window can always be shrunk to one event, so "fewer than" would hold everywhere.
	Tumbling Window = "tumbling"
)

// Threshold is one criterion of a correlation's condition: the count Op Value.
type Threshold struct {
	Op    string // gt, gte, lt, lte, eq
	Value int64
}

func (t Threshold) String() string { return t.Op + " " + fmt.Sprint(t.Value) }

// CorrelationSpec is what a correlation rule counts, over which groups and timespan, and what its SQL returns.
//
// The SQL of a correlation returns one row per finding: the group-by columns (GroupColumns, named after the
// group-by fields), first_seen and last_seen (timestamps of the first and last event of the finding),
// event_count (the events of the finding), event_ids (their eventid values, in time order), and for value_count
// value_count (the distinct values of Field among them); for temporal correlations rules (the names of the rules
// that matched in it). Rows are ordered by first_seen.
type CorrelationSpec struct {
	Type CorrelationType
	// Rules are the rules correlated, as the correlation names them (an id or a name), and RuleIDs their ids.
	Rules, RuleIDs []string
	// GroupBy are the group-by fields as written (Sigma names or aliases), GroupColumns the output columns.
	GroupBy, GroupColumns []string
	Timespan              time.Duration
	// Conditions are ANDed ("gt: 100, lte: 200" is a range). For temporal correlations without a condition,
	// every rule must match.
	Conditions []Threshold
	// Field is the field value_count counts the distinct values of.
	Field  string
	Window Window

	in *corrInput // what the SQL is built from, kept to rebuild it with other parameters
}
