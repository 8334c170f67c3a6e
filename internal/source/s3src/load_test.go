package s3src_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/store"
	"github.com/trailq/trailq/internal/timewin"
)

const org = "o-abcdefghij"

var (
	orgAccounts = []string{"111111111111", "222222222222", "333333333333"}
	orgRegions  = []string{"eu-west-1", "us-east-1"}
	day0        = time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC)
)

const (
	orgDays        = 10
	filesPerDay    = 2
	recordsPerFile = 3
)

// orgBucket fills bucket "trail" with an organization trail: 3 accounts × 2 regions × 10 days × 2 files of 3
// records, and a digest file per account, region and day (which a load skips).
func orgBucket(t testing.TB) *server {
	t.Helper()
	srv := newServer(t, "trail")
	for _, a := range orgAccounts {
		for _, r := range orgRegions {
			for d := range orgDays {
				day := day0.AddDate(0, 0, d)
				for i := range filesPerDay {
					k := trailKey(org, a, r, day, i)
					srv.put(t, "trail", k, logObject(k, a, r, day, recordsPerFile))
				}
				dk := fmt.Sprintf("AWSLogs/%s/%s/CloudTrail-Digest/%s/%s/%s_CloudTrail-Digest_%s_trail_%s_%sT0000Z.json.gz",
					org, a, r, day.Format("2006/01/02"), a, r, r, day.Format("20060102"))
				srv.put(t, "trail", dk, []byte("digest"))
			}
		}
	}
	return srv
}

const orgObjects = 3 * 2 * orgDays * filesPerDay

func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "s.duckdb"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func count(t testing.TB, st *store.Store, sql string) int64 {
	t.Helper()
	rows, err := st.Query(context.Background(), sql)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if !rows.Next() {
		t.Fatalf("%s: no row", sql)
	}
	v, err := rows.Values()
	if err != nil {
		t.Fatal(err)
	}
	return v[0].(int64)
}

func TestLoadWindowListsOnlyItsDays(t *testing.T) {
	srv := orgBucket(t)
	for _, tc := range []struct {
		name              string
		accounts, regions []string
		trails            int
	}{
		{"all", nil, nil, 6},
		{"filtered", []string{"222222222222"}, []string{"eu-west-1"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := srv.open(t, "s3://trail")
			st := openStore(t)
			srv.resetCounts()
			w := &timewin.Days{From: day0.AddDate(0, 0, 3), To: day0.AddDate(0, 0, 4).Add(5 * time.Hour)} // 09-04 and 09-05
			rep, err := ingest.Run(t.Context(), src, st, ingest.Options{Window: w, Accounts: tc.accounts, Regions: tc.regions, Workers: 8})
			if err != nil {
				t.Fatal(err)
			}
			// Object listings: exactly one per trail and day, each under a day folder of the window.
			if got, want := srv.lists.Load(), int64(tc.trails*2); got != want {
				t.Errorf("server saw %d object listings, want %d (one per trail and day)", got, want)
			}
			for _, p := range srv.listedPrefixes() {
				if !strings.HasSuffix(p, "/2024/09/04/") && !strings.HasSuffix(p, "/2024/09/05/") {
					t.Errorf("listed %q, outside the window's day folders", p)
				}
			}
			// Folder listings to find the trails: "", AWSLogs/, the organization, each account, each CloudTrail/.
			if got, max := srv.dirLists.Load(), int64(3+2*len(orgAccounts)); got > max {
				t.Errorf("server saw %d folder listings, want at most %d", got, max)
			}
			wantObjects := tc.trails * 2 * filesPerDay
			if got := srv.gets.Load(); got != int64(wantObjects) {
				t.Errorf("server saw %d GETs, want %d", got, wantObjects)
			}
			if rep.Loaded != wantObjects || rep.Records != wantObjects*recordsPerFile || len(rep.Files) != 0 {
				t.Errorf("report: loaded %d objects, %d records, %d with problems; want %d, %d, 0",
					rep.Loaded, rep.Records, len(rep.Files), wantObjects, wantObjects*recordsPerFile)
			}
			if got, want := count(t, st, `SELECT count(*) FROM cloudtrail_events`), int64(wantObjects*recordsPerFile); got != want {
				t.Errorf("store has %d rows, want %d", got, want)
			}
			if got := count(t, st, `SELECT count(*) FROM cloudtrail_events WHERE _path NOT LIKE 's3://trail/AWSLogs/o-abcdefghij/%.json.gz'`); got != 0 {
				t.Errorf("%d rows whose $path is not s3://trail/AWSLogs/o-…/….json.gz", got)
			}
		})
	}
}

