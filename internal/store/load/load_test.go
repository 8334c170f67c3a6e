package load_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/store"
)

const key = "AWSLogs/111111111111/CloudTrail/us-east-1/2024/09/01/111111111111_CloudTrail_us-east-1_20240901T0000Z_a.json.gz"

// records decodes one record of each event ID given, in order: records of the same ID are identical.
func records(t *testing.T, ids ...string) []*cloudtrail.Record {
	t.Helper()
	dec := cloudtrail.NewDecoder()
	var out []*cloudtrail.Record
	for i, id := range ids {
		raw := fmt.Sprintf(`{"eventVersion":"1.08","eventTime":"2024-09-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","eventID":%q,"recipientAccountId":"111111111111"}`, id)
		r, _, err := dec.DecodeRecord([]byte(raw), i)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func file(t *testing.T, key, version string, final bool, ids ...string) *store.File {
	return &store.File{Key: key, Path: "s3://bucket/" + key, Parsed: cloudtrail.ParseKey(key), Size: 100, Version: version,
		Records: records(t, ids...), Final: final}
}

// count runs a query of one number on st.
func count(t *testing.T, st *store.Store, q string) int64 {
	t.Helper()
	rows, err := st.Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if !rows.Next() {
		t.Fatalf("%s: no row (%v)", q, rows.Err())
	}
	v, err := rows.Values()
	if err != nil {
		t.Fatal(err)
	}
	n, _ := v[0].(int64)
	return n
}

func open(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "s.duckdb"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func begin(t *testing.T, st *store.Store) *store.Load {
	t.Helper()
	ld, err := st.BeginLoad(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ld
}

// TestCommitStoresOnceAndCloseRollsBack: a commit stores an identical record once and records its copy; a load
// closed before its commit leaves the store as the commit left it, with no part file beside the listed ones.
func TestCommitStoresOnceAndCloseRollsBack(t *testing.T) {
	ctx := context.Background()
	st := open(t)
	ld := begin(t, st)
	if err := ld.Add(ctx, file(t, key, "v1", true, "a", "b", "a")); err != nil {
		t.Fatal(err)
	}
	stats, err := ld.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.CommitStats{Files: 1, Records: 3, Inserted: 2, Duplicates: 1}); stats != want {
		t.Errorf("commit: %+v, want %+v", stats, want)
	}
	other := key[:len(key)-len("a.json.gz")] + "b.json.gz"
	if err := ld.Add(ctx, file(t, other, "v1", true, "c", "d")); err != nil {
		t.Fatal(err)
	}
	if err := ld.Close(); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]int64{
		`SELECT count(*) FROM cloudtrail_logs`:                                    2,
		`SELECT count(*) FROM trailq_duplicates`:                                  1,
		`SELECT count(*) FROM trailq_objects WHERE outcome = 'loaded'`:            1,
		`SELECT count(*) FROM trailq_objects`:                                     1,
		`SELECT count(*) FROM cloudtrail_logs WHERE eventid IN ('c', 'd')`:        0,
		`SELECT count(*) FROM trailq_parts`:                                       1,
		`SELECT count(*) FROM cloudtrail_logs WHERE region = 'us-east-1'`:         2,
		`SELECT count(*) FROM cloudtrail_logs WHERE year = '2024' AND day = '01'`: 2,
	} {
		if got := count(t, st, q); got != want {
			t.Errorf("%s = %d, want %d", q, got, want)
		}
	}
	files, _ := filepath.Glob(filepath.Join(store.PartsDir(st.Path()), "*.parquet"))
	if len(files) != 1 {
		t.Errorf("part files %v; want only the one committed", files)
	}
}

// TestChunkedObjectIsLoadingUntilItsLastChunk: an object whose first chunk was committed is marked loading (the
// manifest gives it no version, so a later load reads it again) until its last chunk's commit.
func TestChunkedObjectIsLoadingUntilItsLastChunk(t *testing.T) {
	ctx := context.Background()
	st := open(t)
	ld := begin(t, st)
	defer ld.Close()
	if err := ld.Add(ctx, file(t, key, "v1", false, "a", "b")); err != nil {
		t.Fatal(err)
	}
	if _, err := ld.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	loaded, err := st.Loaded(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := loaded[key]; !ok || v != "" {
		t.Errorf("after the first chunk: version %q (listed %v), want \"\" (loading)", v, ok)
	}
	if err := ld.Add(ctx, file(t, key, "v1", true, "c")); err != nil {
		t.Fatal(err)
	}
	if _, err := ld.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if loaded, err = st.Loaded(ctx); err != nil || loaded[key] != "v1" {
		t.Errorf("after the last chunk: version %q (%v), want v1", loaded[key], err)
	}
	if got := count(t, st, `SELECT count(*) FROM trailq_objects WHERE outcome = 'loaded' AND records = 3`); got != 1 {
		t.Errorf("manifest rows of the finished object: %d, want 1 (loaded, 3 records)", got)
	}
}

// TestReplacedObjectLosesItsRows: a new version of an object replaces the rows of the earlier one, which its part
// file is rewritten without.
func TestReplacedObjectLosesItsRows(t *testing.T) {
	ctx := context.Background()
	st := open(t)
	ld := begin(t, st)
	defer ld.Close()
	if err := ld.Add(ctx, file(t, key, "v1", true, "a", "b")); err != nil {
		t.Fatal(err)
	}
	if _, err := ld.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	f := file(t, key, "v2", true, "b", "c")
	f.Replaces = true
	if err := ld.Add(ctx, f); err != nil {
		t.Fatal(err)
	}
	if _, err := ld.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]int64{
		`SELECT count(*) FROM cloudtrail_logs`:                     2,
		`SELECT count(*) FROM cloudtrail_logs WHERE eventid = 'a'`: 0,
		`SELECT count(*) FROM trailq_objects`:                      1,
		`SELECT count(*) FROM trailq_objects WHERE version = 'v2'`: 1,
		`SELECT count(DISTINCT _file_id) FROM cloudtrail_events`:   1,
	} {
		if got := count(t, st, q); got != want {
			t.Errorf("%s = %d, want %d", q, got, want)
		}
	}
}
