package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// sortedLines returns the output's header and its other lines sorted (queries without ORDER BY).
func sortedLines(s string) []string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 1 {
		slices.Sort(lines[1:])
	}
	return lines
}

// TestAnswerFirstThenStore checks that the logs are stored in full after an answer first: a second query over
// columns the first did not read answers from the store as a load-first store does.
func TestAnswerFirstThenStore(t *testing.T) {
	cache := t.TempDir()
	r := run(t, cache, "", "query", "--source", sampleDir, "--answer-first", "always", "--format", "csv", "SELECT count(*) FROM cloudtrail_logs")
	if r.code != 0 || !strings.Contains(r.errOut, "Answering") {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	q := `SELECT eventid, eventversion, useragent, requestparameters, responseelements, tlsdetails, "$path" FROM cloudtrail_logs_ext`
	again := run(t, cache, "", "query", "--source", sampleDir, "--format", "csv", q)
	if again.code != 0 || !strings.Contains(again.errOut, "217 unchanged") || strings.Contains(again.errOut, "Answering") {
		t.Fatalf("second query: exit %d: %s", again.code, again.errOut)
	}
	ref := run(t, t.TempDir(), "", "query", "--source", sampleDir, "--answer-first", "never", "--format", "csv", q)
	if got, want := sortedLines(again.out), sortedLines(ref.out); !slices.Equal(got, want) {
		t.Errorf("the store after an answer first differs from one loaded first (%d against %d lines)", len(got), len(want))
	}
	// Nothing of the preview is left in the parts folder.
	matches, _ := filepath.Glob(filepath.Join(cache, "stores", "*.parts", "preview-*"))
	if len(matches) > 0 {
		t.Errorf("preview files left: %v", matches)
	}
}

// TestAnswerFirstBesideStoredRows answers first over a store that already holds some of the logs (loaded from a
// folder below the source, so under other keys): the rows it holds count once, as the load counts them.
// The engine's tests check when a query is answered first and that the answers are the same (internal/engine);
// these check what the command line shows and its exit status.

func TestAnswerFirstUnknownMode(t *testing.T) {
	if r := run(t, t.TempDir(), "", "query", "--source", sampleDir, "--answer-first", "sometimes", "SELECT 1"); r.code != 2 {
		t.Errorf("--answer-first sometimes: exit %d, want 2", r.code)
	}
}

// TestAnswerFirstQueryErrorStillLoads: a query that fails on the data fails the command, after the load.
func TestAnswerFirstQueryErrorStillLoads(t *testing.T) {
	cache := t.TempDir()
	r := run(t, cache, "", "query", "--source", sampleDir, "--answer-first", "always", "--format", "csv",
		"SELECT CAST(eventname AS INTEGER) FROM cloudtrail_logs")
	if r.code != 1 || !strings.Contains(r.errOut, "Answering") || !strings.Contains(r.errOut, "Loaded 217 new objects") {
		t.Fatalf("exit %d, want 1 after answering first and loading:\n%s", r.code, r.errOut)
	}
	again := run(t, cache, "", "query", "--source", sampleDir, "--format", "csv", "SELECT count(*) FROM cloudtrail_logs")
	if again.code != 0 || !strings.Contains(again.errOut, "217 unchanged") {
		t.Errorf("the logs were not stored: %s", again.errOut)
	}
}

// TestAnswerFirstReleasesTheOutput: a reader of trailq's output through a pipe gets to its end when the answer
// is written, before the load (and the command) ends.
func TestAnswerFirstReleasesTheOutput(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(pr)
		got <- b
	}()
	var errOut bytes.Buffer
	f := NewFactory(strings.NewReader(""), pw, &errOut, func(k string) string {
		if k == "TRAILQ_CACHE_DIR" {
			return t.TempDir()
		}
		return ""
	})
	code := Run(context.Background(), f, []string{"query", "--source", sampleDir, "--answer-first", "always", "--format", "csv", "SELECT count(*) AS n FROM cloudtrail_logs"})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	// pw is still open here: only the command's release of its descriptor lets the reader finish.
	select {
	case b := <-got:
		if string(b) != "n\n827\n" {
			t.Errorf("output %q, want the count", b)
		}
	case <-time.After(10 * time.Second):
		t.Errorf("the reader did not see the end of the output")
	}
	pw.Close()
}

// TestAnswerFirstS3FetchesOnce answers first from an S3 bucket: each object is fetched once (the load reads the
// first read's copy), "$path" names the objects in the bucket, and the answer and the store are the folder's.
func TestAnswerFirstS3FetchesOnce(t *testing.T) {
	var gets atomic.Int64
	url := s3SampleWith(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "" && r.URL.Query().Get("location") == "" {
				gets.Add(1)
			}
			h.ServeHTTP(w, r)
		})
	})
	cache := t.TempDir()
	q := `SELECT "$path", eventname, count(*) AS n FROM cloudtrail_logs_ext WHERE eventsource = 's3.amazonaws.com' GROUP BY 1, 2`
	r := run(t, cache, "", "query", "--source", "s3://trail/AWSLogs", "--endpoint-url", url, "--answer-first", "always", "--format", "csv", q)
	if r.code != 0 || !strings.Contains(r.errOut, "Answering from a first read of 217 new objects") {
		t.Fatalf("exit %d:\n%s", r.code, r.errOut)
	}
	if !strings.Contains(r.out, "s3://trail/AWSLogs/") {
		t.Errorf("$path does not name the bucket's objects:\n%s", r.out)
	}
	// 219 objects, of which 217 are logs: each fetched once, whether by the first read or by the load.
	if got := gets.Load(); got != 217 {
		t.Errorf("%d GETs, want 217 (one per log object)\n%s", got, r.errOut)
	}
	after := run(t, cache, "", "query", "--source", "s3://trail/AWSLogs", "--endpoint-url", url, "--no-load", "--format", "csv", q)
	if got, want := sortedLines(r.out), sortedLines(after.out); !slices.Equal(got, want) {
		t.Errorf("answered first:\n%s\nfrom the store:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	matches, _ := filepath.Glob(filepath.Join(cache, "stores", "*.parts", "preview-*"))
	if len(matches) > 0 {
		t.Errorf("preview or spool files left: %v", matches)
	}
}
