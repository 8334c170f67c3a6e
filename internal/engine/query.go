package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/trailq/trailq/internal/athena"
	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/hint"
	"github.com/trailq/trailq/internal/pushdown"
	"github.com/trailq/trailq/internal/source"
	"github.com/trailq/trailq/internal/store"
	"github.com/trailq/trailq/internal/store/sqlguard"
	"github.com/trailq/trailq/internal/timewin"
)

// Dialects of Prepare.
const (
	Athena = "athena" // Athena's SQL (Trino), translated to DuckDB's
	DuckDB = "duckdb" // run as written
)

// Query is a user's SQL, translated and parsed once: what runs, and what its WHERE clause says it can read.
type Query struct {
	// SQL is the DuckDB SQL that runs.
	SQL string
	tq  *athena.Query // nil for the duckdb dialect
	// stmt is DuckDB's reading of SQL (the guard runs it again as it runs).
	stmt *sqlguard.Statement
}

// Prepare translates sql from dialect (Translate) and checks it (Check).
func Prepare(ctx context.Context, sql, dialect string) (*Query, error) {
	q, err := Translate(sql, dialect)
	if err != nil {
		return nil, err
	}
	return q, q.Check(ctx)
}

// TableDef is a user's own CloudTrail table, read from its CREATE EXTERNAL TABLE (ReadTableDDL): its name and
// partition columns stand for the store's.
type TableDef = athena.TableDef

// ReadTableDDL reads the CREATE EXTERNAL TABLE statement in the file at path.
func ReadTableDDL(path string) (*TableDef, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, hint.With(fmt.Errorf("read table DDL: %w", err), "--table-ddl takes a file holding the table's CREATE EXTERNAL TABLE statement (SHOW CREATE TABLE in Athena prints it)")
	}
	def, err := athena.ParseTableDDL(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return def, nil
}

// Translate translates sql from dialect to the DuckDB SQL that runs; defs are the user's own tables the Athena
// SQL may name.
func Translate(sql, dialect string, defs ...*TableDef) (*Query, error) {
	q := &Query{SQL: sql}
	switch dialect {
	case Athena:
		tr := athena.NewTranslator(athena.Tables{Logs: store.LogsView, LogsExt: store.LogsExtView, Defs: defs})
		tq, err := tr.TranslateQuery(sql)
		if err != nil {
			return nil, fmt.Errorf("query: %w", err)
		}
		q.tq, q.SQL = tq, tq.SQL
	case DuckDB:
	default:
		return nil, fmt.Errorf("unknown dialect %q: use athena or duckdb", dialect)
	}
	return q, nil
}

// Check parses the query once and refuses it unless it is one query the store's guard allows: before anything
// is loaded. Errors name the place in the user's SQL.
func (q *Query) Check(ctx context.Context) error {
	stmt, err := sqlguard.Parse(ctx, q.SQL)
	if err != nil {
		return fmt.Errorf("query: %w", q.MapError(err))
	}
	q.stmt = stmt
	return nil
}

// MapError names the place of a DuckDB error in the user's SQL rather than in the translation.
func (q *Query) MapError(err error) error {
	if q.tq == nil || err == nil {
		return err
	}
	return q.tq.MapError(err)
}

// Run runs the query on st.
func (q *Query) Run(ctx context.Context, st *Store) (*Rows, error) {
	rows, err := st.Query(ctx, q.SQL)
	if err != nil {
		return nil, q.MapError(err)
	}
	return rows, nil
}

// Scope is what a query's WHERE clause says it can read, as the key dates, accounts and regions of a load.
type Scope struct {
	Days     *timewin.Days
	Accounts []string
	Regions  []string
	// Why says which conditions narrowed the load, and What the files it keeps to, for the user.
	Why, What []string
	// byEventTime is set when the days come from eventtime bounds (the delivery lag applies).
	byEventTime bool
	// keep checks the conditions on a record's own fields (pushdown.Scope.RecordFilter).
	keep func(*cloudtrail.Record) bool
}

// Scope returns the logs the query can read (its eventtime bounds, with lag for late delivery, and its partition
// columns); ok is false when it can read any log file.
func (q *Query) Scope(now time.Time, lag time.Duration) (Scope, bool, error) {
	sc, ok, err := pushdown.Analyze(q.stmt.Tree, store.LogsView, store.LogsExtView)
	if err != nil || !ok {
		return Scope{}, false, err
	}
	out := Scope{keep: sc.RecordFilter()}
	if !sc.Event.From.IsZero() {
		// The days as a period: from the first day's start to the last day's end (or now), then the delivery
		// margin.
		if d, ok := sc.Event.Period().KeyDays(now, lag); ok {
			out.Days, out.byEventTime = &d, true
			out.Why = append(out.Why, "eventtime "+sc.Event.String())
		}
	}
	if !sc.Key.From.IsZero() {
		kd := sc.Key.UpTo(now)
		if out.Days != nil {
			kd = out.Days.Intersect(kd)
		}
		out.Days = &kd
		out.Why = append(out.Why, "partition dates "+sc.Key.String())
	}
	if out.Days != nil {
		out.What = append(out.What, out.Days.String())
	}
	if sc.Regions != nil {
		out.Regions = sc.Regions
		out.What = append(out.What, "region "+strings.Join(sc.Regions, ", "))
		out.Why = append(out.Why, "region")
	}
	if sc.Accounts != nil {
		out.Accounts = sc.Accounts
		out.What = append(out.What, "account "+strings.Join(sc.Accounts, ", "))
		out.Why = append(out.Why, "account")
	}
	return out, true, nil
}

