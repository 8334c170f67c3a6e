package s3out_test

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/trailq/trailq/internal/s3out"
	"github.com/trailq/trailq/internal/source/s3src"
)

// server is gofakes3 on a loopback port behind a handler that counts the requests that write (PUT, POST) and can
// refuse them with a 500 once failAfter of them have been answered.
type server struct {
	url       string
	backend   *s3mem.Backend
	writes    atomic.Int64
	failAfter atomic.Int64 // 0: never
	mu        sync.Mutex
	puts      []string // keys written by PutObject or a multipart upload's completion
}

func newServer(t *testing.T) *server {
	t.Helper()
	s := &server{backend: s3mem.New()}
	if err := s.backend.CreateBucket("analytics"); err != nil {
		t.Fatal(err)
	}
	h := gofakes3.New(s.backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut || r.Method == http.MethodPost {
			n := s.writes.Add(1)
			if f := s.failAfter.Load(); f > 0 && n > f {
				w.WriteHeader(http.StatusInternalServerError)
				w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>stopped (test)</Message></Error>`))
				return
			}
			q := r.URL.Query()
			if r.Method == http.MethodPut && !q.Has("partNumber") || r.Method == http.MethodPost && q.Has("uploadId") {
				s.mu.Lock()
				s.puts = append(s.puts, strings.TrimPrefix(r.URL.Path, "/analytics/"))
				s.mu.Unlock()
			}
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	s.url = ts.URL
	return s
}

// written returns the keys written since the last call, sorted.
func (s *server) written() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.puts
	s.puts = nil
	sort.Strings(p)
	return p
}

// client opens s3://analytics/ with the real SDK through s3src, with one quick attempt a request.
func (s *server) client(t *testing.T) *s3src.Source {
	t.Helper()
	src, err := s3src.New(context.Background(), "s3://analytics/", s3src.Options{
		EndpointURL: s.url, Region: "us-east-1", MaxAttempts: 1, MaxBackoff: time.Millisecond,
		Credentials: credentials.NewStaticCredentialsProvider("AKIATRAILQS3OUT00001", "trailq/S3OUT/secret/0000000000000000", ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// objects returns the bucket's objects below prefix: key (relative) to content.
func (s *server) objects(t *testing.T, src *s3src.Source, prefix string) map[string]string {
	t.Helper()
	m := map[string]string{}
	p := s3.NewListObjectsV2Paginator(src.Client(), &s3.ListObjectsV2Input{Bucket: aws.String("analytics"), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			out, err := src.Client().GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("analytics"), Key: o.Key})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(out.Body)
			out.Body.Close()
			m[strings.TrimPrefix(aws.ToString(o.Key), prefix)] = string(b)
		}
	}
	return m
}

// tree writes files (slash path: content) under a new folder.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for rel, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func randomText(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return string(b)
}

const partSize = 1 << 10 // small parts: gofakes3 takes parts under S3's 5 MiB

func exportFiles() map[string]string {
	return map[string]string{
		"account=1/region=us-east-1/year=2024/month=01/day=01/events_0.parquet": randomText(300),
		"account=1/region=us-east-1/year=2024/month=01/day=02/events_0.parquet": randomText(3*partSize + 17), // multipart
		"account=2/region=eu-west-1/year=2024/month=01/day=01/events_0.parquet": randomText(2 * partSize),    // exactly two parts' size: multipart
		"account=2/region=eu-west-1/year=2024/month=01/day=01/events_1.parquet": "",
		"athena.sql": "CREATE EXTERNAL TABLE x;\n",
	}
}

func isData(rel string) bool { return strings.HasSuffix(rel, ".parquet") }

// TestSync: a folder is uploaded whole (small files in one PUT, large ones in parts, the DDL last); a re-run
// uploads nothing; a changed file of the same size and a new partition are uploaded again and nothing else; a
// data file the folder no longer has is deleted, other files under the prefix are left alone.
func TestSync(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	src := s.client(t)
	files := exportFiles()
	dir := tree(t, files)
	up := s3out.New(src.Client(), "analytics", "ct", s3out.Options{PartSize: partSize, Remove: isData, Concurrency: 2})
	if got, want := up.URL(), "s3://analytics/ct/"; got != want {
		t.Errorf("URL %q, want %q", got, want)
	}
	var order []string
	var mu sync.Mutex
	up2 := s3out.New(src.Client(), "analytics", "ct/", s3out.Options{PartSize: partSize, Remove: isData, Concurrency: 2,
		Uploaded: func(key string, _ int64) { mu.Lock(); order = append(order, key); mu.Unlock() }})
	res, err := up2.Sync(ctx, dir, []string{"athena.sql"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Uploaded != len(files) || res.Skipped != 0 || res.Deleted != 0 {
		t.Errorf("first sync: %+v, want %d uploaded", res, len(files))
	}
	if len(order) == 0 || order[len(order)-1] != "ct/athena.sql" {
		t.Errorf("upload order %v: want the DDL last", order)
	}
	if diff := cmp.Diff(files, s.objects(t, src, "ct/")); diff != "" {
		t.Fatalf("bucket after the first sync (-want +got):\n%s", diff)
	}
	s.written()

	res, err = up.Sync(ctx, dir, []string{"athena.sql"})
	if err != nil || res.Uploaded != 0 || res.Skipped != len(files) {
		t.Errorf("re-run: %+v, %v; want all %d skipped", res, err, len(files))
	}
	if w := s.written(); len(w) != 0 {
		t.Errorf("re-run wrote %v", w)
	}

	// Changed in place (same size), a new day, a file gone; a file of the user's under the prefix.
	changed := "account=1/region=us-east-1/year=2024/month=01/day=02/events_0.parquet"
	files[changed] = randomText(len(files[changed]))
	files["account=1/region=us-east-1/year=2024/month=01/day=03/events_0.parquet"] = randomText(100)
	gone := "account=2/region=eu-west-1/year=2024/month=01/day=01/events_1.parquet"
	delete(files, gone)
	if _, err := src.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("analytics"), Key: aws.String("ct/README.txt"),
		Body: strings.NewReader("mine")}); err != nil {
		t.Fatal(err)
	}
	s.written()
	res, err = up.Sync(ctx, tree(t, files), []string{"athena.sql"})
	if err != nil || res.Uploaded != 2 || res.Deleted != 1 {
		t.Errorf("after changes: %+v, %v; want 2 uploaded, 1 deleted", res, err)
	}
	if diff := cmp.Diff([]string{"ct/" + changed, "ct/account=1/region=us-east-1/year=2024/month=01/day=03/events_0.parquet"}, s.written()); diff != "" {
		t.Errorf("written after changes (-want +got):\n%s", diff)
	}
	files["README.txt"] = "mine"
	if diff := cmp.Diff(files, s.objects(t, src, "ct/")); diff != "" {
		t.Errorf("bucket after changes (-want +got):\n%s", diff)
	}
}

// TestSyncStopped: an upload stopped by a failing server after a few files (one of them mid-way through a
// multipart upload) says which file; the bucket has no half object and no pending multipart upload, and the next
// run uploads exactly the files that were not there, finishing the copy.
func TestSyncStopped(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	src := s.client(t)
	files := exportFiles()
	dir := tree(t, files)
	up := s3out.New(src.Client(), "analytics", "ct", s3out.Options{PartSize: partSize, Concurrency: 1})
	s.failAfter.Store(3) // the first file (one PUT), then the multipart upload's start and first part
	_, err := up.Sync(ctx, dir, []string{"athena.sql"})
	if err == nil || !strings.Contains(err.Error(), "events_0.parquet") {
		t.Fatalf("stopped sync: %v; want an error naming the file", err)
	}
	first := s.objects(t, src, "ct/")
	if len(first) == 0 || len(first) >= len(files) {
		t.Fatalf("after the stop the bucket holds %d files; want some of %d", len(first), len(files))
	}
	for rel, body := range first {
		if files[rel] != body {
			t.Errorf("after the stop %s holds %d bytes, not the file's %d", rel, len(body), len(files[rel]))
		}
	}
	mpu, err := src.Client().ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("analytics")})
	if err != nil {
		t.Fatal(err)
	}
	if len(mpu.Uploads) != 0 {
		t.Errorf("%d multipart uploads left pending after the stop; want them aborted", len(mpu.Uploads))
	}
	s.failAfter.Store(0)
	s.written()
	res, err := up.Sync(ctx, dir, []string{"athena.sql"})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for rel := range files {
		if _, ok := first[rel]; !ok {
			want = append(want, "ct/"+rel)
		}
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, s.written()); diff != "" {
		t.Errorf("the re-run wrote (-want +got):\n%s", diff)
	}
	if res.Uploaded != len(want) || res.Skipped != len(first) {
		t.Errorf("re-run: %+v; want %d uploaded, %d skipped", res, len(want), len(first))
	}
	if diff := cmp.Diff(files, s.objects(t, src, "ct/")); diff != "" {
		t.Errorf("bucket after the re-run (-want +got):\n%s", diff)
	}
}

// TestSyncCancelled: a cancelled context stops the upload with ctx's error.
func TestSyncCancelled(t *testing.T) {
	s := newServer(t)
	src := s.client(t)
	ctx, cancel := context.WithCancel(context.Background())
	up := s3out.New(src.Client(), "analytics", "ct", s3out.Options{PartSize: partSize, Concurrency: 1,
		Uploaded: func(string, int64) { cancel() }})
	_, err := up.Sync(ctx, tree(t, exportFiles()), nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled sync: %v; want context.Canceled", err)
	}
	if n := len(s.objects(t, src, "ct/")); n != 1 {
		t.Errorf("cancelled after the first file: %d files in the bucket, want 1", n)
	}
}
