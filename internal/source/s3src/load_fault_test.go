package s3src_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/source/s3src"
	"github.com/trailq/trailq/internal/store"
)

const (
	goodObjects = 4 // beside the victim, 3 records each
	goodRecords = goodObjects * 3
)

// faultBucket holds goodObjects objects of 3 records and the victim, an object of n records, in one day folder.
func faultBucket(t *testing.T, n int) (srv *server, victim string, size int64) {
	t.Helper()
	srv = newServer(t, "trail")
	for i := range goodObjects {
		k := trailKey("", "111111111111", "us-east-1", day0, i)
		srv.put(t, "trail", k, logObject(k, "111111111111", "us-east-1", day0, 3))
	}
	victim = trailKey("", "111111111111", "us-east-1", day0, 9)
	body := logObject(victim, "111111111111", "us-east-1", day0, n)
	srv.put(t, "trail", victim, body)
	return srv, victim, int64(len(body))
}

// onVictim gives the i-th GET of the victim (from 1) the fault of(i); other requests have none.
func onVictim(victim string, of func(i int) fault) func(r *http.Request) fault {
	var n atomic.Int64
	return func(r *http.Request) fault {
		if !isObjectGet(r) || !strings.HasSuffix(r.URL.Path, "/"+victim) {
			return fault{}
		}
		return of(int(n.Add(1)))
	}
}

// faultSource opens the bucket with a short idle timeout.
func faultSource(t *testing.T, srv *server) *s3src.Source {
	t.Helper()
	opts := srv.options()
	opts.IdleTimeout = 250 * time.Millisecond // short, but well above a loaded machine's pauses
	src, err := s3src.New(t.Context(), "s3://trail", opts)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// rows returns the events stored and their distinct event IDs, and those of the victim.
func rows(t *testing.T, st *store.Store, victim string) (all, distinct, ofVictim int64) {
	t.Helper()
	all = count(t, st, `SELECT count(*) FROM cloudtrail_events`)
	distinct = count(t, st, `SELECT count(DISTINCT eventid) FROM cloudtrail_events`)
	ofVictim = count(t, st, `SELECT count(*) FROM cloudtrail_events WHERE starts_with(eventid, '`+victim+`')`)
	return all, distinct, ofVictim
}

// TestLoadDownloadFaultsAreReadAgain: an object whose download fails on every try (reset, a body shorter than
// its size, a stall, a resumed answer that is not the rest of it, the object changing between two GETs) is named
// as failed this time, the rest is loaded, and the next load, with the network healthy, reads it again: its
// records then all present exactly once (none of the records kept the first time twice, nothing spliced).
func TestLoadDownloadFaultsAreReadAgain(t *testing.T) {
	const n = 400 // less than a chunk (2,000 records): the victim is handed to the store in one
	for _, tc := range []struct {
		name string
		of   func(size int64, rewrite func()) func(i int) fault
		// wants are what the victim's problem says ({size} is the victim's size, {60%} 60 % of it).
		wants []string
		// n is the victim's records; records how many it has once read whole (n, or those of its new version).
		n       int
		records int64
	}{
		{"reset every try", func(size int64, _ func()) func(int) fault {
			return func(int) fault { return fault{resetAt: size * 6 / 10} }
		}, []string{"after 3 resumed GETs", "the next load reads it again"}, n, n},
		// More than a chunk: its first chunks reach the store before the break.
		{"reset every try, read in chunks", func(size int64, _ func()) func(int) fault {
			return func(int) fault { return fault{resetAt: size * 6 / 10} }
		}, []string{"after 3 resumed GETs", "the next load reads it again"}, 5000, 5000},
		{"short body every try", func(size int64, _ func()) func(int) fault {
			// A clean end with a Content-Length that says so: only the listed size shows the body is short.
			return func(int) fault { return fault{endAt: size * 6 / 10} }
		}, []string{"the object ended after {60%} of its {size} bytes", "the next load reads it again"}, n, n},
		{"stall every try", func(size int64, _ func()) func(int) fault {
			return func(int) fault { return fault{stallAt: size * 6 / 10} }
		}, []string{"no data for 250ms (the connection stalled)", "after 3 resumed GETs", "the next load reads it again"}, n, n},
		{"wrong range", func(size int64, _ func()) func(int) fault {
			return func(i int) fault {
				if i == 1 {
					return fault{resetAt: size * 6 / 10}
				}
				return fault{wrongRange: true}
			}
		}, []string{"it was not resumed", "the next load reads it again"}, n, n},
		{"changed between two GETs", func(size int64, rewrite func()) func(int) fault {
			return func(i int) fault {
				if i == 1 {
					return fault{resetAt: size * 6 / 10}
				}
				if i == 2 {
					return fault{before: rewrite}
				}
				return fault{}
			}
		}, []string{"the object changed while it was read", "the next load reads it again"}, n, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, victim, size := faultBucket(t, tc.n)
			rewrite := func() {
				b := logObject(victim+"v2", "111111111111", "us-east-1", day0, 7)
				if _, err := srv.backend.PutObject("trail", victim, map[string]string{}, bytes.NewReader(b), int64(len(b)), nil); err != nil {
					t.Error(err)
				}
			}
			src := faultSource(t, srv)
			st := openStore(t)
			srv.setFault(onVictim(victim, tc.of(size, rewrite)))
			start := time.Now()
			rep, err := ingest.Run(t.Context(), src, st, ingest.Options{Workers: 4})
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("the first load took %s", d)
			}
			if rep.Loaded != goodObjects+1 || len(rep.Files) != 1 || rep.Files[0].Key != victim {
				t.Fatalf("first load: %d objects read, problems %+v; want %d and the victim named", rep.Loaded, rep.Files, goodObjects+1)
			}
			fr := rep.Files[0]
			t.Logf("first load: %s %s (%d records kept)", fr.Outcome, fr.Detail, fr.Records)
			for _, w := range tc.wants {
				w = strings.NewReplacer("{60%}", fmt.Sprint(size*6/10), "{size}", fmt.Sprint(size)).Replace(w)
				if !strings.Contains(fr.Detail, w) {
					t.Errorf("the victim's problem %q does not say %q", fr.Detail, w)
				}
			}
			all, distinct, ofVictim := rows(t, st, victim)
			if all != goodRecords+int64(fr.Records) || distinct != all || ofVictim != int64(fr.Records) {
				t.Fatalf("first load: %d rows (%d distinct, %d of the victim), want %d good and the victim's %d kept", all, distinct, ofVictim, goodRecords, fr.Records)
			}

			// The network healthy again: the next load reads the victim (only it), whole, once.
			srv.setFault(nil)
			srv.resetCounts()
			rep, err = ingest.Run(t.Context(), src, st, ingest.Options{Workers: 4})
			if err != nil {
				t.Fatal(err)
			}
			if got := srv.gets.Load(); got != 1 || len(rep.Files) != 0 || rep.Loaded != 1 {
				t.Fatalf("second load: %d GETs, %d objects read, problems %+v; want the victim read again, alone, without a problem", got, rep.Loaded, rep.Files)
			}
			all, distinct, ofVictim = rows(t, st, victim)
			if want := goodRecords + tc.records; all != want || distinct != want || ofVictim != tc.records {
				t.Fatalf("second load: %d rows (%d distinct, %d of the victim), want %d (%d of the victim), each once", all, distinct, ofVictim, want, tc.records)
			}

			// Complete now: nothing left to read.
			srv.resetCounts()
			if _, err := ingest.Run(t.Context(), src, st, ingest.Options{Workers: 4}); err != nil {
				t.Fatal(err)
			}
			if got := srv.gets.Load(); got != 0 {
				t.Fatalf("third load: %d GETs, want 0", got)
			}
		})
	}
}

