package trace

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// NotFoundError says that a trace's start matched no event, and what does exist.
type NotFoundError struct {
	Query Query
	// Outside counts the events of the start outside the query's period (none without a period).
	Outside Span
	// Suggestions are values of the same kind that the store holds, nearest first.
	Suggestions []Suggestion
	// Store is what the store holds, when nothing near was found.
	Store Span
}

// Span is a count of events and the first and last eventtime (as written).
type Span struct {
	Events      int64
	First, Last string
}

// Suggestion is a value the store holds that is near what was asked.
type Suggestion struct {
	Flag, Value string
	Span
}

func (e *NotFoundError) Error() string {
	what := map[Kind]string{
		BySession:   "no event has the ID %s",
		ByAccessKey: "no event was made with access key %s",
		ByPrincipal: "no event was made by principal %s",
		ByIP:        "no event came from %s",
		ByRole:      "no event was made in a session of role %s",
		ByResource:  "no event names resource %s",
	}[e.Query.Kind]
	msg := fmt.Sprintf(what, e.Query.Value)
	if e.Outside.Events > 0 {
		msg += fmt.Sprintf(" in the period (it has %d event%s from %s to %s)", e.Outside.Events, plural(int(e.Outside.Events)), e.Outside.First, e.Outside.Last)
	}
	return msg
}

// Hint is what to try instead.
func (e *NotFoundError) Hint() string {
	var parts []string
	if e.Outside.Events > 0 {
		parts = append(parts, "a period that holds them, e.g. --since "+firstDate(e.Outside.First))
	}
	for _, s := range e.Suggestions {
		if s.Events == 0 {
			parts = append(parts, fmt.Sprintf("--%s %s (what the value looks like)", s.Flag, s.Value))
			continue
		}
		parts = append(parts, fmt.Sprintf("--%s %s (%d event%s, %s to %s)", s.Flag, s.Value, s.Events, plural(int(s.Events)), firstDate(s.First), firstDate(s.Last)))
	}
	if len(parts) == 0 && e.Store.Events > 0 {
		parts = append(parts, fmt.Sprintf("nothing near it is stored (the store holds %d events from %s to %s): check the value, or load the logs that hold it", e.Store.Events, e.Store.First, e.Store.Last))
	}
	if len(parts) == 0 {
		parts = append(parts, "the store holds no events: give --source with the logs to load")
	}
	return strings.Join(parts, "\n     ")
}

func firstDate(t string) string {
	if len(t) >= 10 {
		return t[:10]
	}
	return t
}

// maxSuggestions is how many near values a NotFoundError names.
const maxSuggestions = 5

// notFound builds the error for a start that matched nothing.
func (r *run) notFound(ctx context.Context) error {
	q := r.q
	e := &NotFoundError{Query: q}
	var err error
	if w := q.where(); w != "" && (!q.Period.Start.IsZero() || !q.Period.End.IsZero()) {
		if e.Outside, err = r.span(ctx, w); err != nil {
			return err
		}
	}
	if e.Outside.Events == 0 {
		if e.Suggestions, err = r.suggest(ctx); err != nil {
			return err
		}
		if len(e.Suggestions) == 0 {
			if e.Store, err = r.span(ctx, "true"); err != nil {
				return err
			}
		}
	}
	return e
}

// span counts the events of cond, at any time.
func (r *run) span(ctx context.Context, cond string) (Span, error) {
	sql := "SELECT count(*), coalesce(min(eventtime), ''), coalesce(max(eventtime), '') FROM cloudtrail_logs WHERE " + cond
	r.res.Queries = append(r.res.Queries, sql)
	var sp Span
	err := r.db.Events(ctx, sql, func(v []any) error {
		sp.Events, _ = v[0].(int64)
		sp.First, _ = v[1].(string)
		sp.Last, _ = v[2].(string)
		return nil
	})
	if err != nil {
		return sp, fmt.Errorf("trace: look for what is near %s: %w", r.q.Value, err)
	}
	return sp, nil
}

