package ingest_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/gen"
	"github.com/trailq/trailq/internal/ingest"
)

// A one-day window on a year of logs reads only that day's objects: counted against the files on disk.
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
	regions, _ := filepath.Glob(filepath.Join(dir, "AWSLogs", "*", "CloudTrail", "*"))
	rep := load(t, dir, filepath.Join(t.TempDir(), "s.duckdb"), ingest.Options{Window: &ingest.Window{From: day, To: day}})
	if rep.Listed != len(onDay) || rep.Loaded != len(onDay) {
		t.Errorf("listed %d and read %d objects of %d in the tree; want the %d filed under %s", rep.Listed, rep.Loaded,
			sum.Objects, len(onDay), day.Format(time.DateOnly))
	}
	if rep.ListedPrefixes != len(regions) {
		t.Errorf("listed %d folders, want one day folder for each of the %d trails", rep.ListedPrefixes, len(regions))
	}
}
