package digest_test

import (
	"bytes"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/digest"
	"github.com/trailq/trailq/internal/digest/digesttest"
	"github.com/trailq/trailq/internal/source"
	"github.com/trailq/trailq/internal/source/local"
)

var t0 = time.Date(2024, 9, 1, 22, 30, 17, 0, time.UTC) // the chain crosses midnight

func testTrail(signer *digesttest.Signer) digesttest.Trail {
	return digesttest.Trail{Bucket: "trail-bucket", Prefix: "org/", Account: "111122223333", Region: "eu-west-1",
		Name: "main_trail", HomeRegion: "us-east-1", Start: t0, Hours: 4, LogsPerHour: 3, Signer: signer}
}

// check writes the objects as a folder copy with .sig sidecars and checks it with keys.
func check(t *testing.T, objs []digesttest.Object, keys *digest.Keys, sidecars bool) *digest.Report {
	t.Helper()
	dir := t.TempDir()
	digesttest.WriteDir(t, dir, objs, sidecars)
	src, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	var listed []source.Object
	if err := src.List(t.Context(), "", func(o source.Object) error { listed = append(listed, o); return nil }); err != nil {
		t.Fatal(err)
	}
	rep, err := digest.Check(t.Context(), src, digest.Input{Objects: listed, Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// failures returns "status key" of each failed result, sorted.
func failures(rep *digest.Report) []string {
	var out []string
	for _, r := range rep.Results {
		if r.Status.Failed() {
			out = append(out, string(r.Status)+" "+r.Key)
		}
	}
	sort.Strings(out)
	return out
}

func counts(rep *digest.Report) map[string]int {
	m := map[string]int{}
	for _, r := range rep.Results {
		m[r.Kind+" "+string(r.Status)]++
	}
	return m
}

func keysOf(t *testing.T, signers ...*digesttest.Signer) *digest.Keys {
	t.Helper()
	ks, err := digest.ReadKeys(bytes.NewReader(digesttest.KeysJSON(t, signers...)), "keys.json")
	if err != nil {
		t.Fatal(err)
	}
	return digest.NewKeys(ks...)
}

func TestCheckTamperings(t *testing.T) {
	signer := digesttest.NewSigner(t, t0.Add(-24*time.Hour), t0.Add(30*24*time.Hour))
	other := digesttest.NewSigner(t, t0.Add(-24*time.Hour), t0.Add(30*24*time.Hour))
	keys := keysOf(t, signer)
	base := testTrail(signer).Generate(t)
	tests := []struct {
		name   string
		change func(g *digesttest.Generated) (objs []digesttest.Object, want []string)
	}{
		{"valid chain", func(g *digesttest.Generated) ([]digesttest.Object, []string) { return g.All(), nil }},
		{"one log byte changed", func(g *digesttest.Generated) ([]digesttest.Object, []string) {
			lo := &g.Logs[4]
			raw := digesttest.Gunzip(t, lo.Body)
			raw[len(raw)-5] ^= 1 // inside the last record, still JSON-shaped
			lo.Body = digesttest.Gzip(t, raw)
			return g.All(), []string{"modified " + lo.Key}
		}},
		{"one log deleted", func(g *digesttest.Generated) ([]digesttest.Object, []string) {
			gone := g.Logs[7].Key
			g.Logs = append(g.Logs[:7], g.Logs[8:]...)
			return g.All(), []string{"missing " + gone}
		}},
		{"one digest deleted", func(g *digesttest.Generated) ([]digesttest.Object, []string) {
			gone := g.Digests[1].Key
			g.Digests = append(g.Digests[:1], g.Digests[2:]...)
			return g.All(), []string{"chain gap " + gone}
		}},
		{"a digest signed by another key", func(g *digesttest.Generated) ([]digesttest.Object, []string) {
			d := &g.Digests[2]
			f, err := digest.Read(bytes.NewReader(d.Body), d.Key)
			if err != nil {
				t.Fatal(err)
			}
			d.Meta = map[string]string{"signature": other.Sign(t, f.EndText, f.Bucket, f.Object, digesttest.Gunzip(t, d.Body), *f.PreviousSignature)}
			return g.All(), []string{"bad signature " + d.Key}
		}},
		{"the newest digest signed by another key", func(g *digesttest.Generated) ([]digesttest.Object, []string) {
			d := &g.Digests[3] // no successor records its signature: only the signature check finds it
			f, err := digest.Read(bytes.NewReader(d.Body), d.Key)
			if err != nil {
				t.Fatal(err)
			}
			d.Meta = map[string]string{"signature": other.Sign(t, f.EndText, f.Bucket, f.Object, digesttest.Gunzip(t, d.Body), *f.PreviousSignature)}
			return g.All(), []string{"bad signature " + d.Key}
		}},
		{"a digest from a key not in the key set", func(g *digesttest.Generated) ([]digesttest.Object, []string) {
			tr := testTrail(signer)
			tr.SignWith = map[int]*digesttest.Signer{1: other}
			g2 := tr.Generate(t)
			return g2.All(), []string{"unknown key " + g2.Digests[1].Key}
		}},
		{"a log no digest lists", func(g *digesttest.Generated) ([]digesttest.Object, []string) {
			extra := g.Logs[5]
			extra.Key = strings.Replace(extra.Key, "_gen", "_extra", 1)
			return append(g.All(), extra), []string{"not covered " + extra.Key}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &digesttest.Generated{Logs: append([]digesttest.Object(nil), base.Logs...), Digests: append([]digesttest.Object(nil), base.Digests...)}
			objs, want := tt.change(g)
			rep := check(t, objs, keys, true)
			if got := failures(rep); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("failures:\n%s\nwant:\n%s\nall: %v", strings.Join(got, "\n"), strings.Join(want, "\n"), counts(rep))
			}
			if want == nil {
				c := counts(rep)
				if c["digest valid"] != 4 || c["log valid"] != 12 {
					t.Fatalf("counts %v, want 4 valid digests and 12 valid logs", c)
				}
			}
		})
	}
}

// TestPeriods: the results sum per trail and UTC day; the chain crosses midnight.
func TestPeriods(t *testing.T) {
	signer := digesttest.NewSigner(t, t0.Add(-24*time.Hour), t0.Add(30*24*time.Hour))
	g := testTrail(signer).Generate(t)
	rep := check(t, g.All(), keysOf(t, signer), true)
	ps := rep.Periods()
	if len(ps) != 2 {
		t.Fatalf("%d periods, want 2 (the days 2024-09-01 and -02): %+v", len(ps), ps)
	}
	digests, logs := 0, 0
	for i, p := range ps {
		if want := t0.Truncate(24 * time.Hour).Add(time.Duration(i) * 24 * time.Hour); !p.Day.Equal(want) || p.Trail.Name != "main_trail" {
			t.Errorf("period %d: day %v trail %q, want %v main_trail", i, p.Day, p.Trail.Name, want)
		}
		if p.Counts[digest.Valid] != p.Digests+p.Logs {
			t.Errorf("period %d: %d valid of %d digests and %d logs", i, p.Counts[digest.Valid], p.Digests, p.Logs)
		}
		digests, logs = digests+p.Digests, logs+p.Logs
	}
	if digests != 4 || logs != 12 {
		t.Errorf("periods hold %d digests and %d logs, want 4 and 12", digests, logs)
	}
}

// TestCheckFolderWithoutSignatures: a folder copy keeps no S3 metadata: every digest is unsigned (no failure),
// the logs are still checked, and a digest changed in place breaks its successor's record of it.
func TestCheckFolderWithoutSignatures(t *testing.T) {
	signer := digesttest.NewSigner(t, t0.Add(-24*time.Hour), t0.Add(30*24*time.Hour))
	g := testTrail(signer).Generate(t)
	rep := check(t, g.All(), keysOf(t, signer), false)
	if c := counts(rep); c["digest unsigned"] != 4 || c["log valid"] != 12 || rep.Failures() != 0 {
		t.Fatalf("counts %v, failures %d; want 4 unsigned digests, 12 valid logs, no failure", c, rep.Failures())
	}
	d := &g.Digests[1]
	raw := bytes.Replace(digesttest.Gunzip(t, d.Body), []byte(`"logFiles":[`), []byte(`"logFiles": [`), 1)
	d.Body = digesttest.Gzip(t, raw)
	if got, want := failures(check(t, g.All(), keysOf(t, signer), false)), []string{"modified " + d.Key}; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("a digest changed in place: failures %q, want %q", got, want)
	}
}

// TestCheckOrganizationTrail: an organization trail's keys (AWSLogs/o-…/account/) and a trail at the bucket's top.
func TestCheckOrganizationTrail(t *testing.T) {
	signer := digesttest.NewSigner(t, t0.Add(-24*time.Hour), t0.Add(30*24*time.Hour))
	tr := testTrail(signer)
	tr.Prefix, tr.OrgID = "", "o-aa1bb2cc3d"
	rep := check(t, tr.Generate(t).All(), keysOf(t, signer), true)
	if c := counts(rep); c["digest valid"] != 4 || c["log valid"] != 12 || rep.Failures() != 0 {
		t.Fatalf("counts %v, want every digest and log valid", c)
	}
	if p := rep.Periods(); len(p) == 0 || p[0].Trail.OrgID != "o-aa1bb2cc3d" {
		t.Fatalf("periods %+v, want the organization's", p)
	}
}

// TestCheckKeyValidity: a key is used only within its validity.
func TestCheckKeyValidity(t *testing.T) {
	signer := digesttest.NewSigner(t, t0.Add(2*time.Hour), t0.Add(30*24*time.Hour)) // valid from the 2nd digest's end on
	g := testTrail(signer).Generate(t)
	got := failures(check(t, g.All(), keysOf(t, signer), true))
	if want := []string{"unknown key " + g.Digests[0].Key}; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("failures %q, want %q", got, want)
	}
}
