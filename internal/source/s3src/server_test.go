package s3src_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/trailq/trailq/internal/source/s3src"
)

// Test credentials: static, and distinctive so that a test can check they never show up in messages.
const (
	testKeyID  = "AKIATRAILQTEST00001"
	testSecret = "trailq/TEST/secret/do-not-print/0000000"
)

// server is gofakes3 (an in-process S3 implementation) on a loopback port, behind a middleware that counts
// requests, can answer some of them with an error instead (inject), and can make their answers hostile (fault):
// resets, stalls, short bodies, ranges ignored or answered wrongly, objects changed or deleted in between, listings
// rewritten. Unlike gofakes3 it honours If-Match on GET (412 when the object changed, as S3 does), and, when
// encodeKeys is set, encoding-type=url on listings.
type server struct {
	URL     string
	backend *s3mem.Backend

	lists, dirLists, gets, heads atomic.Int64

	mu       sync.Mutex
	prefixes []string // prefixes of the object (non-delimiter) listings, in order
	inject   func(r *http.Request) (status int, code string, header http.Header)
	fault    func(r *http.Request) fault
	// encodeKeys makes listings honour encoding-type=url, as S3 does (gofakes3 ignores it).
	encodeKeys bool
	// escForm is how a listing that does not encode keys writes the ESC of a key (see escMarker): raw by default,
	// or as a character reference ("&#x1b;").
	escForm string
	// pageSize, when > 0, caps the keys of a listing page (S3 may give fewer than max-keys).
	pageSize int
	done     chan struct{} // closed when the test ends: stalled answers give up
}

// escMarker stands for an ESC character in the keys the backend holds: a listing shows it as ESC (raw, as a
// character reference, or %1B when keys are URL-encoded) and a GET of a key with ESC reads the backend's key with
// the marker. So the server holds keys with a control character, which gofakes3 itself cannot list.
const escMarker = "_ESC_"

// fault is what the server does to one request on top of answering it. The zero fault answers it as gofakes3 does.
type fault struct {
	// resetAt, stallAt and endAt, when > 0, act at that byte of the object (a resumed GET that starts beyond it
	// meets it at once): the connection is reset (TCP RST); or goes silent until the client leaves; or the body
	// ends there cleanly, with a Content-Length that says so (a proxy that cut it short).
	resetAt, stallAt, endAt int64
	// ignoreRange answers a ranged GET with 200 and the whole object; wrongRange answers it with 206 from byte 0.
	ignoreRange, wrongRange bool
	// ignoreIfMatch serves the object whatever If-Match says.
	ignoreIfMatch bool
	// before runs before the request is answered (to delete or rewrite the object in between).
	before func()
	// listing rewrites the answer to a listing.
	listing func(r *http.Request, body []byte) []byte
}

// faultWriter applies a fault's body faults to an object's answer. off is the object offset of the next byte.
type faultWriter struct {
	http.ResponseWriter
	r           *http.Request
	f           fault
	done        <-chan struct{}
	off         int64
	wroteHeader bool
	gone        bool // the connection is gone, or the body ended: what the handler writes is dropped
}

var errGone = errors.New("connection gone (fault)")

func (w *faultWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	if w.f.endAt > 0 && code/100 == 2 {
		w.Header().Set("Content-Length", strconv.FormatInt(max(0, w.f.endAt-w.off), 10))
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *faultWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.gone {
		if w.f.endAt > 0 {
			return len(p), nil // the short body is complete; the rest is dropped quietly
		}
		return 0, errGone
	}
	cut, what := int64(len(p)), ""
	for _, a := range []struct {
		at   int64
		what string
	}{{w.f.resetAt, "reset"}, {w.f.stallAt, "stall"}, {w.f.endAt, "end"}} {
		if a.at <= 0 {
			continue
		}
		if c := max(0, a.at-w.off); c < cut {
			cut, what = c, a.what
		}
	}
	if what == "" {
		w.off += int64(len(p))
		return w.ResponseWriter.Write(p)
	}
	n, _ := w.ResponseWriter.Write(p[:cut])
	w.off += int64(n)
	w.ResponseWriter.(http.Flusher).Flush()
	w.gone = true
	switch what {
	case "reset":
		conn, _, err := w.ResponseWriter.(http.Hijacker).Hijack()
		if err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.SetLinger(0) // RST, not FIN
			}
			conn.Close()
		}
	case "stall":
		select {
		case <-w.r.Context().Done():
		case <-w.done:
		}
	case "end":
		return len(p), nil
	}
	return n, errGone
}

