package timewin

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// abbreviations are the zone abbreviations people type that name one zone (and its summer time) without doubt.
// IST (India, Israel, Ireland), CST (US Central, China, Cuba) and BST (British Summer, Bangladesh) are refused.
var abbreviations = map[string]string{
	"JST": "Asia/Tokyo", "KST": "Asia/Seoul", "HKT": "Asia/Hong_Kong", "SGT": "Asia/Singapore",
	"AEST": "Australia/Sydney", "AEDT": "Australia/Sydney", "NZST": "Pacific/Auckland", "NZDT": "Pacific/Auckland",
	"EST": "America/New_York", "EDT": "America/New_York", "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles",
	"MDT": "America/Denver", "CET": "Europe/Berlin", "CEST": "Europe/Berlin", "EET": "Europe/Athens",
	"EEST": "Europe/Athens", "WET": "Europe/Lisbon", "WEST": "Europe/Lisbon",
}

var ambiguous = map[string]string{
	"IST": "India (Asia/Kolkata), Israel (Asia/Jerusalem) or Ireland (Europe/Dublin)",
	"CST": "US Central (America/Chicago), China (Asia/Shanghai) or Cuba (America/Havana)",
	"BST": "British Summer Time (Europe/London) or Bangladesh (Asia/Dhaka)",
	"MST": "US Mountain (America/Denver) or Arizona (America/Phoenix)",
}

// offsetRE reads +09:00, +0900, +9, -05:30, with an optional UTC or GMT before it.
var offsetRE = regexp.MustCompile(`^(?i:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$`)

// ParseZone reads a time zone as people write it: an IANA name (Asia/Tokyo), UTC/GMT/Z, a fixed offset (+09:00,
// +0900, UTC+9, GMT-5:30) or an abbreviation that names one zone (JST, CET, EST, PDT…: the region's zone, with its
// summer time). An ambiguous abbreviation (IST, CST, BST, MST) is refused, naming the zones it may mean.
func ParseZone(name string) (*time.Location, error) {
	s := strings.TrimSpace(name)
	switch strings.ToUpper(s) {
	case "UTC", "GMT", "Z":
		return time.UTC, nil
	}
	if m := offsetRE.FindStringSubmatch(s); m != nil {
		h, _ := strconv.Atoi(m[2])
		min := 0
		if m[3] != "" {
			min, _ = strconv.Atoi(m[3])
		}
		if h > 14 || min > 59 || h == 14 && min > 0 {
			return nil, fmt.Errorf("read time zone %q: an offset is at most ±14:00", name)
		}
		off := h*3600 + min*60
		if m[1] == "-" {
			off = -off
		}
		return time.FixedZone(fmt.Sprintf("UTC%s%02d:%02d", m[1], h, min), off), nil
	}
	if z, ok := abbreviations[strings.ToUpper(s)]; ok {
		return time.LoadLocation(z)
	}
	if readings, ok := ambiguous[strings.ToUpper(s)]; ok {
		return nil, fmt.Errorf("read time zone %q: it may mean %s: give the zone's name", name, readings)
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return nil, fmt.Errorf("read time zone %q: %w", name, err)
	}
	return loc, nil
}
