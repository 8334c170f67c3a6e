package ingest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/source/local"
	"github.com/trailq/trailq/internal/store"
)

// TestHostileFiles: a gzip bomb stops at the size limit, a 20 MB record loads, invalid UTF-8 is replaced and
// reported; in each case the other files are loaded.
func TestHostileFiles(t *testing.T) {
	dir := t.TempDir()
	key := func(id string) string { return logKey("111122223333", "us-east-1", "2024/09/01", "20240901T0005Z", id) }
	writeLog(t, dir, key("good"), rec("g1", "2024-09-01T00:01:00Z", "ConsoleLogin"))

	// 40 MiB of white space inside the Records array compresses to about 40 KiB; the limit is 24 MiB.
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	fmt.Fprintf(zw, `{"Records":[%s,`, rec("b1", "2024-09-01T00:01:00Z", "ConsoleLogin"))
	space := bytes.Repeat([]byte(" "), 1<<20)
	for range 40 {
		zw.Write(space)
	}
	fmt.Fprint(zw, `{"eventID":"b2"}]}`)
	zw.Close()
	writeRaw(t, dir, key("bomb"), bomb.Bytes())

	big := strings.Repeat("x", 20<<20)
	writeLog(t, dir, key("big"), fmt.Sprintf(`{"eventID":"big","eventTime":"2024-09-01T00:01:00Z","requestParameters":{"policy":%q}}`, big))
	writeLog(t, dir, key("utf8"), "{\"eventID\":\"u1\",\"eventTime\":\"2024-09-01T00:01:00Z\",\"userAgent\":\"bad \xff\xfe bytes\"}")

	src, _ := local.New(dir)
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "s.duckdb"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rep, err := ingest.Run(context.Background(), src, st, ingest.Options{MaxUncompressed: 24 << 20})
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]ingest.FileReport{}
	for _, f := range rep.Files {
		byKey[f.Key] = f
	}
	if f := byKey[key("bomb")]; f.Outcome != "partial" || !strings.Contains(f.Detail, "exceeds the limit") || f.Records != 1 {
		t.Errorf("bomb: %+v, want partial at the size limit with its first record loaded", f)
	}
	if f, bad := byKey[key("big")]; bad {
		t.Errorf("the 20 MB record was reported: %+v", f)
	}
	if f := byKey[key("utf8")]; f.Outcome != "problems" || len(f.Problems) != 1 || f.Problems[0].Field != "userAgent" {
		t.Errorf("invalid UTF-8: %+v, want a userAgent problem", f)
	}
	if rep.Records != 4 {
		t.Errorf("%d records loaded, want 4 (good, bomb's first, big, utf8)", rep.Records)
	}
	rows := queryStrings(t, st, `SELECT eventid, length(requestparameters), useragent FROM cloudtrail_logs ORDER BY eventid`)
	if len(rows) != 4 || rows[1][0] != "big" || atoi(rows[1][1]) < 20<<20 || rows[3][2] != "bad \uFFFD\uFFFD bytes" {
		t.Errorf("stored %v", trunc(rows))
	}
}

func trunc(rows [][]string) [][]string {
	for _, r := range rows {
		for i, c := range r {
			if len(c) > 60 {
				r[i] = c[:60] + "…"
			}
		}
	}
	return rows
}
