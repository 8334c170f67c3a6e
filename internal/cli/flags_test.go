package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A flag value trailq cannot honour is refused before anything is read, with an error that names the flag, the
// value and what is accepted.
func TestFlagValuesRefused(t *testing.T) {
	src := t.TempDir()
	store := filepath.Join(t.TempDir(), "s.duckdb")
	tests := []struct {
		args []string
		want []string // in the error
	}{
		{[]string{"signins", "--sql", "--since", "100000000d"}, []string{"--since", `"100000000d"`, "before 1970", "at most 20103d"}},
		{[]string{"signins", "--sql", "--since", "99999999999999999999h"}, []string{"--since", `"99999999999999999999h"`, "at most 482484h"}},
		{[]string{"signins", "--sql", "--since", "1969-12-31"}, []string{"--since", `"1969-12-31"`, "from 1970-01-01 on"}},
		{[]string{"signins", "--sql", "--since", "2024-01-01", "--until", "0001-01-01"}, []string{"--until", `"0001-01-01"`, "before 1970"}},
		{[]string{"signins", "--sql", "--since", "2025-02-01", "--utc"}, []string{"--since", `"2025-02-01"`, "in the future", "up to now"}},
		{[]string{"signins", "--sql", "--lag", "-1h"}, []string{"--lag", "-1h", "not be negative"}},
		{[]string{"load", "--source", src, "--store", store, "--since", "100000000d"}, []string{"--since", `"100000000d"`, "at most 20103d"}},
		{[]string{"load", "--source", src, "--store", store, "--since", "2025-02-01", "--utc"}, []string{"--since", `"2025-02-01"`, "in the future"}},
		{[]string{"load", "--source", src, "--store", store, "--since", "7d", "--lag", "-3h"}, []string{"--lag", "-3h", "not be negative"}},
		{[]string{"query", "--store", store, "--timeout", "-1s", "SELECT 1"}, []string{"--timeout", "-1s", "0 for no limit"}},
		{[]string{"query", "--store", store, "--lag", "-1s", "SELECT 1"}, []string{"--lag", "-1s", "not be negative"}},
		{[]string{"serve", "--store", store, "--query-timeout", "-1s"}, []string{"--query-timeout", "-1s", "positive"}},
		{[]string{"serve", "--store", store, "--query-timeout", "0s"}, []string{"--query-timeout", "0s", "positive"}},
		{[]string{"serve", "--store", store, "--max-queries", "-2"}, []string{"--max-queries", "-2", "at least 1"}},
		{[]string{"load", "--source", src, "--store", store, "--workers", "-4"}, []string{"--workers", "-4", "0 for two per CPU"}},
		{[]string{"load", "--source", src, "--store", store, "--max-file-size", "0"}, []string{"--max-file-size", `"0"`, "2GiB"}},
		{[]string{"load", "--source", src, "--store", store, "--max-file-size", "lots"}, []string{"--max-file-size", `"lots"`, "not a size"}},
		{[]string{"load", "--source", src, "--store", store, "--max-file-size", "10KiB"}, []string{"--max-file-size", `"10KiB"`, "at least 1MiB"}},
		{[]string{"query", "--source", src, "--store", store, "--max-record-size", "100", "SELECT 1"}, []string{"--max-record-size", `"100"`, "at least 1KiB"}},
		{[]string{"load", "--source", src, "--store", store, "--max-record-size", "2GiB", "--max-file-size", "1GiB"}, []string{"--max-record-size", `"2GiB"`, "at most --max-file-size (1GiB)"}},
		{[]string{"load", "--source", src, "--store", store, "--max-record-size", "3GiB"}, []string{"--max-record-size", `"3GiB"`, "at most --max-file-size (2GiB)"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := signinsRun(t, map[string]string{"TRAILQ_CACHE_DIR": t.TempDir()}, tt.args...)
			if r.code != ExitUsage {
				t.Fatalf("exit %d, want %d (usage)\nstdout: %s\nstderr: %s", r.code, ExitUsage, r.out, r.errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.errOut, w) {
					t.Errorf("the error lacks %q:\n%s", w, r.errOut)
				}
			}
		})
	}
	if _, err := os.Stat(store); err == nil {
		t.Error("a refused command created the store")
	}
}

