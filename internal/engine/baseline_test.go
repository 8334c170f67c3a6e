package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailq/trailq/internal/baseline"
	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/gen"
	"github.com/trailq/trailq/internal/source/local"
	"github.com/trailq/trailq/internal/timewin"
	"github.com/trailq/trailq/internal/trace"
	"github.com/trailq/trailq/internal/trace/tracetest"
)

// noveltyDay is the period of the planted novelties: the day after the generated tree's first 29 days.
var noveltyDay = gen.DefaultStart.AddDate(0, 0, 29)

// writeNovelties writes a generated tree of n records over 30 days and the planted novelties into dir.
func writeNovelties(t testing.TB, dir string, n int, seed uint64) *tracetest.Novelties {
	t.Helper()
	p, err := gen.NewPlan(gen.Options{Records: n, Days: 30, Accounts: 3, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gen.Generate(context.Background(), p, dir, nil); err != nil {
		t.Fatal(err)
	}
	nov := tracetest.PlantNovelties(seed, noveltyDay)
	tracetest.WriteFiles(t, dir, nov.Files)
	return nov
}

var novelties struct {
	once  sync.Once
	n     *tracetest.Novelties
	o     engine.Options
	geoip string
}

// noveltyStore is a store of 20,000 generated events over 30 days and the planted novelties, made once.
func noveltyStore(t *testing.T) (*tracetest.Novelties, engine.Options, string) {
	t.Helper()
	novelties.once.Do(func() {
		dir, err := os.MkdirTemp("", "trailq-baseline-")
		if err != nil {
			t.Fatal(err)
		}
		n := writeNovelties(t, dir, 20_000, 5)
		novelties.geoip = filepath.Join(dir, "test.mmdb")
		if err := tracetest.WriteGeoIP(novelties.geoip); err != nil {
			t.Fatal(err)
		}
		// The store outlives the test that made it: the other tests of the package read it.
		src, err := local.New(dir)
		if err != nil {
			t.Fatal(err)
		}
		o := engine.Options{Source: src, StorePath: filepath.Join(dir, "s.duckdb")}
		if _, err := (&engine.Engine{}).Sync(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		novelties.n, novelties.o = n, engine.Options{StorePath: o.StorePath}
	})
	if novelties.n == nil {
		t.Fatal("the novelty store could not be made")
	}
	return novelties.n, novelties.o, novelties.geoip
}

// runBaseline compares the planted period with its baseline, in Tokyo time, with the test GeoIP database
// unless noGeo, limited to the start where when given.
func runBaseline(t *testing.T, noGeo bool, where *trace.Query) (*tracetest.Novelties, *engine.BaselineResult) {
	t.Helper()
	n, o, path := noveltyStore(t)
	q := baseline.Query{Period: timewin.Period{Start: n.Start, End: n.End}, Zone: tracetest.Tokyo}
	if !noGeo {
		g, err := baseline.OpenGeoIP(path)
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close()
		q.GeoIP = g
	}
	if where != nil {
		w, err := where.Where()
		if err != nil {
			t.Fatal(err)
		}
		q.Where = w
	}
	res, err := (&engine.Engine{}).Baseline(context.Background(), o, engine.BaselineOptions{Query: q, Now: n.End.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return n, res
}

// plantedFindings keeps the findings of the planted principals, and the rates of the planted-only event name.
func plantedFindings(n *tracetest.Novelties, fs []baseline.Finding) []tracetest.Want {
	var got []tracetest.Want
	for _, f := range fs {
		if slices.Contains(n.Principals, f.Principal) || f.Principal == "" && strings.Contains(f.Value, " of "+tracetest.BurstEvent+" ") {
			got = append(got, asWant(f))
		}
	}
	return sortWants(got)
}

// asWant is a finding as the plan writes it: the value only for the first-seen kinds.
func asWant(f baseline.Finding) tracetest.Want {
	w := tracetest.Want{Kind: string(f.Kind), Principal: f.Principal, Evidence: f.Evidence}
	switch f.Kind {
	case baseline.OddHour, baseline.Travel, baseline.Rate:
	default:
		w.Value = f.Value
	}
	return w
}

func sortWants(ws []tracetest.Want) []tracetest.Want {
	slices.SortFunc(ws, func(a, b tracetest.Want) int {
		return strings.Compare(a.Kind+a.Principal+a.Value+strings.Join(a.Evidence, " "), b.Kind+b.Principal+b.Value+strings.Join(b.Evidence, " "))
	})
	return ws
}

// TestBaselinePlanted: the planted novelties are found, exactly, over generated background, and the decoys (a
// value seen in the baseline, too few sign-ins for the hour rule, a principal new in the period) are not.
func TestBaselinePlanted(t *testing.T) {
	n, res := runBaseline(t, false, nil)
	if diff := cmp.Diff(sortWants(slices.Clone(n.Want)), plantedFindings(n, res.Findings)); diff != "" {
		t.Errorf("planted findings (-want +got):\n%s", diff)
	}
	for _, f := range res.Findings {
		if slices.Contains(n.Decoys, f.Principal) {
			t.Errorf("a decoy's finding: %+v", f)
		}
	}
	if !slices.Contains(res.NewPrincipals, tracetest.ARN(tracetest.NovFresh)) {
		t.Errorf("new principals %q lack %s", res.NewPrincipals, tracetest.NovFresh)
	}
	// The numbers shown.
	for _, f := range res.Findings {
		switch {
		case f.Kind == baseline.Travel && f.Principal == tracetest.ARN(tracetest.NovTraveller):
			if f.Km < 9000 || f.Km > 9600 || f.Hours != 1 || f.Kmh != f.Km {
				t.Errorf("travel Tokyo → Frankfurt in an hour: %+v", f)
			}
		case f.Kind == baseline.Rate && f.Principal == tracetest.ARN(tracetest.NovBurst) && strings.Contains(f.Value, "errors"):
			if f.Count != 20 || f.Median != 0 || f.MAD != 0 || f.Score != 13.5 {
				t.Errorf("burst of 20 errors against none: %+v", f)
			}
		case f.Kind == baseline.OddHour && f.Principal == tracetest.ARN(tracetest.NovTokyo):
			if !strings.Contains(f.Value, "03:00–04:00") || !strings.Contains(f.Baseline, "at 09–18") {
				t.Errorf("the 03:00 sign-in: %+v", f)
			}
		}
	}
	// The sign-ins of the period, marked for the web UI.
	var marked []string
	for _, s := range res.SignIns {
		if s.NewIP || s.NewCountry {
			marked = append(marked, s.EventID)
		}
		if s.EventID == n.NewIPSignIn && (!s.NewIP || !s.NewCountry || s.Country != "DE") {
			t.Errorf("sign-in from a new IP: %+v", s)
		}
	}
	if !slices.Contains(marked, n.NewIPSignIn) {
		t.Errorf("marked sign-ins %q lack %s", marked, n.NewIPSignIn)
	}
}

// TestBaselineWithoutGeoIP: without a database, no ASN, country or travel findings, and the rest the same.
func TestBaselineWithoutGeoIP(t *testing.T) {
	n, res := runBaseline(t, true, nil)
	var want []tracetest.Want
	for _, w := range n.Want {
		if w.Kind != "asn" && w.Kind != "country" && w.Kind != "travel" {
			want = append(want, w)
		}
	}
	if diff := cmp.Diff(sortWants(want), plantedFindings(n, res.Findings)); diff != "" {
		t.Errorf("planted findings without --geoip (-want +got):\n%s", diff)
	}
}

// TestBaselineOnePrincipal: limited to a principal, the findings are exactly its planted ones (the event
// name's rates then count its calls only).
func TestBaselineOnePrincipal(t *testing.T) {
	for _, name := range []string{tracetest.NovBurst, tracetest.NovIP, tracetest.NovReturn} {
		n, res := runBaseline(t, false, &trace.Query{Kind: trace.ByPrincipal, Value: tracetest.ARN(name)})
		var want, got []tracetest.Want
		for _, w := range n.Want {
			if w.Principal == tracetest.ARN(name) || w.Principal == "" && name == tracetest.NovBurst {
				want = append(want, w)
			}
		}
		for _, f := range res.Findings {
			got = append(got, asWant(f))
		}
		if diff := cmp.Diff(sortWants(want), sortWants(got)); diff != "" {
			t.Errorf("--principal %s (-want +got):\n%s", name, diff)
		}
	}
}

// TestBaselineStore: through an open store, without a load (the web's read handle), the same findings.
func TestBaselineStore(t *testing.T) {
	n, o, _ := noveltyStore(t)
	e := &engine.Engine{}
	st, err := e.Reader(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	res, err := engine.BaselineStore(context.Background(), st, baseline.Query{Period: timewin.Period{Start: n.Start, End: n.End}, Zone: tracetest.Tokyo})
	if err != nil {
		t.Fatal(err)
	}
	_, viaLoad := runBaseline(t, true, nil)
	if diff := cmp.Diff(plantedFindings(n, viaLoad.Findings), plantedFindings(n, res.Findings)); diff != "" || len(res.Findings) == 0 {
		t.Errorf("BaselineStore (-Baseline +BaselineStore):\n%s", diff)
	}
}
