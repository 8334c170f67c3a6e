package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/output"
)

// QueryRequest is the body of POST /api/query.
type QueryRequest struct {
	SQL string `json:"sql"`
	// Dialect is athena (default: translated as by trailq query) or duckdb (run as written).
	Dialect string `json:"dialect,omitempty"`
	// Limit is the number of rows returned to the grid (default 1000, at most 100,000). Downloads are not limited.
	Limit int `json:"limit,omitempty"`
	// Format, when csv or json, answers with the whole result as a file download instead of the grid's JSON.
	Format string `json:"format,omitempty"`
}

// QueryColumn is one result column.
type QueryColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Nested is true for structs, lists, maps and JSON: their values arrive as JSON values, not strings.
	Nested bool `json:"nested"`
}

// QueryResult is the grid's answer to POST /api/query.
type QueryResult struct {
	Columns   []QueryColumn `json:"columns"`
	Rows      [][]any       `json:"rows"`
	Count     int           `json:"count"`     // rows returned
	Truncated bool          `json:"truncated"` // the query had more rows than returned: download for all
	// TruncatedBy says which limit cut the rows: "rows" (Limit) or "bytes" (16 MiB of JSON rows).
	TruncatedBy string `json:"truncated_by,omitempty"`
	ElapsedMS   int64  `json:"elapsed_ms"`
	SQL         string `json:"sql"` // the DuckDB SQL that ran
}

func (s *Server) handleQuery(w http.ResponseWriter, r *http.Request) {
	var req QueryRequest
	if !decodeBody(w, r, &req) {
		return
	}
	q, limit, format, dialect, bad := req.read()
	if bad != "" {
		writeError(w, http.StatusBadRequest, bad)
		return
	}
	prepared, err := engine.Translate(q, dialect)
	if err != nil {
		e := apiError{Error: "read query: " + strings.TrimPrefix(err.Error(), "query: ")}
		if pos, ok := engine.ErrorPos(err); ok {
			e.setOffset(q, pos)
		}
		writeJSON(w, http.StatusBadRequest, e)
		return
	}
	translated := prepared.SQL

	if !s.takeSlot(w, r) {
		return
	}
	defer func() { <-s.slots }()
	ctx, st, done, ok := s.reading(w, r)
	if !ok {
		return
	}
	defer done()
	start := time.Now()
	rows, err := st.Query(ctx, translated)
	if err != nil {
		s.queryError(w, ctx, err, q, translated)
		return
	}
	defer rows.Close()
	if format != "" {
		s.download(w, ctx, rows, format)
		return
	}
	res := QueryResult{Columns: []QueryColumn{}, Rows: [][]any{}, SQL: translated}
	for _, c := range rows.Columns() {
		res.Columns = append(res.Columns, QueryColumn{Name: c.Name, Type: c.Type, Nested: c.Nested()})
	}
	size := 0
	for rows.Next() {
		if len(res.Rows) == limit {
			res.Truncated, res.TruncatedBy = true, "rows"
			break
		}
		if size > s.gridBytes {
			res.Truncated, res.TruncatedBy = true, "bytes"
			break
		}
		vals, err := rows.Values()
		if err != nil {
			s.queryError(w, ctx, err, q, translated)
			return
		}
		row := make([]any, len(vals))
		for i, v := range vals {
			row[i] = jsonValue(output.Typed(res.Columns[i].Type, v))
			size += approxJSONSize(row[i])
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		s.queryError(w, ctx, err, q, translated)
		return
	}
	res.Count = len(res.Rows)
	res.ElapsedMS = time.Since(start).Milliseconds()
	writeJSON(w, http.StatusOK, res)
}

// read checks the request: its SQL (without a final ;), row limit, download format and dialect, or what is
// wrong with it.
func (req *QueryRequest) read() (q string, limit int, format output.Format, dialect, bad string) {
	q = strings.TrimSpace(req.SQL)
	q = strings.TrimSpace(strings.TrimSuffix(q, ";"))
	if q == "" {
		return "", 0, "", "", "the SQL is empty"
	}
	limit = req.Limit
	switch {
	case limit == 0:
		limit = defaultQueryRows
	case limit < 0 || limit > maxQueryRows:
		return "", 0, "", "", fmt.Sprintf("limit must be between 1 and %d", maxQueryRows)
	}
	switch req.Format {
	case "":
	case "csv":
		format = output.CSV
	case "json":
		format = output.JSON
	default:
		return "", 0, "", "", fmt.Sprintf("unknown format %q: use csv or json", req.Format)
	}
	dialect = req.Dialect
	if dialect == "" {
		dialect = engine.Athena
	}
	if dialect != engine.Athena && dialect != engine.DuckDB {
		return "", 0, "", "", fmt.Sprintf("unknown dialect %q: use athena or duckdb", req.Dialect)
	}
	return q, limit, format, dialect, ""
}

// takeSlot waits for one of the MaxQueries slots, up to QueueWait; it answers 429 itself when none frees.
func (s *Server) takeSlot(w http.ResponseWriter, r *http.Request) bool {
	select {
	case s.slots <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(s.opts.QueueWait)
	defer t.Stop()
	select {
	case s.slots <- struct{}{}:
		return true
	case <-r.Context().Done():
		writeError(w, 499, "query cancelled")
	case <-t.C:
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("busy: %d queries are running (trailq serve --max-queries %d) and this one waited %s for its turn; try again in a moment",
			s.opts.MaxQueries, s.opts.MaxQueries, s.opts.QueueWait))
	}
	return false
}

// approxJSONSize is about the size of v in JSON (its text, for the grid's size limit).
func approxJSONSize(v any) int {
	switch x := v.(type) {
	case string:
		return len(x) + 3
	case json.RawMessage:
		return len(x) + 1
	}
	return 8
}

// download writes the whole result as a CSV or JSON file. When the query fails midway (its timeout, a bad cast
// in a later row), the response is aborted without its end: the browser sees a failed download, never a file that
// looks complete.
func (s *Server) download(w http.ResponseWriter, ctx context.Context, rows *engine.Rows, format output.Format) {
	name, ctype := "trailq-result.csv", "text/csv; charset=utf-8"
	if format == output.JSON {
		name, ctype = "trailq-result.json", "application/json; charset=utf-8"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	out := output.New(w, format, output.Options{})
	cols := rows.Columns()
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	if err := out.Header(names); err != nil {
		return
	}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			s.abortDownload(err)
		}
		for i, v := range vals {
			vals[i] = output.Typed(cols[i].Type, v)
		}
		if err := out.Row(vals); err != nil {
			return
		}
	}
	if err := rows.Err(); err != nil {
		s.abortDownload(err)
	}
	out.Close()
}

