package export_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trailq/trailq/internal/store"
	"github.com/trailq/trailq/internal/store/storetest"
)

// answers runs q and returns its rows, each printed as one line.
func answers(t *testing.T, st *store.Store, q string) []string {
	t.Helper()
	rows, err := st.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(v...))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestExportReadBack: DuckDB reads an export as one Hive-partitioned table and answers as the store does: the
// count, the events per account, region and day (the partition folders), a sign-in query over nested fields and
// JSON text, and the resources list unnested.
func TestExportReadBack(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, storetest.LoadedStore(t), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dir := filepath.Join(t.TempDir(), "export")
	res, err := st.Export(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The partition columns as the export's folders hold them: Hive's NULL folder read back as NULL.
	part := func(c string) string { return "nullif(" + c + ", '__HIVE_DEFAULT_PARTITION__') AS " + c }
	exported := `(SELECT * EXCLUDE (account, region, year, month, day), ` + part("account") + `, ` + part("region") + `, ` +
		part("year") + `, ` + part("month") + `, ` + part("day") + ` FROM read_parquet('` + dir +
		`/**/*.parquet', hive_partitioning = true, hive_types_autocast = false))`
	queries := map[string]string{
		"count":          `SELECT count(*) FROM %s`,
		"by partition":   `SELECT account, region, concat_ws('/', year, month, day) AS day, count(*) FROM %s GROUP BY ALL ORDER BY ALL`,
		"console logins": `SELECT eventtime, useridentity.type, useridentity.arn, sourceipaddress, responseelements, additionaleventdata, useridentity.sessioncontext.attributes.mfaauthenticated FROM %s WHERE eventname = 'ConsoleLogin' ORDER BY ALL`,
		"resources":      `SELECT r.type, count(*) FROM %s, unnest(resources) AS u(r) GROUP BY ALL ORDER BY ALL`,
	}
	for name, q := range queries {
		want := answers(t, st, fmt.Sprintf(q, store.LogsExtView))
		got := answers(t, st, fmt.Sprintf(q, exported))
		if len(want) == 0 {
			t.Errorf("%s: the store answers nothing; the test would prove nothing", name)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: the export answers otherwise than the store (-store +export):\n%s", name, diff)
		}
	}
	if n := answers(t, st, fmt.Sprintf(queries["count"], exported)); strings.Join(n, "") != fmt.Sprint(res.Rows) {
		t.Errorf("the export reads back %v rows; Write said %d", n, res.Rows)
	}
	if logins := answers(t, st, fmt.Sprintf(queries["console logins"], store.LogsExtView)); len(logins) < 2 {
		t.Errorf("the sample has %d console sign-ins; want a few", len(logins))
	}
}
