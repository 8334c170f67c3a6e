package cloudtrail

import (
	"path"
	"strings"
	"time"
)

// Kind says what a log object is, judged from its key.
type Kind int

const (
	// KindUnknown is a .json or .json.gz file whose name does not follow CloudTrail's layout.
	// It is loaded when its content is a {"Records":[…]} document (an Event history download, a copied file).
	KindUnknown Kind = iota
	// KindLog is a CloudTrail log file named as CloudTrail delivers it.
	KindLog
	// KindDigest is a CloudTrail log-file-integrity digest file.
	KindDigest
	// KindInsight is a CloudTrail Insights file.
	KindInsight
	// KindConfig is an AWS Config file delivered to the same bucket.
	KindConfig
	// KindOther is anything else: not JSON, or another AWS service's file.
	KindOther
)

func (k Kind) String() string {
	switch k {
	case KindLog:
		return "log"
	case KindDigest:
		return "digest"
	case KindInsight:
		return "insight"
	case KindConfig:
		return "config"
	case KindOther:
		return "other"
	default:
		return "unknown"
	}
}

// Key is what an object key tells about a log object.
type Key struct {
	Kind Kind
	// OrgID is the organization ID (o-xxxx) of an organization trail, or "".
	OrgID string
	// Account, Region and Date come from the key; they are empty or zero when the key does not carry them.
	Account string
	Region  string
	Date    time.Time // UTC midnight of the YYYY/MM/DD folder
	// Delivered is the UTC delivery time in the file name (YYYYMMDDTHHmmZ), or zero.
	Delivered time.Time
	// Compressed is true for .gz objects.
	Compressed bool
}

// Partition returns Athena's partition values region, year, month and day ("" when unknown).
func (k Key) Partition() (region, year, month, day string) {
	if k.Date.IsZero() {
		return k.Region, "", "", ""
	}
	return k.Region, k.Date.Format("2006"), k.Date.Format("01"), k.Date.Format("02")
}

// ParseKey classifies an object key (an S3 key or a slash-separated path) and extracts what its layout carries.
// It never fails: a key it does not recognise is KindUnknown (a .json/.json.gz/.gz file) or KindOther.
func ParseKey(key string) Key {
	var k Key
	base := path.Base(key)
	switch {
	case hasSuffixFold(base, ".gz"):
		k.Compressed = true
	case hasSuffixFold(base, ".json"):
	default:
		k.Kind = KindOther
		return k
	}
	if n, ok := parseName(base); ok {
		k.Account, k.Region = n.account, n.region
		k.Kind = kindOf(n.service)
		layout := "20060102T1504Z"
		if len(n.stamp) == len("20060102T150405Z") {
			layout = "20060102T150405Z"
		}
		if t, err := time.Parse(layout, n.stamp); err == nil {
			k.Delivered = t
		}
	}
	if d, ok := parseDirs(key); ok {
		k.OrgID, k.Account, k.Region = d.org, d.account, d.region
		if k.Kind == KindUnknown {
			k.Kind = kindOf(d.service)
		}
		if t, err := time.Parse("2006/01/02", d.date); err == nil {
			k.Date = t
		}
	}
	if k.Kind == KindUnknown {
		switch {
		case strings.Contains(key, "CloudTrail-Digest"):
			k.Kind = KindDigest
		case strings.Contains(key, "CloudTrail-Insight"):
			k.Kind = KindInsight
		case strings.Contains(base, "_Config_") || strings.Contains(key, "/Config/"):
			k.Kind = KindConfig
		}
	}
	if k.Date.IsZero() && !k.Delivered.IsZero() {
		k.Date = k.Delivered.Truncate(24 * time.Hour)
	}
	return k
}

// hasSuffixFold is strings.HasSuffix ignoring ASCII case.
func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

func kindOf(service string) Kind {
	switch service {
	case "CloudTrail":
		return KindLog
	case "CloudTrail-Digest":
		return KindDigest
	case "CloudTrail-Insight":
		return KindInsight
	case "Config":
		return KindConfig
	}
	return KindOther
}

// DatePrefix returns the key prefix of one day's logs of one account and region:
// "AWSLogs/[o-xxxx/]<account>/CloudTrail/<region>/YYYY/MM/DD/".
func DatePrefix(orgID, account, region string, day time.Time) string {
	p := "AWSLogs/"
	if orgID != "" {
		p += orgID + "/"
	}
	return p + account + "/CloudTrail/" + region + "/" + day.UTC().Format("2006/01/02") + "/"
}
