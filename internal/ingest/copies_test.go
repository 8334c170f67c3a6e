package ingest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/store"
)

// Two trails log one global event: the same record in two files is stored once, under one of them. These tests
// change or remove either file and check the event is kept exactly as long as a loaded file holds it.

const (
	copyKeyA = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/09/01/111122223333_CloudTrail_us-east-1_20240901T0000Z_a.json.gz"
	copyKeyB = "AWSLogs/o-abc/111122223333/CloudTrail/us-east-1/2024/09/01/111122223333_CloudTrail_us-east-1_20240901T0000Z_b.json.gz"
)

var (
	rootSignIn = rec("E1", "2024-09-01T00:10:00Z", "ConsoleLogin")
	onlyInA    = rec("E2", "2024-09-01T00:20:00Z", "ConsoleLogin")
	onlyInB    = rec("E3", "2024-09-01T00:30:00Z", "ConsoleLogin")
)

// copiesStore loads A (E1, E2) and B (E1, E3) into a new store and returns the folder and the store's path, the
// key of the file E1 is stored under and the other's (which one is up to the load's workers), and their own
// events.
func copiesStore(t *testing.T) (dir, storePath string, stored, other copyFile) {
	t.Helper()
	dir = t.TempDir()
	storePath = filepath.Join(t.TempDir(), "s.duckdb")
	writeLog(t, dir, copyKeyA, rootSignIn, onlyInA)
	writeLog(t, dir, copyKeyB, rootSignIn, onlyInB)
	rep := load(t, dir, storePath, ingest.Options{})
	if rep.Inserted != 3 || rep.Duplicates != 1 {
		t.Fatalf("first load: %d rows inserted, %d duplicates; want 3 and 1", rep.Inserted, rep.Duplicates)
	}
	a, b := copyFile{copyKeyA, onlyInA, "E2"}, copyFile{copyKeyB, onlyInB, "E3"}
	ev, _ := where(t, storePath, "E1")
	if len(ev) != 1 {
		t.Fatalf("E1 stored under %v after the first load, want one file", ev)
	}
	if ev[0] == filepath.Base(copyKeyB) {
		a, b = b, a
	}
	return dir, storePath, a, b
}

// copyFile is one of the two files: its key and the event only it holds.
type copyFile struct{ key, own, ownID string }

// rewrite writes key again with records and moves its time on, so that the next load sees it changed.
func rewrite(t *testing.T, dir, key string, records ...string) {
	t.Helper()
	writeLog(t, dir, key, records...)
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dir, filepath.FromSlash(key)), later, later); err != nil {
		t.Fatal(err)
	}
}

// where returns the files holding each stored copy of the event, from the events table and the sign-in table.
func where(t *testing.T, storePath, id string) (events, signIns []string) {
	t.Helper()
	st := openStore(t, storePath, true)
	defer st.Close()
	for _, r := range queryStrings(t, st, `SELECT _path FROM `+store.EventsTable+` WHERE eventid = '`+id+`' ORDER BY 1`) {
		events = append(events, filepath.Base(r[0]))
	}
	for _, r := range queryStrings(t, st, `SELECT eventid FROM `+store.SignInsView+` WHERE eventid = '`+id+`'`) {
		signIns = append(signIns, r[0])
	}
	return events, signIns
}

