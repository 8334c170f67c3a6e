package sigma

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Options configure compiling.
type Options struct {
	// License is the licence of rules that name none, for findings: SigmaHQ's rules are under the Detection Rule
	// License 1.1 ("DRL-1.1") and do not say so in each file.
	License string
	// RuleSet is where the rules come from (a URL), kept with each rule for the link the DRL asks for.
	RuleSet string
	// Table is the table the SQL reads; "" is cloudtrail_logs.
	Table string
}

// Set is a compiled collection of rules: those that compiled, in the order of the files and of their documents,
// and the problems of those that did not.
type Set struct {
	Rules    []*Rule
	Problems []*Problem
}

// Rule returns the rule with an id, or nil.
func (s *Set) Rule(id string) *Rule {
	for _, r := range s.Rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// Load reads the rule files at paths (files, or folders walked for *.yml and *.yaml) and compiles them. The
// error is for a path that cannot be read at all; problems with rules are in the Set.
func Load(paths []string, opts Options) (*Set, error) {
	var files []File
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("read rules: %w", err)
		}
		if !fi.IsDir() {
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("read rules: %w", err)
			}
			files = append(files, File{Name: p, Data: data})
			continue
		}
		found := 0
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !(strings.HasSuffix(path, ".yml") || strings.HasSuffix(path, ".yaml")) {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			found++
			files = append(files, File{Name: path, Data: data})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read rules: %w", err)
		}
		if found == 0 {
			return nil, fmt.Errorf("read rules: no .yml or .yaml files under %s", p)
		}
	}
	return Compile(files, opts), nil
}

// entry is a document of the collection on its way to a rule.
type entry struct {
	doc   *doc
	rule  *Rule
	prob  *Problem
	state int // 0 not compiled, 1 compiling (a correlation), 2 done
	// generate is a correlation's generate attribute: the rules it uses stand alone too.
	generate bool
	uses     []*entry
}

// compiler compiles a collection.
type compiler struct {
	opts    Options
	entries []*entry
	byRef   map[string]*entry // by id and by name
}

// Compile compiles rule files. Every rule that compiles is in the Set; every one that does not, and every file
// that does not parse, is a Problem that names the file, the line and why.
func Compile(files []File, opts Options) *Set {
	if opts.Table == "" {
		opts.Table = "cloudtrail_logs"
	}
	c := &compiler{opts: opts, byRef: map[string]*entry{}}
	set := &Set{}
	for _, f := range files {
		docs, p := readDocs(f)
		if p != nil {
			set.Problems = append(set.Problems, p)
		}
		for _, d := range docs {
			c.entries = append(c.entries, &entry{doc: d})
		}
	}
	// Detection rules first, and the index by id and name.
	for _, e := range c.entries {
		r, perr := e.doc.meta(opts)
		if perr == nil && r.ID == "" && r.Name == "" {
			r.ID = fmt.Sprintf("%s:%d", e.doc.file, e.doc.line)
		}
		e.rule = r
		if perr != nil {
			e.fail(perr)
			continue
		}
		for _, key := range []string{r.ID, r.Name} {
			if key == "" {
				continue
			}
			if other, dup := c.byRef[key]; dup {
				e.fail(errAt(e.doc.keys["title"], "rule %s is also at %s:%d", key, other.doc.file, other.doc.line))
				break
			}
			c.byRef[key] = e
		}
		if r.ID == "" {
			r.ID = r.Name
		}
	}
	for _, e := range c.entries {
		if e.prob == nil && e.doc.attrs["correlation"] == nil {
			c.detection(e)
		}
	}
	for _, e := range c.entries {
		if e.prob == nil && e.doc.attrs["correlation"] != nil {
			c.correlation(e)
		}
	}
	// A rule a correlation uses stands alone only if one of the correlations using it says generate: true.
	used := map[*entry]bool{} // → generate
	for _, e := range c.entries {
		if e.prob == nil {
			for _, u := range e.uses {
				used[u] = used[u] || e.generate
			}
		}
	}
	for _, e := range c.entries {
		if e.prob != nil {
			set.Problems = append(set.Problems, e.prob)
			continue
		}
		generate, isUsed := used[e]
		e.rule.Standalone = !isUsed || generate
		set.Rules = append(set.Rules, e.rule)
	}
	slices.SortStableFunc(set.Problems, func(a, b *Problem) int {
		if a.File != b.File {
			return strings.Compare(a.File, b.File)
		}
		return a.Line - b.Line
	})
	return set
}

