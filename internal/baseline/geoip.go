package baseline

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/oschwald/maxminddb-golang/v2"

	"github.com/trailq/trailq/internal/hint"
)

// GeoIP looks addresses up, offline, in MaxMind-format databases (GeoLite2/GeoIP2 City, Country or ASN .mmdb
// files; several files are read together: the ASN from one, the place from another).
type GeoIP struct {
	files   []string
	readers []*maxminddb.Reader
}

// Place is what the databases know of an address; zero fields are unknown.
type Place struct {
	ASN     uint
	Org     string // the ASN's organization
	Country string // ISO 3166-1 alpha-2
	City    string // English name
	// Lat and Lon are in degrees; HasLocation says whether they were given.
	Lat, Lon    float64
	HasLocation bool
}

// record is the part of a GeoLite2/GeoIP2 record read.
type record struct {
	ASN     uint   `maxminddb:"autonomous_system_number"`
	Org     string `maxminddb:"autonomous_system_organization"`
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	City struct {
		Names map[string]string `maxminddb:"names"`
	} `maxminddb:"city"`
	Location struct {
		Lat *float64 `maxminddb:"latitude"`
		Lon *float64 `maxminddb:"longitude"`
	} `maxminddb:"location"`
}

// OpenGeoIP opens the .mmdb files; an error names the file that cannot be read.
func OpenGeoIP(files ...string) (*GeoIP, error) {
	g := &GeoIP{files: files}
	for _, f := range files {
		r, err := maxminddb.Open(f)
		if err != nil {
			g.Close()
			return nil, hint.With(fmt.Errorf("open GeoIP database %s: %w", f, err),
				"give a MaxMind-format .mmdb file (GeoLite2-City, GeoLite2-Country, GeoLite2-ASN, GeoIP2-…)")
		}
		g.readers = append(g.readers, r)
	}
	return g, nil
}

// Files are the databases' paths.
func (g *GeoIP) Files() []string { return g.files }

// Close closes the databases.
func (g *GeoIP) Close() error {
	var errs []error
	for _, r := range g.readers {
		errs = append(errs, r.Close())
	}
	g.readers = nil
	return errors.Join(errs...)
}

// Lookup returns what the databases know of an address (a source IP that is not one, such as a service
// name, is unknown). The first database that knows a field gives it.
func (g *GeoIP) Lookup(ip string) (Place, error) {
	var p Place
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return p, nil
	}
	a = a.Unmap()
	for i, r := range g.readers {
		var rec record
		res := r.Lookup(a)
		if !res.Found() {
			if err := res.Err(); err != nil {
				return p, fmt.Errorf("look %s up in %s: %w", ip, g.files[i], err)
			}
			continue
		}
		if err := res.Decode(&rec); err != nil {
			return p, fmt.Errorf("look %s up in %s: %w", ip, g.files[i], err)
		}
		p.fill(&rec)
	}
	return p, nil
}

// fill sets the fields of p that rec knows and p does not yet.
func (p *Place) fill(rec *record) {
	if p.ASN == 0 && rec.ASN != 0 {
		p.ASN, p.Org = rec.ASN, rec.Org
	}
	if p.Country == "" {
		p.Country = rec.Country.ISOCode
	}
	if p.City == "" {
		p.City = rec.City.Names["en"]
	}
	if !p.HasLocation && rec.Location.Lat != nil && rec.Location.Lon != nil {
		p.Lat, p.Lon, p.HasLocation = *rec.Location.Lat, *rec.Location.Lon, true
	}
}

// ASNText is the ASN as shown ("AS64500 Example Net"), "" when unknown.
func (p Place) ASNText() string {
	if p.ASN == 0 {
		return ""
	}
	return strings.TrimSpace(fmt.Sprintf("AS%d %s", p.ASN, p.Org))
}

// Name is the place as shown: "Tokyo, JP", "JP", or "?".
func (p Place) Name() string {
	switch {
	case p.City != "" && p.Country != "":
		return p.City + ", " + p.Country
	case p.Country != "":
		return p.Country
	case p.City != "":
		return p.City
	}
	return "?"
}
