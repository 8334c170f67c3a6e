package engine

import (
	"context"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trailq/trailq/internal/sigma"
	"github.com/trailq/trailq/internal/store"
)

// FindingsTable is the store's table of the built-in rules' findings (Engine.Rules), computed after each load
// that changed the events, so that trailq detect and the web UI answer from it at once.
const FindingsTable = "trailq_findings"

// findingColumns are the findings table's columns, in findingValues' order.
var findingColumns = [][2]string{
	{"finding_id", "VARCHAR"}, {"rule_id", "VARCHAR"}, {"rule_title", "VARCHAR"}, {"rule_level", "VARCHAR"},
	{"rule_author", "VARCHAR"}, {"rule_license", "VARCHAR"}, {"rule_set", "VARCHAR"}, {"rule_version", "VARCHAR"},
	{"techniques", "VARCHAR[]"}, {"first_seen", "TIMESTAMP"}, {"last_seen", "TIMESTAMP"}, {"principal", "VARCHAR"},
	{"account", "VARCHAR"}, {"region", "VARCHAR"}, {"source_ips", "VARCHAR[]"}, {"event_count", "BIGINT"},
	{"event_ids", "VARCHAR[]"}, {"summary", "VARCHAR"}, {"computed_at", "TIMESTAMP"},
	// the newest object among the finding's events: the store drops the findings of objects that are gone
	{"_file_id", "BIGINT"},
}

// findingsDone is the meta key that holds the findings table's version once every row of it is written.
const findingsDone = "findings_complete"

// The findings table is computed whole, from all the stored events, whenever the events or the rules changed:
// a finding groups events of several loads (an hour, a correlation's window), so rows cannot be added per
// object as the sign-in classification adds them. Its store.Derived version is unique to each computation (the
// rules' version, the events' state and the time): SyncDerived then always makes it anew and empty. Once its
// rows are appended, meta findings_complete records that version: the table answers only when both agree (a
// computation cut off between the two writes leaves it unused, and the next load computes it again).
func findingsDerived(version string) store.Derived {
	return store.Derived{Name: FindingsTable, Columns: findingColumns, Version: version, From: store.EventsTable}
}

// findingsBase is what a current findings table's version starts with: the rules' version and the state of the
// events (how many, and the highest object id: ids only grow, so any load that adds or replaces objects changes
// it, and any that removes rows changes the count).
func findingsBase(ctx context.Context, st *Store, rules []*sigma.Rule) (string, error) {
	versions := make([]string, len(rules))
	for i, r := range rules {
		versions[i] = RuleVersion(r)
	}
	slices.Sort(versions)
	h := sha256.Sum256([]byte(strings.Join(versions, ",")))
	rows, err := st.Query(ctx, `SELECT count(*), coalesce(max(_file_id), 0) FROM `+store.EventsTable)
	if err != nil {
		return "", fmt.Errorf("read the events' state: %w", err)
	}
	defer rows.Close()
	var n, maxID int64
	if rows.Next() {
		v, err := rows.Values()
		if err != nil {
			return "", fmt.Errorf("read the events' state: %w", err)
		}
		n, _ = v[0].(int64)
		maxID, _ = v[1].(int64)
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("read the events' state: %w", err)
	}
	return fmt.Sprintf("rules %s events %d/%d", hex.EncodeToString(h[:8]), n, maxID), nil
}

// currentFindings returns the version of the findings table when it holds the findings of rules over the
// events as they are, else "".
func currentFindings(ctx context.Context, st *Store, rules []*sigma.Rule) (string, error) {
	done, err := st.Meta(ctx, findingsDone)
	if err != nil || done == "" {
		return "", err
	}
	base, err := findingsBase(ctx, st, rules)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(done, base+" at ") {
		return "", nil
	}
	ok, err := st.Current(ctx, findingsDerived(done))
	if err != nil || !ok {
		return "", err
	}
	return done, nil
}

// builtinRules returns the built-in rules that make findings, or nil.
func (e *Engine) builtinRules() []*sigma.Rule {
	if e.Rules == nil {
		return nil
	}
	set := e.Rules()
	if set == nil {
		return nil
	}
	return runnable(set.Rules, "")
}

// refreshFindings computes the findings table of a store opened for writing, after a load, unless it is
// current. A rule that fails is told (the load stands) and the table is left as it was.
func (e *Engine) refreshFindings(ctx context.Context, st *Store) error {
	rules := e.builtinRules()
	if len(rules) == 0 {
		return nil
	}
	if v, err := currentFindings(ctx, st, rules); err != nil || v != "" {
		return err
	}
	t0 := time.Now()
	now := e.now().UTC()
	res := &DetectResult{Rules: rules}
	r := &detectRun{e: e, st: st, res: res, now: now}
	err := r.run(ctx, rules)
	if err == nil {
		err = writeFindings(ctx, st, rules, res.Findings, now)
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		e.notify("Warning: the findings of the built-in rules were not computed (trailq detect computes them as it runs): %v", err)
		return nil
	}
	e.log().Debug("findings computed", "rules", len(rules), "findings", len(res.Findings), "elapsed", time.Since(t0))
	return nil
}

