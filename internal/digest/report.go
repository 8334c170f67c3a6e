package digest

import (
	"sort"
	"time"
)

// Status is what the check found of one file.
type Status string

// The statuses of a Result. Valid is no failure; Unsigned is none either, but says that the digest's signature
// could not be checked (its hash and chain were).
const (
	Valid        Status = "valid"
	Missing      Status = "missing"       // a log a digest lists is not in the source
	Modified     Status = "modified"      // its SHA-256 is not the one a digest holds for it
	NotCovered   Status = "not covered"   // a log no digest lists, delivered while digests cover its account and region
	ChainGap     Status = "chain gap"     // a digest the next digest names as its previous is not in the source
	BadSignature Status = "bad signature" // the signature does not match, or the object has none where S3 keeps it
	UnknownKey   Status = "unknown key"   // no public key with the digest's fingerprint valid at its time
	Unsigned     Status = "unsigned"      // no signature to check: a folder copy keeps no S3 metadata
	Invalid      Status = "invalid"       // not a digest file, or not where CloudTrail delivered it
	Unreadable   Status = "unreadable"    // reading it failed (network, permissions): nothing is known of it
)

// Failed reports whether s is a failure of integrity (or of the check).
func (s Status) Failed() bool { return s != Valid && s != Unsigned }

// Trail names one trail's digest chain: a trail writes one chain per account and region.
type Trail struct {
	OrgID, Account, Region string
	// Name and HomeRegion are the trail's (from the digest's file name); empty for a log no digest lists.
	Name, HomeRegion string
}

// Result is the check of one file.
type Result struct {
	Kind   string // "digest" or "log"
	Key    string // its key in the source (for a missing file, the key it should have)
	Trail  Trail
	Status Status
	Detail string
	// Digest is, for a log, the key of the digest that lists it.
	Digest string
	// Start and End are a digest's period (digestStartTime, digestEndTime); for a log, the period of the
	// digest that lists it; for a log no digest lists, its delivery time.
	Start, End time.Time
}

// Report is the outcome of Check.
type Report struct {
	Results []Result
	// Keys is the number of public keys the check had.
	Keys int
}

// Failures counts the results that failed.
func (r *Report) Failures() int {
	n := 0
	for _, res := range r.Results {
		if res.Status.Failed() {
			n++
		}
	}
	return n
}

// Period sums the results of one trail over one UTC day (of the digests' end times).
type Period struct {
	Trail    Trail
	Day      time.Time // UTC midnight
	From, To time.Time // the earliest digest start and latest digest end of the day's results
	Digests  int       // digest files judged (valid or not)
	Logs     int       // log files judged
	Counts   map[Status]int
}

// Periods groups the results by trail and UTC day, in the order of trail then day. Logs no digest lists (whose
// trail is not known) have a period of their account and region.
func (r *Report) Periods() []Period {
	type pk struct {
		t   Trail
		day time.Time
	}
	idx := map[pk]int{}
	var out []Period
	for _, res := range r.Results {
		k := pk{res.Trail, res.End.UTC().Truncate(24 * time.Hour)}
		j, ok := idx[k]
		if !ok {
			j = len(out)
			idx[k] = j
			out = append(out, Period{Trail: k.t, Day: k.day, Counts: map[Status]int{}})
		}
		p := &out[j]
		if res.Kind == "digest" {
			p.Digests++
		} else {
			p.Logs++
		}
		p.Counts[res.Status]++
		if !res.Start.IsZero() && (p.From.IsZero() || res.Start.Before(p.From)) {
			p.From = res.Start
		}
		if res.End.After(p.To) {
			p.To = res.End
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Trail, out[j].Trail
		if a != b {
			return lessTrail(a, b)
		}
		return out[i].Day.Before(out[j].Day)
	})
	return out
}

func lessTrail(a, b Trail) bool {
	for _, p := range [][2]string{{a.Account, b.Account}, {a.Region, b.Region}, {a.Name, b.Name}, {a.HomeRegion, b.HomeRegion}, {a.OrgID, b.OrgID}} {
		if p[0] != p[1] {
			return p[0] < p[1]
		}
	}
	return false
}
