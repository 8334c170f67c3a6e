package ingest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/source/local"
	"github.com/trailq/trailq/internal/store"
)

// Damaged and hostile files (issue 26): every good record is kept exactly once, and the rest is named with the
// file, the record index and the byte offset.

func dayKey(id string) string {
	return logKey("111122223333", "us-east-1", "2024/09/01", "20240901T0005Z", id)
}

// loadDir loads dir into a new store with opts and returns the report, the files reported by key and the
// stored event ids.
func loadDir(t *testing.T, dir string, opts ingest.Options) (*ingest.Report, map[string]ingest.FileReport, string) {
	t.Helper()
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	rep := load(t, dir, storePath, opts)
	byKey := map[string]ingest.FileReport{}
	for _, f := range rep.Files {
		byKey[f.Key] = f
	}
	ro := openStore(t, storePath, true)
	return rep, byKey, fmt.Sprint(flatten(queryStrings(t, ro, `SELECT eventid FROM cloudtrail_logs ORDER BY eventid`)))
}

func TestEveryDocumentOfAFileIsLoaded(t *testing.T) {
	dir := t.TempDir()
	r := func(id string) string { return rec(id, "2024-09-01T00:01:00Z", "ConsoleLogin") }
	doc := func(ids ...string) string {
		var rs []string
		for _, id := range ids {
			rs = append(rs, r(id))
		}
		return `{"Records":[` + strings.Join(rs, ",") + `]}`
	}
	// Two gzip members, each a document (what concatenating two .json.gz files gives).
	writeRaw(t, dir, dayKey("members"), append(gz(doc("m1", "m2")), gz(doc("m3"))...))
	// Two documents in one gzip member, and in a plain .json file.
	writeRaw(t, dir, dayKey("twodocs"), gz(doc("d1")+"\n"+doc("d2")))
	writeRaw(t, dir, strings.TrimSuffix(dayKey("plain"), ".gz"), []byte(doc("p1")+doc("p2")))
	// Garbage after the document: named with its offset, the records kept.
	garbage := doc("g1", "g2") + "\n"
	writeRaw(t, dir, dayKey("garbage"), gz(garbage+"xyz"))

	rep, byKey, ids := loadDir(t, dir, ingest.Options{})
	if want := "[d1 d2 g1 g2 m1 m2 m3 p1 p2]"; ids != want {
		t.Errorf("stored %s, want %s", ids, want)
	}
	if rep.Records != 9 || len(rep.Files) != 1 {
		t.Errorf("%d records read, files reported %v; want 9 and the garbage file", rep.Records, rep.Files)
	}
	f := byKey[dayKey("garbage")]
	if want := fmt.Sprintf("data after the end of the JSON document at byte %d", len(garbage)); f.Outcome != store.OutcomePartial || f.Detail != want || f.Records != 2 {
		t.Errorf("garbage file: %+v, want partial, %q, 2 records", f, want)
	}
}