func (e *entry) fail(perr *posError) {
	e.state = 2
	title := ""
	if e.rule != nil {
		title = e.rule.Title
		if title == "" {
			title = e.rule.ID
		}
	}
	e.prob = &Problem{File: e.doc.file, Line: perr.line, Column: perr.col, Rule: title, Kind: perr.kind, Msg: perr.msg}
}

// detection compiles a detection rule (with a legacy aggregation, a correlation of its own events).
func (c *compiler) detection(e *entry) {
	e.state = 2
	d, r := e.doc, e.rule
	for _, k := range []string{"filter", "action"} {
		if n := d.attrs[k]; n != nil {
			e.fail(unsupportedAt(d.keys[k], "%s documents (Sigma filters and Sigma 1 collections) are not supported", k))
			return
		}
	}
	ls := d.attrs["logsource"]
	if ls == nil {
		e.fail(errAt(d.keys[d.order[0]], "the rule has no logsource"))
		return
	}
	pairs, perr := mapping(ls, "logsource")
	if perr != nil {
		e.fail(perr)
		return
	}
	var product, service string
	for _, kv := range pairs {
		v, perr := scalar(kv[1], "logsource "+kv[0].Value)
		if perr != nil {
			e.fail(perr)
			return
		}
		switch kv[0].Value {
		case "product":
			product = v
		case "service":
			service = v
		case "category", "definition":
		default:
			r.Warnings = append(r.Warnings, fmt.Sprintf("line %d: logsource %s is not Sigma's: ignored", kv[0].Line, kv[0].Value))
		}
	}
	if !strings.EqualFold(product, "aws") || !strings.EqualFold(service, "cloudtrail") {
		p := errAt(ls, "not for CloudTrail: its logsource is product %q, service %q (trailq runs product aws, service cloudtrail)", product, service)
		p.kind = NotCloudTrail
		e.fail(p)
		return
	}
	dn := d.attrs["detection"]
	if dn == nil {
		e.fail(errAt(d.keys[d.order[0]], "the rule has no detection"))
		return
	}
	det, warnings, perr := compileDetection(dn)
	if perr != nil {
		e.fail(perr)
		return
	}
	r.Warnings = append(r.Warnings, warnings...)
	r.Kind, r.Where = Detection, det.where
	r.SQL = "SELECT * FROM " + c.opts.Table + "\nWHERE " + det.where
	if det.agg == nil {
		return
	}
	// Sigma 1's aggregation: an event_count (count()) or value_count (count(field)) correlation of the rule's own
	// events.
	a := det.agg
	if det.timeframe == "" {
		e.fail(unsupportedAt(a.at, "count() without a timeframe counts over all time: give the detection a timeframe (or write a correlation rule)"))
		return
	}
	span, perr := parseTimespan(det.tfNode)
	if perr != nil {
		e.fail(perr)
		return
	}
	spec := &CorrelationSpec{Type: EventCount, GroupBy: a.by, Timespan: span, Conditions: []Threshold{{a.op, a.value}}}
	ref := &corrRef{name: r.ID, where: det.where}
	if a.field != "" {
		spec.Type, spec.Field = ValueCount, a.field
		f, err := mapField(a.field)
		if err == nil && f.list != "" {
			err = fmt.Errorf("count(%s): a field of a list cannot be counted", a.field)
		}
		if err != nil {
			e.fail(errAt(a.at, "%v", err))
			return
		}
		ref.value = f.expr
	}
	for _, g := range a.by {
		f, err := mapField(g)
		if err == nil && f.list != "" {
			err = fmt.Errorf("by %s: a field of a list cannot group", g)
		}
		if err != nil {
			e.fail(errAt(a.at, "%v", err))
			return
		}
		ref.group = append(ref.group, f.expr)
	}
	spec.in = &corrInput{table: c.opts.Table, refs: []*corrRef{ref}}
	if err := spec.finish(); err != nil {
		e.fail(errAt(a.at, "%v", err))
		return
	}
	r.Kind, r.Correlation, r.SQL = Correlation, spec, spec.buildSQL()
	r.Warnings = append(r.Warnings, fmt.Sprintf("line %d: Sigma 1 aggregation (| count() …) compiled as an %s correlation over %s (%s window)",
		a.at.Line, spec.Type, det.timeframe, spec.Window))
}

