package s3src_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/source"
	"github.com/trailq/trailq/internal/source/s3src"
)

// bigBody is an object of 300,000 bytes that no shift of itself equals (a splice would show).
func bigBody() []byte {
	body := make([]byte, 300_000)
	for i := range body {
		body[i] = byte(i * 7 % 251)
	}
	return body
}

// nthGet returns a fault function that gives the i-th GET of an object (from 1) faults[i-1], and no fault after.
func nthGet(faults ...fault) func(r *http.Request) fault {
	var n atomic.Int64
	return func(r *http.Request) fault {
		if !isObjectGet(r) {
			return fault{}
		}
		if i := n.Add(1); int(i) <= len(faults) {
			return faults[i-1]
		}
		return fault{}
	}
}

// readAll opens key and reads it whole.
func readAll(t *testing.T, src *s3src.Source, key string) ([]byte, error) {
	t.Helper()
	rc, err := src.Open(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func TestResumedBodyIsChecked(t *testing.T) {
	body := bigBody()
	for _, tc := range []struct {
		name   string
		faults []fault
		gets   int64
		// wants are what the error says; none: the whole object is read.
		wants []string
	}{
		// A resumed answer that ends before its Content-Range's end is resumed again.
		{"short resumed body", []fault{{resetAt: 100_000}, {endAt: 150_000}}, 3, nil},
		// A server that ignores the range answers 200 with the whole object: it is read from the offset.
		{"range ignored", []fault{{resetAt: 100_000}, {ignoreRange: true}}, 2, nil},
		{"range ignored twice", []fault{{resetAt: 100_000}, {ignoreRange: true, resetAt: 200_000}, {ignoreRange: true}}, 3, nil},
		// A 206 from another offset than the one asked would splice the object: refused.
		{"wrong range", []fault{{resetAt: 100_000}, {wrongRange: true}}, 2,
			[]string{`answered the range bytes=100000- with Content-Range "bytes 0-299999/300000": it was not resumed`, "the next load reads it again"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, "trail")
			srv.put(t, "trail", "big.json.gz", body)
			src := srv.open(t, "s3://trail")
			srv.setFault(nthGet(tc.faults...))
			srv.resetCounts()
			got, err := readAll(t, src, "big.json.gz")
			if tc.wants == nil {
				if err != nil {
					t.Fatalf("read: %v", err)
				}
				if !bytes.Equal(got, body) {
					t.Fatalf("read %d bytes, not the object's %d bytes (spliced?)", len(got), len(body))
				}
			} else {
				assertErr(t, err, tc.wants...)
				if !bytes.Equal(got, body[:len(got)]) {
					t.Fatalf("the %d bytes read are not the object's first bytes: spliced", len(got))
				}
			}
			if got := srv.gets.Load(); got != tc.gets {
				t.Fatalf("%d GETs, want %d", got, tc.gets)
			}
		})
	}
}

// TestObjectChangedWhileRead: an object rewritten between the first GET and the resumed one is not spliced,
// whether the server honours If-Match (412, as S3) or not (then the answer's ETag tells).
func TestObjectChangedWhileRead(t *testing.T) {
	body := bigBody()
	other := bytes.Repeat([]byte("x"), len(body))
	for _, tc := range []struct {
		name          string
		ignoreIfMatch bool
		want          string
	}{
		{"If-Match honoured", false, "the object changed while it was read (it is no longer ETag"},
		{"If-Match ignored", true, "the object changed while it was read (ETag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, "trail")
			srv.put(t, "trail", "big.json.gz", body)
			src := srv.open(t, "s3://trail")
			rewrite := func() { srv.put(t, "trail", "big.json.gz", other) }
			srv.setFault(nthGet(fault{resetAt: 100_000}, fault{before: rewrite, ignoreIfMatch: tc.ignoreIfMatch}))
			got, err := readAll(t, src, "big.json.gz")
			assertErr(t, err, "read s3://trail/big.json.gz", tc.want, "the next load reads it again")
			if !bytes.Equal(got, body[:len(got)]) {
				t.Fatalf("the %d bytes read are not the first version's: spliced", len(got))
			}
		})
	}
}

// TestVersionIsWhatWasFetched: the reader's Version is the ETag of the object fetched, not of the one listed.
func TestVersionIsWhatWasFetched(t *testing.T) {
	srv := newServer(t, "trail")
	srv.put(t, "trail", "a.json", []byte(`{"Records":[]}`))
	src := srv.open(t, "s3://trail")
	var listed source.Object
	if err := src.List(t.Context(), "", func(o source.Object) error { listed = o; return nil }); err != nil {
		t.Fatal(err)
	}
	srv.put(t, "trail", "a.json", []byte(`{"Records":[{}]}`)) // rewritten after the listing
	rc, err := src.Open(t.Context(), "a.json")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	v, ok := rc.(source.Versioned)
	if !ok {
		t.Fatalf("the reader (%T) does not say its version", rc)
	}
	srv.resetCounts()
	var now source.Object
	if err := src.List(t.Context(), "", func(o source.Object) error { now = o; return nil }); err != nil {
		t.Fatal(err)
	}
	if v.Version() == listed.ETag || v.Version() != now.ETag {
		t.Fatalf("Version() = %q, want the fetched object's ETag %q (listed: %q)", v.Version(), now.ETag, listed.ETag)
	}
}

