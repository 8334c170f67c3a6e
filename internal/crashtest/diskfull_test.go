package crashtest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDiskFull loads into a store on a 1 MiB file system: the load fails with a message that says what to do,
// and the store stays consistent (it opens, and holds exactly what its manifest says).
func TestDiskFull(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small file system here (needs root): %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", mnt).Run() })
	dir := t.TempDir()
	makeLogs(t, dir)
	storePath := filepath.Join(mnt, "s.duckdb")
	var errOut bytes.Buffer
	ld := child(context.Background(), "load", "--source", dir, "--store", storePath)
	ld.Stderr = &errOut
	err := ld.Run()
	if err == nil {
		t.Fatal("a load of 90,000 records into 1 MiB succeeded")
	}
	// DuckDB says "No space left on device", Go's os package "no space left on device".
	for _, want := range []string{"no space left on device", "try: free space on the disk", "load stopped:"} {
		if !strings.Contains(strings.ToLower(errOut.String()), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
		}
	}
	if _, err := os.Stat(storePath); err != nil {
		return // nothing could be written at all: nothing to check
	}
	var out bytes.Buffer
	q := child(context.Background(), "query", "--store", storePath, "--format", "csv",
		"SELECT count(*) = coalesce((SELECT sum(records) FROM trailq_objects), 0) AS consistent FROM cloudtrail_logs")
	q.Stdout, q.Stderr = &out, &errOut
	if err := q.Run(); err != nil {
		t.Fatalf("the store does not open after the failed load: %v: %s", err, errOut.String())
	}
	if got := strings.TrimSpace(out.String()); got != "consistent\ntrue" {
		t.Errorf("rows vs manifest: %q", got)
	}
}