func TestLoadIncrementalFetchesOnlyNewObjects(t *testing.T) {
	srv := orgBucket(t)
	src := srv.open(t, "s3://trail/AWSLogs")
	st := openStore(t)
	rep, err := ingest.Run(t.Context(), src, st, ingest.Options{Workers: 8})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Loaded != orgObjects || rep.Skipped["digest"] != orgObjects/filesPerDay {
		t.Fatalf("first load: %d objects, %d digests skipped; want %d, %d", rep.Loaded, rep.Skipped["digest"], orgObjects, orgObjects/filesPerDay)
	}

	// Nothing new: no GET at all.
	srv.resetCounts()
	rep, err = ingest.Run(t.Context(), src, st, ingest.Options{Workers: 8})
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.gets.Load(); got != 0 || rep.Unchanged != orgObjects {
		t.Fatalf("second load: %d GETs, %d unchanged; want 0, %d", got, rep.Unchanged, orgObjects)
	}

	// Three objects arrive and one is rewritten (new ETag, same key): exactly those four are fetched.
	day := day0.AddDate(0, 0, orgDays)
	for i := range 3 {
		k := trailKey(org, "111111111111", "us-east-1", day, 10+i)
		srv.put(t, "trail", k, logObject(k, "111111111111", "us-east-1", day, recordsPerFile))
	}
	changed := trailKey(org, "333333333333", "eu-west-1", day0, 0)
	srv.put(t, "trail", changed, logObject(changed+"v2", "333333333333", "eu-west-1", day0, 1))
	srv.resetCounts()
	rep, err = ingest.Run(t.Context(), src, st, ingest.Options{Workers: 8})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := srv.gets.Load(), int64(4); got != want {
		t.Fatalf("third load: %d GETs, want %d (3 new, 1 changed)", got, want)
	}
	if rep.Loaded != 4 || rep.Unchanged != orgObjects-1 {
		t.Fatalf("third load: loaded %d, unchanged %d; want 4, %d", rep.Loaded, rep.Unchanged, orgObjects-1)
	}
	want := int64((orgObjects-1)*recordsPerFile + 3*recordsPerFile + 1)
	if got := count(t, st, `SELECT count(*) FROM cloudtrail_events`); got != want {
		t.Fatalf("store has %d rows, want %d (the rewritten object's rows replaced)", got, want)
	}
}

func TestLoadThrottledIsRetried(t *testing.T) {
	srv := orgBucket(t)
	src := srv.open(t, "s3://trail")
	st := openStore(t)
	var refused atomic.Int64
	srv.setInject(func(r *http.Request) (int, string, http.Header) {
		if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "" && refused.Add(1) <= 50 {
			return http.StatusServiceUnavailable, "SlowDown", nil
		}
		return 0, "", nil
	})
	srv.resetCounts()
	rep, err := ingest.Run(t.Context(), src, st, ingest.Options{Workers: 16})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Loaded != orgObjects || len(rep.Files) != 0 {
		t.Fatalf("loaded %d objects, %d with problems (%+v); want %d, 0", rep.Loaded, len(rep.Files), rep.Files, orgObjects)
	}
	if got, want := srv.gets.Load(), int64(orgObjects+50); got != want {
		t.Fatalf("server saw %d GETs, want %d (50 answered SlowDown, then retried)", got, want)
	}
	if got, want := count(t, st, `SELECT count(*) FROM cloudtrail_events`), int64(orgObjects*recordsPerFile); got != want {
		t.Fatalf("store has %d rows, want %d", got, want)
	}
}

