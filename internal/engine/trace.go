package engine

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trailq/trailq/internal/athena"
	"github.com/trailq/trailq/internal/hint"
	"github.com/trailq/trailq/internal/store"
	"github.com/trailq/trailq/internal/trace"
)

// TraceOptions say what to trace and which logs to load first.
type TraceOptions struct {
	Query trace.Query
	// Now is the time relative periods were read at; Lag the delivery margin of the load's key dates.
	Now time.Time
	Lag time.Duration
}

// TraceResult is a trace and the load before it.
type TraceResult struct {
	*trace.Result
	Report *Report // the load's (nil when nothing was loaded)
	// Indexed is how many of the trace's event queries read only the objects the store's trace index names
	// (the others scan every event).
	Indexed int
}

// Trace loads what is new in the source (unless there is none or NoLoad; with a period that has a start, only
// the log files of its key dates) and follows the query's start through the sandboxed reader: the sessions it
// opened, their calls, the profile. A start that matches nothing gives a *trace.NotFoundError, with a hint of
// what the store holds near it.
func (e *Engine) Trace(ctx context.Context, o Options, to TraceOptions) (*TraceResult, error) {
	res := &TraceResult{}
	if to.Now.IsZero() {
		to.Now = e.now()
	}
	if o.readOnly() {
		if _, err := os.Stat(o.StorePath); err != nil {
			return res, hint.With(fmt.Errorf("open store %s: %w", o.StorePath, err), "load logs first with --source")
		}
	} else {
		if d, ok := to.Query.Period.KeyDays(to.Now, to.Lag); ok {
			o.Load.Days = &d
		}
		rep, err := e.sync(ctx, o, nil, nil)
		res.Report = rep
		if err != nil {
			return res, err
		}
	}
	st, err := e.Reader(ctx, o)
	if err != nil {
		return res, err
	}
	defer st.Close()
	tq := &traceQuerier{st: st}
	res.Result, err = trace.Run(ctx, tq, to.Query)
	res.Indexed = tq.indexed
	if nf, ok := err.(*trace.NotFoundError); ok {
		return res, hint.With(nf, nf.Hint())
	}
	return res, err
}

// traceQuerier runs a trace's Athena SQL on the store: over the events, or over the sign-in table. An event
// query whose condition names access keys or principal ARNs (internal/trace's keyWhere, principalWhere, roleWhere
// by ARN, consoleWhere) reads, when the store's trace index is current, only the objects the index names for
// them: a condition on _file_id that lets the part files' row groups of other objects be skipped.
type traceQuerier struct {
	st *Store
	// files are the objects that hold the events of an event id, learnt from a query of that id alone.
	files   map[string][]int64
	indexed int // event queries narrowed by the index
}

func (q *traceQuerier) Events(ctx context.Context, sql string, fn func([]any) error) error {
	tables := athena.Tables{Logs: store.LogsView, LogsExt: store.LogsExtView}
	narrowed, learn, err := q.narrow(ctx, sql)
	if err != nil {
		return err
	}
	if narrowed != "" {
		q.indexed++
		tables.Logs, sql = store.EventsTable, narrowed
	}
	if learn != "" {
		// SELECT …, _file_id: the objects of the event id, for the console session's query that names it.
		i := strings.Index(sql, traceFrom)
		sql = sql[:i] + ", _file_id" + sql[i:]
		tables.Logs = store.EventsTable
		var ids []int64
		err := q.run(ctx, tables, sql, func(v []any) error {
			if id, ok := v[len(v)-1].(int64); ok && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
			return fn(v[:len(v)-1])
		})
		if err == nil {
			if q.files == nil {
				q.files = map[string][]int64{}
			}
			q.files[learn] = ids
		}
		return err
	}
	return q.run(ctx, tables, sql, fn)
}

// The shapes of internal/trace's event queries that the index narrows (Athena SQL; a text literal is quoted).
const (
	traceFrom  = " FROM cloudtrail_logs WHERE "
	traceOrder = " ORDER BY eventtime, eventid"
	traceLit   = `'(?:[^']|'')*'`
)

var (
	// tracePeriod is periodWhere's condition, after the query's own: "(cond) AND period".
	tracePeriod  = regexp.MustCompile(`^\((.*?)\) AND ((?:eventtime >= '[0-9-]+' AND try\(from_iso8601_timestamp\(eventtime\)\) >= from_iso8601_timestamp\('[^']*'\))?(?: AND )?(?:eventtime < '[0-9-]+' AND try\(from_iso8601_timestamp\(eventtime\)\) < from_iso8601_timestamp\('[^']*'\))?)$`)
	traceKeys    = regexp.MustCompile(`^useridentity\.accesskeyid IN \((` + traceLit + `(?:, ` + traceLit + `)*)\)$`)
	traceARN     = regexp.MustCompile(`^useridentity\.(?:arn|sessioncontext\.sessionissuer\.arn) = (` + traceLit + `)$`)
	traceConsole = regexp.MustCompile(`^\(useridentity\.arn = (` + traceLit + `) AND substr\(regexp_replace\(useridentity\.sessioncontext\.attributes\.creationdate, '\[-:\]', ''\), 1, 15\) = '[0-9]{8}T[0-9]{6}'\) OR eventid = (` + traceLit + `)$`)
	traceEvent   = regexp.MustCompile(`^eventid = (` + traceLit + `)$`)
	traceLits    = regexp.MustCompile(traceLit)
)