// The decoder's caps are flags: --max-file-size stops reading a file at that many decompressed bytes (the file
// is named, what was read of it kept, and the exit status says some input could not be read),
// --max-record-size skips a larger record and names it.
func TestSizeCapFlags(t *testing.T) {
	// One file of 3,000 records, about 2.4 MiB of JSON, gzipped to far less; one record with a 6 KiB user agent.
	recs := make([]map[string]any, 3000)
	for i := range recs {
		recs[i] = map[string]any{
			"eventVersion": "1.08", "eventTime": "2024-09-01T12:00:00Z", "eventSource": "s3.amazonaws.com",
			"eventName": "GetObject", "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.7",
			"userAgent": strings.Repeat("a", 600), "eventID": fmt.Sprintf("e%05d", i), "eventType": "AwsApiCall",
			"recipientAccountId": "111122223333",
		}
	}
	recs[10]["userAgent"] = strings.Repeat("b", 6<<10)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(map[string]any{"Records": recs}); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	dir := filepath.Join(src, "AWSLogs", "111122223333", "CloudTrail", "us-east-1", "2024", "09", "01")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	name := "111122223333_CloudTrail_us-east-1_20240901T1205Z_big.json.gz"
	if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	count := func(t *testing.T, extra ...string) (int, runResult) {
		t.Helper()
		args := append([]string{"query", "--source", filepath.Join(src, "AWSLogs"), "--store", filepath.Join(t.TempDir(), "s.duckdb"),
			"--format", "csv", "--answer-first", "never"}, extra...)
		r := run(t, t.TempDir(), "", append(args, "SELECT count(*) AS n FROM cloudtrail_logs")...)
		var n int
		if _, err := fmt.Sscanf(strings.TrimPrefix(r.out, "n\n"), "%d", &n); err != nil {
			t.Fatalf("exit %d, output %q: %v\n%s", r.code, r.out, err, r.errOut)
		}
		return n, r
	}
	t.Run("defaults", func(t *testing.T) {
		n, r := count(t)
		if n != 3000 || r.code != ExitOK {
			t.Errorf("%d records, exit %d; want 3000, 0\n%s", n, r.code, r.errOut)
		}
	})
	t.Run("max-file-size", func(t *testing.T) {
		n, r := count(t, "--max-file-size", "1MiB")
		if r.code != ExitPartial || n == 0 || n >= 3000 {
			t.Errorf("%d records, exit %d; want some of the 3000 and exit %d\n%s", n, r.code, ExitPartial, r.errOut)
		}
		for _, w := range []string{name, "partial", "limit of 1048576 bytes"} {
			if !strings.Contains(r.errOut, w) {
				t.Errorf("the report lacks %q:\n%s", w, r.errOut)
			}
		}
	})
	t.Run("max-record-size", func(t *testing.T) {
		n, r := count(t, "--max-record-size", "4KiB")
		if n != 2999 || r.code != ExitPartial {
			t.Errorf("%d records, exit %d; want 2999 and exit %d\n%s", n, r.code, ExitPartial, r.errOut)
		}
		for _, w := range []string{name, "record 10 ", "exceeds the 4096-byte limit", "record skipped"} {
			if !strings.Contains(r.errOut, w) {
				t.Errorf("the report lacks %q:\n%s", w, r.errOut)
			}
		}
	})
}

