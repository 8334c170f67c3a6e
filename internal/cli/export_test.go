package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailq/trailq/internal/store"
)

// An export holds exactly the store's rows, Athena's columns and the partition values, in Hive folders; the DDL
// declares the same columns.
func TestExport(t *testing.T) {
	cache := t.TempDir()
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	out := filepath.Join(t.TempDir(), "export")
	r := run(t, cache, "", "export", "--source", "../../testdata/cloudtrail/real", "--store", storePath, "--out", out,
		"--location", "s3://analytics/ct", "--table", "ct_parquet")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	if !strings.Contains(r.errOut, "Exported 994 events into") {
		t.Errorf("summary: %s", r.errOut)
	}
	if _, err := os.Stat(filepath.Join(out, "account=111122223333", "region=us-east-1")); err != nil {
		t.Errorf("no Hive folder account=…/region=…: %v", err)
	}

	st, err := store.Open(context.Background(), storePath, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cols := strings.Join(store.AthenaColumns(), ", ") + ", region, year, month, day"
	exported := `SELECT ` + strings.ReplaceAll(cols, "region, year, month, day", `nullif(region, '__HIVE_DEFAULT_PARTITION__') AS region,
		nullif(year, '__HIVE_DEFAULT_PARTITION__') AS year, nullif(month, '__HIVE_DEFAULT_PARTITION__') AS month,
		nullif(day, '__HIVE_DEFAULT_PARTITION__') AS day`) +
		` FROM read_parquet('` + out + `/**/*.parquet', hive_partitioning = true, hive_types_autocast = false)`
	stored := `SELECT ` + cols + ` FROM cloudtrail_logs`
	rows, err := st.Query(context.Background(), `SELECT (SELECT count(*) FROM (`+exported+`)),
		(SELECT count(*) FROM (`+exported+` EXCEPT ALL `+stored+`)), (SELECT count(*) FROM (`+stored+` EXCEPT ALL `+exported+`))`)
	if err != nil {
		t.Fatal(err)
	}
	rows.Next()
	v, _ := rows.Values()
	rows.Close()
	if v[0] != int64(994) || v[1] != int64(0) || v[2] != int64(0) {
		t.Errorf("exported rows %v, only in the export %v, missing from it %v; want 994, 0, 0", v[0], v[1], v[2])
	}

	ddl, err := os.ReadFile(filepath.Join(out, "athena.sql"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"CREATE EXTERNAL TABLE IF NOT EXISTS `ct_parquet` (",
		"`useridentity` STRUCT<type:STRING,principalid:STRING,arn:STRING,",
		"`resources` ARRAY<STRUCT<arn:STRING,accountid:STRING,type:STRING>>",
		"attributes:MAP<STRING,STRING>",
		"PARTITIONED BY (`account` STRING, `region` STRING, `year` STRING, `month` STRING, `day` STRING)",
		"STORED AS PARQUET", "LOCATION 's3://analytics/ct/'", "MSCK REPAIR TABLE `ct_parquet`;",
	} {
		if !strings.Contains(string(ddl), want) {
			t.Errorf("DDL lacks %q:\n%s", want, ddl)
		}
	}
	if n := strings.Count(string(ddl), "\n  `"); n != len(store.AthenaColumns()) {
		t.Errorf("DDL declares %d columns, want %d", n, len(store.AthenaColumns()))
	}

	// The same table with partition projection: the accounts and regions of the export, its years, its template.
	projected, err := os.ReadFile(filepath.Join(out, "athena-projection.sql"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"CREATE EXTERNAL TABLE IF NOT EXISTS `ct_parquet` (", "STORED AS PARQUET", "LOCATION 's3://analytics/ct/'",
		"'projection.enabled'='true'", "'projection.year.range'='2014,NOW'",
		"'storage.location.template'='s3://analytics/ct/account=${account}/region=${region}/year=${year}/month=${month}/day=${day}/'",
	} {
		if !strings.Contains(string(projected), want) {
			t.Errorf("projected DDL lacks %q:\n%s", want, projected)
		}
	}
	if strings.Contains(string(projected), "MSCK REPAIR TABLE `") {
		t.Errorf("the projected DDL repairs the table:\n%s", projected)
	}
	for _, col := range []string{"account", "region"} {
		rows, err := st.Query(context.Background(), `SELECT string_agg(DISTINCT coalesce(`+col+`, '__HIVE_DEFAULT_PARTITION__'), ',' ORDER BY coalesce(`+col+`, '__HIVE_DEFAULT_PARTITION__')) FROM cloudtrail_logs_ext`)
		if err != nil {
			t.Fatal(err)
		}
		rows.Next()
		v, _ := rows.Values()
		rows.Close()
		if want := fmt.Sprintf("'projection.%s.values'='%v'", col, v[0]); !strings.Contains(string(projected), want) {
			t.Errorf("projected DDL lacks %s", want)
		}
	}

	// A second export into the same folder is refused, and the folder is left alone.
	r = run(t, cache, "", "export", "--store", storePath, "--out", out)
	if r.code != 1 || !strings.Contains(r.errOut, "not empty") {
		t.Errorf("export into a used folder: exit %d, %s", r.code, r.errOut)
	}
}
