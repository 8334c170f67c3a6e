package s3src_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/source"
	"github.com/trailq/trailq/internal/source/s3src"
	"github.com/trailq/trailq/internal/source/sourcetest"
)

var (
	_ source.Source    = (*s3src.Source)(nil)
	_ source.DirLister = (*s3src.Source)(nil)
	_ ingest.Locator   = (*s3src.Source)(nil)
)

func TestConformance(t *testing.T) {
	for _, tc := range []struct{ name, root string }{{"bucket", ""}, {"prefix", "some/root/"}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, "trail")
			for k, v := range sourcetest.Objects {
				srv.put(t, "trail", tc.root+k, []byte(v))
			}
			if tc.root != "" {
				// Neighbours of the root that must not be listed.
				srv.put(t, "trail", "some/rootless.json", []byte(`{}`))
				srv.put(t, "trail", "other/x.json", []byte(`{}`))
			}
			src := srv.open(t, "s3://trail/"+strings.TrimSuffix(tc.root, "/"))
			sourcetest.Run(t, src)
		})
	}
}

func TestParseSpec(t *testing.T) {
	for _, tc := range []struct{ spec, bucket, prefix string }{
		{"s3://b", "b", ""},
		{"s3://b/", "b", ""},
		{"s3://b/AWSLogs", "b", "AWSLogs/"},
		{"s3://b/AWSLogs/o-abcdefghij/", "b", "AWSLogs/o-abcdefghij/"},
		{"s3://b//x", "b", "x/"},
	} {
		b, p, err := s3src.ParseSpec(tc.spec)
		if err != nil || b != tc.bucket || p != tc.prefix {
			t.Errorf("ParseSpec(%q) = %q, %q, %v; want %q, %q", tc.spec, b, p, err, tc.bucket, tc.prefix)
		}
	}
	for _, bad := range []string{"s3://", "s3:///x", "/tmp/x", "s3://a b/c"} {
		if _, _, err := s3src.ParseSpec(bad); err == nil {
			t.Errorf("ParseSpec(%q) = no error, want one", bad)
		}
	}
}