func TestStalledBodyTimesOut(t *testing.T) {
	body := bigBody()
	srv := newServer(t, "trail")
	srv.put(t, "trail", "big.json.gz", body)
	opts := srv.options()
	opts.IdleTimeout = 250 * time.Millisecond // short, but well above a loaded machine's pauses
	src, err := s3src.New(t.Context(), "s3://trail", opts)
	if err != nil {
		t.Fatal(err)
	}

	// Stalled once: resumed, read whole.
	srv.setFault(nthGet(fault{stallAt: 100_000}))
	srv.resetCounts()
	start := time.Now()
	got, err := readAll(t, src, "big.json.gz")
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("read %d bytes, %v; want the object's %d", len(got), err, len(body))
	}
	if n := srv.gets.Load(); n != 2 {
		t.Fatalf("%d GETs, want 2 (the stalled one resumed)", n)
	}

	// Stalled on every try: given up after the resumes, naming the stall.
	srv.setFault(func(r *http.Request) fault {
		if isObjectGet(r) {
			return fault{stallAt: 100_000}
		}
		return fault{}
	})
	srv.resetCounts()
	_, err = readAll(t, src, "big.json.gz")
	assertErr(t, err, "read s3://trail/big.json.gz", "no data for 250ms (the connection stalled)", "after 3 resumed GETs", "the next load reads it again")
	if n := srv.gets.Load(); n != 4 {
		t.Fatalf("%d GETs, want 4", n)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %s: the idle timeout did not act", d)
	}
}

// pagedServer holds keys a0 … a5 (and folders d0/ … d5/) listed 2 to a page.
func pagedServer(t *testing.T) *server {
	srv := newServer(t, "trail")
	for i := range 6 {
		srv.put(t, "trail", fmt.Sprintf("p/a%d.json", i), []byte(`{}`))
		srv.put(t, "trail", fmt.Sprintf("p/d%d/x.json", i), []byte(`{}`))
	}
	srv.pageSize = 2
	return srv
}

func listKeys(t *testing.T, src *s3src.Source, prefix string) ([]string, error) {
	t.Helper()
	var keys []string
	err := src.List(t.Context(), prefix, func(o source.Object) error {
		keys = append(keys, o.Key)
		return nil
	})
	return keys, err
}

func TestListingInPages(t *testing.T) {
	srv := pagedServer(t)
	src := srv.open(t, "s3://trail")
	keys, err := listKeys(t, src, "p/")
	if err != nil || len(keys) != 12 {
		t.Fatalf("listed %q, %v; want 12 keys", keys, err)
	}
	dirs, err := src.ListDirs(t.Context(), "p/")
	if got, want := strings.Join(dirs, ","), "d0,d1,d2,d3,d4,d5"; err != nil || got != want {
		t.Fatalf("ListDirs = %s, %v; want %s", got, err, want)
	}
}

// TestListingThatWouldNeverEnd: a server that hands out a continuation token again, gives none while saying the
// listing goes on, or lists the same names again under new tokens is stopped, with an error naming the prefix and
// what the server did, after a few requests.
func TestListingThatWouldNeverEnd(t *testing.T) {
	for _, tc := range []struct {
		name    string
		listing func(r *http.Request, body []byte) []byte
		want    string
	}{
		{"token repeated", func(r *http.Request, body []byte) []byte {
			if tok := r.URL.Query().Get("continuation-token"); tok != "" {
				return replaceElem(body, "NextContinuationToken", tok)
			}
			return body
		}, "which the server already gave: the listing would never end"},
		{"no token", func(r *http.Request, body []byte) []byte {
			return bytes.ReplaceAll(replaceElem(body, "NextContinuationToken", ""), []byte("<NextContinuationToken></NextContinuationToken>"), nil)
		}, "says the listing goes on (IsTruncated) but gives no continuation token"},
		{"first page again", func() func(r *http.Request, body []byte) []byte {
			var first []byte
			return func(r *http.Request, body []byte) []byte {
				tok := r.URL.Query().Get("continuation-token")
				if tok == "" {
					first = body
					return body
				}
				return replaceElem(first, "NextContinuationToken", tok+"x") // the first page, under a new token
			}
		}(), "the server lists names it listed already"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := pagedServer(t)
			src := srv.open(t, "s3://trail")
			srv.setFault(func(r *http.Request) fault {
				if r.URL.Query().Get("list-type") == "2" {
					return fault{listing: tc.listing}
				}
				return fault{}
			})
			srv.resetCounts()
			_, err := listKeys(t, src, "p/")
			assertErr(t, err, "list s3://trail/p/", tc.want, "trailq stopped rather than list for ever")
			if n := srv.lists.Load(); n > 3 {
				t.Fatalf("%d listing requests, want the listing stopped at the second or third", n)
			}
			srv.resetCounts()
			_, err = src.ListDirs(t.Context(), "p/")
			assertErr(t, err, "list s3://trail/p/", tc.want)
			if n := srv.dirLists.Load(); n > 3 {
				t.Fatalf("%d folder listing requests, want the listing stopped at the second or third", n)
			}
		})
	}
}

