package pushdown_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailq/trailq/internal/pushdown"
	"github.com/trailq/trailq/internal/store"
	"github.com/trailq/trailq/internal/store/sqlguard"
)

func TestEventTimeDays(t *testing.T) {
	tables := []string{"cloudtrail_logs", "cloudtrail_logs_ext"}
	cases := []struct {
		sql  string
		want string // "" when the query must read everything
	}{
		// The README's seed query (as translated: the table name is trailq's).
		{`SELECT eventtime, eventname, useridentity FROM cloudtrail_logs WHERE eventtype = 'AwsConsoleSignIn'
		  AND eventtime >= '2024-09-01T00:00:00Z' AND eventtime <= '2024-09-30T23:59:59Z'`, "2024-09-01 to 2024-09-30"},
		{`SELECT * FROM cloudtrail_logs WHERE eventtime BETWEEN '2024-09-01' AND '2024-09-02T10:00:00Z'`, "2024-09-01 to 2024-09-02"},
		{`SELECT * FROM cloudtrail_logs WHERE '2024-09-05' <= eventtime`, "from 2024-09-05"},
		{`SELECT * FROM cloudtrail_logs WHERE eventtime > '2024-09-05T23:59:59Z' AND eventtime < '2024-09-07'`, "2024-09-05 to 2024-09-06"},
		{`SELECT * FROM cloudtrail_logs WHERE eventtime > '2024-09-05' AND eventtime < '2024-09-07T00:00:00Z'`, "2024-09-05 to 2024-09-07"},
		{`SELECT * FROM cloudtrail_logs WHERE eventtime >= '2024-09-05' AND eventtime <= '2024-09-07'`, "2024-09-05 to 2024-09-07"},
		{`SELECT * FROM cloudtrail_logs t WHERE t.EventTime >= '2024-09-05' AND (eventname = 'A' OR eventname = 'B')`, "from 2024-09-05"},
		{`SELECT * FROM main.cloudtrail_logs WHERE cloudtrail_logs.eventtime = '2024-09-05T01:02:03Z'`, "2024-09-05 to 2024-09-05"},
		// Several lower bounds: the latest counts.
		{`SELECT * FROM cloudtrail_logs WHERE eventtime >= '2024-01-01' AND eventtime >= '2024-09-05'`, "from 2024-09-05"},
		{`SELECT eventname, count(*) FROM cloudtrail_logs WHERE eventtime >= '2024-09-01' GROUP BY 1 HAVING count(*) > 1 ORDER BY 2 DESC LIMIT 3`, "from 2024-09-01"},

		// Everything.
		{`SELECT * FROM cloudtrail_logs`, ""},
		{`SELECT * FROM cloudtrail_logs WHERE eventtime <= '2024-09-30'`, ""}, // no lower bound
		{`SELECT * FROM cloudtrail_logs WHERE eventtime >= '2024-09-01' OR eventname = 'x'`, ""},
		// DuckDB's parser turns this into eventtime >= '2024-09-01', which it is.
		{`SELECT * FROM cloudtrail_logs WHERE NOT (eventtime < '2024-09-01')`, "from 2024-09-01"},
		{`SELECT * FROM cloudtrail_logs WHERE NOT (eventtime < '2024-09-01' AND eventname = 'x')`, ""},
		{`SELECT * FROM cloudtrail_logs WHERE substr(eventtime, 1, 10) >= '2024-09-01'`, ""},
		{`SELECT * FROM cloudtrail_logs WHERE eventtime >= '2024-9-1'`, ""},       // not a date
		{`SELECT * FROM cloudtrail_logs WHERE eventtime >= '2024-09'`, ""},        // too short to name a day
		{`SELECT * FROM cloudtrail_logs WHERE eventtime >= 20240901`, ""},         // not text
		{`SELECT * FROM other_table WHERE eventtime >= '2024-09-01'`, ""},         // not the logs
		{`SELECT * FROM cloudtrail_logs t WHERE x.eventtime >= '2024-09-01'`, ""}, // another table's column
		{`SELECT *, (SELECT count(*) FROM cloudtrail_logs) FROM cloudtrail_logs WHERE eventtime >= '2024-09-01'`, ""},
		{`SELECT * FROM cloudtrail_logs WHERE eventtime >= '2024-09-01' AND eventid IN (SELECT eventid FROM cloudtrail_logs)`, ""},
		{`SELECT * FROM cloudtrail_logs a JOIN cloudtrail_logs b USING (eventid) WHERE a.eventtime >= '2024-09-01'`, ""},
		{`WITH x AS (SELECT * FROM cloudtrail_logs) SELECT * FROM x WHERE eventtime >= '2024-09-01'`, ""},
		{`SELECT * FROM cloudtrail_logs WHERE eventtime >= '2024-09-01' UNION ALL SELECT * FROM cloudtrail_logs`, ""},
		{`SELECT * FROM (SELECT * FROM cloudtrail_logs) WHERE eventtime >= '2024-09-01'`, ""},
		{`SELECT 1; SELECT * FROM cloudtrail_logs WHERE eventtime >= '2024-09-01'`, ""},
	}
	for _, c := range cases {
		tree, err := sqlguard.SyntaxTree(context.Background(), c.sql)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		d, ok, err := pushdown.EventTimeDays(tree, tables...)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		got := ""
		if ok {
			got = d.String()
		}
		if got != c.want {
			t.Errorf("%s\n  days = %q, want %q", c.sql, got, c.want)
		}
	}
}