func TestLoadForbiddenObjectsAreNamedAndTheRestLoaded(t *testing.T) {
	srv := orgBucket(t)
	src := srv.open(t, "s3://trail")
	st := openStore(t)
	// One account's logs are encrypted with a KMS key the reader may not use: S3 answers 403 to their GETs.
	srv.setInject(func(r *http.Request) (int, string, http.Header) {
		if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "" && strings.Contains(r.URL.Path, "/222222222222/") {
			return http.StatusForbidden, "AccessDenied", nil
		}
		return 0, "", nil
	})
	rep, err := ingest.Run(t.Context(), src, st, ingest.Options{Workers: 8})
	if err != nil {
		t.Fatal(err)
	}
	refused := orgObjects / len(orgAccounts)
	if rep.Loaded != orgObjects || len(rep.Files) != refused {
		t.Fatalf("loaded %d objects, %d with problems; want %d, %d", rep.Loaded, len(rep.Files), orgObjects, refused)
	}
	for _, fr := range rep.Files {
		if !strings.Contains(fr.Detail, "s3://trail/AWSLogs/o-abcdefghij/222222222222/") || !strings.Contains(fr.Detail, "AccessDenied") ||
			!strings.Contains(fr.Detail, "kms:Decrypt") || strings.Contains(fr.Detail, testSecret) {
			t.Fatalf("problem detail %q does not name the object, the cause and the fix (or shows the secret)", fr.Detail)
		}
	}
	if got, want := count(t, st, `SELECT count(*) FROM cloudtrail_events`), int64((orgObjects-refused)*recordsPerFile); got != want {
		t.Fatalf("store has %d rows, want %d", got, want)
	}

	// Access fixed: the next load reads exactly the refused objects.
	srv.setInject(nil)
	srv.resetCounts()
	rep, err = ingest.Run(t.Context(), src, st, ingest.Options{Workers: 8})
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.gets.Load(); got != int64(refused) || len(rep.Files) != 0 {
		t.Fatalf("after access was fixed: %d GETs, %d problems; want %d, 0", got, len(rep.Files), refused)
	}
	if got, want := count(t, st, `SELECT count(*) FROM cloudtrail_events`), int64(orgObjects*recordsPerFile); got != want {
		t.Fatalf("store has %d rows, want %d", got, want)
	}
}

func TestLoadCancelledKeepsWhatWasLoaded(t *testing.T) {
	srv := orgBucket(t)
	src := srv.open(t, "s3://trail")
	st := openStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var served atomic.Int64
	srv.setInject(func(r *http.Request) (int, string, http.Header) {
		if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "" && served.Add(1) == 40 {
			cancel() // Ctrl-C while the 40th object is being fetched
		}
		return 0, "", nil
	})
	start := time.Now()
	_, err := ingest.Run(ctx, src, st, ingest.Options{Workers: 4})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("a cancelled load took %s to stop", d)
	}
	m, err := st.Loaded(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	kept := len(m)
	if kept == 0 || kept >= orgObjects {
		t.Fatalf("after cancelling: %d objects in the manifest, want some but not all of %d", kept, orgObjects)
	}
	if got, want := count(t, st, `SELECT count(*) FROM cloudtrail_events`), int64(kept*recordsPerFile); got != want {
		t.Fatalf("after cancelling: %d rows for %d objects in the manifest, want %d", got, kept, want)
	}

	srv.setInject(nil)
	srv.resetCounts()
	if _, err := ingest.Run(t.Context(), src, st, ingest.Options{Workers: 4}); err != nil {
		t.Fatal(err)
	}
	if got, want := srv.gets.Load(), int64(orgObjects-kept); got != want {
		t.Fatalf("the next load fetched %d objects, want the %d not loaded before", got, want)
	}
	if got, want := count(t, st, `SELECT count(*) FROM cloudtrail_events`), int64(orgObjects*recordsPerFile); got != want {
		t.Fatalf("store has %d rows, want %d", got, want)
	}
}