// abortDownload ends a download whose status is sent without its end (no final chunk): the client reports it as
// broken off.
func (s *Server) abortDownload(err error) {
	s.opts.Log.Warn("download broken off", "err", err)
	panic(http.ErrAbortHandler)
}

// jsonValue makes a store value safe for encoding/json.
func jsonValue(v any) any {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
	case time.Time:
		return x.Format(time.RFC3339Nano)
	}
	return v
}

func (s *Server) queryError(w http.ResponseWriter, ctx context.Context, err error, written, translated string) {
	if errors.Is(ctx.Err(), context.Canceled) {
		// The page cancelled the query; nobody reads the answer.
		writeError(w, 499, "query cancelled")
		return
	}
	status := statusOf(ctx, err, http.StatusBadRequest)
	msg := err.Error()
	if status == http.StatusGatewayTimeout {
		msg = fmt.Sprintf("the query took longer than %s and was stopped", s.opts.QueryTimeout)
	}
	e := apiError{Error: msg}
	if off, ok := duckdbErrorOffset(msg, translated); ok {
		e.setOffset(written, mapOffset(written, translated, off))
		// DuckDB's excerpt shows the translated SQL; the position above is in the SQL as written.
		if i := strings.Index(msg, "\n\nLINE "); i >= 0 {
			e.Error = msg[:i]
		}
	}
	writeJSON(w, status, e)
}

// setOffset records a byte offset of q as offset, line and column.
func (e *apiError) setOffset(q string, off int) {
	off = max(0, min(off, len(q)))
	e.Offset = &off
	e.Line = 1 + strings.Count(q[:off], "\n")
	e.Column = 1 + len([]rune(q[strings.LastIndexByte(q[:off], '\n')+1:off]))
}

// duckdbCaret matches the excerpt and caret DuckDB appends to parser and binder errors:
//
//	LINE 1: SELECT * FORM cloudtrail_logs
//	                 ^
var duckdbCaret = regexp.MustCompile(`(?m)^LINE (\d+): (.*)\n( *)\^`)

