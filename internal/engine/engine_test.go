package engine_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/hint"
	"github.com/trailq/trailq/internal/source"
	"github.com/trailq/trailq/internal/source/local"
)

const sampleDir = "../../testdata/sample/AWSLogs"

// recorder is an Engine whose messages, loads and answers are kept in order.
type recorder struct {
	engine.Engine
	events []string // "notify: …", "loaded", "answer"
}

func newRecorder() *recorder {
	r := &recorder{}
	r.Notify = func(m string) { r.events = append(r.events, "notify: "+m) }
	r.Loaded = func(*engine.Report, source.Source) { r.events = append(r.events, "loaded") }
	return r
}

func (r *recorder) said(prefix string) bool {
	for _, e := range r.events {
		if strings.HasPrefix(e, prefix) {
			return true
		}
	}
	return false
}

func (r *recorder) index(prefix string) int {
	return slices.IndexFunc(r.events, func(e string) bool { return strings.HasPrefix(e, prefix) })
}

func options(t *testing.T, dir, storePath string) engine.Options {
	t.Helper()
	src, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	return engine.Options{Source: src, StorePath: storePath}
}

// query runs sql (Athena) through e.Query and returns its rows as sorted lines (queries without ORDER BY).
func query(t *testing.T, r *recorder, o engine.Options, sql, answerFirst string) ([]string, *engine.QueryResult, error) {
	t.Helper()
	ctx := context.Background()
	q, err := engine.Prepare(ctx, sql, engine.Athena)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	var lines []string
	res, err := r.Query(ctx, o, q, engine.QueryOptions{AnswerFirst: answerFirst, Now: time.Now(), Lag: 3 * time.Hour,
		Answer: func(ctx context.Context, st *engine.Store) error {
			r.events = append(r.events, "answer")
			rows, err := q.Run(ctx, st)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				vals, err := rows.Values()
				if err != nil {
					return err
				}
				lines = append(lines, fmt.Sprint(vals...))
			}
			return q.MapError(rows.Err())
		}})
	slices.Sort(lines)
	return lines, res, err
}

// TestAnswerFirstSameAnswers: a query answered first from a read of the new logs gives the rows a query of
// the loaded store gives, and the answer comes before the load.
func TestAnswerFirstSameAnswers(t *testing.T) {
	queries := []string{
		`SELECT eventtime, eventname, useridentity, sourceipaddress, useragent, responseelements FROM cloudtrail_logs_mybucket
		 WHERE eventtype = 'AwsConsoleSignIn' AND eventtime >= '2010-01-01T00:00:00Z'`,
		`SELECT useridentity.arn, count(*) AS n FROM cloudtrail_logs GROUP BY 1`,
		`SELECT json_extract_scalar(requestparameters, '$.bucketName') AS b, count(*) FROM cloudtrail_logs GROUP BY 1`,
		`SELECT "$path", "timestamp", region, account FROM cloudtrail_logs WHERE errorcode IS NOT NULL`,
		`SELECT eventname, r.arn FROM cloudtrail_logs CROSS JOIN UNNEST(resources) AS t(r) WHERE r.type LIKE 'AWS::S3%'`,
		`SELECT count(*), count(DISTINCT eventid), count(tlsdetails.tlsversion) FROM cloudtrail_logs`,
	}
	for _, sql := range queries {
		r := newRecorder()
		first, res, err := query(t, r, options(t, sampleDir, filepath.Join(t.TempDir(), "s.duckdb")), sql, engine.AnswerFirstAlways)
		if err != nil || !res.AnsweredFirst {
			t.Fatalf("%s: answered first %v, %v", sql, res.AnsweredFirst, err)
		}
		if a, l := r.index("answer"), r.index("loaded"); a < 0 || l < a {
			t.Errorf("%s: the answer (%d) does not come before the load (%d): %q", sql, a, l, r.events)
		}
		if res.Report == nil || res.Report.Loaded != 217 {
			t.Errorf("%s: the load after the answer: %+v", sql, res.Report)
		}
		r = newRecorder()
		loaded, res, err := query(t, r, options(t, sampleDir, filepath.Join(t.TempDir(), "s.duckdb")), sql, engine.AnswerFirstNever)
		if err != nil || res.AnsweredFirst {
			t.Fatalf("%s: never: answered first %v, %v", sql, res.AnsweredFirst, err)
		}
		if !slices.Equal(first, loaded) {
			t.Errorf("%s:\nanswered first:\n%s\nfrom the store:\n%s", sql, strings.Join(first, "\n"), strings.Join(loaded, "\n"))
		}
	}
}

// TestAnswerFirstBesideStoredRows: with part of the logs stored, the first answer covers both.
func TestAnswerFirstBesideStoredRows(t *testing.T) {
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	e := newRecorder()
	if _, err := e.Sync(context.Background(), options(t, filepath.Join(sampleDir, "111111111111"), storePath)); err != nil {
		t.Fatal(err)
	}
	sql := `SELECT eventname, count(*) AS n FROM cloudtrail_logs GROUP BY 1`
	first, res, err := query(t, e, options(t, sampleDir, storePath), sql, engine.AnswerFirstAlways)
	if err != nil || !res.AnsweredFirst {
		t.Fatalf("answered first %v, %v", res.AnsweredFirst, err)
	}
	after, _, err := query(t, newRecorder(), engine.Options{StorePath: storePath}, sql, engine.AnswerFirstAlways)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(first, after) {
		t.Errorf("answered first:\n%s\nfrom the store after the load:\n%s", strings.Join(first, "\n"), strings.Join(after, "\n"))
	}
}

