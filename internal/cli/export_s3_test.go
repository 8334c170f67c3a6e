package cli

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// fakeBuckets is gofakes3 on a loopback port with the given buckets, behind a handler that counts the requests
// that write an object (a PUT without partNumber, a multipart upload's completion) and, once failAfter writes of
// any kind were answered, refuses the next ones (403). The AWS environment points the SDK at test
// credentials only.
type fakeBuckets struct {
	url       string
	backend   *s3mem.Backend
	puts      atomic.Int64
	writes    atomic.Int64
	failAfter atomic.Int64
}

func newFakeBuckets(t *testing.T, buckets ...string) *fakeBuckets {
	t.Helper()
	s := &fakeBuckets{backend: s3mem.New()}
	for _, b := range buckets {
		if err := s.backend.CreateBucket(b); err != nil {
			t.Fatal(err)
		}
	}
	h := gofakes3.New(s.backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut || r.Method == http.MethodPost {
			if f := s.failAfter.Load(); f > 0 && s.writes.Add(1) > f {
				// Refused, not failed: the SDK does not retry it, so the upload stops at once.
				w.WriteHeader(http.StatusForbidden)
				w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>stopped (test)</Message></Error>`))
				return
			}
			if q := r.URL.Query(); r.Method == http.MethodPut && !q.Has("partNumber") || r.Method == http.MethodPost && q.Has("uploadId") {
				s.puts.Add(1)
			}
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	s.url = ts.URL
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": s3TestKeyID, "AWS_SECRET_ACCESS_KEY": s3TestSecret, "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"), "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	return s
}

func (s *fakeBuckets) put(t *testing.T, bucket, key string, body []byte) {
	t.Helper()
	if _, err := s.backend.PutObject(bucket, key, map[string]string{}, bytes.NewReader(body), int64(len(body)), nil); err != nil {
		t.Fatal(err)
	}
}

// files returns the objects below prefix of bucket: key relative to prefix, to content.
func (s *fakeBuckets) files(t *testing.T, bucket, prefix string) map[string]string {
	t.Helper()
	list, err := s.backend.ListBucket(bucket, &gofakes3.Prefix{Prefix: prefix, HasPrefix: true}, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, o := range list.Contents {
		obj, err := s.backend.GetObject(bucket, o.Key, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(obj.Contents)
		obj.Contents.Close()
		m[strings.TrimPrefix(o.Key, prefix)] = string(b)
	}
	return m
}

// localFiles returns the files under dir: slash path to content.
func localFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		m[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// TestExportToS3: export --out s3:// through the real SDK: an upload stopped by the server fails with the hint to
// run it again and leaves no partial file; the re-run uploads only the files that were missing, ending with the
// bucket equal to a local export of the same store (data and both DDL files, LOCATION the --out folder) and no
// local folder left; a third run uploads nothing.
func TestExportToS3(t *testing.T) {
	s3 := newFakeBuckets(t, "analytics")
	cache := t.TempDir()
	storeDir := t.TempDir()
	storePath := filepath.Join(storeDir, "s.duckdb")
	local := filepath.Join(t.TempDir(), "export")
	r := run(t, cache, "", "export", "--source", "../../testdata/cloudtrail/real", "--store", storePath, "--out", local,
		"--location", "s3://analytics/ct/", "--table", "ct")
	if r.code != 0 {
		t.Fatalf("local export: exit %d: %s", r.code, r.errOut)
	}
	want := localFiles(t, local)
	if _, ok := want["athena-projection.sql"]; !ok || len(want) < 10 {
		t.Fatalf("local export: %v", keys(want))
	}
	toS3 := []string{"export", "--store", storePath, "--out", "s3://analytics/ct", "--table", "ct", "--endpoint-url", s3.url,
		"--concurrency", "2"}

	// Stopped after a few writes: an error with the hint, some files in place, none partial.
	s3.failAfter.Store(5)
	r = run(t, cache, "", toS3...)
	if r.code != 1 || !strings.Contains(r.errOut, "run the same command again") {
		t.Fatalf("stopped export: exit %d: %s", r.code, r.errOut)
	}
	got := s3.files(t, "analytics", "ct/")
	if len(got) == 0 || len(got) >= len(want) {
		t.Fatalf("after the stop the bucket holds %d of %d files", len(got), len(want))
	}
	for k, v := range got {
		if want[k] != v {
			t.Errorf("after the stop %s holds %d bytes, not the export's %d", k, len(v), len(want[k]))
		}
	}

	// Run again: only the missing files are written, and the bucket is the local export, DDL included.
	s3.failAfter.Store(0)
	s3.puts.Store(0)
	r = run(t, cache, "", toS3...)
	if r.code != 0 {
		t.Fatalf("re-run after the stop: exit %d: %s", r.code, r.errOut)
	}
	if n := s3.puts.Load(); n != int64(len(want)-len(got)) {
		t.Errorf("the re-run wrote %d objects; want the %d missing", n, len(want)-len(got))
	}
	if !strings.Contains(r.errOut, "uploaded "+strconv.Itoa(len(want)-len(got))+" files") {
		t.Errorf("summary: %s", r.errOut)
	}
	if diff := cmp.Diff(want, s3.files(t, "analytics", "ct/")); diff != "" {
		t.Errorf("bucket after the re-run (-local export +bucket):\n%s", diff)
	}
	if left, _ := filepath.Glob(filepath.Join(storeDir, ".trailq-export-*")); len(left) > 0 {
		t.Errorf("the export's local folder is left: %v", left)
	}

	// And again, written first in --work: nothing to write, and --work left as it was.
	work := t.TempDir()
	s3.puts.Store(0)
	r = run(t, cache, "", append(toS3, "--work", work)...)
	if r.code != 0 || !strings.Contains(r.errOut, "uploaded 0 files") || s3.puts.Load() != 0 {
		t.Errorf("re-run: exit %d, %d objects written: %s", r.code, s3.puts.Load(), r.errOut)
	}
	if entries, err := os.ReadDir(work); err != nil || len(entries) != 0 {
		t.Errorf("--work holds %v after the export (%v)", entries, err)
	}

	// Bad --out and --location are usage errors.
	for _, args := range [][]string{
		{"export", "--store", storePath, "--out", "s3://"},
		{"export", "--store", storePath, "--out", local + "2", "--location", "/tmp/x"},
		{"export", "--store", storePath, "--out", local + "3", "--work", t.TempDir()},
	} {
		if r := run(t, cache, "", args...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", args, r.code, r.errOut)
		}
	}
}
