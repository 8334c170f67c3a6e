package ingest_test

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/trailq/trailq/internal/ingest"
)

// TestProblemOffsetsAreStored: the store's problem list says where in the file's JSON text a skipped record
// starts, as the load report does.
func TestProblemOffsetsAreStored(t *testing.T) {
	dir := t.TempDir()
	good := rec("P1", "2024-09-01T00:10:00Z", "ConsoleLogin")
	bad := `{"eventVersion":"1.08","eventID":"P2","eventName":"bad` + "\t" + `tab"}`
	doc := `{"Records":[` + good + `,` + bad + `,` + rec("P3", "2024-09-01T00:30:00Z", "ConsoleLogin") + `]}`
	writeRaw(t, dir, "AWSLogs/111122223333/CloudTrail/us-east-1/2024/09/01/111122223333_CloudTrail_us-east-1_20240901T0000Z_x.json", []byte(doc))
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	rep := load(t, dir, storePath, ingest.Options{})
	if rep.Inserted != 2 || len(rep.Files) != 1 {
		t.Fatalf("inserted %d, files with problems %+v: want the two good records and the file named", rep.Inserted, rep.Files)
	}
	want := int64(strings.Index(doc, bad))
	st := openStore(t, storePath, true)
	rows := queryStrings(t, st, `SELECT record, "offset" FROM trailq_problems WHERE skipped`)
	if len(rows) != 1 || rows[0][0] != "1" || rows[0][1] != itoa(want) {
		t.Errorf("stored problems %v, want record 1 at byte %d", rows, want)
	}
	if got := rep.Files[0].Problems[0].Offset; got != want {
		t.Errorf("the report says byte %d, want %d", got, want)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
