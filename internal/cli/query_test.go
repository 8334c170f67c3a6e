package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

const sampleDir = "../../testdata/sample/AWSLogs"

type runResult struct {
	code        int
	out, errOut string
}

// run executes a trailq command line with its own cache folder and standard input.
func run(t *testing.T, cache, stdin string, args ...string) runResult {
	t.Helper()
	var out, errOut bytes.Buffer
	f := NewFactory(strings.NewReader(stdin), &out, &errOut, func(k string) string {
		if k == "TRAILQ_CACHE_DIR" {
			return cache
		}
		return ""
	})
	code := Run(context.Background(), f, args)
	return runResult{code, out.String(), errOut.String()}
}

// sampleRecords reads the sample tree with encoding/json: the reference for the query tests.
func sampleRecords(t *testing.T) []map[string]any {
	t.Helper()
	var recs []map[string]any
	err := filepath.Walk(sampleDir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() || !strings.Contains(p, "/CloudTrail/") {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return err
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			return err
		}
		var doc struct{ Records []map[string]any }
		if err := json.Unmarshal(b, &doc); err != nil {
			return err
		}
		recs = append(recs, doc.Records...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestSeedQuery(t *testing.T) {
	cache := t.TempDir()
	const from, to = "2020-01-01T00:00:00Z", "2024-12-31T23:59:59Z"
	seed := `SELECT eventtime, eventname, useridentity, sourceipaddress, useragent, responseelements
FROM cloudtrail_logs_mybucket
WHERE eventtype = 'AwsConsoleSignIn'
  AND eventtime >= '` + from + `' AND eventtime <= '` + to + `'`
	r := run(t, cache, "", "query", "--source", sampleDir, "--format", "csv", seed)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(r.out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(rows[0], ","), "eventtime,eventname,useridentity,sourceipaddress,useragent,responseelements"; got != want {
		t.Errorf("header %q, want %q", got, want)
	}
	var got []string
	for _, row := range rows[1:] {
		got = append(got, row[0]+" "+row[1]+" "+row[3])
	}
	seen := map[string]bool{}
	var want []string
	for _, rec := range sampleRecords(t) {
		et, _ := rec["eventTime"].(string)
		if rec["eventType"] != "AwsConsoleSignIn" || et < from || et > to {
			continue
		}
		ip, _ := rec["sourceIPAddress"].(string)
		b, _ := json.Marshal(rec)
		if seen[string(b)] {
			continue
		}
		seen[string(b)] = true
		want = append(want, et+" "+rec["eventName"].(string)+" "+ip)
	}
	sort.Strings(got)
	sort.Strings(want)
	if len(want) == 0 {
		t.Fatal("the reference found no sign-ins in the window: the test data changed")
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, row := range rows[1:] {
		var ui map[string]any
		if err := json.Unmarshal([]byte(row[2]), &ui); err != nil {
			t.Errorf("useridentity is not JSON: %q", row[2])
		} else if _, ok := ui["type"]; !ok {
			t.Errorf("useridentity has no type field: %q", row[2])
		}
	}
	if !strings.Contains(r.errOut, "Loaded ") || !strings.Contains(r.errOut, "row") {
		t.Errorf("stderr lacks the load summary or the row count: %q", r.errOut)
	}

	// The second run loads nothing and gives the same answer.
	r2 := run(t, cache, "", "query", "--source", sampleDir, "--format", "csv", seed)
	if r2.out != r.out || !strings.Contains(r2.errOut, "Loaded 0 new objects") {
		t.Errorf("second run: stderr %q, same output %v", r2.errOut, r2.out == r.out)
	}
}

func TestTableNames(t *testing.T) {
	cache := t.TempDir()
	want := run(t, cache, "", "query", "--source", sampleDir, "--format", "csv", "SELECT count(*) AS n FROM cloudtrail_logs")
	if want.code != 0 {
		t.Fatalf("exit %d: %s", want.code, want.errOut)
	}
	for _, q := range []string{
		`SELECT count(*) AS n FROM cloudtrail_logs_mybucket`,
		`SELECT count(*) AS n FROM default.cloudtrail_logs_x`,
		`SELECT count(*) AS n FROM "awsdatacatalog"."default"."cloudtrail_logs_x"`,
		`SELECT count(cloudtrail_logs_x.eventname) + count(*) - count(eventname) AS n FROM cloudtrail_logs_x`,
		`SELECT count(*) AS n FROM cloudtrail_logs_x t WHERE t."$path" IS NOT NULL`,
		`select COUNT(*) as n from CLOUDTRAIL_LOGS_X where "timestamp" is not null`,
	} {
		r := run(t, cache, "", "query", "--source", sampleDir, "--no-load", "--format", "csv", q)
		if r.code != 0 || r.out != want.out {
			t.Errorf("%s: exit %d, out %q, want %q; %s", q, r.code, r.out, want.out, r.errOut)
		}
	}
}

func TestQueryFormatsAndInput(t *testing.T) {
	cache := t.TempDir()
	q := `SELECT eventname, count(*) AS n FROM cloudtrail_logs WHERE eventname IN ('ConsoleLogin', 'CheckMfa') GROUP BY 1 ORDER BY 1`
	if r := run(t, cache, "", "load", "--source", sampleDir); r.code != 0 {
		t.Fatalf("load: exit %d: %s", r.code, r.errOut)
	}
	js := run(t, cache, "", "query", "--source", sampleDir, "--no-load", "--format", "json", q)
	var rows []map[string]any
	if err := json.Unmarshal([]byte(js.out), &rows); err != nil || len(rows) != 2 || rows[0]["eventname"] != "CheckMfa" {
		t.Fatalf("json output %q: %v", js.out, err)
	}
	jl := run(t, cache, "", "query", "--source", sampleDir, "--no-load", "--format", "jsonl", q)
	if lines := strings.Split(strings.TrimSpace(jl.out), "\n"); len(lines) != 2 {
		t.Errorf("jsonl: %d lines, want 2: %q", len(lines), jl.out)
	}
	tsv := run(t, cache, "", "query", "--source", sampleDir, "--no-load", "--format", "tsv", q)
	if !strings.HasPrefix(tsv.out, "eventname\tn\nCheckMfa\t") {
		t.Errorf("tsv output %q", tsv.out)
	}
	table := run(t, cache, "", "query", "--source", sampleDir, "--no-load", "--format", "table", q)
	if lines := strings.Split(table.out, "\n"); len(lines) < 4 || !strings.HasPrefix(lines[1], "---------") {
		t.Errorf("table output %q", table.out)
	}
	// SQL from standard input and from a file give the same answer.
	stdin := run(t, cache, q+";\n", "query", "--source", sampleDir, "--no-load", "--format", "json")
	file := filepath.Join(t.TempDir(), "q.sql")
	os.WriteFile(file, []byte(q), 0o644)
	fromFile := run(t, cache, "", "query", "--source", sampleDir, "--no-load", "--format", "json", "-f", file)
	if stdin.out != js.out || fromFile.out != js.out {
		t.Errorf("stdin %q / file %q differ from the argument's %q", stdin.out, fromFile.out, js.out)
	}
}

func TestQueryExitCodes(t *testing.T) {
	cache := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no source", []string{"query", "SELECT 1"}, ExitUsage, "no logs given"},
		{"bad format", []string{"query", "--source", sampleDir, "--format", "xml", "SELECT 1"}, ExitUsage, "unknown format"},
		{"bad flag", []string{"query", "--nope"}, ExitUsage, "unknown flag"},
		{"bad SQL", []string{"query", "--source", sampleDir, "SELEC 1"}, ExitError, "syntax error"},
		{"missing source", []string{"query", "--source", "/nonexistent/logs", "SELECT 1"}, ExitError, "no such file"},
		{"no rows is fine", []string{"query", "--source", sampleDir, "SELECT * FROM cloudtrail_logs WHERE false"}, ExitOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, cache, "", tt.args...)
			if r.code != tt.code || !strings.Contains(r.errOut, tt.msg) {
				t.Errorf("exit %d, stderr %q; want %d with %q", r.code, r.errOut, tt.code, tt.msg)
			}
		})
	}
}

func TestExplain(t *testing.T) {
	r := run(t, t.TempDir(), "", "query", "--explain", "SELECT count(*) FROM default.cloudtrail_logs_x")
	if r.code != 0 || !strings.Contains(r.out, "FROM cloudtrail_logs") {
		t.Errorf("exit %d, out %q", r.code, r.out)
	}
}

func TestQuerySandboxAndTimeout(t *testing.T) {
	cache := t.TempDir()
	if r := run(t, cache, "", "load", "--source", sampleDir); r.code != 0 {
		t.Fatalf("load: %s", r.errOut)
	}
	for _, q := range []string{
		"SELECT * FROM read_text('/etc/passwd')",
		"COPY (SELECT * FROM cloudtrail_logs) TO '" + filepath.Join(t.TempDir(), "x.csv") + "'",
		"DELETE FROM cloudtrail_events",
	} {
		for _, noLoad := range []string{"--no-load", "--strict"} { // read-only open, and the reopen after a load
			r := run(t, cache, "", "query", "--source", sampleDir, noLoad, q)
			if r.code != ExitError {
				t.Errorf("%s (%s): exit %d, want 1; %s", q, noLoad, r.code, r.errOut)
			}
		}
	}
	r := run(t, cache, "", "query", "--source", sampleDir, "--no-load", "--timeout", "300ms", "SELECT count(*) FROM range(100000000000)")
	if r.code != ExitError || !strings.Contains(r.errOut, "query stopped after 300ms") {
		t.Errorf("timeout: exit %d, stderr %q", r.code, r.errOut)
	}
	if n := run(t, cache, "", "query", "--source", sampleDir, "--no-load", "--format", "csv", "SELECT count(*) AS n FROM cloudtrail_logs"); n.code != 0 || n.out == "n\n0\n" {
		t.Errorf("the store changed or broke: %q %s", n.out, n.errOut)
	}
}

func TestStoreInAPlaceThatCannotBeWritten(t *testing.T) {
	r := run(t, t.TempDir(), "", "load", "--source", sampleDir, "--store", "/dev/null/sub/s.duckdb")
	if r.code != ExitError || !strings.Contains(r.errOut, "create store folder") {
		t.Errorf("exit %d, stderr %q; want 1 naming the store folder", r.code, r.errOut)
	}
}

// windowedQuery runs sql over the Tokyo-day tree into a new store, checks its rows (the three events of
// 2024-09-01 UTC in eu-north-1) and that stderr says what it loaded.
func windowedQuery(t *testing.T, sql, loading string) (src, storePath, cache string) {
	t.Helper()
	src = writeSigninTree(t, tokyoDayFiles)
	storePath = filepath.Join(t.TempDir(), "s.duckdb")
	cache = t.TempDir()
	r := run(t, cache, "", "query", "--source", src, "--store", storePath, "--format", "csv", sql)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	if want := "eventid\nlate\njst-0901-2359\njst-0902-0000\n"; r.out != want {
		t.Errorf("rows:\n%s\nwant:\n%s", r.out, want)
	}
	if !strings.Contains(r.errOut, loading) {
		t.Errorf("no word of what was loaded (%q):\n%s", loading, r.errOut)
	}
	return src, storePath, cache
}

// A query with eventtime bounds loads only the files of the days it can read (and the delivery margin).
func TestQueryLoadsOnlyItsDays(t *testing.T) {
	src, storePath, cache := windowedQuery(t,
		"SELECT eventid FROM cloudtrail_logs_mybucket WHERE eventtime >= '2024-09-01T00:00:00Z' AND eventtime < '2024-09-02' ORDER BY eventtime",
		"loading the log files of 2024-09-01 to 2024-09-02")
	// The files of 2024-09-01 and 2024-09-02 (the margin) are in the store; those of 08-30, 08-31 and 09-03 are not.
	count := func() string {
		r := run(t, cache, "", "query", "--store", storePath, "--no-load", "--format", "csv", "SELECT count(*) FROM cloudtrail_logs")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.errOut)
		}
		return strings.TrimSpace(strings.TrimPrefix(r.out, "_col0\n"))
	}
	if n := count(); n != "5" {
		t.Errorf("store has %s records after the windowed query, want 5 (4 files)", n)
	}
	// A query without a lower bound loads the rest.
	r := run(t, cache, "", "query", "--source", src, "--store", storePath, "--format", "csv",
		"SELECT count(*) FROM cloudtrail_logs WHERE eventtime < '2024-09-02'")
	if r.code != 0 || strings.Contains(r.errOut, "loading the log files of") {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	if n := count(); n != "9" {
		t.Errorf("store has %s records after a query without a lower bound, want all 9", n)
	}
}

// --all-logs loads every file whatever the bounds.
func TestQueryAllLogs(t *testing.T) {
	src := writeSigninTree(t, tokyoDayFiles)
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	r := run(t, t.TempDir(), "", "query", "--source", src, "--store", storePath, "--format", "csv", "--all-logs",
		"SELECT count(*) FROM cloudtrail_logs WHERE eventtime >= '2024-09-03'")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	if !strings.Contains(r.errOut, "Loaded 7 new objects") {
		t.Errorf("--all-logs should load all 7 files:\n%s", r.errOut)
	}
}

// Log files outside the trail folders (an Event history download next to AWSLogs/) are read by a query with
// eventtime bounds too.
func TestQueryWindowReadsLooseFiles(t *testing.T) {
	src := writeSigninTree(t, tokyoDayFiles)
	loose := `{"Records":[{"eventVersion":"1.08","eventID":"loose-1","eventTime":"2024-09-01T10:00:00Z","eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com","eventType":"AwsConsoleSignIn","awsRegion":"us-east-1"}]}`
	if err := os.WriteFile(filepath.Join(filepath.Dir(src), "event_history.json"), []byte(loose), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, t.TempDir(), "", "query", "--source", filepath.Dir(src), "--store", filepath.Join(t.TempDir(), "s.duckdb"),
		"--format", "csv", "SELECT eventid FROM cloudtrail_logs WHERE eventtime BETWEEN '2024-09-01' AND '2024-09-01T23:59:59Z' AND eventid LIKE 'loose%'")
	if r.code != 0 || r.out != "eventid\nloose-1\n" {
		t.Fatalf("exit %d, rows %q, want loose-1\n%s", r.code, r.out, r.errOut)
	}
}

// Partition columns (year, month, day, region) limit the load as the key says, without a margin.
func TestQueryLoadsOnlyItsPartitions(t *testing.T) {
	_, storePath, cache := windowedQuery(t,
		"SELECT eventid FROM cloudtrail_logs WHERE year = '2024' AND month = '09' AND day = '01' AND region = 'eu-north-1' ORDER BY eventtime",
		"loading the log files of 2024-09-01 to 2024-09-01, region eu-north-1 only")
	r := run(t, cache, "", "query", "--store", storePath, "--no-load", "--format", "csv", "SELECT count(*) FROM trailq_objects")
	if r.code != 0 || strings.TrimSpace(strings.TrimPrefix(r.out, "_col0\n")) != "2" {
		t.Errorf("manifest: exit %d, %q; want the 2 files of eu-north-1 on 2024-09-01\n%s", r.code, r.out, r.errOut)
	}
}

// trailq load --since/--until reads the files of that period (and the delivery margin) only.
func TestLoadSinceUntil(t *testing.T) {
	src := writeSigninTree(t, tokyoDayFiles)
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	cache := t.TempDir()
	r := run(t, cache, "", "load", "--source", src, "--store", storePath, "--since", "2024-09-01", "--until", "2024-09-01", "--utc")
	if r.code != 0 || !strings.Contains(r.errOut, "Loaded 4 new objects") {
		t.Fatalf("exit %d, want the 4 files of 2024-09-01 and 2024-09-02 (the margin):\n%s", r.code, r.errOut)
	}
	r = run(t, cache, "", "load", "--source", src, "--store", storePath, "--until", "2024-09-01")
	if r.code != ExitUsage || !strings.Contains(r.errOut, "--until needs --since") {
		t.Errorf("--until alone: exit %d\n%s", r.code, r.errOut)
	}
	r = run(t, cache, "", "load", "--source", src, "--store", storePath)
	if r.code != 0 || !strings.Contains(r.errOut, "Loaded 3 new objects") {
		t.Errorf("a load without a period reads the other 3 files: exit %d\n%s", r.code, r.errOut)
	}
}

// --cpuprofile and --memprofile write profiles that go tool pprof reads.
func TestProfileFlags(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "mem.prof")
	r := run(t, t.TempDir(), "", "--cpuprofile", cpu, "--memprofile", mem, "query", "--source", sampleDir,
		"--store", filepath.Join(dir, "s.duckdb"), "--format", "csv", "SELECT count(*) FROM cloudtrail_logs")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	for _, p := range []string{cpu, mem} {
		b, err := os.ReadFile(p)
		// pprof files are gzipped protocol buffers.
		if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%s: %d bytes, %v; want a gzipped profile", p, len(b), err)
		}
	}
}

