package parts_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailq/trailq/internal/store"
	"github.com/trailq/trailq/internal/store/storetest"
)

// TestLostEventsAreSaidUntilReadAgain: the parts are lost and one log file is gone from its source too. The
// repair reads the sample again; the gone file's events are missing, and every answer says so, until a load
// reads that file again.
func TestLostEventsAreSaidUntilReadAgain(t *testing.T) {
	path := storetest.LoadedStore(t)
	extra := storetest.ExtraLog(t)
	storetest.LoadInto(t, path, extra)
	if w := storetest.Warnings(t, path); len(w) != 0 {
		t.Fatalf("warnings of an intact store: %q", w)
	}
	parts, _ := filepath.Glob(filepath.Join(store.PartsDir(path), "part-*.parquet"))
	for _, p := range parts {
		os.Remove(p)
	}
	saved := t.TempDir()
	if err := os.Rename(extra, filepath.Join(saved, "AWSLogs")); err != nil {
		t.Fatal(err)
	}
	if notes := storetest.LoadInto(t, path, storetest.SampleDir()); !strings.Contains(notes, "Repairing") {
		t.Fatalf("no repair said: %q", notes)
	}
	w := storetest.Warnings(t, path)
	if len(w) != 1 || !strings.Contains(w[0], "1 log file (1 records") || !strings.Contains(w[0], "_extra.json") {
		t.Fatalf("warnings after the repair: %q; want one naming the extra log file and its 1 record", w)
	}
	st, err := store.Open(context.Background(), path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	lost, err := st.Lost(context.Background())
	st.Close()
	if err != nil || len(lost) != 1 || !strings.Contains(lost[0].Reason, "part-") {
		t.Errorf("Lost: %+v, %v; want the extra file with the part's problem", lost, err)
	}
	storetest.LoadInto(t, path, filepath.Join(saved, "AWSLogs"))
	if w := storetest.Warnings(t, path); len(w) != 0 {
		t.Errorf("warnings once the file was read again: %q", w)
	}
}
