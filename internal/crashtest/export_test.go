package crashtest

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/store"
)

// TestKilledExport kills exports with SIGKILL at random moments, each run over the folder the one before left:
// every file under a final name (*.parquet, athena.sql) is whole after each kill, each export cleans up the
// stopped one before it, and the one that finishes holds exactly the rows of a clean export. Twice as many kills
// as -crash-trials (an export is quicker than a load).
func TestKilledExport(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	logs := t.TempDir()
	makeLogs(t, logs)
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	if b, err := child(context.Background(), "load", "--source", logs, "--store", storePath).CombinedOutput(); err != nil {
		t.Fatalf("load: %v: %s", err, b)
	}
	st, err := store.Open(context.Background(), storePath, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	// A clean export: what every export must end as, and how long one takes (when to kill).
	clean := filepath.Join(t.TempDir(), "clean")
	start := time.Now()
	if b, err := child(context.Background(), "export", "--store", storePath, "--out", clean).CombinedOutput(); err != nil {
		t.Fatalf("export: %v: %s", err, b)
	}
	took := time.Since(start)
	ddl, err := os.ReadFile(filepath.Join(clean, "athena.sql"))
	if err != nil {
		t.Fatal(err)
	}
	want := fingerprint(t, st, clean)
	if !strings.HasPrefix(want, fmt.Sprintf("%d rows, %d ids", files*recordsPerFile, files*recordsPerFile)) {
		t.Fatalf("the clean export: %s; want %d rows, all distinct", want, files*recordsPerFile)
	}

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 8))
	states := map[string]int{}
	out := filepath.Join(t.TempDir(), "out")
	for trial := range 2 * *trials {
		cmd := child(context.Background(), "export", "--store", storePath, "--out", out)
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		delay := time.Duration(rng.Int64N(int64(took)))
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		if err := cmd.Wait(); err != nil && !strings.Contains(err.Error(), "killed") {
			t.Fatalf("trial %d: export over the folder the last kill left: %v: %s", trial, err, errOut.String())
		}

		// Every final name holds a whole file, read in full (every column of every row).
		var parquet []string
		filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".parquet") {
				parquet = append(parquet, path)
			}
			return nil
		})
		for _, p := range parquet {
			rows, err := st.Query(context.Background(), `SELECT count(*), sum(hash(t)) FROM read_parquet('`+p+`') t`)
			if err == nil {
				rows.Next()
				if _, err = rows.Values(); err == nil {
					err = rows.Err()
				}
				rows.Close()
			}
			if err != nil {
				t.Errorf("trial %d (killed after %v): %s is not a whole Parquet file: %v", trial, delay, p, err)
			}
		}
		if b, err := os.ReadFile(filepath.Join(out, "athena.sql")); err == nil && string(b) != string(ddl) {
			t.Errorf("trial %d (killed after %v): athena.sql is not whole (%d bytes of %d)", trial, delay, len(b), len(ddl))
		}
		entries, _ := os.ReadDir(out)
		_, err := os.Stat(filepath.Join(out, ".trailq-export-unfinished"))
		unfinished := err == nil
		_, err = os.Stat(filepath.Join(out, "athena.sql"))
		hasDDL := err == nil
		var state string
		switch {
		case len(entries) == 0:
			state = "before any file was made"
		case unfinished && len(parquet) == 0:
			state = "unfinished, no file in place"
		case unfinished:
			state = "unfinished, some files in place"
		case hasDDL:
			state = "done"
		default:
			state = "neither finished nor marked unfinished"
			t.Errorf("trial %d (killed after %v): %s holds %d Parquet files, no athena.sql and no staging folder: the next export cannot tell it from a finished one",
				trial, delay, out, len(parquet))
		}
		states[state]++
		if state == "done" {
			// Finished before the kill: it is a clean export (another export into it would be refused).
			if got := fingerprint(t, st, out); got != want {
				t.Errorf("trial %d (killed after %v, done): %s; want %s", trial, delay, got, want)
			}
			out = filepath.Join(t.TempDir(), "out")
		}
		if t.Failed() {
			t.Fatalf("trial %d failed (killed after %v, %s)", trial, delay, state)
		}
	}
	// Run to the end over what the last kill left, the export is a clean one.
	if b, err := child(context.Background(), "export", "--store", storePath, "--out", out).CombinedOutput(); err != nil {
		t.Fatalf("export again after the kills: %v: %s", err, b)
	}
	if got := fingerprint(t, st, out); got != want {
		t.Errorf("the export run again after the kills: %s; want %s", got, want)
	}
	if _, err := os.Stat(filepath.Join(out, ".trailq-export-unfinished")); err == nil {
		t.Error("the finished export still has its staging folder")
	}
	t.Logf("an export takes %v; killed: %v", took.Round(time.Millisecond), states)
}

// fingerprint says what the export under dir holds: its rows, distinct event IDs, and a sum of the hashes of
// its rows (partition values included), which any row missing, added twice or changed alters.
func fingerprint(t *testing.T, st *store.Store, dir string) string {
	t.Helper()
	rows, err := st.Query(context.Background(), `SELECT count(*), count(DISTINCT eventid), sum(hash(t))::VARCHAR
		FROM read_parquet('`+dir+`/**/*.parquet', hive_partitioning = true, hive_types_autocast = false) t`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	rows.Next()
	v, err := rows.Values()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%v rows, %v ids, hash sum %v", v...)
}