// TestQueryPrintsTypesAsAthena: a DATE prints as a date and a TIMESTAMP without a zone (what AT TIME ZONE gives)
// as the clock time it is (no zone label), in every format; a timestamp with a time zone says its zone (UTC, the
// session zone, as in Athena).
func TestQueryPrintsTypesAsAthena(t *testing.T) {
	cache := t.TempDir()
	if r := run(t, cache, "", "load", "--source", sampleDir); r.code != 0 {
		t.Fatalf("load: exit %d: %s", r.code, r.errOut)
	}
	q := `SELECT DATE '2024-09-16' AS d, CAST('2024-09-16 10:00:00' AS TIMESTAMP) AS ts,
	  from_iso8601_timestamp('2024-09-01T00:45:18Z') AT TIME ZONE 'Asia/Tokyo' AS tokyo,
	  from_iso8601_timestamp('2024-09-01T00:45:18Z') AS zoned`
	for format, want := range map[string]string{
		"csv":   "d,ts,tokyo,zoned\n2024-09-16,2024-09-16 10:00:00.000,2024-09-01 09:45:18.000,2024-09-01 00:45:18.000 UTC\n",
		"jsonl": `{"d":"2024-09-16","ts":"2024-09-16 10:00:00.000","tokyo":"2024-09-01 09:45:18.000","zoned":"2024-09-01T00:45:18Z"}` + "\n",
	} {
		r := run(t, cache, "", "query", "--source", sampleDir, "--no-load", "--format", format, q)
		if r.code != 0 || r.out != want {
			t.Errorf("%s: exit %d, got\n%s\nwant\n%s%s", format, r.code, r.out, want, r.errOut)
		}
	}
}