// A command whose load could not read some input (a link that leads nowhere, a broken gzip file) does its work
// with the rest and ends with exit status 4, on every path that loads: load, query (answered first or after the
// load), signins. A command that reads nothing new has nothing to say about it.
func TestPartialLoadExitCode(t *testing.T) {
	damage := map[string]func(t *testing.T, src string) string{
		"dangling link": func(t *testing.T, src string) string {
			if err := os.Symlink("/nonexistent/trailq-test", filepath.Join(src, "111122223333", "CloudTrail", "ap-south-1")); err != nil {
				t.Fatal(err)
			}
			return "ap-south-1"
		},
		"broken gzip": func(t *testing.T, src string) string {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			recs := []map[string]any{}
			for i := range 200 {
				recs = append(recs, map[string]any{"eventTime": "2024-09-01T01:00:00Z", "eventName": "GetObject",
					"eventSource": "s3.amazonaws.com", "eventID": fmt.Sprintf("broken-%d", i), "userAgent": strings.Repeat("x", i)})
			}
			if err := json.NewEncoder(zw).Encode(map[string]any{"Records": recs}); err != nil {
				t.Fatal(err)
			}
			zw.Close()
			name := "111122223333_CloudTrail_us-east-1_20240901T0105Z_broken.json.gz"
			path := filepath.Join(src, "111122223333", "CloudTrail", "us-east-1", "2024", "09", "01", name)
			if err := os.WriteFile(path, buf.Bytes()[:buf.Len()/2], 0o644); err != nil {
				t.Fatal(err)
			}
			return name
		},
	}
	for what, damageTree := range damage {
		t.Run(what, func(t *testing.T) {
			src := writeSigninTree(t, tokyoDayFiles)
			named := damageTree(t, src)
			cache := t.TempDir()
			newStore := func() string { return filepath.Join(t.TempDir(), "s.duckdb") }
			storePath := newStore()
			for _, tt := range []struct {
				name    string
				args    []string
				wantOut string
			}{
				{"load", []string{"load", "--source", src, "--store", storePath}, ""},
				{"query answered first", []string{"query", "--source", src, "--store", newStore(), "--answer-first", "always", "--format", "csv",
					"SELECT count(*) AS n FROM cloudtrail_logs WHERE eventname = 'ConsoleLogin'"}, "n\n9\n"},
				{"query after the load", []string{"query", "--source", src, "--store", newStore(), "--answer-first", "never", "--format", "csv",
					"SELECT count(*) AS n FROM cloudtrail_logs WHERE eventname = 'ConsoleLogin'"}, "n\n9\n"},
				{"signins", []string{"signins", "--source", src, "--store", newStore(), "--since", "2024-09-01", "--until", "2024-09-01", "--utc", "--format", "csv"}, "late"},
			} {
				r := signinsRun(t, map[string]string{"TRAILQ_CACHE_DIR": cache}, tt.args...)
				if r.code != ExitPartial {
					t.Errorf("%s: exit %d, want %d\n%s", tt.name, r.code, ExitPartial, r.errOut)
				}
				if !strings.Contains(r.out, tt.wantOut) {
					t.Errorf("%s: output %q lacks %q", tt.name, r.out, tt.wantOut)
				}
				for _, w := range []string{named, "could not be read", "exit status 4"} {
					if !strings.Contains(r.errOut, w) {
						t.Errorf("%s: stderr lacks %q:\n%s", tt.name, w, r.errOut)
					}
				}
			}
			// From the store alone, nothing is read.
			if r := signinsRun(t, nil, "query", "--store", storePath, "SELECT 1"); r.code != ExitOK {
				t.Errorf("--store only: exit %d\n%s", r.code, r.errOut)
			}
		})
	}
	// Without damage, the same commands end 0.
	src := writeSigninTree(t, tokyoDayFiles)
	if r := signinsRun(t, map[string]string{"TRAILQ_CACHE_DIR": t.TempDir()}, "load", "--source", src, "--store", filepath.Join(t.TempDir(), "s.duckdb")); r.code != ExitOK {
		t.Errorf("clean load: exit %d\n%s", r.code, r.errOut)
	}
}

// trailq help lists the exit statuses, partial input included.
func TestHelpListsExitStatus(t *testing.T) {
	r := run(t, t.TempDir(), "", "help")
	for _, w := range []string{"EXIT STATUS", "2    a usage error", "4    done, but some input could not be read", "130  interrupted"} {
		if !strings.Contains(r.out, w) {
			t.Errorf("trailq help lacks %q:\n%s", w, r.out)
		}
	}
}

// trailq serve stopped with Ctrl-C ends 0 even when its first load could not read some input: that is named
// when it starts (and on the data page), not in the exit status.
func TestServeStoppedAfterPartialLoad(t *testing.T) {
	src := writeSigninTree(t, tokyoDayFiles)
	if err := os.Symlink("/nonexistent/trailq-test", filepath.Join(src, "111122223333", "CloudTrail", "ap-south-1")); err != nil {
		t.Fatal(err)
	}
	out, errOut := &lockedBuffer{}, &lockedBuffer{}
	f := NewFactory(strings.NewReader(""), out, errOut, func(k string) string { return "" })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, f, []string{"serve", "--source", src, "--store", filepath.Join(t.TempDir(), "s.duckdb"), "--addr", "127.0.0.1:0"})
	}()
	deadline := time.After(60 * time.Second)
	for !strings.Contains(out.String(), "trailq is serving") {
		select {
		case code := <-done:
			t.Fatalf("serve ended with %d before serving:\n%s", code, errOut.String())
		case <-deadline:
			t.Fatal("serve did not start")
		case <-time.After(20 * time.Millisecond):
		}
	}
	if !strings.Contains(errOut.String(), "could not be read") {
		t.Errorf("the unread link is not named when serve starts:\n%s", errOut.String())
	}
	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Errorf("serve stopped with Ctrl-C: exit %d, want 0\n%s", code, errOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}