// finish checks the parameters and names the output columns.
func (s *CorrelationSpec) finish() error {
	if s.Timespan <= 0 {
		return fmt.Errorf("a timespan of %s makes no sense", s.Timespan)
	}
	if s.Type == TemporalOrdered && len(s.Conditions) > 0 {
		return fmt.Errorf("temporal_ordered takes no condition: every rule must match, in order")
	}
	if s.Type == EventCount || s.Type == ValueCount {
		if len(s.Conditions) == 0 {
			return fmt.Errorf("%s needs a condition (gte: 10, …)", s.Type)
		}
	}
	w, err := checkThresholds(s.Conditions)
	if err != nil {
		return err
	}
	if (s.Type == Temporal || s.Type == TemporalOrdered) && len(s.Conditions) > 0 {
		for _, t := range s.Conditions {
			if t.Value > int64(len(s.in.refs)) && (t.Op == "gte" || t.Op == "eq") || t.Value >= int64(len(s.in.refs)) && t.Op == "gt" {
				return fmt.Errorf("the condition %s asks for more rules than the %d correlated", t, len(s.in.refs))
			}
		}
	}
	s.Window = w
	taken := map[string]bool{}
	s.GroupColumns = nil
	for _, g := range s.GroupBy {
		s.GroupColumns = append(s.GroupColumns, columnName(g, taken))
	}
	return nil
}

// WithThreshold returns a copy of a correlation rule with another timespan and condition (nil keeps the rule's),
// its SQL rebuilt: thresholds are parameters a user may set.
func (r *Rule) WithThreshold(timespan time.Duration, conds []Threshold) (*Rule, error) {
	if r.Correlation == nil {
		return nil, fmt.Errorf("rule %s is not a correlation: it has no threshold", r.ID)
	}
	c := *r.Correlation
	c.Timespan = timespan
	if conds != nil {
		c.Conditions = conds
	}
	if err := c.finish(); err != nil {
		return nil, fmt.Errorf("rule %s: %w", r.ID, err)
	}
	out := *r
	out.Correlation, out.SQL = &c, c.buildSQL()
	return &out, nil
}