// writeFindings replaces the findings table's rows with fs.
func writeFindings(ctx context.Context, st *Store, rules []*sigma.Rule, fs []Finding, now time.Time) error {
	base, err := findingsBase(ctx, st, rules)
	if err != nil {
		return err
	}
	d := findingsDerived(base + " at " + now.Format(time.RFC3339Nano))
	if _, err := st.SyncDerived(ctx, d); err != nil {
		return err
	}
	rows := make([][]driver.Value, len(fs))
	for i := range fs {
		rows[i] = findingValues(&fs[i])
	}
	if err := st.AppendDerived(ctx, d, rows); err != nil {
		return err
	}
	return st.SetMeta(ctx, findingsDone, d.Version)
}

func findingValues(f *Finding) []driver.Value {
	ts := func(t time.Time) driver.Value {
		if t.IsZero() {
			return nil
		}
		return t.UTC()
	}
	list := func(s []string) driver.Value {
		out := make([]any, len(s))
		for i, x := range s {
			out[i] = x
		}
		return out
	}
	return []driver.Value{f.ID, f.RuleID, f.Title, string(f.Level), f.Author, f.License, f.RuleSet, f.RuleVersion,
		list(f.Techniques), ts(f.First), ts(f.Last), f.Principal, f.Account, f.Region, list(f.SourceIPs), f.Count,
		list(f.EventIDs), f.Summary, ts(f.ComputedAt), f.fileID}
}

// storedFindings reads from the findings table the findings of the rules of res that are built-in rules of the
// same version, when the table is current, and returns the rules left to run.
func (e *Engine) storedFindings(ctx context.Context, st *Store, res *DetectResult) ([]*sigma.Rule, error) {
	builtin := e.builtinRules()
	if len(builtin) == 0 || len(res.Rules) == 0 {
		return res.Rules, nil
	}
	version, err := currentFindings(ctx, st, builtin)
	if err != nil || version == "" {
		return res.Rules, err
	}
	known := map[string]bool{}
	for _, r := range builtin {
		known[RuleVersion(r)] = true
	}
	var rest []*sigma.Rule
	var stored []string
	for _, r := range res.Rules {
		if v := RuleVersion(r); known[v] {
			stored = append(stored, quote(v))
		} else {
			rest = append(rest, r)
		}
	}
	if len(stored) == 0 {
		return rest, nil
	}
	names := make([]string, len(findingColumns)-1)
	for i, c := range findingColumns[:len(findingColumns)-1] {
		names[i] = c[0]
	}
	sql := `SELECT ` + strings.Join(names, ", ") + `, _file_id FROM ` + FindingsTable +
		` WHERE rule_version IN (` + strings.Join(stored, ", ") + `)`
	res.Queries = append(res.Queries, sql)
	rows, err := st.Query(ctx, sql)
	if err != nil {
		return nil, fmt.Errorf("read findings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			return nil, fmt.Errorf("read findings: %w", err)
		}
		f, err := findingFromValues(v)
		if err != nil {
			return nil, err
		}
		if f.ComputedAt.After(res.StoredAt) {
			res.StoredAt = f.ComputedAt
		}
		res.Findings = append(res.Findings, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read findings: %w", err)
	}
	if res.StoredAt.IsZero() {
		// No findings: the table says when it was computed all the same.
		if _, at, ok := strings.Cut(version, " at "); ok {
			res.StoredAt, _ = time.Parse(time.RFC3339Nano, at)
		}
	}
	res.Stored = len(stored)
	return rest, nil
}

func findingFromValues(v []any) (Finding, error) {
	s := func(i int) string {
		x, _ := v[i].(string)
		return x
	}
	t := func(i int) time.Time {
		x, _ := v[i].(time.Time)
		if !x.IsZero() {
			x = x.UTC()
		}
		return x
	}
	list := func(i int) ([]string, error) {
		raw, ok := v[i].(json.RawMessage)
		if !ok || len(raw) == 0 || string(raw) == "null" {
			return nil, nil
		}
		var out []string
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, fmt.Errorf("read findings: column %s: %w", findingColumns[i][0], err)
		}
		if len(out) == 0 {
			return nil, nil
		}
		return out, nil
	}
	f := Finding{ID: s(0), RuleID: s(1), Title: s(2), Level: sigma.Level(s(3)), Author: s(4), License: s(5),
		RuleSet: s(6), RuleVersion: s(7), First: t(9), Last: t(10), Principal: s(11), Account: s(12), Region: s(13),
		Summary: s(17), ComputedAt: t(18)}
	var err error
	if f.Techniques, err = list(8); err != nil {
		return f, err
	}
	if f.SourceIPs, err = list(14); err != nil {
		return f, err
	}
	if f.EventIDs, err = list(16); err != nil {
		return f, err
	}
	f.Count, _ = v[15].(int64)
	f.fileID, _ = v[19].(int64)
	return f, nil
}