// replaceElem sets the text of the XML element name in body (the element is added when missing).
func replaceElem(body []byte, name, text string) []byte {
	open, end := []byte("<"+name+">"), []byte("</"+name+">")
	i := bytes.Index(body, open)
	if i < 0 {
		return bytes.Replace(body, []byte("<Name>"), []byte("<"+name+">"+text+"</"+name+"><Name>"), 1)
	}
	j := bytes.Index(body[i:], end)
	return append(append(append([]byte(nil), body[:i+len(open)]...), text...), body[i+j:]...)
}

// TestKeyWithControlCharacter: a key with a control character (ESC) does not fail the listing it is in, however
// the server writes it: URL-encoded (S3 with encoding-type=url), raw or as a character reference (servers that
// ignore encoding-type; XML 1.0 allows neither, and the SDK fails the whole page on it). The key is listed as it
// is and can be read.
func TestKeyWithControlCharacter(t *testing.T) {
	for _, tc := range []struct {
		name    string
		encode  bool
		escForm string
	}{
		{"url-encoded", true, ""},
		{"raw", false, "\x1b"},
		{"character reference", false, "&#x1b;"},
		{"decimal reference", false, "&#27;"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, "trail")
			srv.encodeKeys, srv.escForm, srv.pageSize = tc.encode, tc.escForm, 2
			for _, k := range []string{"p/a.json", "p/b" + escMarker + "c.json", "p/d e+f&g.json", "p/h.json", "p/i.json"} {
				srv.put(t, "trail", k, []byte(`{"Records":[]}`))
			}
			src := srv.open(t, "s3://trail")
			keys, err := listKeys(t, src, "p/")
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if got, want := strings.Join(keys, ","), "p/a.json,p/b\x1bc.json,p/d e+f&g.json,p/h.json,p/i.json"; got != want {
				t.Fatalf("listed %q, want %q", got, want)
			}
			got, err := readAll(t, src, "p/b\x1bc.json")
			if err != nil || string(got) != `{"Records":[]}` {
				t.Fatalf("read the key with ESC: %q, %v", got, err)
			}
		})
	}
}

// TestUnreadableListingNames: a name that cannot be decoded is named and the rest listed; a page that cannot be
// read at all stops the listing with an error naming the prefix and the likely cause, not "HTTP 200".
func TestUnreadableListingNames(t *testing.T) {
	srv := newServer(t, "trail")
	srv.encodeKeys, srv.pageSize = true, 2
	for _, k := range []string{"p/a.json", "p/b" + escMarker + "c.json", "p/h.json", "p/i.json"} {
		srv.put(t, "trail", k, []byte(`{}`))
	}
	src := srv.open(t, "s3://trail")
	srv.setFault(func(r *http.Request) fault {
		return fault{listing: func(r *http.Request, body []byte) []byte { return bytes.ReplaceAll(body, []byte("%1B"), []byte("%ZZ")) }}
	})
	keys, err := listKeys(t, src, "p/")
	var ie *s3src.IncompleteError
	if !errors.As(err, &ie) || len(ie.Unlisted) != 1 || ie.Unlisted[0].Path != "p/b%ZZc.json" {
		t.Fatalf("List error = %v, want an IncompleteError naming p/b%%ZZc.json", err)
	}
	if got, want := strings.Join(keys, ","), "p/a.json,p/h.json,p/i.json"; got != want {
		t.Fatalf("listed %q, want %q", got, want)
	}

	srv.setFault(func(r *http.Request) fault {
		return fault{listing: func(r *http.Request, body []byte) []byte { return body[:len(body)/2] }}
	})
	_, err = listKeys(t, src, "p/")
	assertErr(t, err, "list s3://trail/p/", "the answer is not a listing that can be read", "encoding-type=url")
	if strings.Contains(err.Error(), "HTTP 200") {
		t.Errorf("error %q says only HTTP 200", err)
	}
}