// correlation compiles a correlation rule, and first the rules it uses.
func (c *compiler) correlation(e *entry) {
	if e.state == 2 {
		return
	}
	e.state = 1
	d, r := e.doc, e.rule
	fail := func(perr *posError) { e.fail(perr) }
	pairs, perr := mapping(d.attrs["correlation"], "correlation")
	if perr != nil {
		fail(perr)
		return
	}
	at := map[string]*yaml.Node{}
	keys := map[string]*yaml.Node{}
	for _, kv := range pairs {
		if !correlationAttrs[kv[0].Value] {
			fail(errAt(kv[0], "unknown correlation attribute %s (it has type, rules, group-by, timespan, condition, aliases, generate)", kv[0].Value))
			return
		}
		at[kv[0].Value], keys[kv[0].Value] = kv[1], kv[0]
	}
	spec := &CorrelationSpec{}
	r.Kind, r.Correlation = Correlation, spec
	for _, need := range []string{"type", "rules", "timespan"} {
		if at[need] == nil {
			fail(errAt(d.keys["correlation"], "the correlation has no %s", need))
			return
		}
	}
	typ, perr := scalar(at["type"], "type")
	if perr != nil {
		fail(perr)
		return
	}
	spec.Type = CorrelationType(typ)
	switch spec.Type {
	case EventCount, ValueCount, Temporal, TemporalOrdered:
	case "value_sum", "value_avg", "value_percentile", "value_median":
		fail(unsupportedAt(at["type"], "correlation type %s is not supported (event_count, value_count, temporal and temporal_ordered are)", typ))
		return
	default:
		fail(errAt(at["type"], "unknown correlation type %q: use event_count, value_count, temporal or temporal_ordered", typ))
		return
	}
	if spec.Rules, perr = stringList(at["rules"], "rules"); perr != nil {
		fail(perr)
		return
	}
	if len(spec.Rules) == 0 {
		fail(errAt(at["rules"], "the correlation has no rules"))
		return
	}
	if n := at["group-by"]; n != nil {
		if spec.GroupBy, perr = stringList(n, "group-by"); perr != nil {
			fail(perr)
			return
		}
	}
	if spec.Timespan, perr = parseTimespan(at["timespan"]); perr != nil {
		fail(perr)
		return
	}
	for _, n := range []*yaml.Node{at["generate"], d.attrs["generate"]} {
		if n != nil {
			b, ok := boolValue(n)
			if !ok || n.Kind != yaml.ScalarNode {
				fail(errAt(n, "generate is true or false"))
				return
			}
			e.generate = e.generate || b
		}
	}
	aliases := map[string]map[string]string{}
	if n := at["aliases"]; n != nil {
		ps, perr := mapping(n, "aliases")
		if perr != nil {
			fail(perr)
			return
		}
		for _, kv := range ps {
			m, perr := mapping(kv[1], "alias "+kv[0].Value)
			if perr != nil {
				fail(perr)
				return
			}
			aliases[kv[0].Value] = map[string]string{}
			for _, rv := range m {
				f, perr := scalar(rv[1], "alias "+kv[0].Value)
				if perr != nil {
					fail(perr)
					return
				}
				aliases[kv[0].Value][rv[0].Value] = f
			}
		}
	}
	var condText *yaml.Node
	if n := at["condition"]; n != nil {
		if n.Kind == yaml.ScalarNode && (spec.Type == Temporal || spec.Type == TemporalOrdered) {
			condText = n
		} else {
			conds, field, perr := readThresholds(n)
			if perr != nil {
				fail(perr)
				return
			}
			spec.Conditions, spec.Field = conds, field
		}
	}
	if n := at["field"]; n != nil {
		if spec.Field, perr = scalar(n, "field"); perr != nil {
			fail(perr)
			return
		}
	}
	if spec.Type == ValueCount && spec.Field == "" {
		fail(errAt(d.keys["correlation"], "value_count needs the field whose values it counts (condition: field: …)"))
		return
	}
	if spec.Type != ValueCount && spec.Field != "" {
		fail(errAt(at["condition"], "only value_count counts a field"))
		return
	}
	// The correlated rules.
	in := &corrInput{table: c.opts.Table}
	for _, name := range spec.Rules {
		u := c.byRef[name]
		if u == nil {
			fail(errAt(at["rules"], "rule %s is not among the rules given (correlations name rules by id or name)", name))
			return
		}
		if u == e {
			fail(errAt(at["rules"], "the correlation uses itself"))
			return
		}
		if u.state == 1 {
			fail(errAt(at["rules"], "rule %s and this correlation use each other", name))
			return
		}
		if u.doc.attrs["correlation"] != nil {
			c.correlation(u)
		}
		if u.prob != nil {
			p := unsupportedAt(at["rules"], "it uses rule %s, which was not compiled: %s", name, u.prob.Msg)
			if u.prob.Kind != Unsupported {
				p.kind = u.prob.Kind
			}
			fail(p)
			return
		}
		e.uses = append(e.uses, u)
		spec.RuleIDs = append(spec.RuleIDs, u.rule.ID)
		ref := &corrRef{name: name}
		fieldFor := func(g string) string {
			if a, ok := aliases[g]; ok {
				for _, k := range []string{name, u.rule.Name, u.rule.ID} {
					if f, ok := a[k]; ok && k != "" {
						return f
					}
				}
			}
			return g
		}
		if u.rule.Correlation != nil {
			inner := u.rule.Correlation
			ref.corr = inner
			for _, g := range spec.GroupBy {
				f := fieldFor(g)
				i := slices.IndexFunc(inner.GroupBy, func(x string) bool { return strings.EqualFold(x, f) })
				if i < 0 {
					fail(unsupportedAt(keys["group-by"], "it groups by %s, which correlation %s it uses does not group by (%s)",
						f, name, strings.Join(inner.GroupBy, ", ")))
					return
				}
				ref.group = append(ref.group, "g_"+strconv.Itoa(i+1))
			}
			if spec.Type == ValueCount {
				fail(unsupportedAt(at["type"], "value_count over the findings of correlation %s is not supported", name))
				return
			}
		} else {
			ref.where = u.rule.Where
			for _, g := range spec.GroupBy {
				f, err := mapField(fieldFor(g))
				if err == nil && f.list != "" {
					err = fmt.Errorf("group-by %s: a field of a list cannot group", g)
				}
				if err != nil {
					fail(errAt(keys["group-by"], "%v", err))
					return
				}
				ref.group = append(ref.group, f.expr)
			}
			if spec.Type == ValueCount {
				f, err := mapField(fieldFor(spec.Field))
				if err == nil && f.list != "" {
					err = fmt.Errorf("field %s: a field of a list cannot be counted", spec.Field)
				}
				if err != nil {
					fail(errAt(at["condition"], "%v", err))
					return
				}
				ref.value = f.expr
			}
		}
		in.refs = append(in.refs, ref)
	}
	spec.in = in
	if condText != nil {
		text, _ := scalar(condText, "condition")
		names := append([]string{}, spec.Rules...)
		idx := map[string]int{}
		for i, n := range spec.Rules {
			idx[n] = i
		}
		p := &condParser{node: condText, src: text, names: names,
			ref: func(name string) string { return fmt.Sprintf("k_%d = 1", idx[name]+1) }}
		sql, agg, perr := p.parse()
		if perr == nil && agg != nil {
			perr = errAt(condText, "a correlation's condition has no aggregation")
		}
		if perr != nil {
			fail(perr)
			return
		}
		if spec.Type == TemporalOrdered {
			fail(unsupportedAt(condText, "temporal_ordered takes no condition: every rule must match, in order"))
			return
		}
		in.temporalCond = sql
	}
	if err := spec.finish(); err != nil {
		fail(errAt(d.keys["correlation"], "%v", err))
		return
	}
	r.SQL = spec.buildSQL()
	e.state = 2
}

