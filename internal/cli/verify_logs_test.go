package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/trailq/trailq/internal/digest/digesttest"
)

var verifyT0 = time.Date(2024, 9, 1, 21, 10, 5, 0, time.UTC)

func verifyTrail(t *testing.T) (*digesttest.Signer, *digesttest.Generated) {
	t.Helper()
	s := digesttest.NewSigner(t, verifyT0.Add(-48*time.Hour), verifyT0.Add(60*24*time.Hour))
	g := digesttest.Trail{Bucket: "trail", Account: "111122223333", Region: "us-east-1", Name: "audit",
		HomeRegion: "us-east-1", Start: verifyT0, Hours: 5, LogsPerHour: 2, Signer: s}.Generate(t)
	return s, g
}

// serveTrail puts the objects, with their metadata, in a gofakes3 bucket "trail" on loopback and points the AWS
// SDK at test credentials only.
func serveTrail(t *testing.T, objs []digesttest.Object) string {
	t.Helper()
	return serveTrailWith(t, objs, nil)
}

// serveTrailWith is serveTrail with a middleware in front of the server.
func serveTrailWith(t *testing.T, objs []digesttest.Object, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("trail"); err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		meta := map[string]string{}
		for k, v := range o.Meta {
			meta["X-Amz-Meta-"+k] = v
		}
		if _, err := backend.PutObject("trail", o.Key, meta, bytes.NewReader(o.Body), int64(len(o.Body)), nil); err != nil {
			t.Fatal(err)
		}
	}
	h := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	if wrap != nil {
		h = wrap(h)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": s3TestKeyID, "AWS_SECRET_ACCESS_KEY": s3TestSecret, "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	return ts.URL
}

// periodRows reads the CSV of verify --logs: one row per trail and day, as maps.
func periodRows(t *testing.T, out string) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("output %q: %v", out, err)
	}
	var rows []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		rows = append(rows, m)
	}
	return rows
}