// TestLoadResumedDownloadsThatWork: a download that breaks off and is resumed from a server that ignores ranges
// (200 with the whole object), and an object rewritten between the listing and its GET, load whole, with the
// version fetched recorded: the next load reads nothing.
func TestLoadResumedDownloadsThatWork(t *testing.T) {
	const n = 400
	for _, tc := range []struct {
		name    string
		of      func(size int64, rewrite func()) func(i int) fault
		records int64
	}{
		{"range ignored", func(size int64, _ func()) func(int) fault {
			return func(i int) fault {
				if i == 1 {
					return fault{resetAt: size * 6 / 10}
				}
				return fault{ignoreRange: true}
			}
		}, n},
		{"rewritten after the listing", func(size int64, rewrite func()) func(int) fault {
			return func(i int) fault {
				if i == 1 {
					return fault{before: rewrite}
				}
				return fault{}
			}
		}, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, victim, size := faultBucket(t, n)
			rewrite := func() {
				b := logObject(victim+"v2", "111111111111", "us-east-1", day0, 7)
				if _, err := srv.backend.PutObject("trail", victim, map[string]string{}, bytes.NewReader(b), int64(len(b)), nil); err != nil {
					t.Error(err)
				}
			}
			src := faultSource(t, srv)
			st := openStore(t)
			srv.setFault(onVictim(victim, tc.of(size, rewrite)))
			rep, err := ingest.Run(t.Context(), src, st, ingest.Options{Workers: 4})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Loaded != goodObjects+1 || len(rep.Files) != 0 {
				t.Fatalf("first load: %d objects read, problems %+v; want %d, none", rep.Loaded, rep.Files, goodObjects+1)
			}
			all, distinct, ofVictim := rows(t, st, victim)
			if want := goodRecords + tc.records; all != want || distinct != want || ofVictim != tc.records {
				t.Fatalf("%d rows (%d distinct, %d of the victim), want %d (%d of the victim)", all, distinct, ofVictim, want, tc.records)
			}
			srv.setFault(nil)
			srv.resetCounts()
			rep, err = ingest.Run(t.Context(), src, st, ingest.Options{Workers: 4})
			if err != nil {
				t.Fatal(err)
			}
			if got := srv.gets.Load(); got != 0 || rep.Unchanged != goodObjects+1 {
				t.Fatalf("second load: %d GETs, %d unchanged; want 0, %d (the version fetched was recorded)", got, rep.Unchanged, goodObjects+1)
			}
		})
	}
}

