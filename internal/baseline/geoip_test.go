package baseline_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailq/trailq/internal/baseline"
	"github.com/trailq/trailq/internal/trace/tracetest"
)

// testGeoIP writes the test database and opens it.
func testGeoIP(t *testing.T) (*baseline.GeoIP, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.mmdb")
	if err := tracetest.WriteGeoIP(path); err != nil {
		t.Fatal(err)
	}
	g, err := baseline.OpenGeoIP(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g, path
}

func TestGeoIPLookup(t *testing.T) {
	g, _ := testGeoIP(t)
	for _, c := range []struct {
		ip, asn, name string
		located       bool
	}{
		{"198.51.100.7", tracetest.TokyoASN, "Tokyo, JP", true},
		{"::ffff:203.0.113.9", tracetest.FrankfurtASN, "Frankfurt am Main, DE", true},
		{"192.0.2.1", "", "?", false},
		{"ec2.amazonaws.com", "", "?", false},
	} {
		p, err := g.Lookup(c.ip)
		if err != nil {
			t.Fatalf("%s: %v", c.ip, err)
		}
		if p.ASNText() != c.asn || p.Name() != c.name || p.HasLocation != c.located {
			t.Errorf("%s: %+v, want %s, %s, located %v", c.ip, p, c.asn, c.name, c.located)
		}
	}
}

// TestGeoIPBadFile: a missing file and one that is not a MaxMind database are errors that name the file.
func TestGeoIPBadFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.mmdb")
	if err := os.WriteFile(bad, []byte("not a database"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(dir, "missing.mmdb"), bad} {
		_, err := baseline.OpenGeoIP(path)
		if err == nil || !strings.Contains(err.Error(), "open GeoIP database "+path) {
			t.Errorf("%s: %v, want an error naming it", path, err)
		}
	}
}