// A query DuckDB cannot parse reads everything (the query itself then reports the error).
func TestEventTimeDaysOfBadSQL(t *testing.T) {
	tree, err := sqlguard.SyntaxTree(context.Background(), "SELEC * FORM x")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := pushdown.EventTimeDays(tree, "cloudtrail_logs"); ok || err != nil {
		t.Errorf("bad SQL: ok=%v err=%v, want false, nil", ok, err)
	}
}

func TestAnalyzePartitions(t *testing.T) {
	tables := []string{"cloudtrail_logs", "cloudtrail_logs_ext"}
	cases := []struct {
		sql  string
		want string
	}{
		{`SELECT * FROM cloudtrail_logs WHERE year = '2024' AND month = '09' AND day = '01'`, "key 2024-09-01 to 2024-09-01"},
		{`SELECT * FROM cloudtrail_logs WHERE year = '2024' AND month = '02'`, "key 2024-02-01 to 2024-02-29"},
		{`SELECT * FROM cloudtrail_logs WHERE year = 2024 AND month = 9`, "key 2024-09-01 to 2024-09-30"},
		{`SELECT * FROM cloudtrail_logs WHERE year = '2024'`, "key 2024-01-01 to 2024-12-31"},
		{`SELECT * FROM cloudtrail_logs WHERE month = '09' AND day = '01'`, ""}, // no year
		{`SELECT * FROM cloudtrail_logs WHERE year = '2024' AND month = '13'`, ""},
		{`SELECT * FROM cloudtrail_logs_ext AS "cloudtrail_logs_pp" WHERE "timestamp" >= '2024/09/01' AND "timestamp" < '2024/09/08'`, "key 2024-09-01 to 2024-09-07"},
		{`SELECT * FROM cloudtrail_logs_ext WHERE date_partition BETWEEN '2024/09/01' AND '2024/09/03'`, "key 2024-09-01 to 2024-09-03"},
		{`SELECT * FROM cloudtrail_logs WHERE region = 'us-east-1' AND eventtime >= '2024-09-01'`, "event from 2024-09-01; regions [us-east-1]"},
		{`SELECT * FROM cloudtrail_logs_ext WHERE region_partition IN ('eu-west-1', 'us-east-1') AND region = 'us-east-1'`, "regions [us-east-1]"},
		{`SELECT * FROM cloudtrail_logs_ext WHERE account IN ('111122223333', '444455556666')`, "accounts [111122223333 444455556666]"},
		{`SELECT * FROM cloudtrail_logs WHERE region = 'us-east-1' OR region = 'eu-west-1'`, ""},
		{`SELECT * FROM cloudtrail_logs WHERE year = '2024' AND month = '09' AND eventtime >= '2024-09-10'`, "event from 2024-09-10; key 2024-09-01 to 2024-09-30"},
	}
	for _, c := range cases {
		tree, err := sqlguard.SyntaxTree(context.Background(), c.sql)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		sc, ok, err := pushdown.Analyze(tree, tables...)
		if err != nil || !ok {
			t.Fatalf("%s: ok=%v err=%v", c.sql, ok, err)
		}
		var parts []string
		if !sc.Event.From.IsZero() {
			parts = append(parts, "event "+sc.Event.String())
		}
		if !sc.Key.From.IsZero() {
			parts = append(parts, "key "+sc.Key.String())
		}
		if sc.Regions != nil {
			parts = append(parts, fmt.Sprintf("regions %v", sc.Regions))
		}
		if sc.Accounts != nil {
			parts = append(parts, fmt.Sprintf("accounts %v", sc.Accounts))
		}
		if got := strings.Join(parts, "; "); got != c.want {
			t.Errorf("%s\n  scope = %q, want %q", c.sql, got, c.want)
		}
	}
}

