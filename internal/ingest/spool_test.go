package ingest_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/source/local"
)

// TestSpoolKeepsWhatWasReadToTheEnd: an object read to its end through the spool is read again from its copy
// (here after the original is gone), one read only in part is read again from the source.
func TestSpoolKeepsWhatWasReadToTheEnd(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, n := range []string{"whole.json", "part.json"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(`{"Records":[{"eventID":"`+n+`"}]}`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	spool := ingest.NewSpool(src, filepath.Join(t.TempDir(), "spool"))
	rc, err := spool.Open(ctx, "whole.json")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := io.ReadAll(rc)
	rc.Close()
	rc, err = spool.Open(ctx, "part.json")
	if err != nil {
		t.Fatal(err)
	}
	rc.Read(make([]byte, 5))
	rc.Close()
	for _, n := range []string{"whole.json", "part.json"} {
		os.Remove(filepath.Join(dir, n))
	}
	replay := spool.Replay()
	rc, err = replay.Open(ctx, "whole.json")
	if err != nil {
		t.Fatalf("the copy of an object read whole: %v", err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != string(want) {
		t.Errorf("the copy reads %q, want %q", got, want)
	}
	if _, err := replay.Open(ctx, "part.json"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("an object read in part was kept (err %v): the load must fetch it again", err)
	}
	if replay.String() != src.String() {
		t.Errorf("the replay names itself %q, want the source's %q", replay.String(), src.String())
	}
}
