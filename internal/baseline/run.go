package baseline

import (
	"context"
	"fmt"
	"time"
)

// Querier runs Athena SQL over cloudtrail_logs and calls fn with each row's values (reused by the next row):
// Events over all the stored events, SignIns over the store's sign-in events (the same columns, far fewer
// rows). The engine's trace querier is one.
type Querier interface {
	Events(ctx context.Context, sql string, fn func(v []any) error) error
	SignIns(ctx context.Context, sql string, fn func(v []any) error) error
}

// Result is what is new or unusual in a period.
type Result struct {
	// Query is the query run, its defaults filled (the baseline's bounds, the zone, the thresholds).
	Query Query
	// Findings are in time order.
	Findings []Finding
	// Compared is how many principals the baseline holds events of and the period too; NewPrincipals are the
	// principals of the period the baseline has no event of: they are not compared (everything would be new).
	Compared      int
	NewPrincipals []string
	// SignIns are the period's successful console sign-ins, each marked with whether its IP and country are new
	// for the principal (for the web UI's sign-ins page).
	SignIns []SignIn
	// Notes say what could not be judged and why.
	Notes []string
	// Queries are the statements run (Athena SQL over cloudtrail_logs), in order.
	Queries []string
}

// SignIn is a console sign-in of the period and what is new about it.
type SignIn struct {
	EventID, Principal, IP string
	Time                   time.Time
	// Country is the IP's (--geoip), "" when unknown.
	Country string
	// NewIP and NewCountry say whether the principal used the IP or the country in the baseline; both false for
	// a principal the baseline does not know.
	NewIP, NewCountry bool
}

// run is one comparison.
type run struct {
	db     Querier
	q      Query
	res    *Result
	places map[string]Place // by IP
	prins  map[string]*principal
	// rateFlags counts the flagged hours; fewSignIns the principals whose sign-in hours were not judged.
	rateFlags, fewSignIns int
	// logins counts the sign-ins read.
	logins int
}

// Run compares the period of q with its baseline over db.
func Run(ctx context.Context, db Querier, q Query) (*Result, error) {
	if err := q.check(); err != nil {
		return nil, err
	}
	r := &run{db: db, q: q, res: &Result{Query: q}, places: map[string]Place{}, prins: map[string]*principal{}}
	if q.GeoIP == nil {
		r.note("No --geoip database: the ASN, country and impossible travel findings need one.")
	}
	for _, step := range []func(context.Context) error{r.firstSeen, r.signIns} {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	if len(r.prins) == 0 && r.logins == 0 {
		what := "No stored event with a caller ARN"
		if q.Where != "" {
			what = "No stored event of the start given"
		}
		r.note("%s is in the period or its baseline: check the start, the period, and what the store holds (trailq stores).", what)
		return r.finish(), nil
	}
	if err := r.rates(ctx); err != nil {
		return nil, err
	}
	return r.finish(), nil
}

// finish adds the notes of the counts and sorts the findings.
func (r *run) finish() *Result {
	if r.fewSignIns > 0 {
		r.note("%d principal%s signed in fewer than %d times in the baseline: their sign-in hours are not judged.",
			r.fewSignIns, plural(r.fewSignIns), r.q.MinSignIns)
	}
	if r.rateFlags > maxRateEvidence {
		r.note("%d hours were flagged: the first %d name their events.", r.rateFlags, maxRateEvidence)
	}
	sortFindings(r.res.Findings)
	return r.res
}

func (r *run) note(format string, args ...any) {
	r.res.Notes = append(r.res.Notes, fmt.Sprintf(format, args...))
}

// rows runs an events query (signIns: over the sign-in table) and hands each row to fn.
func (r *run) rows(ctx context.Context, sql string, signIns bool, fn func(v []any) error) error {
	r.res.Queries = append(r.res.Queries, sql)
	run := r.db.Events
	if signIns {
		run = r.db.SignIns
	}
	return run(ctx, sql, fn)
}

// place looks an IP up once; nil without a database.
func (r *run) place(ip string) (Place, error) {
	if r.q.GeoIP == nil {
		return Place{}, nil
	}
	if p, ok := r.places[ip]; ok {
		return p, nil
	}
	p, err := r.q.GeoIP.Lookup(ip)
	if err != nil {
		return p, err
	}
	r.places[ip] = p
	return p, nil
}

func (r *run) add(f Finding) { r.res.Findings = append(r.res.Findings, f) }

func text(v any) string {
	s, _ := v.(string)
	return s
}

func number(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int32:
		return int64(n)
	case int:
		return int64(n)
	case float64:
		return int64(n)
	}
	return 0
}

// parseTime reads an eventtime (RFC 3339); the zero time when it cannot.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