// TestVerifyLogsS3: through the real SDK against gofakes3, with each digest's signature in its metadata: a clean
// trail passes with the keys from a --public-keys file; a changed log fails with exit status 1 and is named.
func TestVerifyLogsS3(t *testing.T) {
	signer, g := verifyTrail(t)
	keys := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(keys, digesttest.KeysJSON(t, signer), 0o644); err != nil {
		t.Fatal(err)
	}
	url := serveTrail(t, g.All())
	r := run(t, t.TempDir(), "", "verify", "--logs", "--source", "s3://trail/", "--endpoint-url", url, "--public-keys", keys)
	if r.code != 0 {
		t.Fatalf("clean trail: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	valid := 0
	for _, row := range periodRows(t, r.out) {
		if row["status"] != "ok" || row["unsigned"] != "0" || row["trail"] != "audit" {
			t.Errorf("row %v, want ok, signed, trail audit", row)
		}
		n := 0
		json.Unmarshal([]byte(row["valid"]), &n)
		valid += n
	}
	if want := len(g.All()); valid != want {
		t.Errorf("%d files valid, want %d", valid, want)
	}

	lo := &g.Logs[3]
	raw := digesttest.Gunzip(t, lo.Body)
	raw[20] ^= 0x20
	lo.Body = digesttest.Gzip(t, raw)
	url = serveTrail(t, g.All())
	r = run(t, t.TempDir(), "", "verify", "--logs", "--source", "s3://trail/", "--endpoint-url", url, "--public-keys", keys)
	if r.code != 1 || !strings.Contains(r.errOut, "MODIFIED log: "+lo.Key) || strings.Count(r.errOut, "MODIFIED") != 1 {
		t.Fatalf("changed log: exit %d, stderr %s", r.code, r.errOut)
	}
}

// TestVerifyLogsS3Period: with --since/--until over S3, only the day folders of the period are listed (no
// listing of the whole bucket), and only the digests that meet the period and the logs delivered in it are
// checked.
func TestVerifyLogsS3Period(t *testing.T) {
	signer, g := verifyTrail(t)
	keys := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(keys, digesttest.KeysJSON(t, signer), 0o644); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var prefixes []string
	url := serveTrailWith(t, g.All(), func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if q := r.URL.Query(); r.Method == http.MethodGet && q.Get("list-type") == "2" && q.Get("delimiter") == "" {
				mu.Lock()
				prefixes = append(prefixes, q.Get("prefix"))
				mu.Unlock()
			}
			h.ServeHTTP(w, r)
		})
	})
	from, to := time.Date(2024, 9, 1, 23, 30, 0, 0, time.UTC), time.Date(2024, 9, 2, 1, 0, 0, 0, time.UTC)
	r := run(t, t.TempDir(), "", "verify", "--logs", "--source", "s3://trail/", "--endpoint-url", url, "--public-keys", keys,
		"--since", from.Format(time.RFC3339), "--until", to.Format(time.RFC3339), "--files", "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	want := map[string]bool{}
	for i, d := range g.Digests {
		end := verifyT0.Add(time.Duration(i+1) * time.Hour)
		if end.After(from) && end.Add(-time.Hour).Before(to) {
			want[d.Key] = true
		}
	}
	for _, lo := range g.Logs {
		ts := lo.Key[strings.LastIndex(lo.Key, "_us-east-1_")+len("_us-east-1_"):][:len("20060102T1504Z")]
		at, _ := time.Parse("20060102T1504Z", ts)
		if !at.Add(time.Minute).Before(from) && at.Before(to) {
			want[lo.Key] = true
		}
	}
	var files []map[string]any
	if err := json.Unmarshal([]byte(r.out), &files); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range files {
		got[f["key"].(string)] = true
		if f["status"] != "valid" {
			t.Errorf("%v: want valid", f)
		}
	}
	if len(want) < 3 || len(got) != len(want) {
		t.Errorf("checked %d files %v, want %d %v", len(got), got, len(want), want)
	}
	for k := range want {
		if !got[k] {
			t.Errorf("%s not checked", k)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range prefixes {
		if !strings.HasSuffix(p, "/2024/08/31/") && !strings.HasSuffix(p, "/2024/09/01/") && !strings.HasSuffix(p, "/2024/09/02/") && !strings.HasSuffix(p, "/2024/09/03/") {
			t.Errorf("listed %q, want only the day folders of the period", p)
		}
	}
	if !slices.Contains(prefixes, "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/09/02/") {
		t.Errorf("listed %q, want the digest folder of 2024-09-02", prefixes)
	}
}

// TestVerifyLogsS3ListPublicKeys: without --public-keys, an S3 source's keys come from cloudtrail:ListPublicKeys
// (the real SDK client against a CloudTrail endpoint on loopback, AWS_ENDPOINT_URL_CLOUDTRAIL), asked in the
// digests' region.
func TestVerifyLogsS3ListPublicKeys(t *testing.T) {
	signer, g := verifyTrail(t)
	url := serveTrail(t, g.All())
	var calls atomic.Int32
	var region atomic.Value
	ct := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-Amz-Target") != "CloudTrail_20131101.ListPublicKeys" || !bytes.Contains(body, []byte("StartTime")) {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		calls.Add(1)
		region.Store(r.Header.Get("Authorization"))
		var list struct{ PublicKeyList []map[string]any }
		if err := json.Unmarshal(digesttest.KeysJSON(t, signer), &list); err != nil {
			t.Error(err)
		}
		for _, k := range list.PublicKeyList {
			k["ValidityStartTime"], k["ValidityEndTime"] = signer.From.Unix(), signer.To.Unix()
			if _, err := base64.StdEncoding.DecodeString(k["Value"].(string)); err != nil {
				t.Error(err)
			}
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		json.NewEncoder(w).Encode(list)
	}))
	t.Cleanup(ct.Close)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", ct.URL)
	r := run(t, t.TempDir(), "", "verify", "--logs", "--source", "s3://trail/", "--endpoint-url", url)
	if r.code != 0 || calls.Load() != 1 {
		t.Fatalf("exit %d after %d ListPublicKeys calls\n%s\n%s", r.code, calls.Load(), r.out, r.errOut)
	}
	if auth, _ := region.Load().(string); !strings.Contains(auth, "/us-east-1/cloudtrail/") {
		t.Errorf("ListPublicKeys signed for %q, want the digests' region us-east-1", auth)
	}
}

