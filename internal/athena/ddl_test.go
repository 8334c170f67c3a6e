package athena_test

import (
	"context"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/trailq/trailq/internal/athena"
	"github.com/trailq/trailq/internal/store"
)

func readDDL(t *testing.T, name string) *athena.TableDef {
	t.Helper()
	b, err := os.ReadFile("testdata/tables/" + name)
	if err != nil {
		t.Fatal(err)
	}
	def, err := athena.ParseTableDDL(string(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return def
}

// TestTableDDL: a user's own table (its CREATE EXTERNAL TABLE) names the store, and its partition columns read
// the key's account, region and date in the table's format, under the names the user wrote. Answers worked out
// from the fixture's table in testdata/README.md (partitions come from the log file's key).
func TestTableDDL(t *testing.T) {
	st := openFixture(t)
	defs := []*athena.TableDef{readDDL(t, "projection.sql"), readDDL(t, "manual.sql")}
	if got := defs[0].Name + " " + defs[1].Name; got != "org_trail ct_events" {
		t.Fatalf("table names %q", got)
	}
	tr := athena.NewTranslator(athena.Tables{Logs: store.LogsView, LogsExt: store.LogsExtView, Defs: defs})
	for _, c := range []struct {
		sql, cols string
		want      []string
	}{
		{`SELECT account_id, aws_region, ingest_date, count(*) AS n FROM security.org_trail GROUP BY 1, 2, 3`,
			"account_id aws_region ingest_date n",
			[]string{"111122223333 | eu-west-1 | 2024-03-16 | 7", "111122223333 | us-east-1 | 2024-03-15 | 12",
				"111122223333 | us-east-1 | 2024-03-16 | 2", "444455556666 | us-east-1 | 2024-03-16 | 1"}},
		{`SELECT t.account_id, count(*) FROM "awsdatacatalog"."security"."org_trail" t
		  WHERE t.ingest_date >= '2024-03-16' AND account_id = '444455556666' GROUP BY t.account_id`,
			"account_id _col1", []string{"444455556666 | 1"}},
		{`SELECT eventname FROM org_trail WHERE ingest_date = '2024-03-16' AND aws_region = 'us-east-1' AND account_id = '111122223333'`,
			"eventname", []string{"ConsoleLogin", "GetSecretValue"}},
		{`SELECT p_region, count(*) AS n FROM ct_events WHERE day = '2024/03/15' GROUP BY p_region`,
			"p_region n", []string{"us-east-1 | 12"}},
		// The store's own names still work next to them.
		{`SELECT count(*) FROM cloudtrail_logs WHERE region = 'eu-west-1'`, "_col0", []string{"7"}},
	} {
		q, err := tr.TranslateQuery(c.sql)
		if err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		rows, err := st.Query(context.Background(), q.SQL)
		if err != nil {
			t.Errorf("%s\n%s: %v", c.sql, q.SQL, err)
			continue
		}
		var names []string
		for _, col := range rows.Columns() {
			names = append(names, col.Name)
		}
		var got []string
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			cells := make([]string, len(vals))
			for i, v := range vals {
				cells[i] = render(v, rows.Columns()[i].Type)
			}
			got = append(got, strings.Join(cells, " | "))
		}
		rows.Close()
		sort.Strings(got)
		if strings.Join(names, " ") != c.cols || strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s\n%s\ncolumns %q, rows:\n%s\nwant columns %q, rows:\n%s", c.sql, q.SQL, names, strings.Join(got, "\n"), c.cols, strings.Join(c.want, "\n"))
		}
	}
}

func TestTableDDLErrors(t *testing.T) {
	for file, want := range map[string]string{
		"hourly.sql":  `partition column dt has the format "yyyy/MM/dd/HH": trailq reads yyyy/MM/dd, yyyy-MM-dd and yyyyMMdd`,
		"unknown.sql": "partition column shard: trailq cannot tell which part of the log key it holds",
	} {
		b, err := os.ReadFile("testdata/tables/" + file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := athena.ParseTableDDL(string(b)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", file, err, want)
		}
	}
	if _, err := athena.ParseTableDDL("SELECT 1"); err == nil || !strings.Contains(err.Error(), "no CREATE [EXTERNAL] TABLE") {
		t.Errorf("not DDL: %v", err)
	}
}