// suggest finds values of the query's kind near its value.
func (r *run) suggest(ctx context.Context) ([]Suggestion, error) {
	v := r.q.Value
	lower := quote(strings.ToLower(v))
	name := quote(strings.ToLower(arnName(v)))
	var col, cond string
	flag := string(r.q.Kind)
	rank := func(s string) int { return 0 }
	switch r.q.Kind {
	case BySession:
		if s := r.otherKind(); s != nil {
			return []Suggestion{*s}, nil
		}
		col, cond = "eventid", "substr(lower(eventid), 1, 8) = substr("+lower+", 1, 8)"
		rank = func(s string) int { return commonPrefix(strings.ToLower(s), strings.ToLower(v)) }
	case ByAccessKey:
		col = "useridentity.accesskeyid"
		cond = "length(" + col + ") > 0 AND (substr(" + col + ", 1, 4) = substr(" + quote(strings.ToUpper(v)) + ", 1, 4) OR strpos(lower(" + col + "), " + lower + ") > 0)"
		rank = func(s string) int {
			if strings.Contains(strings.ToLower(s), strings.ToLower(v)) {
				return 100
			}
			return commonPrefix(s, strings.ToUpper(v))
		}
	case ByPrincipal:
		col, cond = "useridentity.arn", "strpos(lower(useridentity.arn), "+name+") > 0 OR strpos(lower(useridentity.username), "+name+") > 0"
	case ByRole:
		col, cond = "useridentity.sessioncontext.sessionissuer.arn", "useridentity.sessioncontext.sessionissuer.type = 'Role' AND strpos(lower(useridentity.sessioncontext.sessionissuer.arn), "+name+") > 0"
	case ByIP:
		col = "sourceipaddress"
		addr := strings.SplitN(v, "/", 2)[0]
		lead := addr
		if i := strings.IndexAny(addr, ".:"); i >= 0 {
			lead = addr[:i+1]
		}
		cond = "substr(sourceipaddress, 1, " + fmt.Sprint(len(lead)) + ") = " + quote(lead)
		rank = func(s string) int { return commonPrefix(s, addr) }
	case ByResource:
		return r.suggestResources(ctx, name)
	}
	return r.near(ctx, flag, col, cond, rank)
}

// near runs the suggestion query of a column and ranks its values: by rank, then by events.
func (r *run) near(ctx context.Context, flag, col, cond string, rank func(string) int) ([]Suggestion, error) {
	sql := "SELECT " + col + ", count(*), min(eventtime), max(eventtime) FROM cloudtrail_logs WHERE " + cond +
		" GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10000"
	r.res.Queries = append(r.res.Queries, sql)
	var out []Suggestion
	err := r.db.Events(ctx, sql, func(v []any) error {
		s := Suggestion{Flag: flag}
		s.Value, _ = v[0].(string)
		s.Events, _ = v[1].(int64)
		s.First, _ = v[2].(string)
		s.Last, _ = v[3].(string)
		if s.Value != "" {
			out = append(out, s)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("trace: look for what is near %s: %w", r.q.Value, err)
	}
	slices.SortStableFunc(out, func(a, b Suggestion) int {
		if c := cmp.Compare(rank(b.Value), rank(a.Value)); c != 0 {
			return c
		}
		return cmp.Compare(b.Events, a.Events)
	})
	return out[:min(len(out), maxSuggestions)], nil
}

// suggestResources finds resource ARNs that contain name.
func (r *run) suggestResources(ctx context.Context, name string) ([]Suggestion, error) {
	sql := "SELECT res.arn, count(*), min(eventtime), max(eventtime) FROM cloudtrail_logs CROSS JOIN UNNEST(resources) AS t(res)" +
		" WHERE strpos(lower(res.arn), " + name + ") > 0 GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT " + fmt.Sprint(maxSuggestions)
	r.res.Queries = append(r.res.Queries, sql)
	var out []Suggestion
	err := r.db.Events(ctx, sql, func(v []any) error {
		s := Suggestion{Flag: string(ByResource)}
		s.Value, _ = v[0].(string)
		s.Events, _ = v[1].(int64)
		s.First, _ = v[2].(string)
		s.Last, _ = v[3].(string)
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("trace: look for what is near %s: %w", r.q.Value, err)
	}
	return out, nil
}

var (
	keyRE = regexp.MustCompile(`^(AKIA|ASIA)[A-Z0-9]{12,124}$`)
	ipRE  = regexp.MustCompile(`^[0-9a-fA-F.:]+(/[0-9]+)?$`)
)

// otherKind says which flag a --session value that is not an event ID looks like it is for.
func (r *run) otherKind() *Suggestion {
	v := r.q.Value
	flag := ""
	switch {
	case keyRE.MatchString(v):
		flag = string(ByAccessKey)
	case strings.Contains(v, ":role/"):
		flag = string(ByRole)
	case strings.HasPrefix(v, "arn:") && (strings.Contains(v, ":user/") || strings.Contains(v, ":assumed-role/") || strings.HasSuffix(v, ":root")):
		flag = string(ByPrincipal)
	case strings.HasPrefix(v, "arn:"):
		flag = string(ByResource)
	case strings.Count(v, ".") == 3 && ipRE.MatchString(v):
		flag = string(ByIP)
	default:
		return nil
	}
	return &Suggestion{Flag: flag, Value: v}
}

// commonPrefix is the length of the prefix a and b share.
func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