// duckdbErrorOffset finds the byte offset in q that a DuckDB error message points at.
func duckdbErrorOffset(msg, q string) (int, bool) {
	m := duckdbCaret.FindStringSubmatch(msg)
	if m == nil {
		return 0, false
	}
	lineNo, _ := strconv.Atoi(m[1])
	excerpt := m[2]
	col := len(m[3]) - len("LINE : ") - len(m[1]) // caret position within the excerpt
	lines := strings.SplitAfter(q, "\n")
	if lineNo < 1 || lineNo > len(lines) || col < 0 {
		return 0, false
	}
	lineStart := 0
	for _, l := range lines[:lineNo-1] {
		lineStart += len(l)
	}
	line := strings.TrimRight(lines[lineNo-1], "\r\n")
	// DuckDB shortens long lines to a window marked with "...".
	shift := 0
	if strings.HasPrefix(excerpt, "...") {
		excerpt = excerpt[3:]
		shift = 3
	}
	excerpt = strings.TrimSuffix(excerpt, "...")
	base := 0
	if i := strings.Index(line, excerpt); i >= 0 {
		base = i
	}
	off := base + col - shift
	if off < 0 || off > len(line) {
		return 0, false
	}
	return lineStart + off, true
}

// mapOffset maps an offset in the translated query back to the query as written: the translation only renames
// tables, so the text at the offset is looked for in the original, nearest to the same offset.
func mapOffset(written, translated string, off int) int {
	if written == translated {
		return off
	}
	for n := 24; n >= 1; n /= 2 {
		end := min(off+n, len(translated))
		if i := strings.IndexByte(translated[off:end], '\n'); i >= 0 {
			end = off + i
		}
		needle := translated[off:end]
		if needle == "" {
			continue
		}
		best := -1
		for i := 0; ; {
			j := strings.Index(written[i:], needle)
			if j < 0 {
				break
			}
			if best < 0 || abs(i+j-off) < abs(best-off) {
				best = i + j
			}
			i += j + 1
		}
		if best >= 0 {
			return best
		}
	}
	return min(off, len(written))
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// Preset is a ready-made query of the editor.
type Preset struct {
	Name string `json:"name"`
	SQL  string `json:"sql"`
}

func (s *Server) handlePresets(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, presets(s.opts.Now()))
}

// presets returns the editor's preset queries; the first is the Athena guide's sign-in query over the last 30 days.
func presets(now time.Time) []Preset {
	to := now.UTC()
	from := to.AddDate(0, 0, -30)
	// The times of day are text, not layout: "23:59:59" read as a Go layout is the day (2), hour (3), … .
	period := fmt.Sprintf("eventtime >= '%sT00:00:00Z' AND eventtime <= '%sT23:59:59Z'", from.Format(time.DateOnly), to.Format(time.DateOnly))
	return []Preset{
		{"Console sign-ins (last 30 days)", `SELECT eventtime, eventname, useridentity, sourceipaddress, useragent, responseelements
FROM cloudtrail_logs
WHERE eventtype = 'AwsConsoleSignIn'
  AND ` + period + `
ORDER BY eventtime`},
		{"Failed console sign-ins by user and IP", `SELECT useridentity.arn, sourceipaddress, count(*) AS failures,
       min(eventtime) AS first, max(eventtime) AS last
FROM cloudtrail_logs
WHERE eventname = 'ConsoleLogin'
  AND responseelements LIKE '%"ConsoleLogin":"Failure"%'
GROUP BY 1, 2
ORDER BY failures DESC`},
		{"Root user activity", `SELECT eventtime, eventsource, eventname, sourceipaddress, useragent, errorcode
FROM cloudtrail_logs
WHERE useridentity.type = 'Root'
ORDER BY eventtime DESC
LIMIT 200`},
		{"Most frequent API calls", `SELECT eventsource, eventname, count(*) AS n
FROM cloudtrail_logs
GROUP BY 1, 2
ORDER BY n DESC
LIMIT 20`},
		{"Access denied", `SELECT eventtime, useridentity.arn, eventsource, eventname, errorcode, errormessage
FROM cloudtrail_logs
WHERE errorcode IN ('AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'Client.UnauthorizedOperation')
ORDER BY eventtime DESC
LIMIT 200`},
		{"IAM changes", `SELECT eventtime, useridentity.arn, eventname, requestparameters
FROM cloudtrail_logs
WHERE eventsource = 'iam.amazonaws.com' AND readonly = 'false'
ORDER BY eventtime DESC
LIMIT 200`},
		{"CloudTrail tampering", `SELECT eventtime, useridentity.arn, eventname, requestparameters, sourceipaddress
FROM cloudtrail_logs
WHERE eventname IN ('StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors')
ORDER BY eventtime DESC`},
		{"Events per account and region", `SELECT recipientaccountid, awsregion, count(*) AS n,
       min(eventtime) AS first, max(eventtime) AS last
FROM cloudtrail_logs
GROUP BY 1, 2
ORDER BY n DESC`},
	}
}