func TestAnEventSurvivesWhileAFileHoldsIt(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, dir string, stored, other copyFile)
		// holder says which file holds the stored copy of E1 afterwards: "stored", "other" or "" (none)
		holder  string
		refills int
	}{
		{"the file of the stored copy is rewritten without it", func(t *testing.T, dir string, stored, other copyFile) {
			rewrite(t, dir, stored.key, stored.own)
		}, "other", 1},
		{"the file of the stored copy is removed", func(t *testing.T, dir string, stored, other copyFile) {
			// A removed file's events stay in the store (evidence): E1 stays where it is.
			os.Remove(filepath.Join(dir, filepath.FromSlash(stored.key)))
		}, "stored", 0},
		{"the other file is rewritten without it", func(t *testing.T, dir string, stored, other copyFile) {
			rewrite(t, dir, other.key, other.own)
		}, "stored", 0},
		{"the file of the stored copy is rewritten with it", func(t *testing.T, dir string, stored, other copyFile) {
			rewrite(t, dir, stored.key, stored.own, rootSignIn)
		}, "stored", 0},
		{"both files are rewritten without it", func(t *testing.T, dir string, stored, other copyFile) {
			rewrite(t, dir, stored.key, stored.own)
			rewrite(t, dir, other.key, other.own)
		}, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, storePath, stored, other := copiesStore(t)
			tc.change(t, dir, stored, other)
			rep := load(t, dir, storePath, ingest.Options{})
			if rep.Refilled != tc.refills {
				t.Errorf("%d files read again for copies, want %d", rep.Refilled, tc.refills)
			}
			var want []string
			switch tc.holder {
			case "stored":
				want = []string{filepath.Base(stored.key)}
			case "other":
				want = []string{filepath.Base(other.key)}
			}
			events, signIns := where(t, storePath, "E1")
			if strings.Join(events, ",") != strings.Join(want, ",") {
				t.Errorf("E1 stored under %v, want %v", events, want)
			}
			if len(signIns) != len(want) {
				t.Errorf("E1 in the sign-in table %d times, want %d", len(signIns), len(want))
			}
			for _, id := range []string{"E2", "E3"} {
				if ev, _ := where(t, storePath, id); len(ev) != 1 {
					t.Errorf("%s stored %d times, want once", id, len(ev))
				}
			}
			// Nothing is left to do: a third load reads nothing and changes nothing.
			if rep := load(t, dir, storePath, ingest.Options{}); rep.Loaded != 0 || rep.Refilled != 0 || rep.Inserted != 0 {
				t.Errorf("third load read %d files, %d again, inserted %d rows; want none", rep.Loaded, rep.Refilled, rep.Inserted)
			}
		})
	}
}

// A load stopped after it removed the stored copy, before it read the other file again: the next load, with
// nothing new to read, finishes the work.
func TestAStoppedRefillIsFinishedByTheNextLoad(t *testing.T) {
	ctx := context.Background()
	dir, storePath, stored, other := copiesStore(t)
	st, err := store.Open(ctx, storePath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ld, err := st.BeginLoad(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A new version of the stored copy's file, cut short, replaces the old: its rows (E1's stored copy with them)
	// are removed.
	info, err := os.Stat(filepath.Join(dir, filepath.FromSlash(stored.key)))
	if err != nil {
		t.Fatal(err)
	}
	rewrite(t, dir, stored.key, stored.own)
	f := &store.File{Key: stored.key, Path: stored.key, Parsed: cloudtrail.ParseKey(stored.key), Size: info.Size(),
		Version: "stopped", Replaces: true, Final: true, Err: os.ErrDeadlineExceeded}
	if err := ld.Add(ctx, f); err != nil {
		t.Fatal(err)
	}
	if _, err := ld.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	ld.Close() // stopped: Refills never called
	pending, err := st.RefillPending(ctx)
	st.Close()
	if err != nil || !pending {
		t.Fatalf("a refill is pending: %v (%v), want true", pending, err)
	}
	if ev, _ := where(t, storePath, "E1"); len(ev) != 0 {
		t.Fatalf("E1 stored %v after the stopped load, want nowhere (the test needs the copy gone)", ev)
	}
	rep := load(t, dir, storePath, ingest.Options{})
	if rep.Refilled != 1 {
		t.Errorf("%d files read again, want 1 (%s)", rep.Refilled, other.key)
	}
	if ev, si := where(t, storePath, "E1"); len(ev) != 1 || ev[0] != filepath.Base(other.key) || len(si) != 1 {
		t.Errorf("E1 stored under %v, %d sign-in rows; want once under %s", ev, len(si), other.key)
	}
	st = openStore(t, storePath, true)
	if pending, err := st.RefillPending(ctx); err != nil || pending {
		t.Errorf("refill still pending after the load: %v (%v)", pending, err)
	}
}

// The file holding the other copy cannot be read again: the load names it and says what is missing.
func TestARefillThatCannotReadIsNamed(t *testing.T) {
	dir, storePath, stored, other := copiesStore(t)
	rewrite(t, dir, stored.key, stored.own)
	os.Remove(filepath.Join(dir, filepath.FromSlash(other.key)))
	rep := load(t, dir, storePath, ingest.Options{})
	var named *ingest.FileReport
	for i := range rep.Files {
		if rep.Files[i].Key == other.key {
			named = &rep.Files[i]
		}
	}
	if named == nil || named.Outcome != ingest.OutcomeRefillFailed || !strings.Contains(named.Detail, "missing") {
		t.Fatalf("report files %+v: want %s named %q with what is missing", rep.Files, other.key, ingest.OutcomeRefillFailed)
	}
	if ev, _ := where(t, storePath, other.ownID); len(ev) != 1 {
		t.Errorf("%s (the removed file's own event) stored %d times, want once: its rows stay", other.ownID, len(ev))
	}
}