func TestPlanLoadReadsNothing(t *testing.T) {
	srv := orgBucket(t)
	src := srv.open(t, "s3://trail")
	st := openStore(t)
	w := &timewin.Days{From: day0, To: day0.AddDate(0, 0, 1)}
	if _, err := ingest.Run(t.Context(), src, st, ingest.Options{Window: &timewin.Days{From: day0, To: day0}}); err != nil {
		t.Fatal(err)
	}
	srv.resetCounts()
	p, err := ingest.PlanLoad(t.Context(), src, st, ingest.Options{Window: w})
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.gets.Load(); got != 0 {
		t.Fatalf("planning fetched %d objects", got)
	}
	perDay := len(orgAccounts) * len(orgRegions) * filesPerDay
	if p.Objects != perDay || p.Unchanged != perDay || p.ScanObjects != 2*perDay || p.Bytes <= 0 || p.ScanBytes <= p.Bytes {
		t.Fatalf("plan = %d objects (%d B) to read, %d unchanged, %d in scope (%d B); want %d, %d, %d",
			p.Objects, p.Bytes, p.Unchanged, p.ScanObjects, p.ScanBytes, perDay, perDay, 2*perDay)
	}
}

func TestLoadWindowFindsTheTrailKeyPrefix(t *testing.T) {
	srv := newServer(t, "trail")
	// A trail with the S3 key prefix "cloudtrail/prod", beside other data in the bucket.
	for _, a := range orgAccounts {
		for d := range 5 {
			day := day0.AddDate(0, 0, d)
			k := "cloudtrail/prod/" + trailKey(org, a, "us-east-1", day, 0)
			srv.put(t, "trail", k, logObject(k, a, "us-east-1", day, 1))
		}
	}
	for i := range 50 {
		srv.put(t, "trail", fmt.Sprintf("backups/2024/%02d/db.dump", i), []byte("x"))
	}
	src := srv.open(t, "s3://trail")
	st := openStore(t)
	srv.resetCounts()
	w := &timewin.Days{From: day0.AddDate(0, 0, 2), To: day0.AddDate(0, 0, 2)}
	rep, err := ingest.Run(t.Context(), src, st, ingest.Options{Window: w})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := srv.lists.Load(), int64(len(orgAccounts)); got != want || rep.Loaded != len(orgAccounts) {
		t.Fatalf("%d object listings and %d objects loaded, want %d and %d (prefixes listed: %q)", got, rep.Loaded, want, len(orgAccounts), srv.listedPrefixes())
	}
	for _, p := range srv.listedPrefixes() {
		if !strings.HasPrefix(p, "cloudtrail/prod/AWSLogs/") || !strings.HasSuffix(p, "/2024/09/03/") {
			t.Errorf("listed %q", p)
		}
	}
}

