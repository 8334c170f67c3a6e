package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailq/trailq/internal/store"
)

// TestEveryAnswerSaysWhatTheStoreLacks: a part of the store was lost and its logs were not read again (the
// repair of a writable open dropped it): every API answer carries the warning, and the page shows it.
func TestEveryAnswerSaysWhatTheStoreLacks(t *testing.T) {
	path, _ := testStore(t)
	parts, _ := filepath.Glob(filepath.Join(store.PartsDir(path), "part-*.parquet"))
	if len(parts) == 0 {
		t.Fatal("no part files")
	}
	os.Remove(parts[0])
	st, err := store.Open(context.Background(), path, store.Options{}) // repairs: the lost part's logs are listed as lost
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	ts := newTestServer(t, func(o *Options) { o.Open = opener(path) })
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/data", ""},
		{"GET", "/api/signins?from=2024-01-01&to=2024-12-31&tz=UTC", ""},
		{"POST", "/api/query", `{"sql":"SELECT count(*) FROM cloudtrail_logs"}`},
	} {
		resp, body := ts.do(t, c.method, c.path, c.body, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("%s %s: %d %s", c.method, c.path, resp.StatusCode, body)
		}
		if w := resp.Header.Get(WarningHeader); !strings.Contains(w, "lacks the events of") {
			t.Errorf("%s %s: warning header %q, want what the answer lacks", c.method, c.path, w)
		}
	}

	clean := newTestServer(t, nil)
	if resp, _ := clean.do(t, "GET", "/api/data", "", nil); resp.Header.Get(WarningHeader) != "" {
		t.Errorf("an intact store warns: %q", resp.Header.Get(WarningHeader))
	}
}
