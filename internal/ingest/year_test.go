package ingest_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/gen"
	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/timewin"
)

// A one-day window on a year of logs reads only that day's objects: counted against the files on disk. (Over S3
// only that day's folders are listed too: see package s3's tests.)
func TestOneDayOfAYear(t *testing.T) {
	dir := t.TempDir()
	p, err := gen.NewPlan(gen.Options{Records: 5000, Days: 365, Accounts: 1, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := gen.Generate(context.Background(), p, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	day := gen.DefaultStart.AddDate(0, 0, 200) // 2025-03-20
	onDay, err := filepath.Glob(filepath.Join(dir, "AWSLogs", "*", "CloudTrail", "*", day.Format("2006/01/02"), "*.json.gz"))
	if err != nil || len(onDay) == 0 {
		t.Fatalf("no files for %s (%v)", day.Format(time.DateOnly), err)
	}
	rep := load(t, dir, filepath.Join(t.TempDir(), "s.duckdb"), ingest.Options{Window: &timewin.Days{From: day, To: day}})
	if rep.Loaded != len(onDay) || rep.Outside != sum.Objects-len(onDay) {
		t.Errorf("read %d objects and left %d out, of %d in the tree; want the %d filed under %s read", rep.Loaded,
			rep.Outside, sum.Objects, len(onDay), day.Format(time.DateOnly))
	}
}