// Narrows reports whether the scope limits the load at all.
func (s Scope) Narrows() bool { return s.Days != nil || s.Regions != nil || s.Accounts != nil }

// ByEventTime reports whether the days come from eventtime bounds (and so has the delivery lag).
func (s Scope) ByEventTime() bool { return s.byEventTime }

// Answer-first modes (QueryOptions.AnswerFirst).
const (
	AnswerFirstAuto   = "auto"   // when AnswerFirstAutoBytes or more are new
	AnswerFirstAlways = "always" // whenever something is new
	AnswerFirstNever  = "never"  // load, then answer
)

// QueryOptions say how Engine.Query answers.
type QueryOptions struct {
	AnswerFirst string
	// AllLogs loads every log file, not only those the query's WHERE clause can read.
	AllLogs bool
	// Lag is the delivery margin after eventtime bounds; Now the time relative bounds are read at.
	Lag time.Duration
	Now time.Time
	// Answer runs the query on a read-only handle and writes its output.
	Answer func(ctx context.Context, st *Store) error
	// FirstAnswer, when set, runs instead of Answer when the query is answered from a first read of the new
	// logs (the handle's events view holds them; derived tables such as the sign-in table do not).
	FirstAnswer func(ctx context.Context, st *Store) error
	// Keep, when set, is one more check of a record's own fields that the first read applies: a record it
	// refuses cannot be in the answer.
	Keep func(*cloudtrail.Record) bool
}

// QueryResult says how a query was answered.
type QueryResult struct {
	Report *Report // the load's (nil when nothing was loaded)
	// AnsweredFirst is set when the answer came from a first read of the new logs, before they were stored.
	AnsweredFirst bool
}

// Query answers q: from the store as it is (no source, or NoLoad), else after loading what is new of the logs the
// query can read (its Scope, unless AllLogs), or first from a read of the new logs and then loading them. The
// error is the query's or the load's.
func (e *Engine) Query(ctx context.Context, o Options, q *Query, qo QueryOptions) (*QueryResult, error) {
	res := &QueryResult{}
	if o.readOnly() {
		st, _, err := e.Open(ctx, o)
		if err != nil {
			return res, err
		}
		defer st.Close()
		return res, qo.Answer(ctx, st)
	}
	sc, scoped, err := e.narrow(&o, q, qo)
	if err != nil {
		return res, err
	}
	var first *firstAnswer
	switch qo.AnswerFirst {
	case AnswerFirstAuto, AnswerFirstAlways:
		fr := &firstRead{e: e, q: q, answer: qo.Answer}
		if qo.FirstAnswer != nil {
			fr.answer = qo.FirstAnswer
		}
		if qo.AnswerFirst == AnswerFirstAuto {
			fr.minBytes = AnswerFirstAutoBytes
		}
		if scoped {
			fr.keep = sc.keep
		}
		fr.keep = both(fr.keep, qo.Keep)
		if first, err = fr.run(ctx, o, o.ingestOptions(e)); first != nil && first.spoolDir != "" {
			defer os.RemoveAll(first.spoolDir)
		}
		if err != nil {
			return res, err
		}
	case AnswerFirstNever, "":
	default:
		return res, fmt.Errorf("unknown answer-first mode %q: use auto, always or never", qo.AnswerFirst)
	}
	var plan *Plan
	var loadSrc source.Source
	if first != nil {
		plan, loadSrc = first.plan, first.loadSrc
	}
	if res.Report, err = e.sync(ctx, o, plan, loadSrc); err != nil {
		return res, err
	}
	if first != nil && first.answered {
		res.AnsweredFirst = true
		return res, first.err
	}
	st, err := e.Reader(ctx, o)
	if err != nil {
		return res, err
	}
	defer st.Close()
	return res, qo.Answer(ctx, st)
}

// both is a check that a record passes when it passes a and b (nil: no check).
func both(a, b func(*cloudtrail.Record) bool) func(*cloudtrail.Record) bool {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return func(r *cloudtrail.Record) bool { return a(r) && b(r) }
}

// narrow limits the load of o to the logs the query can read (unless AllLogs) and says so.
func (e *Engine) narrow(o *Options, q *Query, qo QueryOptions) (Scope, bool, error) {
	sc, scoped, err := q.Scope(qo.Now, qo.Lag)
	if err != nil || !scoped || qo.AllLogs || !sc.Narrows() {
		return sc, scoped, err
	}
	o.Load.Days = sc.Days
	if sc.Regions != nil {
		o.Load.Regions = sc.Regions
	}
	if sc.Accounts != nil {
		o.Load.Accounts = sc.Accounts
	}
	lag := ""
	if sc.byEventTime {
		lag = "--lag " + shortDuration(qo.Lag) + "; "
	}
	e.notify("The query reads %s: loading the log files of %s only (%s--all-logs loads every file).",
		strings.Join(sc.Why, ", "), strings.Join(sc.What, ", "), lag)
	return sc, scoped, nil
}

// PlanQuery says what Query would load for q, without reading any object or writing anything.
func (e *Engine) PlanQuery(ctx context.Context, o Options, q *Query, qo QueryOptions) (*Plan, error) {
	if _, _, err := e.narrow(&o, q, qo); err != nil {
		return nil, err
	}
	return e.PlanLoad(ctx, o)
}

// shortDuration writes 3h for 3h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// ErrorPos returns the byte offset in the user's SQL that a translation error of Translate points at.
func ErrorPos(err error) (int, bool) {
	var ae *athena.Error
	if errors.As(err, &ae) {
		return ae.Pos, true
	}
	return 0, false
}
