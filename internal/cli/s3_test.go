package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/source/local"
)

const (
	s3TestKeyID  = "AKIATRAILQCLITEST001"
	s3TestSecret = "trailq/CLI/secret/do-not-print/000000"
)

// s3Sample serves the sample logs from an in-process S3 server (gofakes3) on loopback, as s3://trail/AWSLogs/…,
// and points the AWS SDK at test credentials only.
func s3Sample(t *testing.T) string {
	t.Helper()
	return s3SampleWith(t, nil)
}

// s3SampleWith is s3Sample with a middleware in front of the server.
func s3SampleWith(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("trail"); err != nil {
		t.Fatal(err)
	}
	n := 0
	err := filepath.Walk(sampleDir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(sampleDir, p)
		n++
		_, err = backend.PutObject("trail", "AWSLogs/"+filepath.ToSlash(rel), map[string]string{}, bytes.NewReader(b), int64(len(b)), nil)
		return err
	})
	if err != nil || n == 0 {
		t.Fatalf("upload the sample: %d files, %v", n, err)
	}
	h := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	if wrap != nil {
		h = wrap(h)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           s3TestKeyID,
		"AWS_SECRET_ACCESS_KEY":       s3TestSecret,
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_REGION":                  "us-east-1",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
	return ts.URL
}