func TestObjectsCarryETagSizeAndTime(t *testing.T) {
	srv := newServer(t, "trail")
	srv.put(t, "trail", "a.json", []byte(`{"Records":[]}`))
	src := srv.open(t, "s3://trail")
	var got []source.Object
	if err := src.List(t.Context(), "", func(o source.Object) error { got = append(got, o); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("listed %d objects, want 1", len(got))
	}
	o := got[0]
	if o.ETag == "" || strings.Contains(o.ETag, `"`) || o.Size != 14 || o.ModTime.IsZero() {
		t.Fatalf("object = %+v, want an unquoted ETag, size 14 and a modification time", o)
	}
	if got, want := o.Version(), o.ETag; got != want {
		t.Fatalf("Version() = %q, want the ETag %q", got, want)
	}
	if got, want := src.Location("a.json"), "s3://trail/a.json"; got != want {
		t.Fatalf("Location = %q, want %q", got, want)
	}
}

func TestListDirsOrganizationLayout(t *testing.T) {
	srv := newServer(t, "trail")
	for _, k := range []string{
		"AWSLogs/o-abcdefghij/111111111111/CloudTrail/us-east-1/2024/09/01/a.json.gz",
		"AWSLogs/o-abcdefghij/111111111111/CloudTrail/eu-west-1/2024/09/01/b.json.gz",
		"AWSLogs/o-abcdefghij/222222222222/CloudTrail/us-east-1/2024/09/02/c.json.gz",
		"AWSLogs/o-abcdefghij/222222222222/CloudTrail-Digest/us-east-1/2024/09/02/d.json.gz",
		"AWSLogs/top.json",
	} {
		srv.put(t, "trail", k, []byte("x"))
	}
	src := srv.open(t, "s3://trail")
	dirs, err := src.ListDirs(t.Context(), "AWSLogs/o-abcdefghij/")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(dirs, ","), "111111111111,222222222222"; got != want {
		t.Fatalf("ListDirs = %s, want %s", got, want)
	}
	if dirs, err := src.ListDirs(t.Context(), "nothing/"); err != nil || len(dirs) != 0 {
		t.Fatalf("ListDirs(missing) = %q, %v; want none, no error", dirs, err)
	}
	trails, ok, err := ingest.DiscoverTrails(t.Context(), src, "")
	if err != nil || !ok {
		t.Fatalf("DiscoverTrails = %v, %v", ok, err)
	}
	var got []string
	for _, tr := range trails {
		got = append(got, tr.OrgID+" "+tr.Account+" "+tr.Region)
	}
	if g, want := strings.Join(got, ","), "o-abcdefghij 111111111111 eu-west-1,o-abcdefghij 111111111111 us-east-1,o-abcdefghij 222222222222 us-east-1"; g != want {
		t.Fatalf("trails = %s, want %s", g, want)
	}
	if n := srv.lists.Load(); n != 0 {
		t.Fatalf("%d object listings, want only folder listings", n)
	}
}

func TestBucketRegionIsFound(t *testing.T) {
	srv := newServer(t, "trail")
	srv.put(t, "trail", "a.json", []byte(`{}`))
	// Like S3: a request signed for another region than the bucket's gets 301 and the bucket's region.
	srv.setInject(func(r *http.Request) (int, string, http.Header) {
		if !strings.Contains(r.Header.Get("Authorization"), "/eu-west-1/s3/") {
			return http.StatusMovedPermanently, "PermanentRedirect", http.Header{"X-Amz-Bucket-Region": {"eu-west-1"}}
		}
		return 0, "", nil
	})
	src := srv.open(t, "s3://trail") // first request goes to us-east-1
	if got, want := src.Region(), "eu-west-1"; got != want {
		t.Fatalf("Region() = %q, want %q", got, want)
	}
	n := 0
	if err := src.List(t.Context(), "", func(source.Object) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("List in the found region: %d objects, %v", n, err)
	}
}

func TestErrorsNameBucketAndFix(t *testing.T) {
	srv := newServer(t, "trail")
	srv.put(t, "trail", "AWSLogs/a.json", []byte(`{}`))

	t.Run("NoSuchBucket", func(t *testing.T) {
		_, err := s3src.New(t.Context(), "s3://nope/AWSLogs", srv.options())
		assertErr(t, err, "nope", "check the name")
	})
	t.Run("ListForbidden", func(t *testing.T) {
		src := srv.open(t, "s3://trail/AWSLogs")
		srv.setInject(func(r *http.Request) (int, string, http.Header) {
			if r.URL.Query().Get("list-type") == "2" {
				return http.StatusForbidden, "AccessDenied", nil
			}
			return 0, "", nil
		})
		defer srv.setInject(nil)
		err := src.List(t.Context(), "", func(source.Object) error { return nil })
		assertErr(t, err, "s3://trail/AWSLogs/", "s3:ListBucket")
	})
	t.Run("GetForbidden", func(t *testing.T) {
		src := srv.open(t, "s3://trail/AWSLogs")
		srv.setInject(func(r *http.Request) (int, string, http.Header) {
			if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "a.json") {
				return http.StatusForbidden, "AccessDenied", nil
			}
			return 0, "", nil
		})
		defer srv.setInject(nil)
		_, err := src.Open(t.Context(), "a.json")
		assertErr(t, err, "s3://trail/AWSLogs/a.json", "kms:Decrypt")
		if errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("a refused GET matches fs.ErrNotExist: %v", err)
		}
	})
	t.Run("WrongRegion", func(t *testing.T) {
		src := srv.open(t, "s3://trail/AWSLogs")
		srv.setInject(func(r *http.Request) (int, string, http.Header) {
			return http.StatusMovedPermanently, "PermanentRedirect", http.Header{"X-Amz-Bucket-Region": {"ap-south-1"}}
		})
		defer srv.setInject(nil)
		err := src.List(t.Context(), "", func(source.Object) error { return nil })
		assertErr(t, err, "s3://trail/AWSLogs/", "--aws-region ap-south-1")
	})
}

func assertErr(t *testing.T, err error, wants ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	t.Logf("error: %v", err)
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	if strings.Contains(err.Error(), testSecret) || strings.Contains(err.Error(), testKeyID) {
		t.Errorf("error %q shows the credentials", err)
	}
}