// unquote reads the text literals of an Athena list.
func unquote(list string) []string {
	var vs []string
	for _, l := range traceLits.FindAllString(list, -1) {
		vs = append(vs, strings.ReplaceAll(l[1:len(l)-1], "''", "'"))
	}
	return vs
}

// narrow returns the query restricted to the objects the trace index names for its keys or ARNs ("" when it
// has none of the shapes, or the index is not current), or, for a query of an event id alone, the id whose
// objects to learn.
func (q *traceQuerier) narrow(ctx context.Context, sql string) (narrowed, learn string, err error) {
	i := strings.Index(sql, traceFrom)
	if i < 0 || !strings.HasPrefix(sql, "SELECT ") || strings.Contains(sql[:i], " FROM ") || !strings.HasSuffix(sql, traceOrder) {
		return "", "", nil
	}
	cond := sql[i+len(traceFrom) : len(sql)-len(traceOrder)]
	base := cond
	if m := tracePeriod.FindStringSubmatch(cond); m != nil && m[2] != "" {
		base = m[1]
	}
	var values []string
	var also []int64
	switch {
	case traceKeys.MatchString(base):
		values = unquote(traceKeys.FindStringSubmatch(base)[1])
	case traceARN.MatchString(base):
		values = unquote(traceARN.FindStringSubmatch(base)[1])
	case traceConsole.MatchString(base):
		m := traceConsole.FindStringSubmatch(base)
		ids, ok := q.files[unquote(m[2])[0]]
		if !ok {
			return "", "", nil
		}
		values, also = unquote(m[1]), ids
	case traceEvent.MatchString(cond):
		return "", unquote(traceEvent.FindStringSubmatch(cond)[1])[0], nil
	default:
		return "", "", nil
	}
	ids, ok, err := q.st.TraceFiles(ctx, values)
	if err != nil || !ok {
		return "", "", err
	}
	ids = append(ids, also...)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	return sql[:i+len(traceFrom)] + "(" + cond + ") AND " + fileRanges(ids) + traceOrder, "", nil
}

// maxFileIDs bounds the ids of a _file_id IN list: beyond it, the range from the first to the last.
const maxFileIDs = 2000

// fileRanges is a condition on _file_id that holds for the ids (ascending, distinct) and lets DuckDB skip the
// part files' row groups of other objects (the load writes objects in id order, so each row group's min/max of
// _file_id is a narrow range): a range for consecutive ids, else an IN list (both prune row groups by their
// statistics; an OR of ranges does not), or the whole range of a list too long.
func fileRanges(ids []int64) string {
	switch n := len(ids); {
	case n == 0:
		return "_file_id < 0"
	case n == 1:
		return "_file_id = " + strconv.FormatInt(ids[0], 10)
	case ids[n-1]-ids[0] == int64(n-1) || n > maxFileIDs:
		return "_file_id BETWEEN " + strconv.FormatInt(ids[0], 10) + " AND " + strconv.FormatInt(ids[n-1], 10)
	}
	strs := make([]string, len(ids))
	for i, id := range ids {
		strs[i] = strconv.FormatInt(id, 10)
	}
	return "_file_id IN (" + strings.Join(strs, ", ") + ")"
}

func (q *traceQuerier) SignIns(ctx context.Context, sql string, fn func([]any) error) error {
	return q.run(ctx, athena.Tables{Logs: q.st.SignInsTable(ctx), LogsExt: store.LogsExtView}, sql, fn)
}

func (q *traceQuerier) run(ctx context.Context, tables athena.Tables, sql string, fn func([]any) error) error {
	duck, err := athena.NewTranslator(tables).Translate(sql)
	if err != nil {
		return fmt.Errorf("translate: %w", err)
	}
	rows, err := q.st.Query(ctx, duck)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return rows.Err()
}

// TraceStore follows q through an open store (the web UI's read handle), without a load: the web's entity
// pages call it under their read lock. A start that matches nothing gives a *trace.NotFoundError.
func TraceStore(ctx context.Context, st *Store, q trace.Query) (*trace.Result, error) {
	return trace.Run(ctx, &traceQuerier{st: st}, q)
}