func TestS3LoadQueryDryRun(t *testing.T) {
	url := s3Sample(t)
	cache := t.TempDir()
	src := []string{"--source", "s3://trail/AWSLogs", "--endpoint-url", url}
	noSecret := func(r runResult) {
		t.Helper()
		if strings.Contains(r.out+r.errOut, s3TestSecret) {
			t.Fatalf("the secret key shows in the output:\n%s\n%s", r.out, r.errOut)
		}
	}

	// --dry-run: lists, prints the estimate, creates no store.
	r := run(t, cache, "", append([]string{"--log-level", "debug", "load", "--dry-run"}, src...)...)
	noSecret(r)
	if r.code != 0 || !strings.Contains(r.out, "Would read:") || !strings.Contains(r.out, "The same scan in Athena:") || !strings.Contains(r.out, "LIST request") {
		t.Fatalf("load --dry-run: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	if m, _ := filepath.Glob(filepath.Join(cache, "stores", "*")); len(m) != 0 {
		t.Fatalf("--dry-run created %q", m)
	}

	// With a period, only its day folders are listed.
	r = run(t, cache, "", append([]string{"signins", "--since", "2024-01-15", "--until", "2024-01-16", "--utc", "--dry-run"}, src...)...)
	if r.code != 0 || !strings.Contains(r.out, " folders") {
		t.Fatalf("signins --dry-run: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	t.Logf("signins --dry-run:\n%s", r.out)
	r = run(t, t.TempDir(), "", append([]string{"signins", "--since", "2024-01-15", "--until", "2024-01-16", "--utc", "--format", "csv"}, src...)...)
	if r.code != 0 || !strings.Contains(r.errOut, "GET requests") || !strings.Contains(r.out, "ConsoleLogin") {
		t.Fatalf("signins over S3: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}

	// --account/--region: only those trails' folders.
	r = run(t, cache, "", append([]string{"load", "--dry-run", "--account", "111111111111", "--region", "us-east-1"}, src...)...)
	if r.code != 0 || !strings.Contains(r.out, " in 1 folder,") {
		t.Fatalf("load --account --region --dry-run: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}

	// The load, then the same rows as from the folder.
	r = run(t, cache, "", append([]string{"load"}, src...)...)
	noSecret(r)
	if r.code != 0 || !strings.Contains(r.errOut, "Loaded ") || !strings.Contains(r.errOut, "GET requests") {
		t.Fatalf("load: exit %d\n%s", r.code, r.errOut)
	}
	const q = `SELECT count(*), count(DISTINCT eventid), min(eventtime), max(eventtime) FROM cloudtrail_logs`
	fromS3 := run(t, cache, "", append([]string{"query", "--no-load", q}, src...)...)
	fromDir := run(t, t.TempDir(), "", "query", "--source", sampleDir, q)
	if fromS3.code != 0 || fromDir.code != 0 || fromS3.out != fromDir.out {
		t.Fatalf("from S3 (exit %d):\n%s%s\nfrom the folder (exit %d):\n%s%s", fromS3.code, fromS3.out, fromS3.errOut, fromDir.code, fromDir.out, fromDir.errOut)
	}
	r = run(t, cache, "", append([]string{"query", "--no-load", `SELECT count(*) FROM cloudtrail_logs WHERE "$path" NOT LIKE 's3://trail/AWSLogs/%'`}, src...)...)
	if r.code != 0 || strings.TrimSpace(r.out) != "count_star()\n0" && !strings.HasSuffix(strings.TrimSpace(r.out), "\n0") {
		t.Fatalf("rows whose $path is not s3://trail/AWSLogs/…: %q %s", r.out, r.errOut)
	}

	// A second load fetches nothing; a dry run now says so.
	r = run(t, cache, "", append([]string{"load"}, src...)...)
	if r.code != 0 || !strings.Contains(r.errOut, "Loaded 0 new objects") || !strings.Contains(r.errOut, " 0 GET requests") {
		t.Fatalf("second load: exit %d\n%s", r.code, r.errOut)
	}
	r = run(t, cache, "", append([]string{"load", "--dry-run"}, src...)...)
	if r.code != 0 || !strings.Contains(r.out, "0 objects, 0 B, 0 GET") {
		t.Fatalf("dry run after the load: exit %d\n%s", r.code, r.out)
	}
	t.Logf("dry run:\n%s", r.out)
}

func TestS3Errors(t *testing.T) {
	url := s3Sample(t)
	r := run(t, t.TempDir(), "", "load", "--source", "s3://no-such-bucket/AWSLogs", "--endpoint-url", url)
	if r.code != 1 || !strings.Contains(r.errOut, "s3://no-such-bucket") || !strings.Contains(r.errOut, "check the name") {
		t.Fatalf("missing bucket: exit %d\n%s", r.code, r.errOut)
	}
	r = run(t, t.TempDir(), "", "load", "--source", "s3://trail/AWSLog", "--endpoint-url", url)
	if r.code != 0 || !strings.Contains(r.errOut, "Warning: no objects under s3://trail/AWSLog/") {
		t.Fatalf("empty prefix: exit %d\n%s", r.code, r.errOut)
	}
	r = run(t, t.TempDir(), "", "load", "--source", "s3://", "--endpoint-url", url)
	if r.code == 0 || !strings.Contains(r.errOut, "names no bucket") {
		t.Fatalf("s3:// without a bucket: exit %d\n%s", r.code, r.errOut)
	}
}

func TestWritePlanShowsFoldersNotListed(t *testing.T) {
	p := &ingest.Plan{Report: ingest.Report{Listed: 3, ListedPrefixes: 2, Skipped: map[string]int{},
		Files: []ingest.FileReport{{Key: "AWSLogs/1/CloudTrail/us-east-1/2024/09/05/", Outcome: ingest.OutcomeNotListed, Detail: "list s3://b/AWSLogs/…: AccessDenied (HTTP 403); fix"}}},
		Objects: 3, Bytes: 3 << 20, ScanObjects: 3, ScanBytes: 3 << 20}
	var b bytes.Buffer
	src, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	writePlan(&b, src, p, 4)
	for _, want := range []string{"Could not list:", "AccessDenied", "in 2 folders, 4 LIST requests", "3 objects, 3.0 MiB, 3 GET requests", "$0.000048 per query"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("plan output does not say %q:\n%s", want, b.String())
		}
	}
}

func TestS3LoadInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var gets atomic.Int64
	url := s3SampleWith(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "" && gets.Add(1) == 60 {
				cancel() // Ctrl-C while the 60th object is fetched
			}
			h.ServeHTTP(w, r)
		})
	})
	cache := t.TempDir()
	src := []string{"--source", "s3://trail/AWSLogs", "--endpoint-url", url, "--concurrency", "4"}
	var out, errOut bytes.Buffer
	f := NewFactory(strings.NewReader(""), &out, &errOut, func(k string) string {
		if k == "TRAILQ_CACHE_DIR" {
			return cache
		}
		return ""
	})
	if code := Run(ctx, f, append([]string{"load"}, src...)); code != ExitCancelled || !strings.Contains(errOut.String(), "Cancelled.") {
		t.Fatalf("interrupted load: exit %d\n%s", code, errOut.String())
	}
	r := run(t, cache, "", append([]string{"query", "--no-load", "--format", "csv", "SELECT count(DISTINCT \"$path\") FROM cloudtrail_logs"}, src...)...)
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	if r.code != 0 || len(lines) != 2 || lines[1] == "0" {
		t.Fatalf("after the interrupted load the store holds: exit %d %q %s", r.code, r.out, r.errOut)
	}
	// The next load reads the rest only.
	before := gets.Load()
	r = run(t, cache, "", append([]string{"load"}, src...)...)
	if r.code != 0 || gets.Load()-before >= 217 || !strings.Contains(r.errOut, " unchanged") {
		t.Fatalf("load after the interruption: exit %d, %d GETs\n%s", r.code, gets.Load()-before, r.errOut)
	}
	t.Logf("%s objects loaded before the interruption; the next load: %s", lines[1], strings.SplitN(r.errOut, "\n", 2)[0])
}

// A query with eventtime bounds over S3 lists and fetches only its days, and answers as the folder does.
func TestS3QueryWithBoundsReadsItsDays(t *testing.T) {
	url := s3Sample(t)
	const q = `SELECT count(*), min(eventtime), max(eventtime) FROM cloudtrail_logs WHERE eventtime BETWEEN '2024-01-15' AND '2024-01-16T23:59:59Z'`
	r := run(t, t.TempDir(), "", "query", "--source", "s3://trail/AWSLogs", "--endpoint-url", url, "--format", "csv", q)
	if r.code != 0 || !strings.Contains(r.errOut, "loading the log files of 2024-01-15 to 2024-01-17 only") {
		t.Fatalf("exit %d\n%s", r.code, r.errOut)
	}
	var loaded int
	if _, err := fmt.Sscanf(r.errOut[strings.Index(r.errOut, "Loaded "):], "Loaded %d new objects", &loaded); err != nil || loaded == 0 || loaded >= 200 {
		t.Errorf("loaded %d objects (%v), want a few: the sample has about 217\n%s", loaded, err, r.errOut)
	}
	fromDir := run(t, t.TempDir(), "", "query", "--source", sampleDir, "--all-logs", "--format", "csv", q)
	if fromDir.code != 0 || fromDir.out != r.out {
		t.Errorf("from S3:\n%s\nfrom the whole folder:\n%s%s", r.out, fromDir.out, fromDir.errOut)
	}
}
