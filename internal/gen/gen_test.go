package gen_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/gen"
	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/source/local"
	"github.com/trailq/trailq/internal/store"
)

func generate(t *testing.T, opts gen.Options) (string, *gen.Summary) {
	t.Helper()
	p, err := gen.NewPlan(opts)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sum, err := gen.Generate(context.Background(), p, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return dir, sum
}

// readTree returns every file's path (relative, slash-separated) and content.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var small = gen.Options{Records: 6000, Days: 1, Accounts: 2, Seed: 7, Workers: 2}

func TestDeterministic(t *testing.T) {
	tiny := gen.Options{Records: 1500, Days: 1, Accounts: 1, Seed: 7, Workers: 2}
	dir1, _ := generate(t, tiny)
	other := tiny
	other.Workers = 1 // a different schedule must not change the bytes
	dir2, _ := generate(t, other)
	a, b := readTree(t, dir1), readTree(t, dir2)
	if len(a) != len(b) || len(a) == 0 {
		t.Fatalf("%d files vs %d files", len(a), len(b))
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			t.Fatalf("%s differs between two runs with the same seed", k)
		}
	}

	// The files hold the plan's documents.
	p, err := gen.NewPlan(tiny)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, len(p.Files) / 2, len(p.Files) - 1} {
		if got := gunzip(t, a[p.Files[i].Key]); !bytes.Equal(got, p.Document(i)) {
			t.Fatalf("%s: file content is not the plan's document %d", p.Files[i].Key, i)
		}
	}

	reseeded := tiny
	reseeded.Seed = 8
	dir3, _ := generate(t, reseeded)
	c := readTree(t, dir3)
	same := 0
	for k := range c {
		if _, ok := a[k]; ok {
			same++
		}
	}
	if same > 0 {
		t.Errorf("seeds 7 and 8 share %d of %d keys", same, len(c))
	}
}

func TestKeyLayout(t *testing.T) {
	opts := small
	opts.Org = "o-a1b2c3d4e5"
	opts.Start = time.Date(2025, 2, 27, 0, 0, 0, 0, time.UTC)
	opts.Days = 3 // crosses the end of February
	opts.Records = 60_000
	p, err := gen.NewPlan(opts)
	if err != nil {
		t.Fatal(err)
	}
	accounts := map[string]bool{}
	for _, a := range p.Accounts {
		accounts[a.ID] = true
	}
	regions := map[string]bool{}
	for _, r := range gen.Regions() {
		regions[r] = true
	}
	seenRegions, seenAccounts := map[string]bool{}, map[string]bool{}
	end := opts.Start.AddDate(0, 0, opts.Days)
	for _, f := range p.Files {
		k := cloudtrail.ParseKey(f.Key)
		if k.Kind != cloudtrail.KindLog || !k.Compressed {
			t.Fatalf("%s: kind %v, compressed %v", f.Key, k.Kind, k.Compressed)
		}
		if k.OrgID != opts.Org || k.Account != p.Accounts[f.Account].ID || k.Region != gen.Regions()[f.Region] {
			t.Fatalf("%s: parsed org %q account %q region %q", f.Key, k.OrgID, k.Account, k.Region)
		}
		if !k.Date.Equal(f.Delivered.Truncate(24*time.Hour)) || k.Date.Before(opts.Start) || !k.Date.Before(end) {
			t.Fatalf("%s: date %v, delivered %v", f.Key, k.Date, f.Delivered)
		}
		if !k.Delivered.Equal(f.Delivered.Truncate(time.Minute)) {
			t.Fatalf("%s: delivered %v, want %v", f.Key, k.Delivered, f.Delivered.Truncate(time.Minute))
		}
		if !strings.HasPrefix(f.Key, "AWSLogs/"+opts.Org+"/") || !accounts[k.Account] || !regions[k.Region] {
			t.Fatalf("%s: unexpected layout", f.Key)
		}
		seenRegions[k.Region] = true
		seenAccounts[k.Account] = true
	}
	if len(seenAccounts) != opts.Accounts {
		t.Errorf("%d accounts have files, want %d", len(seenAccounts), opts.Accounts)
	}
	if len(seenRegions) < 20 {
		t.Errorf("only %d regions have files", len(seenRegions))
	}

	// Without --org: AWSLogs/<account>/CloudTrail/…
	p, err = gen.NewPlan(small)
	if err != nil {
		t.Fatal(err)
	}
	if k := cloudtrail.ParseKey(p.Files[0].Key); k.OrgID != "" || !strings.HasPrefix(p.Files[0].Key, "AWSLogs/"+k.Account+"/CloudTrail/") {
		t.Errorf("%s: not an account trail key", p.Files[0].Key)
	}
	if _, err := gen.NewPlan(gen.Options{Records: 10, Days: 1, Accounts: 1, Org: "org-1"}); err == nil {
		t.Error("a bad organization ID was accepted")
	}
}

