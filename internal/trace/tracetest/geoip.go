package tracetest

import (
	"fmt"
	"net"
	"os"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// The networks of the GeoIP database WriteGeoIP writes (documentation ranges, which no generated tree uses).
const (
	TokyoNet     = "198.51.100.0/24"
	FrankfurtNet = "203.0.113.0/24"
	TokyoASN     = "AS64500 Planted Tokyo Net"
	FrankfurtASN = "AS64501 Planted Frankfurt Net"
)

// geoNet is a network of the test database, as a GeoLite2-City and GeoLite2-ASN record together.
type geoNet struct {
	cidr, org, country, city string
	asn                      uint32
	lat, lon                 float64
}

var geoNets = []geoNet{
	{TokyoNet, "Planted Tokyo Net", "JP", "Tokyo", 64500, 35.6895, 139.6917},
	{FrankfurtNet, "Planted Frankfurt Net", "DE", "Frankfurt am Main", 64501, 50.1109, 8.6821},
}

// WriteGeoIP writes a small MaxMind-format database (mmdbwriter) at path: TokyoNet in Tokyo, JP, and
// FrankfurtNet in Frankfurt, DE, each with its ASN, in the fields GeoLite2-City and GeoLite2-ASN use.
func WriteGeoIP(path string) error {
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "trailq-test-City-ASN", RecordSize: 24,
		IncludeReservedNetworks: true, Description: map[string]string{"en": "trailq test database"}})
	if err != nil {
		return fmt.Errorf("new GeoIP tree: %w", err)
	}
	for _, n := range geoNets {
		_, network, err := net.ParseCIDR(n.cidr)
		if err != nil {
			return err
		}
		rec := mmdbtype.Map{
			"autonomous_system_number":       mmdbtype.Uint32(n.asn),
			"autonomous_system_organization": mmdbtype.String(n.org),
			"country":                        mmdbtype.Map{"iso_code": mmdbtype.String(n.country)},
			"city":                           mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(n.city)}},
			"location":                       mmdbtype.Map{"latitude": mmdbtype.Float64(n.lat), "longitude": mmdbtype.Float64(n.lon)},
		}
		if err := tree.Insert(network, rec); err != nil {
			return fmt.Errorf("insert %s: %w", n.cidr, err)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := tree.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