// TestVerifyLogsFolder: a folder copy has no signatures; its hashes and chain are checked and it says so; with
// .sig sidecars the signatures are checked too; a deleted digest is a chain gap.
func TestVerifyLogsFolder(t *testing.T) {
	signer, g := verifyTrail(t)
	keys := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(keys, digesttest.KeysJSON(t, signer), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	digesttest.WriteDir(t, dir, g.All(), false)
	r := run(t, t.TempDir(), "", "verify", "--logs", "--source", dir, "--public-keys", keys)
	if r.code != 0 || !strings.Contains(r.errOut, "5 digest files have no signature to check") {
		t.Fatalf("folder without signatures: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	sig := t.TempDir()
	digesttest.WriteDir(t, sig, g.All(), true)
	r = run(t, t.TempDir(), "", "verify", "--logs", "--source", sig, "--public-keys", keys, "--files", "--format", "json")
	var files []map[string]any
	if err := json.Unmarshal([]byte(r.out), &files); err != nil || r.code != 0 {
		t.Fatalf("with sidecars: exit %d, %v\n%s\n%s", r.code, err, r.out, r.errOut)
	}
	if len(files) != len(g.All()) {
		t.Fatalf("%d files listed, want %d", len(files), len(g.All()))
	}
	for _, f := range files {
		if f["status"] != "valid" {
			t.Errorf("%v: want valid", f)
		}
	}
	gone := g.Digests[2].Key
	if err := os.Remove(filepath.Join(sig, filepath.FromSlash(gone))); err != nil {
		t.Fatal(err)
	}
	r = run(t, t.TempDir(), "", "verify", "--logs", "--source", sig, "--public-keys", keys)
	if r.code != 1 || !strings.Contains(r.errOut, "CHAIN GAP digest: "+gone) || !strings.Contains(r.errOut, "1 of ") {
		t.Fatalf("deleted digest: exit %d\n%s", r.code, r.errOut)
	}
}

// TestVerifyLogsFlags: the digest flags need --logs; --logs needs a source and takes no store.
func TestVerifyLogsFlags(t *testing.T) {
	for _, args := range [][]string{
		{"verify", "--store", "x.duckdb", "--since", "7d"},
		{"verify", "--store", "x.duckdb", "--public-keys", "k.json"},
		{"verify", "--logs"},
		{"verify", "--logs", "--source", ".", "--tz", "UTC", "--utc"},
	} {
		if r := run(t, t.TempDir(), "", args...); r.code != 2 {
			t.Errorf("%q: exit %d, want 2 (usage)\n%s", args, r.code, r.errOut)
		}
	}
	dir := t.TempDir()
	if r := run(t, t.TempDir(), "", "verify", "--logs", "--source", dir); r.code != 1 || !strings.Contains(r.errOut, "no CloudTrail digest files") {
		t.Errorf("a folder without digests: exit %d\n%s", r.code, r.errOut)
	}
}

// signedFolder writes the test trail, with its digests' signatures in .sig sidecars, to a folder, and its
// public keys to a file.
func signedFolder(t *testing.T) (keys, dir string, g *digesttest.Generated) {
	t.Helper()
	signer, g := verifyTrail(t)
	keys = filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(keys, digesttest.KeysJSON(t, signer), 0o644); err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	digesttest.WriteDir(t, dir, g.All(), true)
	return keys, dir, g
}

// TestVerifiedOnly: verify --logs records its results in the source's store; signins then says whether the
// logs of its period were verified, and --verified-only answers only when all were — after a log file is
// changed and checked again, it refuses and names it.
func TestVerifiedOnly(t *testing.T) {
	keys, dir, g := signedFolder(t)
	cache := t.TempDir()
	signins := []string{"signins", "--source", dir, "--since", "2024-09-01", "--utc", "--format", "csv", "--all"}
	if r := run(t, cache, "", append(signins, "--verified-only")...); r.code != 1 || !strings.Contains(r.errOut, "10 not checked") {
		t.Fatalf("before any check: exit %d, want 1 and the files not checked: %s", r.code, r.errOut)
	}
	r := run(t, cache, "", "verify", "--logs", "--source", dir, "--public-keys", keys)
	if r.code != 0 || !strings.Contains(r.errOut, "Recorded the checks of 10 log files") {
		t.Fatalf("verify --logs: exit %d: %s", r.code, r.errOut)
	}
	r = run(t, cache, "", append(signins, "--verified-only")...)
	if r.code != 0 || !strings.Contains(r.errOut, "Logs of the period: 10 log files, 10 verified valid.") {
		t.Fatalf("after the check: exit %d: %s", r.code, r.errOut)
	}
	// One log file changed after delivery: its check fails, and --verified-only refuses.
	changed := g.Logs[3]
	raw := digesttest.Gunzip(t, changed.Body)
	raw = []byte(strings.Replace(string(raw), "GetObject", "PutObject", 1))
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(changed.Key)), digesttest.Gzip(t, raw), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(t, cache, "", "verify", "--logs", "--source", dir, "--public-keys", keys); r.code != 1 {
		t.Fatalf("verify of a changed log: exit %d: %s", r.code, r.errOut)
	}
	r = run(t, cache, "", append(signins, "--verified-only")...)
	if r.code != 1 || !strings.Contains(r.errOut, "1 failed the check ("+changed.Key+": modified)") {
		t.Errorf("a modified log: exit %d: %s", r.code, r.errOut)
	}
	if r := run(t, cache, "", append(signins, "--no-load")...); r.code != 0 || !strings.Contains(r.errOut, "9 verified valid, 1 failed the check") {
		t.Errorf("without --verified-only: exit %d: %s", r.code, r.errOut)
	}
}

// TestDetectVerifiedOnly: detect says whether the logs it read were verified, and --verified-only refuses to
// run the rules over logs no check covered.
func TestDetectVerifiedOnly(t *testing.T) {
	keys, dir, _ := signedFolder(t)
	cache := t.TempDir()
	if r := run(t, cache, "", "detect", "--source", dir, "--format", "csv", "--verified-only"); r.code != 1 || !strings.Contains(r.errOut, "10 not checked") {
		t.Fatalf("before any check: exit %d: %s", r.code, r.errOut)
	}
	if r := run(t, cache, "", "verify", "--logs", "--source", dir, "--public-keys", keys); r.code != 0 {
		t.Fatalf("verify --logs: exit %d: %s", r.code, r.errOut)
	}
	if r := run(t, cache, "", "detect", "--source", dir, "--format", "csv", "--verified-only"); r.code != 0 || !strings.Contains(r.errOut, "Logs read: 10 log files, 10 verified valid.") {
		t.Errorf("after the check: exit %d: %s", r.code, r.errOut)
	}
	if r := run(t, cache, "", "detect", "--source", dir, "--follow", "--verified-only"); r.code != 2 {
		t.Errorf("--follow --verified-only: exit %d, want 2", r.code)
	}
}

// TestTraceVerifiedOnly: trace says whether the logs of its period were verified, and --verified-only refuses
// to answer from logs no check covered.
func TestTraceVerifiedOnly(t *testing.T) {
	keys, dir, _ := signedFolder(t)
	cache := t.TempDir()
	trace := []string{"trace", "--source", dir, "--ip", "10.0.0.0/8", "--format", "csv", "--since", "2024-09-01"}
	if r := run(t, cache, "", append(trace, "--verified-only")...); r.code != 1 || !strings.Contains(r.errOut, "10 not checked") {
		t.Fatalf("before any check: exit %d: %s", r.code, r.errOut)
	}
	if r := run(t, cache, "", "verify", "--logs", "--source", dir, "--public-keys", keys); r.code != 0 {
		t.Fatalf("verify --logs: exit %d: %s", r.code, r.errOut)
	}
	// Nothing came from 10.0.0.0/8 (exit 1, said so), and the logs looked in were all verified.
	r := run(t, cache, "", append(trace, "--verified-only")...)
	if !strings.Contains(r.errOut, "no event came from 10.0.0.0/8") || !strings.Contains(r.errOut, "Logs of the period: 10 log files, 10 verified valid.") {
		t.Errorf("after the check: exit %d: %s", r.code, r.errOut)
	}
}