func TestBadRecordIsSkipped(t *testing.T) {
	dir := t.TempDir()
	r := func(id string) string { return rec(id, "2024-09-01T00:01:00Z", "ConsoleLogin") }
	deep := `{"eventID":"deep","x":` + strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000) + `}`
	tab := `{"eventID":"tab","userAgent":"a` + "\t" + `b"}`
	nul := `{"eventID":"nul","userAgent":"a` + "\x00" + `b"}`
	elems := []string{r("r0"), deep, r("r2"), tab, r("r4"), nul, r("r6")}
	doc := `{"Records":[` + strings.Join(elems, ",") + `]}`
	writeRaw(t, dir, dayKey("bad"), gz(doc))
	writeRaw(t, dir, dayKey("bom"), gz("\xEF\xBB\xBF"+`{"Records":[`+r("b1")+`]}`))
	// Accepted silently before: a duplicate key, a number for a string, a lone surrogate, "Records": null.
	odd := `{"eventID":"o1","eventTime":"2024-09-01T00:01:00Z","eventName":"A","eventName":42,"userAgent":"\udc00"}`
	oddDoc := `{"Records":[` + r("o0") + "," + odd + `]}`
	writeRaw(t, dir, dayKey("odd"), gz(oddDoc))
	writeRaw(t, dir, dayKey("null"), gz(`{"Records":null}`))

	rep, byKey, ids := loadDir(t, dir, ingest.Options{})
	if want := "[b1 o0 o1 r0 r2 r4 r6]"; ids != want {
		t.Errorf("stored %s, want %s", ids, want)
	}
	if rep.Records != 7 || len(rep.Files) != 3 {
		t.Errorf("%d records, files reported %v; want 7, and the bad, odd and null files (not the BOM)", rep.Records, rep.Files)
	}
	f := byKey[dayKey("bad")]
	var got []string
	for _, p := range f.Problems {
		got = append(got, fmt.Sprintf("%d@%d %v %v", p.Record, p.Offset, p.Skipped, strings.HasPrefix(p.Msg, "invalid JSON at byte")))
	}
	want := []string{
		fmt.Sprintf("1@%d true true", strings.Index(doc, deep)),
		fmt.Sprintf("3@%d true true", strings.Index(doc, tab)),
		fmt.Sprintf("5@%d true true", strings.Index(doc, nul)),
	}
	if f.Outcome != store.OutcomeProblems || f.Records != 4 || f.ProblemCount != 3 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("bad file: %s, %d records, problems %v; want problems, 4 records, %v", f.Outcome, f.Records, f.Problems, want)
	}
	f = byKey[dayKey("odd")]
	got = nil
	for _, p := range f.Problems {
		got = append(got, p.String())
	}
	at := strings.Index(oddDoc, odd)
	want = []string{
		fmt.Sprintf("record 1 at byte %d field eventName: duplicate key; the last value is kept", at),
		fmt.Sprintf("record 1 at byte %d field eventName: expected a string, got a number; kept as its text", at),
		fmt.Sprintf("record 1 at byte %d field userAgent: lone UTF-16 surrogate replaced", at),
	}
	if f.Outcome != store.OutcomeProblems || f.Records != 2 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("odd file: %s, %d records, problems\n%s\nwant\n%s", f.Outcome, f.Records, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	f = byKey[dayKey("null")]
	if len(f.Problems) != 1 || f.Problems[0].String() != "at byte 11 field Records: null: the document has no records" {
		t.Errorf("null file: %+v", f)
	}
}

func TestSizeCaps(t *testing.T) {
	dir := t.TempDir()
	r := func(id string) string { return rec(id, "2024-09-01T00:01:00Z", "ConsoleLogin") }
	writeLog(t, dir, dayKey("good"), r("g1"))
	// 4 MiB of blanks between two records compress to a few KiB; the cap is 1 MiB.
	writeRaw(t, dir, dayKey("bomb"), gz(`{"Records":[`+r("b1")+","+strings.Repeat(" ", 4<<20)+r("b2")+`]}`))
	// A record of 200 KiB; the record limit is 64 KiB.
	big := `{"eventID":"big","eventTime":"2024-09-01T00:01:00Z","userAgent":"` + strings.Repeat("x", 200<<10) + `"}`
	bigDoc := `{"Records":[` + r("s1") + "," + big + "," + r("s2") + `]}`
	writeRaw(t, dir, dayKey("big"), gz(bigDoc))

	rep, byKey, ids := loadDir(t, dir, ingest.Options{MaxUncompressed: 1 << 20, MaxRecord: 64 << 10})
	if want := "[b1 g1 s1 s2]"; ids != want {
		t.Errorf("stored %s, want %s", ids, want)
	}
	if rep.Records != 4 || len(rep.Files) != 2 {
		t.Errorf("%d records, files reported %v", rep.Records, rep.Files)
	}
	f := byKey[dayKey("bomb")]
	if f.Outcome != store.OutcomePartial || f.Records != 1 || !strings.Contains(f.Detail, "the decompressed size exceeds the limit of 1048576 bytes (a gzip bomb?)") {
		t.Errorf("bomb: %+v, want partial at the size limit with its first record", f)
	}
	f = byKey[dayKey("big")]
	want := cloudtrail.Problem{Record: 1, Offset: int64(strings.Index(bigDoc, big)), Msg: fmt.Sprintf("record of %d bytes exceeds the 65536-byte limit", len(big)), Skipped: true}
	if f.Outcome != store.OutcomeProblems || f.Records != 2 || len(f.Problems) != 1 || f.Problems[0] != want {
		t.Errorf("big: %+v, want %v", f, want)
	}
}

