package ingest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/source/local"
	"github.com/trailq/trailq/internal/store"
	"github.com/trailq/trailq/internal/timewin"
)

const realDir = "../../testdata/cloudtrail/real"

// refRecords reads every record of the real sample with encoding/json: the independent reference.
func refRecords(t *testing.T) []map[string]any {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(realDir, "*.json*"))
	var all []map[string]any
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if _, err := buf.ReadFrom(zr); err != nil {
				t.Fatal(err)
			}
			b = buf.Bytes()
		}
		var doc struct{ Records []map[string]any }
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		all = append(all, doc.Records...)
	}
	return all
}

// identity is a record's content as canonical JSON (encoding/json sorts object keys): records that differ only
// in key order or white space are the same record.
func identity(r map[string]any) string {
	b, _ := json.Marshal(r)
	return string(b)
}

func openStore(t *testing.T, path string, readOnly bool) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), path, store.Options{ReadOnly: readOnly})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func load(t *testing.T, dir, storePath string, opts ingest.Options) *ingest.Report {
	t.Helper()
	src, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), storePath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rep, err := ingest.Run(context.Background(), src, st, opts)
	if err != nil {
		t.Fatalf("load %s: %v", dir, err)
	}
	return rep
}

func queryStrings(t *testing.T, st *store.Store, q string) [][]string {
	t.Helper()
	rows, err := st.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
				row[i] = "NULL"
			case json.RawMessage:
				row[i] = string(x)
			default:
				row[i] = fmt.Sprint(x)
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLoadRealRecords(t *testing.T) {
	ref := refRecords(t)
	distinct := map[string]bool{}
	for _, r := range ref {
		distinct[identity(r)] = true
	}
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	rep := load(t, realDir, storePath, ingest.Options{})
	if got, want := rep.Records, len(ref); got != want {
		t.Errorf("read %d records, want %d (every record of the sample)", got, want)
	}
	if got, want := rep.Inserted, len(distinct); got != want {
		t.Errorf("stored %d rows, want %d distinct records", got, want)
	}
	if got := rep.Skipped["not-cloudtrail"]; got != 2 {
		t.Errorf("skipped %d non-CloudTrail JSON files, want the 2 digest files", got)
	}
	st := openStore(t, storePath, true)
	checkSignIns(t, st, 50)
	if got := queryStrings(t, st, `SELECT count(*) FROM cloudtrail_logs`)[0][0]; got != fmt.Sprint(len(distinct)) {
		t.Errorf("count(*) = %s, want %d", got, len(distinct))
	}

	// Spot checks of nested fields, against the reference.
	t.Run("AssumedRoleSessionIssuer", func(t *testing.T) {
		var want []string
		for _, r := range ref {
			// Keys match case-insensitively, as in Athena's JSON SerDe (some samples write "sessioncontext").
			ui, _ := get(r, "userIdentity").(map[string]any)
			sc, _ := get(ui, "sessionContext").(map[string]any)
			si, _ := get(sc, "sessionIssuer").(map[string]any)
			if arn, ok := get(si, "arn").(string); ok && get(ui, "type") == "AssumedRole" {
				want = append(want, arn)
			}
		}
		got := queryStrings(t, st, `SELECT useridentity.sessioncontext.sessionissuer.arn FROM cloudtrail_events
			WHERE useridentity.type = 'AssumedRole' AND useridentity.sessioncontext.sessionissuer.arn IS NOT NULL`)
		if d := setDiff(flatten(got), want); d != "" {
			t.Errorf("sessionissuer.arn values differ: %s", d)
		}
	})
	t.Run("Resources", func(t *testing.T) {
		// Every record with resources: the first ARN and the count.
		got := queryStrings(t, st, `SELECT eventid, len(resources), resources[1].arn, resources[1].type FROM cloudtrail_logs
			WHERE eventid = 'a2e5a6a6-4b9b-4c6d-a3dd-14b2a5c9b4a1' OR (resources IS NOT NULL AND len(resources) > 1) ORDER BY eventid LIMIT 1`)
		if len(got) == 0 {
			t.Fatal("no record with more than one resource")
		}
		id := got[0][0]
		for _, r := range ref {
			if r["eventID"] != id {
				continue
			}
			rs, _ := r["resources"].([]any)
			first, _ := rs[0].(map[string]any)
			if fmt.Sprint(len(rs)) != got[0][1] || first["ARN"] != got[0][2] || first["type"] != got[0][3] {
				t.Errorf("resources of %s: got %v, reference %v", id, got[0], rs)
			}
			return
		}
		t.Errorf("eventID %s not in the reference", id)
	})
	t.Run("JSONColumnsKeepJSON", func(t *testing.T) {
		rows := queryStrings(t, st, `SELECT eventid, eventname, requestparameters FROM cloudtrail_logs
			WHERE requestparameters IS NOT NULL AND eventid IS NOT NULL AND eventid NOT IN ('1', '') ORDER BY eventid`)
		checked := 0
		for _, row := range rows {
			var got any
			if err := json.Unmarshal([]byte(row[2]), &got); err != nil {
				t.Errorf("%s: requestparameters is not JSON: %q", row[0], row[2])
				continue
			}
			for _, r := range ref {
				if r["eventID"] == row[0] && r["eventName"] == row[1] {
					w, _ := json.Marshal(r["requestParameters"])
					g, _ := json.Marshal(got)
					if string(w) == string(g) {
						checked++
					}
					break
				}
			}
		}
		if checked < 100 {
			t.Errorf("only %d of %d requestparameters values match the reference", checked, len(rows))
		}
	})
	t.Run("TLSDetailsAndPath", func(t *testing.T) {
		var want int
		for _, r := range ref {
			if tl, ok := r["tlsDetails"].(map[string]any); ok && tl["tlsVersion"] != nil {
				want++
			}
		}
		got := queryStrings(t, st, `SELECT count(*) FROM cloudtrail_logs WHERE tlsdetails.tlsversion IS NOT NULL`)[0][0]
		// Duplicates across files are stored once, so the store can have a few less.
		if n := atoi(got); n > want || n < want-4 {
			t.Errorf("%d rows with tlsdetails.tlsversion, reference %d", n, want)
		}
		paths := queryStrings(t, st, `SELECT DISTINCT "$path" FROM cloudtrail_logs_ext WHERE "$path" LIKE '%stratus%'`)
		if len(paths) != 1 || !strings.HasSuffix(paths[0][0], "/stratus-red-team__detonation-logs.json") || !filepath.IsAbs(paths[0][0]) {
			t.Errorf(`"$path" = %v, want the absolute path of the stratus file`, paths)
		}
	})
}

// get looks a key up case-insensitively.
func get(m map[string]any, key string) any {
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

func atoi(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}

func flatten(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r[0])
	}
	return out
}

