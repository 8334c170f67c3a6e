package s3src_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	s3src "github.com/trailq/trailq/internal/source/s3"
)

// Test credentials: static, and distinctive so that a test can check they never show up in messages.
const (
	testKeyID  = "AKIATRAILQTEST00001"
	testSecret = "trailq/TEST/secret/do-not-print/0000000"
)

// server is gofakes3 (an in-process S3 implementation) on a loopback port, behind a middleware that counts
// requests and can answer some of them with an error instead.
type server struct {
	URL     string
	backend *s3mem.Backend

	lists, dirLists, gets, heads atomic.Int64

	mu       sync.Mutex
	prefixes []string // prefixes of the object (non-delimiter) listings, in order
	inject   func(r *http.Request) (status int, code string, header http.Header)
	// cut, when it returns n > 0, breaks the connection after n bytes of the response body.
	cut func(r *http.Request) int
}

// cutWriter breaks the connection once n bytes were written.
type cutWriter struct {
	http.ResponseWriter
	n int
}

func (c *cutWriter) Write(p []byte) (int, error) {
	if len(p) >= c.n {
		c.ResponseWriter.Write(p[:c.n])
		c.ResponseWriter.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // net/http closes the connection without a word
	}
	c.n -= len(p)
	return c.ResponseWriter.Write(p)
}

func newServer(tb testing.TB, buckets ...string) *server {
	tb.Helper()
	s := &server{backend: s3mem.New()}
	fake := gofakes3.New(s.backend, gofakes3.WithLogger(gofakes3.DiscardLog()))
	h := fake.Server()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch {
		case r.Method == http.MethodGet && q.Get("list-type") == "2" && q.Get("delimiter") != "":
			s.dirLists.Add(1)
		case r.Method == http.MethodGet && q.Get("list-type") == "2":
			s.lists.Add(1)
			s.mu.Lock()
			s.prefixes = append(s.prefixes, q.Get("prefix"))
			s.mu.Unlock()
		case r.Method == http.MethodGet:
			s.gets.Add(1)
		case r.Method == http.MethodHead:
			s.heads.Add(1)
		}
		s.mu.Lock()
		inject, cut := s.inject, s.cut
		s.mu.Unlock()
		if cut != nil {
			if n := cut(r); n > 0 {
				w = &cutWriter{ResponseWriter: w, n: n}
			}
		}
		if inject != nil {
			if status, code, header := inject(r); status != 0 {
				for k, v := range header {
					w.Header()[k] = v
				}
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(status)
				if r.Method != http.MethodHead {
					fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected by the test</Message><RequestId>T1</RequestId></Error>`, code)
				}
				return
			}
		}
		h.ServeHTTP(w, r)
	}))
	tb.Cleanup(ts.Close)
	s.URL = ts.URL
	for _, b := range buckets {
		if err := s.backend.CreateBucket(b); err != nil {
			tb.Fatal(err)
		}
	}
	return s
}

func (s *server) setInject(f func(r *http.Request) (int, string, http.Header)) {
	s.mu.Lock()
	s.inject = f
	s.mu.Unlock()
}

func (s *server) listedPrefixes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.prefixes...)
}

func (s *server) resetCounts() {
	s.lists.Store(0)
	s.dirLists.Store(0)
	s.gets.Store(0)
	s.heads.Store(0)
	s.mu.Lock()
	s.prefixes = nil
	s.mu.Unlock()
}

func (s *server) put(tb testing.TB, bucket, key string, body []byte) {
	tb.Helper()
	if _, err := s.backend.PutObject(bucket, key, map[string]string{}, bytes.NewReader(body), int64(len(body)), nil); err != nil {
		tb.Fatal(err)
	}
}

// options returns source options that reach the server with the test credentials and short retry waits.
func (s *server) options() s3src.Options {
	return s3src.Options{
		EndpointURL: s.URL,
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(testKeyID, testSecret, ""),
		MaxBackoff:  5 * time.Millisecond,
	}
}

func (s *server) open(tb testing.TB, spec string) *s3src.Source {
	tb.Helper()
	src, err := s3src.New(context.Background(), spec, s.options())
	if err != nil {
		tb.Fatalf("open %s: %v", spec, err)
	}
	return src
}

// logObject returns a gzipped CloudTrail log file of n records, with event IDs unique to the key.
func logObject(key, account, region string, day time.Time, n int) []byte {
	var b strings.Builder
	b.WriteString(`{"Records":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		t := day.Add(time.Duration(i) * time.Minute).Format(time.RFC3339)
		fmt.Fprintf(&b, `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::%[1]s:user/alice","accountId":"%[1]s","userName":"alice"},"eventTime":"%[2]s","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"%[3]s","sourceIPAddress":"192.0.2.1","userAgent":"Mozilla/5.0","requestParameters":null,"responseElements":{"ConsoleLogin":"Success"},"eventID":"%[4]s-%[5]d","readOnly":false,"eventType":"AwsConsoleSignIn","managementEvent":true,"recipientAccountId":"%[1]s","eventCategory":"Management"}`,
			account, t, region, key, i)
	}
	b.WriteString(`]}`)
	var buf bytes.Buffer
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(&buf)
	zw.Write([]byte(b.String()))
	zw.Close()
	return buf.Bytes()
}

var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

// trailKey returns the key CloudTrail gives a log file.
func trailKey(org, account, region string, day time.Time, seq int) string {
	p := "AWSLogs/"
	if org != "" {
		p += org + "/"
	}
	return fmt.Sprintf("%s%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%sT%02d%02dZ_%04dabcdEFGH.json.gz",
		p, account, region, day.Format("2006/01/02"), account, region, day.Format("20060102"), seq/60%24, seq%60, seq)
}