func TestRecordsDecodeAndLookReal(t *testing.T) {
	opts := gen.Options{Records: 20_000, Days: 1, Accounts: 2, Seed: 7}
	p, err := gen.NewPlan(opts)
	if err != nil {
		t.Fatal(err)
	}
	dec := cloudtrail.NewDecoder()
	var total, signins, denied, crossing int
	types, names := map[string]int{}, map[string]int{}
	hiddenBurst := 0
	for i, f := range p.Files {
		key, doc := f.Key, p.Document(i)
		k := cloudtrail.ParseKey(key)
		err := dec.Decode(bytes.NewReader(doc), func(_ int, rec *cloudtrail.Record, problems []cloudtrail.Problem) error {
			if len(problems) > 0 {
				t.Fatalf("%s: %v", key, problems)
			}
			total++
			tm, ok := rec.Time()
			if !ok {
				t.Fatalf("%s: bad eventTime %q", key, rec.EventTime.S)
			}
			if lag := k.Delivered.Sub(tm); lag < 0 || lag > 16*time.Minute {
				t.Fatalf("%s: record at %v, delivered %v", key, tm, k.Delivered)
			}
			if !tm.Truncate(24 * time.Hour).Equal(k.Date) {
				crossing++
			}
			if rec.AWSRegion.S != k.Region || rec.RecipientAccountID.S != k.Account {
				t.Fatalf("%s: record of %s/%s", key, rec.RecipientAccountID.S, rec.AWSRegion.S)
			}
			if rec.EventSource.S == "signin.amazonaws.com" {
				signins++
				if rec.UserIdentity.UserName.S == "HIDDEN_DUE_TO_SECURITY_REASONS" && rec.ErrorMessage.S == "No username found in supplied account" {
					hiddenBurst++
				}
			}
			if strings.Contains(rec.ErrorCode.S, "AccessDenied") || rec.ErrorCode.S == "Client.UnauthorizedOperation" {
				denied++
			}
			types[rec.UserIdentity.Type.S]++
			names[rec.EventName.S]++
			if rec.RequestParameters.Valid && !json.Valid([]byte(rec.RequestParameters.S)) {
				t.Fatalf("%s: requestParameters not JSON", key)
			}
			return nil
		}, func(p cloudtrail.Problem) { t.Fatalf("%s: %v", key, p) })
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
	}
	if total != opts.Records {
		t.Fatalf("decoded %d records, want %d", total, opts.Records)
	}
	if share := float64(signins) / float64(total); share < 0.01 || share > 0.02 {
		t.Errorf("sign-in share %.4f, want 1–2 %%", share)
	}
	if share := float64(denied) / float64(total); share < 0.015 || share > 0.045 {
		t.Errorf("access-denied share %.4f, want about 3 %%", share)
	}
	for _, typ := range []string{"IAMUser", "AssumedRole", "AWSService", "Root", "IdentityCenterUser"} {
		if types[typ] == 0 {
			t.Errorf("no %s callers (%v)", typ, types)
		}
	}
	if len(names) < 30 {
		t.Errorf("only %d event names", len(names))
	}
	for _, n := range []string{"ConsoleLogin", "CheckMfa", "CredentialVerification", "UserAuthentication", "SwitchRole", "GetObject", "AssumeRole"} {
		if names[n] == 0 {
			t.Errorf("no %s events", n)
		}
	}
	if hiddenBurst == 0 {
		t.Error("no failed sign-ins with a hidden user name")
	}
	if crossing == 0 {
		t.Error("no record crosses midnight into the next day's files")
	}
}

func TestBusyRegionsHaveLargerFiles(t *testing.T) {
	p, err := gen.NewPlan(gen.Options{Records: 200_000, Days: 1, Accounts: 1, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	perRegion := map[string][2]int{} // records, files
	for _, f := range p.Files {
		r := gen.Regions()[f.Region]
		v := perRegion[r]
		perRegion[r] = [2]int{v[0] + f.Records, v[1] + 1}
	}
	avg := func(r string) float64 { v := perRegion[r]; return float64(v[0]) / float64(max(v[1], 1)) }
	if busy, quiet := avg("us-east-1"), avg("ap-south-2"); busy < 20*quiet || quiet > 3 {
		t.Errorf("records per file: us-east-1 %.1f, ap-south-2 %.1f", busy, quiet)
	}
	if perRegion["us-east-1"][1] < 250 { // a file about every 5 minutes
		t.Errorf("us-east-1 has %d files in a day", perRegion["us-east-1"][1])
	}
}

func TestGeneratedTreeLoads(t *testing.T) {
	dir, sum := generate(t, gen.Options{Records: 3000, Days: 1, Accounts: 1, Seed: 11, Org: "o-testorg1234"})
	src, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "s.duckdb"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rep, err := ingest.Run(ctx, src, st, ingest.Options{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Problems() != 0 || rep.Records != 3000 {
		t.Fatalf("loaded %d records with %d problem files: %+v", rep.Records, rep.Problems(), rep.Files)
	}
	rows, err := st.Query(ctx, "SELECT count(*), count(DISTINCT eventid), count(*) FILTER (WHERE eventtype = 'AwsConsoleSignIn') FROM cloudtrail_logs")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if !rows.Next() {
		t.Fatal("no row")
	}
	v, err := rows.Values()
	if err != nil {
		t.Fatal(err)
	}
	if n, ids := toInt(v[0]), toInt(v[1]); n != 3000 || ids != 3000 {
		t.Errorf("store has %d rows and %d event IDs, want 3000", n, ids)
	}
	if toInt(v[2]) == 0 {
		t.Error("no AwsConsoleSignIn rows")
	}
	if sum.Objects != rep.Loaded || sum.Records != 3000 || sum.Signins == 0 {
		t.Errorf("summary %+v, load report: %d objects", sum, rep.Loaded)
	}
}

func toInt(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int32:
		return int64(n)
	case uint64:
		return int64(n)
	}
	return -1
}

// TestEveryFileHoldsItsRecords builds every file of a plan with many small sign-in files (where a burst of
// failed sign-ins can fill a whole file) and counts the records.
func TestEveryFileHoldsItsRecords(t *testing.T) {
	p, err := gen.NewPlan(gen.Options{Records: 50_000, Days: 1, Accounts: 5, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range p.Files {
		if n := bytes.Count(p.Document(i), []byte(`{"eventVersion"`)); n != f.Records {
			t.Fatalf("%s: %d records, want %d", f.Key, n, f.Records)
		}
	}
}
