package ingest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/source/local"
	"github.com/trailq/trailq/internal/store"
)

// partFiles returns the part files on disk and those the store lists.
func partFiles(t *testing.T, storePath string) (onDisk, listed []string) {
	t.Helper()
	entries, _ := os.ReadDir(store.PartsDir(storePath))
	for _, e := range entries {
		onDisk = append(onDisk, e.Name())
	}
	st, err := store.Open(context.Background(), storePath, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, r := range queryStrings(t, st, `SELECT name FROM trailq_parts ORDER BY name`) {
		listed = append(listed, r[0])
	}
	return onDisk, listed
}

// Every part file on disk is listed by the store and the other way round, after loads, a replaced file, and a
// stray file left by a load killed before its commit.
func TestPartFilesMatchTheList(t *testing.T) {
	dir := t.TempDir()
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	key := logKey("111122223333", "us-east-1", "2024/09/01", "20240901T0005Z", "a")
	writeLog(t, dir, key, rec("e1", "2024-09-01T00:01:00Z", "ConsoleLogin"), rec("e2", "2024-09-01T00:02:00Z", "GetObject"))
	writeLog(t, dir, logKey("111122223333", "us-east-1", "2024/09/01", "20240901T0010Z", "b"), rec("e3", "2024-09-01T00:06:00Z", "GetObject"))
	load(t, dir, storePath, ingest.Options{})
	onDisk, listed := partFiles(t, storePath)
	if len(listed) != 1 || !slices.Equal(onDisk, listed) {
		t.Fatalf("after the first load: files %v, listed %v; want the same one", onDisk, listed)
	}
	first := listed[0]

	// A stray file, as a killed load leaves it; and a changed object, whose rows live in the first part.
	os.WriteFile(filepath.Join(store.PartsDir(storePath), "part-stray.parquet"), []byte("PAR1"), 0o600)
	writeLog(t, dir, key, rec("e1", "2024-09-01T00:01:00Z", "ConsoleLogin"), rec("e2b", "2024-09-01T00:02:00Z", "GetObject"))
	load(t, dir, storePath, ingest.Options{})
	onDisk, listed = partFiles(t, storePath)
	if !slices.Equal(onDisk, listed) || slices.Contains(listed, first) || len(listed) != 2 {
		t.Errorf("after a replacement: files %v, listed %v; want the same two, without %s (rewritten) and the stray file", onDisk, listed, first)
	}
	st := openStore(t, storePath, true)
	got := queryStrings(t, st, `SELECT string_agg(eventid, ',' ORDER BY eventid) FROM cloudtrail_logs`)[0][0]
	if got != "e1,e2b,e3" {
		t.Errorf("events after the replacement: %s, want e1,e2b,e3", got)
	}
	checkSignIns(t, st, 1)
	checkPartTypes(t, storePath)
}

// The part files have exactly the native table's column types, so that the events view is one table to DuckDB.
func TestPartFilesHaveTheTableTypes(t *testing.T) {
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	load(t, realDir, storePath, ingest.Options{})
	checkPartTypes(t, storePath)
}

// checkPartTypes checks the column types of every part file the store lists (written by Go, or by DuckDB when
// parts are rewritten or merged) against the native table's.
func checkPartTypes(t *testing.T, storePath string) {
	t.Helper()
	_, listed := partFiles(t, storePath)
	if len(listed) == 0 {
		t.Fatal("no part file")
	}
	st, err := store.Open(context.Background(), storePath, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	types := func(q string) string {
		var b strings.Builder
		for _, r := range queryStrings(t, st, `SELECT column_name, column_type FROM (DESCRIBE `+q+`)`) {
			b.WriteString(r[0] + " " + r[1] + "\n")
		}
		return b.String()
	}
	native := types(`SELECT * FROM trailq_native_events`)
	paths := make([]string, len(listed))
	for i, name := range listed {
		paths[i] = "'" + filepath.Join(store.PartsDir(storePath), name) + "'"
		if part := types(`SELECT * FROM read_parquet(` + paths[i] + `)`); part != native {
			t.Errorf("part file %s columns:\n%s\nnative table columns:\n%s", name, part, native)
		}
	}
	// trailq_part_files says exactly which objects have rows in which part (the repair of a lost part needs it).
	inFiles := `SELECT DISTINCT parse_filename(filename) AS part, _file_id AS file_id FROM read_parquet([` + strings.Join(paths, ", ") + `], filename = true)`
	recorded := `SELECT DISTINCT part, file_id FROM trailq_part_files`
	n := queryStrings(t, st, `SELECT (SELECT count(*) FROM (`+inFiles+` EXCEPT `+recorded+`)), (SELECT count(*) FROM (`+recorded+` EXCEPT `+inFiles+`))`)[0]
	if n[0] != "0" || n[1] != "0" {
		t.Errorf("trailq_part_files: %s (part, object) pairs in the files but not recorded, %s recorded but not in the files", n[0], n[1])
	}
}

// A store and its parts folder moved elsewhere still answer: read-only through a temporary view, and its view is
// rewritten when it is next opened for writing.
func TestMovedStore(t *testing.T) {
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	load(t, realDir, storePath, ingest.Options{})
	count := func(path string, sandbox bool) string {
		st, err := store.Open(context.Background(), path, store.Options{ReadOnly: true, Sandbox: sandbox})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		return queryStrings(t, st, `SELECT count(*) FROM cloudtrail_logs`)[0][0]
	}
	want := count(storePath, true)
	moved := filepath.Join(t.TempDir(), "moved.duckdb")
	if err := os.Rename(storePath, moved); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(store.PartsDir(storePath), store.PartsDir(moved)); err != nil {
		t.Fatal(err)
	}
	for _, sandbox := range []bool{false, true} {
		if got := count(moved, sandbox); got != want {
			t.Errorf("moved store, read-only (sandbox %v): %s rows, want %s", sandbox, got, want)
		}
	}
	rep := load(t, realDir, moved, ingest.Options{})
	if rep.Loaded != 0 {
		t.Errorf("the moved store read %d files again", rep.Loaded)
	}
	if got := count(moved, true); got != want {
		t.Errorf("moved store after a load: %s rows, want %s", got, want)
	}
}

// A store written before part files (events in a table of the store file) keeps its rows, and takes new ones in
// part files, once it is opened for writing.
func TestOlderStoreWithoutParts(t *testing.T) {
	dir := t.TempDir()
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	writeLog(t, dir, logKey("111122223333", "us-east-1", "2024/09/01", "20240901T0005Z", "a"),
		rec("e1", "2024-09-01T00:01:00Z", "ConsoleLogin"), rec("e2", "2024-09-01T00:02:00Z", "GetObject"))
	load(t, dir, storePath, ingest.Options{})
	// Turn it into the earlier layout: the rows in a table named cloudtrail_events, no part list.
	st, err := store.Open(context.Background(), storePath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE old_events AS SELECT * FROM cloudtrail_events`,
		`DROP VIEW cloudtrail_events`,
		`DROP TABLE trailq_native_events`,
		`ALTER TABLE old_events RENAME TO cloudtrail_events`,
		`DROP TABLE trailq_parts`,
		`DROP TABLE trailq_part_files`,
	} {
		if err := st.Exec(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	st.Close()
	os.RemoveAll(store.PartsDir(storePath))
	ro := openStore(t, storePath, true)
	if got := queryStrings(t, ro, `SELECT count(*) FROM cloudtrail_logs`)[0][0]; got != "2" {
		t.Errorf("older store, read-only: %s rows, want 2", got)
	}
	ro.Close()
	if told := openForWriting(t, storePath); len(told) != 1 || !strings.Contains(told[0], "moving its 2 events into a Parquet file") {
		t.Errorf("upgrade messages %q, want one about moving 2 events", told)
	}
	if onDisk, listed := partFiles(t, storePath); len(listed) != 1 || !slices.Equal(onDisk, listed) {
		t.Errorf("after the upgrade: part files %v, listed %v; want the same one", onDisk, listed)
	}
	checkPartTypes(t, storePath)

	writeLog(t, dir, logKey("111122223333", "us-east-1", "2024/09/01", "20240901T0010Z", "b"), rec("e3", "2024-09-01T00:06:00Z", "ConsoleLogin"))
	writeLog(t, dir, logKey("111122223333", "us-east-1", "2024/09/01", "20240901T0005Z", "a"), rec("e1", "2024-09-01T00:01:00Z", "ConsoleLogin"))
	rep := load(t, dir, storePath, ingest.Options{})
	if rep.Loaded != 2 {
		t.Errorf("loaded %d files, want 2 (a new one, a changed one)", rep.Loaded)
	}
	st2 := openStore(t, storePath, true)
	got := queryStrings(t, st2, `SELECT string_agg(eventid, ',' ORDER BY eventid) FROM cloudtrail_logs`)[0][0]
	if got != "e1,e3" {
		t.Errorf("events after upgrade and load: %s, want e1,e3", got)
	}
	if n := queryStrings(t, st2, `SELECT count(*) FROM trailq_native_events`)[0][0]; n != "0" {
		t.Errorf("the replaced file's rows are still in the native table (%s rows)", n)
	}
	checkSignIns(t, st2, 2)
}

// Many small commits (as scheduled loads of a few new files make) do not pile up part files: small parts are
// merged, and every row is still there once.
func TestSmallPartsAreMerged(t *testing.T) {
	dir := t.TempDir()
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	const files = 40
	for i := range files {
		writeLog(t, dir, logKey("111122223333", "us-east-1", "2024/09/01", fmt.Sprintf("20240901T%02d%02dZ", i/12, i%12*5), "a"),
			rec(fmt.Sprintf("e%02d", i), "2024-09-01T00:01:00Z", "ConsoleLogin"))
		if i%10 == 9 {
			load(t, dir, storePath, ingest.Options{BatchRecords: 1})
		}
	}
	onDisk, listed := partFiles(t, storePath)
	if !slices.Equal(onDisk, listed) || len(listed) >= 16 {
		t.Errorf("after %d one-record commits: files %v, listed %v; want the same, fewer than 16", files, onDisk, listed)
	}
	st := openStore(t, storePath, true)
	got := queryStrings(t, st, `SELECT count(*), count(DISTINCT eventid) FROM cloudtrail_logs`)[0]
	if got[0] != fmt.Sprint(files) || got[1] != fmt.Sprint(files) {
		t.Errorf("rows, distinct events = %v, want %d each", got, files)
	}
	checkSignIns(t, st, files)
	checkPartTypes(t, storePath)
}

// A part file that is lost or damaged makes a read-only open fail, naming the parts and the fix; the next load reads again the objects whose
// events it held, and the store is whole again.
func TestLostPartIsRepaired(t *testing.T) {
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	rep := load(t, realDir, storePath, ingest.Options{BatchRecords: 100})
	_, listed := partFiles(t, storePath)
	if len(listed) < 3 {
		t.Fatalf("%d part files, want at least 3 for this test", len(listed))
	}
	count := func() (string, error) {
		st, err := store.Open(context.Background(), storePath, store.Options{ReadOnly: true, Sandbox: true})
		if err != nil {
			return "", err
		}
		defer st.Close()
		rows, err := st.Query(context.Background(), `SELECT count(*) FROM cloudtrail_logs`)
		if err != nil {
			return "", err
		}
		defer rows.Close()
		rows.Next()
		v, err := rows.Values()
		return fmt.Sprint(v[0]), err
	}
	want, err := count()
	if err != nil || want != fmt.Sprint(rep.Inserted) {
		t.Fatalf("before: %s rows (%v), want %d", want, err, rep.Inserted)
	}
	os.Remove(filepath.Join(store.PartsDir(storePath), listed[0]))
	os.WriteFile(filepath.Join(store.PartsDir(storePath), listed[2]), []byte("PAR1 not what it was"), 0o600)
	if _, err := count(); err == nil || !strings.Contains(err.Error(), "2 damaged part files") || !strings.Contains(err.Error(), "trailq load") {
		t.Errorf("query over a lost part: %v, want an error with the fix", err)
	}

	var told []string
	st, err := store.Open(context.Background(), storePath, store.Options{Notify: func(m string) { told = append(told, m) }})
	if err != nil {
		t.Fatal(err)
	}
	src, err := local.New(realDir)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ingest.Run(context.Background(), src, st, ingest.Options{})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(told) != 1 || !strings.Contains(told[0], "2 part files are missing or damaged") {
		t.Errorf("messages %q, want one about 2 damaged part files", told)
	}
	if again.Loaded == 0 {
		t.Error("the repair load read no file again")
	}
	if got, err := count(); err != nil || got != want {
		t.Errorf("after the repair: %s rows (%v), want %s", got, err, want)
	}
	onDisk, listed := partFiles(t, storePath)
	if !slices.Equal(onDisk, listed) {
		t.Errorf("after the repair: files %v, listed %v", onDisk, listed)
	}
	checkSignIns(t, openStore(t, storePath, true), 50)
	checkPartTypes(t, storePath)
}
