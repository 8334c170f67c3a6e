package baseline

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Kind is what is new or unusual.
type Kind string

// The kinds of finding.
const (
	NewIP        Kind = "ip"         // a source IP the principal did not use in the baseline
	NewUserAgent Kind = "user_agent" // a user agent
	NewRegion    Kind = "region"     // an AWS region
	NewService   Kind = "service"    // an event source (s3.amazonaws.com)
	NewEvent     Kind = "event"      // an event name
	NewASN       Kind = "asn"        // an autonomous system of its source IPs (--geoip)
	NewCountry   Kind = "country"    // a country of its source IPs (--geoip)
	OddHour      Kind = "hour"       // a sign-in at an hour of the day it never signed in at
	Travel       Kind = "travel"     // two sign-ins too far apart for the time between them (--geoip)
	Rate         Kind = "rate"       // an hour's calls or errors far above the baseline's hours
)

// Finding is one thing new or unusual in the period.
type Finding struct {
	// Time is when it was first seen (a rate: the hour's start).
	Time time.Time
	// Principal is the caller's ARN; "" for the rate of an event name over every principal.
	Principal string
	Kind      Kind
	// Value is what is new ("198.51.100.7", "AS64500 Example", "03:00–04:00 Asia/Tokyo", …).
	Value string
	// Baseline says what it was compared with, with the numbers.
	Baseline string
	// Evidence are the IDs of the events that show it (the first of a value; both sign-ins of a travel; the
	// first calls of an hour).
	Evidence []string
	// Count is how many events of the period have the value (a rate: the hour's calls or errors).
	Count int64
	// Rate: the baseline's hourly median and MAD, and the score.
	Median, MAD, Score float64
	// Travel: the distance, hours and speed between the two sign-ins.
	Km, Hours, Kmh float64
}

// Columns are the columns of Row.
var Columns = []string{"time", "principal", "kind", "value", "baseline", "evidence"}

// Row is the finding as a row of Columns, its time in loc.
func (f *Finding) Row(loc *time.Location) []any {
	return []any{f.Time.In(loc), f.Principal, string(f.Kind), f.Value, f.Baseline, strings.Join(f.Evidence, " ")}
}

// kindOrder orders findings of the same time and principal.
var kindOrder = []Kind{NewIP, NewASN, NewCountry, NewUserAgent, NewRegion, NewService, NewEvent, OddHour, Travel, Rate}

// sortFindings orders by time, principal, kind and value.
func sortFindings(fs []Finding) {
	slices.SortFunc(fs, func(a, b Finding) int {
		return cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.Principal, b.Principal),
			cmp.Compare(slices.Index(kindOrder, a.Kind), slices.Index(kindOrder, b.Kind)), strings.Compare(a.Value, b.Value))
	})
}