func TestThrottlingIsRetried(t *testing.T) {
	srv := newServer(t, "trail")
	srv.put(t, "trail", "a.json", []byte(`{"Records":[]}`))
	src := srv.open(t, "s3://trail")
	var refused atomic.Int64
	srv.setInject(func(r *http.Request) (int, string, http.Header) {
		if refused.Add(1) <= 4 {
			return http.StatusServiceUnavailable, "SlowDown", nil
		}
		return 0, "", nil
	})
	srv.resetCounts()
	rc, err := src.Open(t.Context(), "a.json")
	if err != nil {
		t.Fatalf("Open after 4 SlowDown answers: %v", err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != `{"Records":[]}` {
		t.Fatalf("read %q", b)
	}
	if got, want := srv.gets.Load(), int64(5); got != want {
		t.Fatalf("server saw %d GETs, want %d (4 refused, then the one served)", got, want)
	}
}

func TestCancelledOpen(t *testing.T) {
	srv := newServer(t, "trail")
	srv.put(t, "trail", "a.json", []byte(`{}`))
	src := srv.open(t, "s3://trail")
	ctx, cancel := context.WithCancel(t.Context())
	// A server that never answers until the test ends: cancelling must still return at once.
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	srv.setInject(func(r *http.Request) (int, string, http.Header) {
		cancel()
		select {
		case <-block:
		case <-r.Context().Done():
		}
		return http.StatusServiceUnavailable, "SlowDown", nil
	})
	_, err := src.Open(ctx, "a.json")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Open = %v, want context.Canceled", err)
	}
}

func TestNoCredentials(t *testing.T) {
	srv := newServer(t, "trail")
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_WEB_IDENTITY_TOKEN_FILE": "",
	} {
		t.Setenv(k, v)
	}
	opts := srv.options()
	opts.Credentials = nil // the default chain, which finds nothing here
	_, err := s3src.New(t.Context(), "s3://trail/AWSLogs", opts)
	assertErr(t, err, "s3://trail", "no credentials", "aws sso login")
}

func TestNoAnswer(t *testing.T) {
	srv := newServer(t, "trail")
	opts := srv.options()
	opts.EndpointURL = "http://127.0.0.1:1" // nothing listens there
	opts.MaxAttempts = 1
	_, err := s3src.New(t.Context(), "s3://trail", opts)
	assertErr(t, err, "s3://trail", "--endpoint-url")
}

func TestBrokenBodyIsResumed(t *testing.T) {
	srv := newServer(t, "trail")
	body := make([]byte, 300_000)
	for i := range body {
		body[i] = byte(i * 7 % 251)
	}
	srv.put(t, "trail", "big.json.gz", body)
	src := srv.open(t, "s3://trail")

	var gets atomic.Int64
	var ranges []string
	var mu sync.Mutex
	srv.setFault(func(r *http.Request) fault {
		if !isObjectGet(r) {
			return fault{}
		}
		mu.Lock()
		ranges = append(ranges, r.Header.Get("Range"))
		mu.Unlock()
		if n := gets.Add(1); n <= 2 {
			return fault{resetAt: n * 100_000} // the first two connections break off
		}
		return fault{}
	})
	rc, err := src.Open(t.Context(), "big.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatalf("read after two broken connections: %v", err)
	}
	if !bytes.Equal(got, body) {
		t.Fatalf("read %d bytes, not the object's %d", len(got), len(body))
	}
	if want := []string{"", "bytes=100000-", "bytes=200000-"}; !slices.Equal(ranges, want) {
		t.Fatalf("GETs with ranges %q, want %q", ranges, want)
	}

	// A connection that always breaks at the same byte: the read fails after the last attempt, it does not loop.
	srv.setFault(func(r *http.Request) fault {
		if isObjectGet(r) {
			return fault{resetAt: 50_000}
		}
		return fault{}
	})
	srv.resetCounts()
	rc, err = src.Open(t.Context(), "big.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(rc)
	rc.Close()
	assertErr(t, err, "read s3://trail/big.json.gz", "at byte 50000 of 300000, after 3 resumed GETs", "the next load reads it again")
	if got, want := srv.gets.Load(), int64(4); got != want {
		t.Fatalf("%d GETs, want %d (the first and 3 resumed)", got, want)
	}
}

// TestIdentityNamesTheEndpoint: the same bucket on two S3-compatible endpoints is two sources (two stores).
func TestIdentityNamesTheEndpoint(t *testing.T) {
	a, b := newServer(t, "trail"), newServer(t, "trail")
	sa, sb := a.open(t, "s3://trail/AWSLogs/"), b.open(t, "s3://trail/AWSLogs/")
	if sa.String() != sb.String() {
		t.Fatalf("String() differs: %q, %q", sa.String(), sb.String())
	}
	if sa.Identity() == sb.Identity() {
		t.Errorf("Identity() = %q for both endpoints", sa.Identity())
	}
	var _ source.Identifier = sa
}
