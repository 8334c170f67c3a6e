package ingest

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/trailq/trailq/internal/progress"
	"github.com/trailq/trailq/internal/source/local"
)

// Files are read day by day, each day's folders in key order, files without a date last: each commit's part file
// then holds a day or less.
func TestReadDayByDay(t *testing.T) {
	dir := t.TempDir()
	keys := []string{
		"notes/export.json",
		"AWSLogs/111122223333/CloudTrail/us-east-1/2024/09/02/111122223333_CloudTrail_us-east-1_20240902T0005Z_a.json.gz",
		"AWSLogs/111122223333/CloudTrail/us-east-1/2024/09/01/111122223333_CloudTrail_us-east-1_20240901T2355Z_b.json.gz",
		"AWSLogs/111122223333/CloudTrail/eu-west-1/2024/09/02/111122223333_CloudTrail_eu-west-1_20240902T0000Z_c.json.gz",
		"AWSLogs/111122223333/CloudTrail/us-east-1/2024/09/01/111122223333_CloudTrail_us-east-1_20240901T0005Z_d.json.gz",
		"AWSLogs/444455556666/CloudTrail/eu-west-1/2024/09/01/444455556666_CloudTrail_eu-west-1_20240901T1200Z_e.json.gz",
	}
	for _, k := range keys {
		p := filepath.Join(dir, filepath.FromSlash(k))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("x"), 0o644)
	}
	src, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := plan(context.Background(), src, map[string]string{}, Options{Workers: 2,
		Progress: &progress.Counter{}, Log: slog.New(slog.DiscardHandler)}, &Report{Skipped: map[string]int{}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, j := range jobs {
		got = append(got, filepath.Base(j.obj.Key))
	}
	// 1 September's folders in key order (account, then region), then 2 September's, then the file without a date.
	want := []string{
		"111122223333_CloudTrail_us-east-1_20240901T0005Z_d.json.gz",
		"111122223333_CloudTrail_us-east-1_20240901T2355Z_b.json.gz",
		"444455556666_CloudTrail_eu-west-1_20240901T1200Z_e.json.gz",
		"111122223333_CloudTrail_eu-west-1_20240902T0000Z_c.json.gz",
		"111122223333_CloudTrail_us-east-1_20240902T0005Z_a.json.gz",
		"export.json",
	}
	if !slices.Equal(got, want) {
		t.Errorf("read order:\n%v\nwant\n%v", got, want)
	}
}