func newServer(tb testing.TB, buckets ...string) *server {
	tb.Helper()
	s := &server{backend: s3mem.New(), done: make(chan struct{})}
	fake := gofakes3.New(s.backend, gofakes3.WithLogger(gofakes3.DiscardLog()))
	h := fake.Server()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		listing := r.Method == http.MethodGet && q.Get("list-type") == "2"
		switch {
		case listing && q.Get("delimiter") != "":
			s.dirLists.Add(1)
		case listing:
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
		inject, faultOf, encodeKeys, escForm, pageSize := s.inject, s.fault, s.encodeKeys, s.escForm, s.pageSize
		s.mu.Unlock()
		if inject != nil {
			if status, code, header := inject(r); status != 0 {
				writeError(w, r, status, code, header)
				return
			}
		}
		var f fault
		if faultOf != nil {
			f = faultOf(r)
		}
		if f.before != nil {
			f.before()
		}
		if strings.Contains(r.URL.Path, "\x1b") {
			r.URL.Path, r.URL.RawPath = strings.ReplaceAll(r.URL.Path, "\x1b", escMarker), ""
		}
		if listing {
			if pageSize > 0 {
				q.Set("max-keys", strconv.Itoa(pageSize))
				r.URL.RawQuery = q.Encode()
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			if rec.Code == http.StatusOK {
				body = rewriteListing(body, encodeKeys && q.Get("encoding-type") == "url", escForm)
				if f.listing != nil {
					body = f.listing(r, body)
				}
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(rec.Code)
			w.Write(body)
			return
		}
		if r.Method != http.MethodGet {
			h.ServeHTTP(w, r)
			return
		}
		bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if im := r.Header.Get("If-Match"); im != "" && !f.ignoreIfMatch {
			if obj, err := s.backend.HeadObject(bucket, key); err == nil && im != `"`+hex.EncodeToString(obj.Hash)+`"` {
				writeError(w, r, http.StatusPreconditionFailed, "PreconditionFailed", nil)
				return
			}
		}
		fw := &faultWriter{ResponseWriter: w, r: r, f: f, done: s.done}
		switch rng := r.Header.Get("Range"); {
		case f.ignoreRange:
			r.Header.Del("Range")
		case f.wrongRange && rng != "":
			r.Header.Set("Range", "bytes=0-")
		default:
			if from, ok := strings.CutPrefix(rng, "bytes="); ok {
				from, _, _ = strings.Cut(from, "-")
				fw.off, _ = strconv.ParseInt(from, 10, 64)
			}
		}
		h.ServeHTTP(fw, r)
	}))
	tb.Cleanup(ts.Close)
	tb.Cleanup(func() { close(s.done) }) // runs first: stalled answers end, so that Close does not wait on them
	s.URL = ts.URL
	for _, b := range buckets {
		if err := s.backend.CreateBucket(b); err != nil {
			tb.Fatal(err)
		}
	}
	return s
}

// writeError answers with an S3 error.
func writeError(w http.ResponseWriter, r *http.Request, status int, code string, header http.Header) {
	for k, v := range header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected by the test</Message><RequestId>T1</RequestId></Error>`, code)
	}
}

var nameElem = regexp.MustCompile(`<(Key|Prefix)>([^<]*)</(?:Key|Prefix)>`)

// rewriteListing URL-encodes a listing's keys and prefixes when encode is set (adding <EncodingType>url), and
// writes the ESC that escMarker stands for: %1B when encoded, else escForm (raw ESC by default).
func rewriteListing(body []byte, encode bool, escForm string) []byte {
	if encode {
		body = nameElem.ReplaceAllFunc(body, func(m []byte) []byte {
			sub := nameElem.FindSubmatch(m)
			return []byte("<" + string(sub[1]) + ">" + url.QueryEscape(html.UnescapeString(string(sub[2]))) + "</" + string(sub[1]) + ">")
		})
		body = bytes.Replace(body, []byte("<Name>"), []byte("<EncodingType>url</EncodingType><Name>"), 1)
		return bytes.ReplaceAll(body, []byte(escMarker), []byte("%1B"))
	}
	if escForm == "" {
		escForm = "\x1b"
	}
	return bytes.ReplaceAll(body, []byte(escMarker), []byte(escForm))
}

func (s *server) setFault(f func(r *http.Request) fault) {
	s.mu.Lock()
	s.fault = f
	s.mu.Unlock()
}

// isObjectGet says whether r is a GET of an object (not a listing).
func isObjectGet(r *http.Request) bool {
	return r.Method == http.MethodGet && r.URL.Query().Get("list-type") == ""
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
