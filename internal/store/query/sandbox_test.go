package query_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/store"
	"github.com/trailq/trailq/internal/store/storetest"
)

// TestSandbox runs hostile SQL on a store opened for users' queries: each statement is refused, and the
// store is unchanged.
func TestSandbox(t *testing.T) {
	p := storetest.NewStore(t)
	st, err := store.Open(context.Background(), p, store.Options{ReadOnly: true, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	secret := filepath.Join(t.TempDir(), "secret.csv")
	os.WriteFile(secret, []byte("a,b\n1,2\n"), 0o600)
	out := filepath.Join(t.TempDir(), "out.csv")
	// The part files' folder is the one place SQL may read; nothing beside it.
	os.MkdirAll(store.PartsDir(p), 0o700)
	beside := filepath.Join(filepath.Dir(p), "beside.csv")
	os.WriteFile(beside, []byte("a,b\n1,2\n"), 0o600)
	attacks := []string{
		"SELECT * FROM read_csv('" + store.PartsDir(p) + "/../beside.csv')",
		"SELECT * FROM read_csv('" + store.PartsDir(p) + "/../../" + filepath.Base(filepath.Dir(p)) + "/beside.csv')",
		"COPY (SELECT 1) TO '" + store.PartsDir(p) + "/x.parquet'",
		"SET allowed_directories = ['/']",
		"SET GLOBAL allowed_paths = ['" + secret + "']",
		"SET file_search_path = '/'",
		"SELECT * FROM read_csv('" + secret + "')",
		"SELECT * FROM read_text('/etc/passwd')",
		"SELECT * FROM glob('/etc/*')",
		"COPY (SELECT 1) TO '" + out + "'",
		"ATTACH '" + filepath.Join(t.TempDir(), "x.duckdb") + "' AS x",
		"INSTALL httpfs",
		"LOAD httpfs",
		"SET threads = 1",
		"SET enable_external_access = true",
		"RESET lock_configuration",
		"PRAGMA enable_profiling",
		"INSERT INTO cloudtrail_events (eventid) VALUES ('x')",
		"DELETE FROM cloudtrail_events",
		"DROP TABLE trailq_objects",
		"CREATE TABLE t (a INT)",
		"UPDATE trailq_meta SET value = 'x'",
		"EXPORT DATABASE '" + t.TempDir() + "'",
		"CALL pragma_version()",
		"WITH x AS (SELECT 1) SELECT * FROM read_csv('" + secret + "')",
		"/* comment */ COPY (SELECT 1) TO '" + out + "'",
	}
	for _, q := range attacks {
		rows, err := st.Query(context.Background(), q)
		if err == nil {
			for rows.Next() {
			}
			err = rows.Err()
			rows.Close()
		}
		if err == nil {
			t.Errorf("%s: ran; want it refused", q)
		}
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("COPY wrote %s", out)
	}
	// Queries still run.
	rows, err := st.Query(context.Background(), "WITH n AS (SELECT count(*) AS c FROM cloudtrail_logs) SELECT c FROM n")
	if err != nil {
		t.Fatalf("a plain query was refused: %v", err)
	}
	rows.Close()
}

func TestQueryCancel(t *testing.T) {
	p := storetest.NewStore(t)
	st, err := store.Open(context.Background(), p, store.Options{ReadOnly: true, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	rows, err := st.Query(ctx, "SELECT count(*) FROM range(100000000000) a")
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
	}
	if err == nil {
		t.Fatal("a query over 10^11 rows finished within its 200 ms deadline")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the query stopped %v after its deadline", d)
	}
}

func TestInitSettingsApplyToEveryConnection(t *testing.T) {
	p := storetest.NewStore(t)
	for _, sandbox := range []bool{false, true} {
		st, err := store.Open(context.Background(), p, store.Options{ReadOnly: true, Sandbox: sandbox,
			InitSQL: []string{"SET SESSION TimeZone = 'Asia/Tokyo'", "SET integer_division = true", "CREATE TEMP MACRO plus1(x) AS x + 1"}})
		if err != nil {
			t.Fatal(err)
		}
		// Several connections at once (each result holds one), each must see the settings and the macro.
		var open []*store.Rows
		for range 4 {
			rows, err := st.Query(context.Background(), "SELECT current_setting('TimeZone'), 7 / 2, plus1(1)")
			if err != nil {
				t.Fatal(err)
			}
			open = append(open, rows)
			rows.Next()
			v, _ := rows.Values()
			if v[0] != "Asia/Tokyo" || v[1] != int64(3) || v[2] != int64(2) {
				t.Errorf("sandbox %v: settings %v, want Asia/Tokyo 3 2", sandbox, v)
			}
		}
		for _, r := range open {
			r.Close()
		}
		st.Close()
	}
}

func TestTwoSandboxedHandles(t *testing.T) {
	p := storetest.NewStore(t)
	opts := store.Options{ReadOnly: true, Sandbox: true, InitSQL: []string{"SET TimeZone = 'UTC'", "CREATE TEMP MACRO plus1(x) AS x + 1"}}
	a, err := store.Open(context.Background(), p, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := store.Open(context.Background(), p, opts)
	if err != nil {
		t.Fatalf("second sandboxed handle in the same process: %v", err)
	}
	defer b.Close()
	for _, st := range []*store.Store{a, b} {
		rows, err := st.Query(context.Background(), "SELECT plus1(1)")
		if err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if _, err := st.Query(context.Background(), "SELECT * FROM read_text('/etc/passwd')"); err == nil {
			t.Error("file access allowed")
		}
	}
}