// TestQueryXLSX: --format xlsx writes a workbook whose account IDs stay text; on a terminal it is refused.
func TestQueryXLSX(t *testing.T) {
	cache := t.TempDir()
	q := `SELECT recipientaccountid, count(*) AS n FROM cloudtrail_logs GROUP BY 1 ORDER BY 1 LIMIT 1`
	r := run(t, cache, "", "query", "--source", sampleDir, "--format", "xlsx", q)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	f, err := excelize.OpenReader(strings.NewReader(r.out))
	if err != nil {
		t.Fatalf("not a workbook: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil || len(rows) != 2 || rows[0][0] != "recipientaccountid" || len(rows[1][0]) != 12 {
		t.Fatalf("rows %q: %v", rows, err)
	}
	if typ, _ := f.GetCellType(f.GetSheetName(0), "A2"); typ != excelize.CellTypeInlineString {
		t.Errorf("the account ID is a cell of type %v, not text", typ)
	}
	if typ, _ := f.GetCellType(f.GetSheetName(0), "B2"); typ != excelize.CellTypeUnset {
		t.Errorf("the count is a cell of type %v, not a number", typ)
	}
}

func TestXLSXNotOnATerminal(t *testing.T) {
	f := NewFactory(strings.NewReader(""), io.Discard, io.Discard, func(string) string { return "" })
	f.IO.OutTTY = true
	var ue *UsageError
	if _, err := f.OutputFormat("xlsx"); !errors.As(err, &ue) || !strings.Contains(err.Error(), "binary workbook") {
		t.Errorf("xlsx on a terminal: %v, want a usage error", err)
	}
	f.IO.OutTTY = false
	if got, err := f.OutputFormat("xlsx"); err != nil || got != "xlsx" {
		t.Errorf("xlsx to a file: %q, %v", got, err)
	}
}

// TestQueryTableDDL: --table-ddl makes a user's own table name and partition columns work, under their names.
func TestQueryTableDDL(t *testing.T) {
	ddl := filepath.Join(t.TempDir(), "t.sql")
	os.WriteFile(ddl, []byte(`CREATE EXTERNAL TABLE my_trail (eventtime string)
PARTITIONED BY (p_account string, p_region string, p_date string)
TBLPROPERTIES ('projection.p_date.type'='date', 'projection.p_date.format'='yyyy-MM-dd')`), 0o644)
	cache := t.TempDir()
	q := `SELECT p_account, count(*) AS n FROM my_trail WHERE p_region = 'us-east-1' GROUP BY p_account ORDER BY n DESC LIMIT 1`
	r := run(t, cache, "", "query", "--source", sampleDir, "--format", "csv", "--table-ddl", ddl, q)
	if r.code != 0 || !strings.HasPrefix(r.out, "p_account,n\n") {
		t.Fatalf("exit %d: %s%s", r.code, r.out, r.errOut)
	}
	want := run(t, cache, "", "query", "--source", sampleDir, "--no-load", "--format", "csv",
		`SELECT account AS p_account, count(*) AS n FROM cloudtrail_logs_x WHERE region = 'us-east-1' GROUP BY account ORDER BY n DESC LIMIT 1`)
	if r.out != want.out {
		t.Errorf("--table-ddl answer %q, the store's names give %q", r.out, want.out)
	}
	if r := run(t, cache, "", "query", "--source", sampleDir, "--no-load", "--table-ddl", filepath.Join(t.TempDir(), "none.sql"), q); r.code != 1 || !strings.Contains(r.errOut, "SHOW CREATE TABLE") {
		t.Errorf("a missing DDL file: exit %d: %s", r.code, r.errOut)
	}
}

// TestQueryViews: CREATE VIEW through trailq query (its first command loads the logs), a query of the view,
// SHOW TABLES, DROP VIEW; trailq stores rm removes the views with the store.
func TestQueryViews(t *testing.T) {
	cache := t.TempDir()
	store := filepath.Join(t.TempDir(), "s.duckdb")
	r := run(t, cache, "", "query", "--source", sampleDir, "--store", store, `CREATE VIEW failed AS SELECT eventtime, sourceipaddress FROM cloudtrail_logs WHERE errorcode IS NOT NULL`)
	if r.code != 0 || r.out != "" || !strings.Contains(r.errOut, "View failed created") {
		t.Fatalf("CREATE VIEW: exit %d, out %q: %s", r.code, r.out, r.errOut)
	}
	viaView := run(t, cache, "", "query", "--store", store, "--format", "csv", `SELECT count(*) AS n FROM failed`)
	direct := run(t, cache, "", "query", "--store", store, "--format", "csv", `SELECT count(*) AS n FROM cloudtrail_logs WHERE errorcode IS NOT NULL`)
	if viaView.code != 0 || viaView.out != direct.out || direct.out == "n\n0\n" {
		t.Errorf("the view gives %q (%s), the table %q", viaView.out, viaView.errOut, direct.out)
	}
	show := run(t, cache, "", "query", "--store", store, "--format", "csv", `SHOW TABLES`)
	if show.code != 0 || !strings.Contains(show.out, `failed,view,"SELECT eventtime`) {
		t.Errorf("SHOW TABLES: %q %s", show.out, show.errOut)
	}
	if r := run(t, cache, "", "query", "--store", store, `DROP VIEW failed`); r.code != 0 || !strings.Contains(r.errOut, "dropped") {
		t.Errorf("DROP VIEW: exit %d %s", r.code, r.errOut)
	}
	if r := run(t, cache, "", "query", "--store", store, `CREATE TABLE t AS SELECT 1`); r.code != 1 || !strings.Contains(r.errOut, "CREATE TABLE is not supported") {
		t.Errorf("CTAS: exit %d %s", r.code, r.errOut)
	}
}