// TestLoadVanishedObject: an object listed but deleted before its GET is named (gone) and the rest loaded.
func TestLoadVanishedObject(t *testing.T) {
	srv, victim, _ := faultBucket(t, 5)
	src := faultSource(t, srv)
	st := openStore(t)
	srv.setFault(onVictim(victim, func(int) fault {
		return fault{before: func() { srv.backend.DeleteObject("trail", victim) }}
	}))
	rep, err := ingest.Run(t.Context(), src, st, ingest.Options{Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Files) != 1 || rep.Files[0].Key != victim || rep.Files[0].Outcome != store.OutcomeFailed {
		t.Fatalf("problems %+v, want the vanished object failed", rep.Files)
	}
	assertErr(t, fmt.Errorf("%s", rep.Files[0].Detail), "s3://trail/"+victim, "NoSuchKey", "the object is gone")
	if all, _, _ := rows(t, st, victim); all != goodRecords {
		t.Fatalf("%d rows, want %d", all, goodRecords)
	}
	srv.resetCounts()
	rep, err = ingest.Run(t.Context(), src, st, ingest.Options{Workers: 4})
	if err != nil || len(rep.Files) != 0 || srv.gets.Load() != 0 {
		t.Fatalf("next load: %v, problems %+v, %d GETs; want nothing to do", err, rep.Files, srv.gets.Load())
	}
}

// TestLoadHostileListings: a folder whose listing would never end (a continuation token repeated) is named and
// the others loaded (and what it listed before); a key with a control character (raw in the XML, from a server that ignores
// encoding-type=url) is loaded with the rest.
func TestLoadHostileListings(t *testing.T) {
	srv := newServer(t, "trail")
	srv.pageSize = 2
	days := []time.Time{day0, day0.AddDate(0, 0, 1)}
	var prefixes []string
	for _, day := range days {
		for i := range 5 {
			k := trailKey("", "111111111111", "us-east-1", day, i)
			if i == 2 {
				k = strings.Replace(k, "abcd", "ab"+escMarker+"cd", 1)
			}
			srv.put(t, "trail", k, logObject(k, "111111111111", "us-east-1", day, 3))
		}
		prefixes = append(prefixes, "AWSLogs/111111111111/CloudTrail/us-east-1/"+day.Format("2006/01/02")+"/")
	}
	src := faultSource(t, srv)
	st := openStore(t)
	srv.setFault(func(r *http.Request) fault {
		if q := r.URL.Query(); q.Get("prefix") == prefixes[1] && q.Get("continuation-token") != "" {
			return fault{listing: func(r *http.Request, body []byte) []byte {
				return replaceElem(body, "NextContinuationToken", r.URL.Query().Get("continuation-token"))
			}}
		}
		return fault{}
	})
	rep, err := ingest.Run(t.Context(), src, st, ingest.Options{Prefixes: prefixes, Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Files) != 1 || rep.Files[0].Key != prefixes[1] || rep.Files[0].Outcome != ingest.OutcomeNotListed {
		t.Fatalf("problems %+v, want the looping folder not listed", rep.Files)
	}
	assertErr(t, fmt.Errorf("%s", rep.Files[0].Detail), "list s3://trail/"+prefixes[1], "which the server already gave")
	// The first folder whole; of the second, the two pages listed before the token came again.
	if rep.Loaded != 5+4 {
		t.Fatalf("loaded %d objects, want 9", rep.Loaded)
	}
	if got := count(t, st, `SELECT count(*) FROM cloudtrail_events`); got != 9*3 {
		t.Fatalf("%d rows, want %d", got, 9*3)
	}
	if got := count(t, st, `SELECT count(*) FROM cloudtrail_events WHERE contains(_path, chr(27))`); got != 2*3 {
		t.Fatalf("%d rows from the keys with ESC, want %d", got, 2*3)
	}
}