// TestTextConditions checks the text conditions Analyze reads against DuckDB itself: for each condition, the
// values Condition.Holds accepts are those DuckDB's WHERE keeps.
func TestTextConditions(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "s.duckdb"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	values := []string{"", "A", "AwsConsoleSignIn", "AwsConsoleSignIn ", "awsconsolesignin", "AwsApiCall",
		"2024-09-01", "2024-09-01T00:00:00Z", "2024-09-30T23:59:59Z", "2024-09-30T23:59:59.5Z", "2024-10-01T00:00:00Z",
		"2024-08-31T23:59:59Z", "é", "e\u0301", "Z", "a", "~", "ConsoleLogin", "ConsoleLogin\x00"}
	cases := []struct {
		where string
		n     int // conditions read
	}{
		{`eventtype = 'AwsConsoleSignIn'`, 1},
		{`'AwsConsoleSignIn' = eventtype`, 1},
		{`eventtype IN ('AwsConsoleSignIn', 'AwsApiCall', '')`, 1},
		{`eventtime >= '2024-09-01T00:00:00Z' AND eventtime <= '2024-09-30T23:59:59Z'`, 2},
		{`eventtime > '2024-09-01' AND eventtime < '2024-09-30T23:59:59.5Z'`, 2},
		{`eventtime BETWEEN '2024-09-01' AND '2024-09-30T23:59:59Z'`, 1},
		{`'2024-09-01' < eventtime`, 1},
		{`eventtype > 'Z' AND eventtype <= 'é'`, 2},
		{`t.eventtype = 'A'`, 1},
		// Not read: other operators, functions of the column, non-text constants, OR.
		{`eventtype <> 'A'`, 0},
		{`eventtype LIKE 'Aws%'`, 0},
		{`lower(eventtype) = 'awsconsolesignin'`, 0},
		{`eventtype = 'A' OR eventtype = 'Z'`, 0},
		{`eventtype IS NULL`, 0},
		{`eventtype = NULL`, 0},
	}
	for _, c := range cases {
		sql := `SELECT * FROM cloudtrail_logs t WHERE ` + c.where
		tree, err := sqlguard.SyntaxTree(ctx, sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		sc, ok, err := pushdown.Analyze(tree, "cloudtrail_logs")
		if err != nil || !ok {
			t.Fatalf("%s: ok %v, %v", sql, ok, err)
		}
		if len(sc.Text) != c.n {
			t.Errorf("%s: %d conditions %+v, want %d", c.where, len(sc.Text), sc.Text, c.n)
			continue
		}
		for _, v := range values {
			col := "eventtype"
			if strings.Contains(c.where, "eventtime") {
				col = "eventtime"
			}
			q := fmt.Sprintf(`SELECT count(*) FROM (SELECT ?::VARCHAR AS %s) t WHERE %s`, col, c.where)
			rows, err := st.Query(ctx, q, v)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			rows.Next()
			vals, _ := rows.Values()
			rows.Close()
			duck := vals[0].(int64) == 1
			holds := true
			for _, tc := range sc.Text {
				if tc.Column != col {
					t.Fatalf("%s: condition on %q, want %q", c.where, tc.Column, col)
				}
				holds = holds && tc.Holds(v)
			}
			if c.n > 0 && holds != duck {
				t.Errorf("%s on %q: Holds %v, DuckDB %v", c.where, v, holds, duck)
			}
		}
	}
}
