package export

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestAthenaDDL: AthenaDDL declares Athena's CloudTrail columns with Hive's types, as testdata/athena-ddl.golden
// has them (written by trailq before the columns were declared in internal/schema).
func TestAthenaDDL(t *testing.T) {
	got := AthenaDDL("cloudtrail_export", "s3://bucket/export")
	path := filepath.Join("testdata", "athena-ddl.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}
