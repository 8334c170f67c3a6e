package engine_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trailq/trailq/internal/engine"
)

// define runs a view statement the way trailq query does.
func define(t *testing.T, e *recorder, o engine.Options, sql string) (string, error) {
	t.Helper()
	d, ok, err := engine.ParseDefinition(sql)
	if !ok {
		t.Fatalf("%s: not a view statement", sql)
	}
	if err != nil {
		return "", err
	}
	return e.Define(context.Background(), o, d)
}

// storeDigest hashes the store file and its parts: what the evidence is.
func storeDigest(t *testing.T, path string) string {
	t.Helper()
	h := sha256.New()
	for _, p := range []string{path, path + ".parts"} {
		filepath.WalkDir(p, func(f string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			h.Write([]byte(f))
			h.Write(b)
			return nil
		})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestViews: CREATE VIEW keeps a query under a name that later queries read (a view on a view too), OR REPLACE
// replaces it, DROP VIEW refuses a view another reads; hostile definitions are refused; the store's files are
// the same bytes afterwards; and a views file changed behind trailq's back is checked like a query.
func TestViews(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.duckdb")
	r := newRecorder()
	o := options(t, sampleDir, path)
	if _, err := r.Sync(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	o.Source = nil
	before := storeDigest(t, path)
	direct, _, err := query(t, r, o, `SELECT count(*) FROM cloudtrail_logs WHERE eventname = 'ConsoleLogin'`, engine.AnswerFirstNever)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct{ sql, want string }{
		{`CREATE VIEW logins AS SELECT eventtime, useridentity.username AS who, sourceipaddress FROM cloudtrail_logs WHERE eventname = 'ConsoleLogin'`, "View logins created"},
		{`CREATE VIEW logins AS SELECT 1`, "it exists"},
		{`CREATE VIEW per_ip AS SELECT sourceipaddress, count(*) AS n FROM logins GROUP BY 1`, "View per_ip created"},
		{`DROP VIEW logins`, "view per_ip reads it"},
		{`CREATE VIEW selfish AS SELECT * FROM selfish`, "create view selfish"},
		{`CREATE VIEW cloudtrail_logs AS SELECT 1`, "cannot name a view"},
		{`CREATE VIEW trailq_meta AS SELECT 1`, "cannot name a view"},
		{`CREATE VIEW leak AS SELECT * FROM read_csv('/etc/passwd')`, "not allowed"},
		{`CREATE VIEW two AS SELECT 1; DROP TABLE cloudtrail_events`, "more than one statement"},
		{`CREATE VIEW bad AS SELECT nosuchcolumn FROM cloudtrail_logs`, "nosuchcolumn"},
		{`DROP VIEW nothing`, "no such view"},
		{`DROP VIEW IF EXISTS nothing`, "nothing dropped"},
	}
	for _, s := range steps {
		msg, err := define(t, r, o, s.sql)
		got := msg
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, s.want) {
			t.Errorf("%s: %q, want %q", s.sql, got, s.want)
		}
	}
	viaView, _, err := query(t, r, o, `SELECT count(*) FROM logins`, engine.AnswerFirstNever)
	if err != nil || !slices.Equal(viaView, direct) {
		t.Errorf("the view counts %q (%v), the table %q", viaView, err, direct)
	}
	ips, _, err := query(t, r, o, `SELECT sum(n) FROM per_ip`, engine.AnswerFirstNever)
	if err != nil || !slices.Equal(ips, direct) {
		t.Errorf("the view on the view sums %q (%v), want %q", ips, err, direct)
	}
	if _, err := define(t, r, o, `CREATE OR REPLACE VIEW logins AS SELECT eventtime, useridentity.username AS who, sourceipaddress FROM cloudtrail_logs WHERE eventname = 'ConsoleLogin' AND errormessage IS NULL`); err != nil {
		t.Errorf("OR REPLACE: %v", err)
	}
	show, err := engine.ShowTablesSQL(path)
	if err != nil {
		t.Fatal(err)
	}
	q, err := engine.Translate(show, engine.DuckDB)
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.Reader(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := q.Run(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		v, _ := rows.Values()
		names = append(names, v[0].(string)+" "+v[1].(string))
	}
	rows.Close()
	st.Close()
	if strings.Join(names, ", ") != "cloudtrail_logs table, logins view, per_ip view" {
		t.Errorf("SHOW TABLES: %q", names)
	}
	for _, s := range []string{`DROP VIEW per_ip`, `DROP VIEW logins`} {
		if _, err := define(t, r, o, s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	if after := storeDigest(t, path); after != before {
		t.Error("the store's files changed")
	}

	// A views file edited to read a file: the reader refuses to open rather than run it.
	os.WriteFile(engine.ViewsPath(path), []byte(`[{"name":"leak","athena":"","sql":"SELECT * FROM read_csv('/etc/passwd')"}]`), 0o644)
	if _, err := r.Reader(context.Background(), o); err == nil || !strings.Contains(err.Error(), `view "leak" is not a query trailq allows`) {
		t.Errorf("a hostile views file: %v", err)
	}
	os.WriteFile(engine.ViewsPath(path), []byte(`[{"name":"x; DROP TABLE cloudtrail_events","athena":"","sql":"SELECT 1"}]`), 0o644)
	if _, err := r.Reader(context.Background(), o); err == nil {
		t.Error("a view name holding SQL was taken")
	}
	if after := storeDigest(t, path); after != before {
		t.Error("the store's files changed")
	}
}