// peakHeap runs fn and returns the most heap memory in use that a sampler saw meanwhile.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	var mu sync.Mutex
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			metrics.Read(sample)
			mu.Lock()
			peak = max(peak, sample[0].Value.Uint64())
			mu.Unlock()
			select {
			case <-done:
				return
			case <-time.After(100 * time.Microsecond):
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	return peak
}

// TestRecordMemoryIsShared: readers holding large records share one budget, so that the pool's memory does not
// grow with the number of readers.
func TestRecordMemoryIsShared(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(10)) // garbage would blur what is held
	dir := t.TempDir()
	const workers, size = 6, 20 << 20
	for i := range workers {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		fmt.Fprintf(zw, `{"Records":[{"eventID":"big%d","eventTime":"2024-09-01T00:01:00Z","userAgent":"%s"},%s]}`,
			i, strings.Repeat("x", size), rec(fmt.Sprint("small", i), "2024-09-01T00:01:00Z", "ConsoleLogin"))
		zw.Close()
		writeRaw(t, dir, dayKey(fmt.Sprint("big", i)), buf.Bytes())
	}
	src, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	run := func(memory int64) uint64 {
		st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "s.duckdb"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var rep *ingest.Report
		peak := peakHeap(func() {
			rep, err = ingest.Run(context.Background(), src, st, ingest.Options{Workers: workers, MaxRecord: size + 1<<20, RecordMemory: memory})
		})
		if err != nil || rep.Records != 2*workers || len(rep.Files) != 0 {
			t.Fatalf("load: %v, %d records, files %v", err, rep.Records, rep.Files)
		}
		return peak
	}
	// One record's worth (the least the budget can be) against as much as each reader wants.
	shared := run(1)
	unbounded := run(1 << 40)
	t.Logf("peak heap: %d MiB with one record's budget, %d MiB without a bound", shared>>20, unbounded>>20)
	if shared*4 > unbounded*3 {
		t.Errorf("peak heap %d MiB with one record's budget, %d MiB without: want well under", shared>>20, unbounded>>20)
	}
}

// TestListingGapsAreNamed: a dangling link and a loop of links in the source folder are named in the report,
// and the rest is loaded. (internal/source/local TestUnreadableFolderIsNamed checks a folder that cannot be
// read gives the same error.)
func TestListingGapsAreNamed(t *testing.T) {
	dir := t.TempDir()
	writeLog(t, dir, dayKey("good"), rec("g1", "2024-09-01T00:01:00Z", "ConsoleLogin"))
	folder := filepath.Dir(filepath.Join(dir, filepath.FromSlash(dayKey("good"))))
	if err := os.Symlink(filepath.Join(dir, "nowhere.json.gz"), filepath.Join(folder, "dangling.json.gz")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(folder, "loop-b.json.gz"), filepath.Join(folder, "loop-a.json.gz")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(folder, "loop-a.json.gz"), filepath.Join(folder, "loop-b.json.gz")); err != nil {
		t.Fatal(err)
	}
	rep, byKey, ids := loadDir(t, dir, ingest.Options{})
	if ids != "[g1]" || rep.Records != 1 || len(rep.Files) != 3 {
		t.Fatalf("stored %s, %d records, files %v", ids, rep.Records, rep.Files)
	}
	day := filepath.ToSlash(filepath.Dir(dayKey("good"))) + "/"
	for name, detail := range map[string]string{
		"dangling.json.gz": "follow link: no such file or directory",
		"loop-a.json.gz":   "follow link: too many levels of symbolic links",
		"loop-b.json.gz":   "follow link: too many levels of symbolic links",
	} {
		if f := byKey[day+name]; f.Outcome != ingest.OutcomeNotListed || f.Detail != detail {
			t.Errorf("%s: %+v, want not listed with %q", name, f, detail)
		}
	}
	// Under --strict it stops the load.
	src, _ := local.New(dir)
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "strict.duckdb"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := ingest.Run(context.Background(), src, st, ingest.Options{Strict: true}); err == nil || !strings.Contains(err.Error(), "not listed") {
		t.Errorf("strict load: %v, want the gaps not listed", err)
	}
}
