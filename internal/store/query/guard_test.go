package query_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trailq/trailq/internal/athena"
	"github.com/trailq/trailq/internal/store"
	"github.com/trailq/trailq/internal/store/sqlguard"
	"github.com/trailq/trailq/internal/store/storetest"
)

func sandbox(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), path, store.Options{ReadOnly: true, Sandbox: true,
		InitSQL: athena.InitSQL(), MemoryLimit: 256 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// runAll runs a query to its end.
func runAll(st *store.Store, q string) (string, error) {
	rows, err := st.Query(context.Background(), q)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return "", err
		}
		for _, v := range vals {
			fmt.Fprint(&b, v)
			b.WriteByte('|')
		}
		b.WriteByte('\n')
	}
	return b.String(), rows.Err()
}

// TestHostileCorpus runs every statement of the hostile corpus on one sandboxed handle: each is refused, nothing
// is written anywhere (the store's folder and a folder outside it are byte-for-byte the same), and the handle
// still gives the store's own answers afterwards (no temporary view or macro outlived its statement).
func TestHostileCorpus(t *testing.T) {
	path := storetest.LoadedStore(t)
	out := t.TempDir()
	os.WriteFile(filepath.Join(out, "in.csv"), []byte("key,value\nschema,9\n"), 0o600)
	os.WriteFile(filepath.Join(out, "x.json"), []byte(`{"a":1}`), 0o600)
	attacks := storetest.Attacks(path, storetest.FirstPart(t, path), out)
	if len(attacks) < 60 {
		t.Fatalf("the corpus has %d attacks; want 60 or more", len(attacks))
	}
	before := storetest.Fingerprint(t, path)
	outBefore := storetest.Listing(t, out)
	st := sandbox(t, path)
	probe := `SELECT count(*), json_extract_string('{"a":"b"}', '$.a') FROM cloudtrail_logs WHERE eventname = 'ConsoleLogin'`
	want, err := runAll(st, probe)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range attacks {
		got, err := runAll(st, a.SQL)
		if err == nil {
			t.Errorf("%s: ran (%q); want it refused\n%s", a.Name, got, a.SQL)
			continue
		}
		if got, err := runAll(st, probe); err != nil || got != want {
			t.Fatalf("after %s: the handle answers %q, %v; want %q", a.Name, got, err, want)
		}
	}
	st.Close()
	if diff := cmp.Diff(before, storetest.Fingerprint(t, path)); diff != "" {
		t.Errorf("the store changed (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(outBefore, storetest.Listing(t, out)); diff != "" {
		t.Errorf("files written outside the store (-before +after):\n%s", diff)
	}
}

// TestGuardAllowsQueries: every kind of query users write still runs.
func TestGuardAllowsQueries(t *testing.T) {
	st := sandbox(t, storetest.LoadedStore(t))
	for _, q := range []string{
		`SELECT count(*) FROM cloudtrail_logs`,
		`select eventname from cloudtrail_logs limit 1;`,
		`-- a comment first
/* and a block */ SELECT 1`,
		`WITH n AS (SELECT count(*) AS c FROM cloudtrail_logs) SELECT c FROM n`,
		`VALUES (1, 'a'), (2, 'b')`,
		`FROM cloudtrail_logs SELECT eventname LIMIT 1`,
		`DESCRIBE cloudtrail_logs`,
		`SHOW TABLES`,
		`SUMMARIZE SELECT eventname FROM cloudtrail_logs`,
		`PIVOT (SELECT eventsource, awsregion FROM cloudtrail_logs) ON awsregion IN ('us-east-1', 'eu-west-1') USING count(*) GROUP BY eventsource`,
		`EXPLAIN SELECT count(*) FROM cloudtrail_logs`,
		`EXPLAIN ANALYZE SELECT count(*) FROM cloudtrail_logs`,
		`explain analyse select 1`,
		`SELECT r.arn FROM cloudtrail_logs CROSS JOIN UNNEST(resources) AS t(r) LIMIT 3`,
		`SELECT * FROM range(3)`,
		`SELECT key FROM json_each('{"a":1}')`,
		`SELECT count(*) FROM duckdb_columns() WHERE table_name = 'cloudtrail_logs'`,
		`SELECT column_name FROM information_schema.columns WHERE table_name = 'cloudtrail_logs'`,
		`SELECT json_extract_string(requestparameters, '$.bucketName') FROM cloudtrail_logs LIMIT 1`,
		`SELECT "$path" FROM cloudtrail_logs_ext LIMIT 1`,
		`SELECT 'a;b' AS semicolon_in_a_string`,
		`SELECT count(*) FROM trailq_signins`,
	} {
		if _, err := runAll(st, q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	// Parameters, as trailq's own pages pass them.
	rows, err := st.Query(context.Background(), `SELECT count(*) FROM cloudtrail_logs WHERE eventname = ?`, "ConsoleLogin")
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
}

// TestGuardSaysWhy: each refusal names its reason.
func TestGuardSaysWhy(t *testing.T) {
	st := sandbox(t, storetest.LoadedStore(t))
	for _, c := range []struct {
		sql  string
		want error
		text string
	}{
		{"SELECT 1; SELECT 2", sqlguard.ErrMultipleStatements, "more than one statement"},
		{"SELECT 1; COPY (SELECT 1) TO 'x.csv'", sqlguard.ErrNotAQuery, ""},
		{"COPY (SELECT 1) TO 'x.csv'", sqlguard.ErrNotAQuery, "COPY"},
		{"CREATE TEMP VIEW v AS SELECT 1", sqlguard.ErrNotAQuery, "CREATE"},
		{"EXPLAIN ANALYZE COPY (SELECT 1) TO 'x.csv'", sqlguard.ErrNotAQuery, ""},
		{"SELECT * FROM read_text('/etc/passwd')", sqlguard.ErrNotAllowed, "read_text"},
		{"SELECT * FROM 'x.csv'", sqlguard.ErrNotAllowed, "x.csv"},
		{"SELECT write_log('x')", sqlguard.ErrNotAllowed, "write_log"},
		{"  ", sqlguard.ErrNotAQuery, "empty"},
		{"PIVOT cloudtrail_logs ON awsregion USING count(*)", sqlguard.ErrNotAQuery, "PIVOT needs its values"},
	} {
		_, err := runAll(st, c.sql)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%q: %v; want %v naming %q", c.sql, err, c.want, c.text)
		}
	}
	// A syntax error keeps DuckDB's message with its place.
	if _, err := runAll(st, "SELEC 1"); err == nil || !strings.Contains(err.Error(), "LINE 1") {
		t.Errorf("syntax error: %v", err)
	}
}
