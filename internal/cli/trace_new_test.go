package cli

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailq/trailq/internal/baseline"
	"github.com/trailq/trailq/internal/trace/tracetest"
)

// noveltyDay is the period of the planted novelties of the --new tests.
var noveltyDay = time.Date(2024, 9, 30, 0, 0, 0, 0, time.UTC)

// noveltyLogs writes the planted novelties (28 days of baseline and the period) as a folder of log files, and
// the test GeoIP database.
func noveltyLogs(t *testing.T) (dir, geoip string, n *tracetest.Novelties) {
	t.Helper()
	dir = t.TempDir()
	n = tracetest.PlantNovelties(4, noveltyDay)
	tracetest.WriteFiles(t, dir, n.Files)
	geoip = filepath.Join(t.TempDir(), "test.mmdb")
	if err := tracetest.WriteGeoIP(geoip); err != nil {
		t.Fatal(err)
	}
	return dir, geoip, n
}

// newArgs are the arguments of --new over the planted period, in Tokyo time.
func newArgs(dir, store string, more ...string) []string {
	return append([]string{"--source", dir, "--store", store, "--new", "--tz", "Asia/Tokyo",
		"--since", noveltyDay.Format(time.RFC3339), "--until", noveltyDay.Add(24 * time.Hour).Format(time.RFC3339)}, more...)
}

// csvWants reads --new's CSV as the plan writes findings: the value only for the first-seen kinds.
func csvWants(t *testing.T, out string) []tracetest.Want {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 || !slices.Equal(recs[0], baseline.Columns) {
		t.Fatalf("header %q, want %q", recs, baseline.Columns)
	}
	var got []tracetest.Want
	for _, r := range recs[1:] {
		w := tracetest.Want{Kind: r[2], Principal: r[1], Evidence: strings.Fields(r[5])}
		if k := baseline.Kind(r[2]); k != baseline.OddHour && k != baseline.Travel && k != baseline.Rate {
			w.Value = r[3]
		}
		got = append(got, w)
	}
	return sortNew(got)
}

func sortNew(ws []tracetest.Want) []tracetest.Want {
	key := func(w tracetest.Want) string {
		return w.Kind + "|" + w.Principal + "|" + w.Value + "|" + strings.Join(w.Evidence, " ")
	}
	slices.SortFunc(ws, func(a, b tracetest.Want) int { return strings.Compare(key(a), key(b)) })
	return ws
}

// TestTraceNew: --new over the planted novelties alone lists exactly the planted findings, in CSV and JSON;
// --principal limits them to one principal's.
func TestTraceNew(t *testing.T) {
	dir, geoip, n := noveltyLogs(t)
	store := filepath.Join(t.TempDir(), "s.duckdb")
	r := traceCmd(t, newArgs(dir, store, "--geoip", geoip, "--format", "csv")...)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	if diff := cmp.Diff(sortNew(slices.Clone(n.Want)), csvWants(t, r.out)); diff != "" {
		t.Errorf("--new (-want +got):\n%s", diff)
	}
	if !strings.Contains(r.errOut, "1 principal first seen in the period, not compared") || !strings.Contains(r.errOut, "against the 28 days before") {
		t.Errorf("stderr:\n%s", r.errOut)
	}

	r = traceCmd(t, newArgs(dir, store, "--geoip", geoip, "--format", "json", "--no-load")...)
	if r.code != ExitOK {
		t.Fatalf("json: exit %d: %s", r.code, r.errOut)
	}
	var doc struct {
		Zone     string `json:"zone"`
		Findings []struct {
			Time, Kind string
			Evidence   []string
			Rate       *struct{ Median, MAD, Score float64 }
			Travel     *struct{ Km, Hours, Kmh float64 }
		}
		NewPrincipals []string `json:"new_principals"`
	}
	if err := json.Unmarshal([]byte(r.out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, r.out)
	}
	if len(doc.Findings) != len(n.Want) || doc.Zone != "Asia/Tokyo" || !slices.Equal(doc.NewPrincipals, []string{tracetest.ARN(tracetest.NovFresh)}) {
		t.Errorf("JSON: %d findings (want %d), zone %s, new principals %q", len(doc.Findings), len(n.Want), doc.Zone, doc.NewPrincipals)
	}
	for _, f := range doc.Findings {
		if f.Kind == "rate" && (f.Rate == nil || f.Rate.Score <= 3.5) || f.Kind == "travel" && (f.Travel == nil || f.Travel.Kmh <= 1000) {
			t.Errorf("JSON finding without its numbers: %+v", f)
		}
		if !strings.HasSuffix(f.Time, "+09:00") {
			t.Errorf("JSON time %s is not in Tokyo time", f.Time)
		}
	}

	// Limited to one principal, by name or by its access key.
	for _, c := range []struct{ flag, value, name string }{
		{"--principal", tracetest.NovTokyo, tracetest.NovTokyo},
		{"--access-key", "AKIANOVREGION", tracetest.NovRegion},
	} {
		r = traceCmd(t, newArgs(dir, store, "--no-load", "--format", "csv", c.flag, c.value)...)
		var want []tracetest.Want
		for _, w := range n.Want {
			if w.Principal == tracetest.ARN(c.name) {
				want = append(want, w)
			}
		}
		if diff := cmp.Diff(sortNew(want), csvWants(t, r.out)); r.code != ExitOK || len(want) == 0 || diff != "" {
			t.Errorf("%s %s: exit %d (-want +got):\n%s%s", c.flag, c.value, r.code, diff, r.errOut)
		}
	}
}