// readThresholds reads a correlation's condition: gt, gte, lt, lte, eq (ANDed) and value_count's field.
func readThresholds(n *yaml.Node) ([]Threshold, string, *posError) {
	pairs, perr := mapping(n, "condition")
	if perr != nil {
		return nil, "", perr
	}
	var out []Threshold
	field := ""
	for _, kv := range pairs {
		k := kv[0].Value
		if k == "field" {
			if field, perr = scalar(kv[1], "field"); perr != nil {
				return nil, "", perr
			}
			continue
		}
		switch k {
		case "gt", "gte", "lt", "lte", "eq":
		default:
			return nil, "", errAt(kv[0], "unknown condition %s: use gt, gte, lt, lte or eq (and field for value_count)", k)
		}
		v, err := strconv.ParseInt(kv[1].Value, 10, 64)
		if err != nil || kv[1].Kind != yaml.ScalarNode {
			return nil, "", errAt(kv[1], "%s takes a whole number, not %q", k, kv[1].Value)
		}
		out = append(out, Threshold{Op: k, Value: v})
	}
	if len(out) == 0 {
		return nil, "", errAt(n, "the condition has no threshold (gte: 10, …)")
	}
	if _, err := checkThresholds(out); err != nil {
		return nil, "", errAt(n, "%v", err)
	}
	return out, field, nil
}
