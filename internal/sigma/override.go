package sigma

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Override sets a correlation rule's threshold, its timespan, or both: what `trailq detect --threshold` says.
type Override struct {
	// Rule names the rule: its id, its name, its title, or its file's name without .yml when the file holds one
	// correlation (console_login_brute_force).
	Rule string
	// Op and Value replace the rule's condition when HasValue; an empty Op keeps the operator of the rule's one
	// condition ("5 or more" becomes "10 or more").
	Op       string
	Value    int64
	HasValue bool
	// Timespan replaces the rule's when not 0.
	Timespan time.Duration
	Text     string // as written
}

var overrideRE = regexp.MustCompile(`^(>=|<=|>|<|=|gte:|gt:|lte:|lt:|eq:)?\s*(\d+)?\s*(?:/\s*(\d+[smhdw]))?$`)

var overrideOps = map[string]string{">=": "gte", ">": "gt", "<=": "lte", "<": "lt", "=": "eq",
	"gte:": "gte", "gt:": "gt", "lte:": "lte", "lt:": "lt", "eq:": "eq"}

// ParseOverride reads RULE=[OP]N[/TIMESPAN] or RULE=/TIMESPAN: "console_login_brute_force=10/30m" (10 or more
// within 30 minutes), "password_spraying=>=20", "access_denied_storm=/1h".
func ParseOverride(s string) (Override, error) {
	o := Override{Text: s}
	rule, spec, ok := strings.Cut(s, "=")
	o.Rule = strings.TrimSpace(rule)
	m := overrideRE.FindStringSubmatch(strings.TrimSpace(spec))
	if !ok || o.Rule == "" || m == nil || m[2] == "" && m[3] == "" || m[1] != "" && m[2] == "" {
		return o, fmt.Errorf("threshold %q: write RULE=N, RULE=N/TIMESPAN or RULE=/TIMESPAN, with an operator if need be (RULE=>=10/30m); a timespan is a number and s, m, h, d or w", s)
	}
	if m[2] != "" {
		v, err := strconv.ParseInt(m[2], 10, 64)
		if err != nil {
			return o, fmt.Errorf("threshold %q: %s is too large", s, m[2])
		}
		o.Op, o.Value, o.HasValue = overrideOps[m[1]], v, true
	}
	if m[3] != "" {
		n := timespanRE.FindStringSubmatch(m[3])
		v, _ := strconv.ParseInt(n[1], 10, 64)
		if v == 0 || v > 3650*24*3600 {
			return o, fmt.Errorf("threshold %q: a timespan of %s makes no sense", s, m[3])
		}
		unit := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[n[2]]
		o.Timespan = time.Duration(v) * unit
	}
	return o, nil
}

// Override replaces the correlation rule o names by a copy with o's threshold and timespan. A name that matches
// no correlation rule, or several, is an error that lists the correlation rules there are.
func (s *Set) Override(o Override) error {
	i, err := s.correlationNamed(o.Rule)
	if err != nil {
		return fmt.Errorf("threshold %q: %w", o.Text, err)
	}
	r := s.Rules[i]
	span, conds := r.Correlation.Timespan, []Threshold(nil)
	if o.Timespan != 0 {
		span = o.Timespan
	}
	if o.HasValue {
		op := o.Op
		if op == "" {
			if len(r.Correlation.Conditions) != 1 {
				return fmt.Errorf("threshold %q: rule %s has %d conditions (%s): give an operator, e.g. %s=>=%d",
					o.Text, r.Title, len(r.Correlation.Conditions), thresholdList(r.Correlation.Conditions), o.Rule, o.Value)
			}
			op = r.Correlation.Conditions[0].Op
		}
		conds = []Threshold{{Op: op, Value: o.Value}}
	}
	nr, err := r.WithThreshold(span, conds)
	if err != nil {
		return fmt.Errorf("threshold %q: %w", o.Text, err)
	}
	s.Rules[i] = nr
	return nil
}

func thresholdList(ts []Threshold) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.String()
	}
	return strings.Join(parts, ", ")
}

// correlationNamed finds the correlation rule called name (see Override.Rule): by id, else name, else title,
// else file name.
func (s *Set) correlationNamed(name string) (int, error) {
	for _, by := range []func(r *Rule) bool{
		func(r *Rule) bool { return r.ID == name },
		func(r *Rule) bool { return r.Name != "" && r.Name == name },
		func(r *Rule) bool { return strings.EqualFold(r.Title, name) },
		func(r *Rule) bool { return fileStem(r.File) == name },
	} {
		var hits, other []int
		for i, r := range s.Rules {
			switch {
			case !by(r):
			case r.Correlation != nil:
				hits = append(hits, i)
			default:
				other = append(other, i)
			}
		}
		switch {
		case len(hits) == 1:
			return hits[0], nil
		case len(hits) > 1:
			return 0, fmt.Errorf("%q names %d correlation rules: give one's id (%s)", name, len(hits), s.correlations(hits))
		case len(other) > 0:
			return 0, fmt.Errorf("rule %s (%s) is not a correlation: it has no threshold", name, s.Rules[other[0]].Title)
		}
	}
	var all []int
	for i, r := range s.Rules {
		if r.Correlation != nil {
			all = append(all, i)
		}
	}
	return 0, fmt.Errorf("no correlation rule is called %q; the correlation rules are: %s", name, s.correlations(all))
}

// correlations lists the rules at idx as "file-stem (Title)", sorted.
func (s *Set) correlations(idx []int) string {
	var out []string
	for _, i := range idx {
		r := s.Rules[i]
		out = append(out, fmt.Sprintf("%s (%s, id %s)", fileStem(r.File), r.Title, r.ID))
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

func fileStem(file string) string {
	base := path.Base(strings.ReplaceAll(file, `\`, "/"))
	return strings.TrimSuffix(strings.TrimSuffix(base, ".yml"), ".yaml")
}