// TestTraceNewBaseline: --baseline 7d leaves the decoy's early address out of the baseline, so it is new.
func TestTraceNewBaseline(t *testing.T) {
	dir, _, _ := noveltyLogs(t)
	store := filepath.Join(t.TempDir(), "s.duckdb")
	for _, c := range []struct {
		args []string
		new  bool
	}{
		{nil, false},
		{[]string{"--baseline", "7d"}, true},
		{[]string{"--baseline-since", noveltyDay.AddDate(0, 0, -20).Format(time.DateOnly)}, true},
		{[]string{"--baseline-since", noveltyDay.AddDate(0, 0, -28).Format(time.RFC3339)}, false},
	} {
		r := traceCmd(t, newArgs(dir, store, append(c.args, "--format", "csv", "--principal", tracetest.NovReturn)...)...)
		if r.code != ExitOK {
			t.Fatalf("%q: exit %d: %s", c.args, r.code, r.errOut)
		}
		got := strings.Contains(r.out, ",ip,"+tracetest.NovReturnOld+",")
		if got != c.new {
			t.Errorf("%q: %s new: %v, want %v:\n%s", c.args, tracetest.NovReturnOld, got, c.new, r.out)
		}
	}
}

func TestTraceNewFlags(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.mmdb")
	if err := os.WriteFile(bad, []byte("not a database"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--new", "--session", "e1"}, ExitUsage, "--new with --session"},
		{[]string{"--new", "--ip", "192.0.2.1"}, ExitUsage, "--new with --ip"},
		{[]string{"--new", "--principal", "a", "--role", "r"}, ExitUsage, "--new takes one of"},
		{[]string{"--new", "--view", "timeline"}, ExitUsage, "takes no --view"},
		{[]string{"--new", "--baseline", "7d", "--baseline-since", "2024-09-01"}, ExitUsage, "not both"},
		{[]string{"--new", "--baseline", "a week"}, ExitUsage, `--baseline: "a week" is not a length of time`},
		{[]string{"--new", "--baseline", "0d"}, ExitUsage, "above zero"},
		{[]string{"--principal", "a", "--geoip", "x.mmdb"}, ExitUsage, "--geoip is for --new"},
		{[]string{"--principal", "a", "--baseline", "7d"}, ExitUsage, "--baseline is for --new"},
		{[]string{"--new", "--since", "2024-09-10", "--baseline-until", "2024-09-11", "--store", "x.duckdb"}, ExitUsage, "must end by the period's start"},
		{[]string{"--new", "--geoip", bad, "--store", "x.duckdb"}, ExitError, "open GeoIP database " + bad},
		{[]string{"--new", "--geoip", bad + ".missing", "--store", "x.duckdb"}, ExitError, "open GeoIP database " + bad + ".missing"},
	} {
		r := traceCmd(t, c.args...)
		if r.code != c.code || !strings.Contains(r.errOut, c.want) {
			t.Errorf("trace %q: exit %d, want %d with %q:\n%s", c.args, r.code, c.code, c.want, r.errOut)
		}
	}
}