// setDiff compares as sets (duplicates across files are stored once) and describes the difference.
func setDiff(a, b []string) string {
	in := func(x []string) map[string]bool {
		m := map[string]bool{}
		for _, s := range x {
			m[s] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	var d []string
	for s := range ma {
		if !mb[s] {
			d = append(d, "extra "+s)
		}
	}
	for s := range mb {
		if !ma[s] {
			d = append(d, "missing "+s)
		}
	}
	sort.Strings(d)
	return strings.Join(d, "; ")
}

// writeLog writes records as a gzipped CloudTrail log file at the key's place under root.
func writeLog(t *testing.T, root, key string, records ...string) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	fmt.Fprintf(zw, `{"Records":[%s]}`, strings.Join(records, ","))
	zw.Close()
	writeRaw(t, root, key, buf.Bytes())
}

func writeRaw(t *testing.T, root, key string, b []byte) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func rec(id, when, name string) string {
	return fmt.Sprintf(`{"eventVersion":"1.08","eventID":%q,"eventTime":%q,"eventName":%q,"eventSource":"signin.amazonaws.com","awsRegion":"us-east-1","recipientAccountId":"111122223333","eventType":"AwsConsoleSignIn","userIdentity":{"type":"IAMUser","userName":"alice"}}`, id, when, name)
}

func logKey(account, region, day, stamp, id string) string {
	return fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s.json.gz", account, region, day, account, region, stamp, id)
}

func TestIncrementalAndDuplicates(t *testing.T) {
	dir := t.TempDir()
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	writeLog(t, dir, logKey("111122223333", "us-east-1", "2024/09/01", "20240901T0005Z", "a"), rec("e1", "2024-09-01T00:01:00Z", "ConsoleLogin"), rec("e2", "2024-09-01T00:02:00Z", "ConsoleLogin"))
	// The same global event written by a second trail (organization trail) into the same bucket.
	writeLog(t, dir, "AWSLogs/o-aa1bb2cc3d/111122223333/CloudTrail/us-east-1/2024/09/01/111122223333_CloudTrail_us-east-1_20240901T0005Z_b.json.gz", rec("e1", "2024-09-01T00:01:00Z", "ConsoleLogin"))

	rep := load(t, dir, storePath, ingest.Options{})
	if rep.Loaded != 2 || rep.Records != 3 || rep.Inserted != 2 || rep.Duplicates != 1 {
		t.Fatalf("first load: loaded %d files, %d records, %d inserted, %d duplicates; want 2, 3, 2, 1", rep.Loaded, rep.Records, rep.Inserted, rep.Duplicates)
	}
	rep = load(t, dir, storePath, ingest.Options{})
	if rep.Loaded != 0 || rep.Unchanged != 2 || rep.Records != 0 {
		t.Fatalf("second load: loaded %d, unchanged %d, records %d; want 0, 2, 0", rep.Loaded, rep.Unchanged, rep.Records)
	}
	// One new file: one file read. Its e1 is a duplicate of what is stored; e3 is new.
	writeLog(t, dir, logKey("111122223333", "us-east-1", "2024/09/02", "20240902T0005Z", "c"), rec("e3", "2024-09-02T00:01:00Z", "ConsoleLogin"), rec("e1", "2024-09-01T00:01:00Z", "ConsoleLogin"))
	rep = load(t, dir, storePath, ingest.Options{})
	if rep.Loaded != 1 || rep.Inserted != 1 || rep.Duplicates != 1 {
		t.Fatalf("third load: loaded %d, inserted %d, duplicates %d; want 1, 1, 1", rep.Loaded, rep.Inserted, rep.Duplicates)
	}
	// Records that share an eventID but differ (as documentation examples do) are both kept.
	writeLog(t, dir, logKey("111122223333", "us-east-1", "2024/09/03", "20240903T0005Z", "d"), rec("e3", "2024-09-02T00:01:00Z", "CheckMfa"))
	load(t, dir, storePath, ingest.Options{})
	// A changed file replaces its earlier rows.
	writeLog(t, dir, logKey("111122223333", "us-east-1", "2024/09/01", "20240901T0005Z", "a"), rec("e1", "2024-09-01T00:01:00Z", "ConsoleLogin"), rec("e2b", "2024-09-01T00:02:00Z", "ConsoleLogin"))
	rep = load(t, dir, storePath, ingest.Options{})
	if rep.Loaded != 1 {
		t.Fatalf("after a change: loaded %d files, want 1", rep.Loaded)
	}
	st := openStore(t, storePath, true)
	got := queryStrings(t, st, `SELECT eventid, eventname FROM cloudtrail_logs ORDER BY eventid, eventname`)
	want := [][]string{{"e1", "ConsoleLogin"}, {"e2b", "ConsoleLogin"}, {"e3", "CheckMfa"}, {"e3", "ConsoleLogin"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows = %v, want %v", got, want)
	}
	if n := queryStrings(t, st, `SELECT count(*) FROM trailq_objects`)[0][0]; n != "4" {
		t.Errorf("manifest has %s objects, want 4", n)
	}
	checkSignIns(t, st, 4)
}

// openForWriting opens the store for writing, as a load does (upgrades and repairs run then), closes it, and
// returns what it was told.
func openForWriting(t *testing.T, storePath string) []string {
	t.Helper()
	var told []string
	st, err := store.Open(context.Background(), storePath, store.Options{Notify: func(m string) { told = append(told, m) }})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	return told
}

// checkSignIns checks that the sign-in table holds exactly the candidate rows of the events table, at least min
// of them.
func checkSignIns(t *testing.T, st *store.Store, min int) {
	t.Helper()
	if got := st.SignInsTable(context.Background()); got != store.SignInsView {
		t.Fatalf("sign-in table = %s, want %s", got, store.SignInsView)
	}
	all := `SELECT * FROM ` + store.LogsView + ` WHERE ` + store.SignInCandidateSQL
	n := queryStrings(t, st, `SELECT (SELECT count(*) FROM `+store.SignInsView+`), (SELECT count(*) FROM (`+all+`)),
		(SELECT count(*) FROM (SELECT * FROM `+store.SignInsView+` EXCEPT ALL `+all+`)),
		(SELECT count(*) FROM (`+all+` EXCEPT ALL SELECT * FROM `+store.SignInsView+`))`)[0]
	if n[0] != n[1] || n[2] != "0" || n[3] != "0" || atoi(n[0]) < min {
		t.Errorf("sign-in table: %s rows, events table: %s candidates, %s only in the sign-in table, %s missing from it; want equal, at least %d", n[0], n[1], n[2], n[3], min)
	}
}

// A store made before the sign-in table existed gets it, filled, when it is next opened for writing.
func TestSignInTableAddedToOlderStore(t *testing.T) {
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	load(t, realDir, storePath, ingest.Options{})
	st, err := store.Open(context.Background(), storePath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP VIEW trailq_signins`, `DROP TABLE trailq_signin_events`} {
		if err := st.Exec(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	ro := openStore(t, storePath, true)
	if got := ro.SignInsTable(context.Background()); got != store.LogsView {
		t.Errorf("read-only older store: sign-in table = %s, want %s", got, store.LogsView)
	}
	ro.Close()
	if told := openForWriting(t, storePath); len(told) != 1 || !strings.Contains(told[0], "Upgrading the store") {
		t.Errorf("upgrade messages %q, want one", told)
	}
	checkSignIns(t, openStore(t, storePath, true), 50)
}

func TestPartitionColumnsFromKey(t *testing.T) {
	dir := t.TempDir()
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	// Filed under the next UTC day (delivered after midnight): the partition is the key's day, as in Athena.
	writeLog(t, dir, "AWSLogs/o-aa1bb2cc3d/111122223333/CloudTrail/eu-west-1/2024/09/02/111122223333_CloudTrail_eu-west-1_20240902T0010Z_x.json.gz", rec("e1", "2024-09-01T23:58:00Z", "ConsoleLogin"))
	load(t, dir, storePath, ingest.Options{})
	st := openStore(t, storePath, true)
	got := queryStrings(t, st, `SELECT region, year, month, day, "timestamp", account, date_partition, region_partition, account_partition FROM cloudtrail_logs_ext`)
	want := "[[eu-west-1 2024 09 02 2024/09/02 111122223333 2024/09/02 eu-west-1 111122223333]]"
	if fmt.Sprint(got) != want {
		t.Errorf("partition columns = %v, want %v", got, want)
	}
}

func TestWindowReadsOnlyItsDays(t *testing.T) {
	dir := t.TempDir()
	for _, day := range []string{"2024/08/31", "2024/09/01", "2024/09/02", "2024/09/03"} {
		stamp := strings.ReplaceAll(day, "/", "") + "T0005Z"
		for _, region := range []string{"us-east-1", "eu-west-1"} {
			writeLog(t, dir, logKey("111122223333", region, day, stamp, "a"), rec("e-"+day+region, strings.ReplaceAll(day, "/", "-")+"T00:01:00Z", "ConsoleLogin"))
		}
	}
	writeLog(t, dir, "AWSLogs/o-aa1bb2cc3d/444455556666/CloudTrail/us-east-1/2024/09/02/444455556666_CloudTrail_us-east-1_20240902T0005Z_b.json.gz", rec("org", "2024-09-02T00:01:00Z", "ConsoleLogin"))
	w := &timewin.Days{From: mustDay("2024-09-01"), To: mustDay("2024-09-02")}
	// A folder is listed whole (cheap on a local disk; S3 lists only the day folders: see package s3's tests)
	// and filtered by key.
	rep := load(t, dir, filepath.Join(t.TempDir(), "s.duckdb"), ingest.Options{Window: w})
	if rep.Loaded != 5 || rep.Outside != 4 {
		t.Errorf("read %d objects and left %d out, want 5 (2 days x 2 regions + 1 organization file) and 4", rep.Loaded, rep.Outside)
	}
	rep = load(t, dir, filepath.Join(t.TempDir(), "s.duckdb"), ingest.Options{Window: w, Regions: []string{"eu-west-1"}})
	if rep.Loaded != 2 {
		t.Errorf("with --regions eu-west-1: loaded %d objects, want 2", rep.Loaded)
	}
	// Open at the end: from its first day on.
	rep = load(t, dir, filepath.Join(t.TempDir(), "s.duckdb"), ingest.Options{Window: &timewin.Days{From: mustDay("2024-09-02")}})
	if rep.Loaded != 5 || rep.Outside != 4 {
		t.Errorf("from 2024-09-02 on: read %d objects and left %d out, want 5 (2 days x 2 regions + 1 organization file) and 4", rep.Loaded, rep.Outside)
	}
}

func mustDay(s string) (d timeT) {
	t, err := parseDay(s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestBrokenFilesAreReported(t *testing.T) {
	dir := t.TempDir()
	good := rec("g1", "2024-09-01T00:01:00Z", "ConsoleLogin")
	key := func(id string) string { return logKey("111122223333", "us-east-1", "2024/09/01", "20240901T0005Z", id) }
	writeLog(t, dir, key("good"), good)
	// Truncated gzip: the first half of a gzipped file of two records.
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	fmt.Fprintf(zw, `{"Records":[%s,{"eventID":"t2","userAgent":%q}]}`, rec("t1", "2024-09-01T00:01:00Z", "ConsoleLogin"), strings.Repeat("x", 5000))
	zw.Close()
	writeRaw(t, dir, key("truncated"), buf.Bytes()[:buf.Len()/2])
	// Corrupt CRC: flip a byte of the trailer.
	crc := append([]byte(nil), buf.Bytes()...)
	crc[len(crc)-6] ^= 0xff
	writeRaw(t, dir, key("badcrc"), crc)
	writeRaw(t, dir, key("empty"), nil)
	writeLog(t, dir, key("notjson"), "this is not json")
	writeRaw(t, dir, key("norecords"), gz(`{"foo":[]}`))
	writeRaw(t, dir, key("notarray"), gz(`{"Records":"x"}`))
	writeLog(t, dir, key("mixed"), rec("m1", "2024-09-01T00:01:00Z", "ConsoleLogin"), `"a string"`, rec("m3", "2024-09-01T00:03:00Z", "ConsoleLogin"))
	writeLog(t, dir, key("oddtypes"), `{"eventID":"o1","eventTime":"2024-09-01T00:01:00Z","tlsDetails":"weird","readOnly":true}`)

	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	rep := load(t, dir, storePath, ingest.Options{})
	byKey := map[string]ingest.FileReport{}
	for _, f := range rep.Files {
		byKey[f.Key] = f
	}
	want := map[string]struct{ outcome, detail string }{
		"truncated": {"failed", "truncated gzip"},
		"badcrc":    {"partial", "gunzip"},
		"empty":     {"failed", "empty file"},
		"notjson":   {"problems", ""}, // its one record is not JSON: named and skipped
		"norecords": {"failed", "no Records array"},
		"notarray":  {"failed", "Records is a string, not an array"},
		"mixed":     {"problems", ""},
		"oddtypes":  {"problems", ""},
	}
	for id, w := range want {
		fr, ok := byKey[key(id)]
		if !ok {
			t.Errorf("%s: not reported", id)
			continue
		}
		if fr.Outcome != w.outcome || !strings.Contains(fr.Detail, w.detail) {
			t.Errorf("%s: %s %q, want %s with %q", id, fr.Outcome, fr.Detail, w.outcome, w.detail)
		}
	}
	if len(rep.Files) != len(want) {
		t.Errorf("%d files reported, want %d: %v", len(rep.Files), len(want), rep.Files)
	}
	if p := byKey[key("mixed")].Problems; len(p) != 1 || p[0].Record != 1 || !p[0].Skipped {
		t.Errorf("mixed: problems %v, want record 1 skipped", p)
	}
	if p := byKey[key("notjson")].Problems; len(p) != 1 || p[0].String() != "record 0 at byte 12: invalid JSON at byte 13: invalid character 'h' in literal true (expecting 'r') (record skipped)" {
		t.Errorf("notjson: problems %v, want record 0 skipped as not JSON", p)
	}
	st := openStore(t, storePath, true)
	got := queryStrings(t, st, `SELECT eventid FROM cloudtrail_logs ORDER BY eventid`)
	// The good file, the good records of the mixed file, the odd-typed record, and the records of the file with
	// a bad CRC (their data parsed; the file is still reported).
	if fmt.Sprint(got) != "[[g1] [m1] [m3] [o1] [t1] [t2]]" {
		t.Errorf("stored %v, want g1 m1 m3 o1 t1 t2", got)
	}

	// --strict: the first problem is fatal.
	src, _ := local.New(dir)
	st2, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "strict.duckdb"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	_, err = ingest.Run(context.Background(), src, st2, ingest.Options{Strict: true})
	var se *ingest.StrictError
	if !errors.As(err, &se) {
		t.Fatalf("strict load: err = %v, want a StrictError", err)
	}
}

func gz(s string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(s))
	zw.Close()
	return buf.Bytes()
}

// TestLargeFileInChunks loads a file bigger than one chunk (2,000 records), with commits in the middle of it, and a
// file that an earlier load left unfinished: every record ends up stored exactly once.
func TestLargeFileInChunks(t *testing.T) {
	dir := t.TempDir()
	const n = 45_000
	recs := make([]string, n)
	for i := range recs {
		recs[i] = rec(fmt.Sprintf("big-%05d", i), fmt.Sprintf("2024-09-01T%02d:%02d:%02dZ", i/3600%24, i/60%60, i%60), "GetObject")
	}
	bigKey := logKey("111122223333", "us-east-1", "2024/09/01", "20240901T2355Z", "big")
	writeLog(t, dir, bigKey, recs...)
	writeLog(t, dir, logKey("111122223333", "us-east-1", "2024/09/01", "20240901T0005Z", "small"), rec("small", "2024-09-01T00:00:00Z", "ConsoleLogin"))
	storePath := filepath.Join(t.TempDir(), "s.duckdb")

	// An earlier load that stopped after committing the first chunk of the big file.
	st, err := store.Open(context.Background(), storePath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ld, err := st.BeginLoad(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dec := cloudtrail.NewDecoder()
	var first []*cloudtrail.Record
	for i := range 100 {
		r, _, err := dec.DecodeRecord([]byte(recs[i]), i)
		if err != nil {
			t.Fatal(err)
		}
		first = append(first, r)
	}
	if err := ld.Add(context.Background(), &store.File{Key: bigKey, Path: "x", Parsed: cloudtrail.ParseKey(bigKey), Version: "old", Records: first}); err != nil {
		t.Fatal(err)
	}
	if _, err := ld.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	ld.Close()
	st.Close()

	rep := load(t, dir, storePath, ingest.Options{BatchRecords: 10_000})
	if rep.Loaded != 2 || rep.Records != n+1 {
		t.Errorf("loaded %d files, %d records; want 2, %d", rep.Loaded, rep.Records, n+1)
	}
	ro := openStore(t, storePath, true)
	got := queryStrings(t, ro, `SELECT count(*), count(DISTINCT eventid) FROM cloudtrail_logs`)
	if want := fmt.Sprint([][]string{{fmt.Sprint(n + 1), fmt.Sprint(n + 1)}}); fmt.Sprint(got) != want {
		t.Errorf("count, distinct eventids = %v, want %v", got, want)
	}
	got = queryStrings(t, ro, `SELECT key, outcome, records FROM trailq_objects ORDER BY key`)
	if len(got) != 2 || got[1][1] != "loaded" || got[1][2] != fmt.Sprint(n) || got[0][1] != "loaded" {
		t.Errorf("manifest = %v, want both files loaded, the big one with %d records", got, n)
	}
}

// A large file committed as "loading" and finished in a commit with thousands of other files: its final manifest
// row replaces the "loading" one whatever the appender flushes first (the manifest's key is the file id).
func TestLoadingFileFinishedAmongManyFiles(t *testing.T) {
	dir := t.TempDir()
	recs := make([]string, 3000)
	for i := range recs {
		recs[i] = rec(fmt.Sprintf("big-%04d", i), "2024-09-01T00:00:00Z", "GetObject")
	}
	// Keys in this order: the big file first, then many empty files (manifest rows without records).
	writeLog(t, dir, logKey("111122223333", "us-east-1", "2024/09/01", "20240901T0000Z", "0big"), recs...)
	for i := range 2100 {
		writeRaw(t, dir, logKey("111122223333", "us-east-1", "2024/09/01", "20240901T0005Z", fmt.Sprintf("e%04d", i)), gz(`{"Records":[]}`))
	}
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	rep := load(t, dir, storePath, ingest.Options{BatchRecords: 1500, Workers: 1})
	if rep.Loaded != 2101 || rep.Records != 3000 {
		t.Errorf("loaded %d files, %d records; want 2101, 3000", rep.Loaded, rep.Records)
	}
	ro := openStore(t, storePath, true)
	got := queryStrings(t, ro, `SELECT count(*), count(*) FILTER (WHERE outcome = 'loaded') FROM trailq_objects`)
	if fmt.Sprint(got) != "[[2101 2101]]" {
		t.Errorf("manifest rows, loaded = %v, want 2101 and 2101", got)
	}
}