func TestAnswerFirstOnlyWhenItHelps(t *testing.T) {
	for _, c := range []struct {
		name, mode, sql string
		strict          bool
	}{
		{"auto, little to read", engine.AnswerFirstAuto, "SELECT count(*) FROM cloudtrail_logs", false},
		{"another table", engine.AnswerFirstAlways, "SELECT count(*) FROM trailq_objects", false},
		{"every column", engine.AnswerFirstAlways, "SELECT * FROM cloudtrail_logs", false},
		{"strict", engine.AnswerFirstAlways, "SELECT count(*) FROM cloudtrail_logs", true},
	} {
		o := options(t, sampleDir, filepath.Join(t.TempDir(), "s.duckdb"))
		o.Load.Strict = c.strict
		r := newRecorder()
		_, res, err := query(t, r, o, c.sql, c.mode)
		if res.AnsweredFirst || r.said("notify: Answering") {
			t.Errorf("%s: answered first: %q", c.name, r.events)
		}
		if !c.strict && err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// TestAnswerFirstQueryErrorStillLoads: a query that fails on the data fails, after the load.
func TestAnswerFirstQueryErrorStillLoads(t *testing.T) {
	o := options(t, sampleDir, filepath.Join(t.TempDir(), "s.duckdb"))
	r := newRecorder()
	_, res, err := query(t, r, o, "SELECT CAST(eventname AS INTEGER) FROM cloudtrail_logs", engine.AnswerFirstAlways)
	if err == nil || !res.AnsweredFirst || res.Report == nil || res.Report.Loaded != 217 {
		t.Fatalf("error %v, answered first %v, report %+v: want the query's error after answering first and loading", err, res.AnsweredFirst, res.Report)
	}
	_, res, err = query(t, newRecorder(), o, "SELECT count(*) FROM cloudtrail_logs", engine.AnswerFirstNever)
	if err != nil || res.Report == nil || res.Report.Unchanged != 217 {
		t.Errorf("the logs were not stored: %+v, %v", res.Report, err)
	}
}

// TestQueryLoadsOnlyItsScope: eventtime bounds and partition columns narrow the load, and the user is told.
func TestQueryLoadsOnlyItsScope(t *testing.T) {
	for _, c := range []struct {
		sql, says string
	}{
		{`SELECT count(*) FROM cloudtrail_logs WHERE eventtime >= '2024-09-02T00:00:00Z' AND eventtime < '2024-09-03T00:00:00Z'`, "eventtime"},
		{`SELECT count(*) FROM cloudtrail_logs WHERE region = 'eu-west-1'`, "region eu-west-1"},
	} {
		r := newRecorder()
		_, res, err := query(t, r, options(t, sampleDir, filepath.Join(t.TempDir(), "s.duckdb")), c.sql, engine.AnswerFirstNever)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		if res.Report == nil || res.Report.Outside == 0 || !r.said("notify: The query reads") || !strings.Contains(strings.Join(r.events, "\n"), c.says) {
			t.Errorf("%s: report %+v, said %q: want a narrower load, told", c.sql, res.Report, r.events)
		}
	}
}

func TestOpenWithoutAStoreSaysWhatToDo(t *testing.T) {
	var e engine.Engine
	_, _, err := e.Open(context.Background(), engine.Options{StorePath: filepath.Join(t.TempDir(), "none.duckdb")})
	var h *hint.Error
	if !errors.As(err, &h) || !strings.Contains(h.Hint, "--source") {
		t.Fatalf("open of a missing store: %v; want a hint to load with --source", err)
	}
}

func TestPrepareRefusesBeforeLoading(t *testing.T) {
	for _, sql := range []string{"DROP TABLE cloudtrail_logs", "SELECT 1; SELECT 2", "COPY cloudtrail_logs TO '/tmp/x'"} {
		if _, err := engine.Prepare(context.Background(), sql, engine.Athena); err == nil {
			t.Errorf("%s: prepared, want a refusal", sql)
		}
	}
	if _, err := engine.Prepare(context.Background(), "SELECT 1", "sqlite"); err == nil {
		t.Errorf("an unknown dialect was taken")
	}
}

// TestTableDDLNarrowsTheLoad: the partition columns of a user's own table (--table-ddl) are the store's
// account, region and date partitions, so conditions on them narrow the load as the store's names do.
func TestTableDDLNarrowsTheLoad(t *testing.T) {
	def, err := engine.ReadTableDDL("testdata/org_trail.sql")
	if err != nil {
		t.Fatal(err)
	}
	q, err := engine.Translate(`SELECT count(*) FROM org_trail
		WHERE account_id = '444455556666' AND aws_region IN ('eu-west-1') AND ingest_date >= '2024/09/01' AND ingest_date <= '2024/09/02'`, engine.Athena, def)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	sc, ok, err := q.Scope(time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC), 0)
	if err != nil || !ok {
		t.Fatalf("scope %v, %v: want one", ok, err)
	}
	if got := fmt.Sprint(sc.Accounts, sc.Regions, sc.Days); got != "[444455556666] [eu-west-1] 2024-09-01 to 2024-09-02" {
		t.Errorf("scope %s", got)
	}
	if _, err := engine.ReadTableDDL("testdata/none.sql"); err == nil || !strings.Contains(err.Error(), "none.sql") {
		t.Errorf("a missing DDL file: %v", err)
	}
}