func TestLoadWindowListsDayFoldersInParallel(t *testing.T) {
	srv := orgBucket(t)
	src := srv.open(t, "s3://trail")
	// Most listings in flight at once: of objects (day folders), and of folders (finding the accounts' trails).
	var inFlight, most, dirsInFlight, mostDirs atomic.Int64
	track := func(in, most *atomic.Int64) {
		n := in.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(20 * time.Millisecond)
		in.Add(-1)
	}
	srv.setInject(func(r *http.Request) (int, string, http.Header) {
		switch q := r.URL.Query(); {
		case q.Get("list-type") == "2" && q.Get("delimiter") == "":
			track(&inFlight, &most)
		case q.Get("list-type") == "2":
			track(&dirsInFlight, &mostDirs)
		}
		return 0, "", nil
	})
	w := &timewin.Days{From: day0, To: day0.AddDate(0, 0, orgDays-1)}
	p, err := ingest.PlanLoad(t.Context(), src, nil, ingest.Options{Window: w, Workers: 8})
	if err != nil {
		t.Fatal(err)
	}
	if p.Objects != orgObjects || p.ListedPrefixes != 6*orgDays {
		t.Fatalf("plan: %d objects in %d day folders, want %d in %d", p.Objects, p.ListedPrefixes, orgObjects, 6*orgDays)
	}
	if m := most.Load(); m < 2 || m > 8 {
		t.Fatalf("at most %d day folders were listed at once, want 2 to 8", m)
	}
	if m := mostDirs.Load(); m < 2 {
		t.Fatalf("at most %d folder listings ran at once while finding the trails, want the accounts looked into in parallel", m)
	}
}

func TestLoadWindowListingRefused(t *testing.T) {
	srv := orgBucket(t)
	src := srv.open(t, "s3://trail")
	const refused = "AWSLogs/o-abcdefghij/111111111111/CloudTrail/eu-west-1/2024/09/05/"
	srv.setInject(func(r *http.Request) (int, string, http.Header) {
		if r.URL.Query().Get("prefix") == refused {
			return http.StatusForbidden, "AccessDenied", nil
		}
		return 0, "", nil
	})
	w := &timewin.Days{From: day0, To: day0.AddDate(0, 0, orgDays-1)}
	st := openStore(t)
	rep, err := ingest.Run(t.Context(), src, st, ingest.Options{Window: w, Workers: 8})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Loaded != orgObjects-filesPerDay || len(rep.Files) != 1 || rep.Files[0].Key != refused || rep.Files[0].Outcome != ingest.OutcomeNotListed {
		t.Fatalf("loaded %d objects, problems %+v; want %d and the refused folder", rep.Loaded, rep.Files, orgObjects-filesPerDay)
	}
	assertErr(t, errors.New(rep.Files[0].Detail), "list s3://trail/"+refused+": AccessDenied", "s3:ListBucket")

	// Under --strict, or when no folder can be listed, the load fails.
	if _, err := ingest.Run(t.Context(), src, openStore(t), ingest.Options{Window: w, Workers: 8, Strict: true}); err == nil {
		t.Fatal("a refused listing under Strict: no error")
	}
	srv.setInject(func(r *http.Request) (int, string, http.Header) {
		if q := r.URL.Query(); q.Get("list-type") == "2" && q.Get("delimiter") == "" {
			return http.StatusForbidden, "AccessDenied", nil
		}
		return 0, "", nil
	})
	_, err = ingest.Run(t.Context(), src, openStore(t), ingest.Options{Window: w, Workers: 8})
	assertErr(t, err, "AccessDenied", "s3:ListBucket")
}

func TestLoadAccountRegionFilterListsOnlyThoseTrails(t *testing.T) {
	srv := orgBucket(t)
	src := srv.open(t, "s3://trail")
	st := openStore(t)
	srv.resetCounts()
	rep, err := ingest.Run(t.Context(), src, st, ingest.Options{Accounts: []string{"333333333333"}, Regions: []string{"us-east-1"}})
	if err != nil {
		t.Fatal(err)
	}
	const want = "AWSLogs/o-abcdefghij/333333333333/CloudTrail/us-east-1/"
	if got := srv.listedPrefixes(); len(got) != 1 || got[0] != want {
		t.Fatalf("listed %q, want only %q", got, want)
	}
	if got, want := rep.Loaded, orgDays*filesPerDay; got != want || srv.gets.Load() != int64(want) {
		t.Fatalf("loaded %d objects with %d GETs, want %d", got, srv.gets.Load(), want)
	}
}
