package cloudtrail

import (
	"path"
	"strings"
	"time"
)

// DigestKey is what the key of a CloudTrail digest file tells:
// [prefix/]AWSLogs/[o-xxxx/]<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/
// <account>_CloudTrail-Digest_<region>_<trail>_<home region>_<YYYYMMDDTHHmmssZ>.json.gz
type DigestKey struct {
	Key
	// Trail is the trail's name; HomeRegion the region the trail was created in (a multi-region trail writes
	// digests for every region, each named with its home region).
	Trail, HomeRegion string
	// End is the digest's end time from its name (its digestEndTime, to the second).
	End time.Time
}

// ParseDigestKey reads a digest file's key. ok is false when the file name is not a CloudTrail digest name.
func ParseDigestKey(key string) (DigestKey, bool) {
	d := DigestKey{Key: ParseKey(key)}
	if d.Kind != KindDigest || d.Account == "" {
		return d, false
	}
	base := path.Base(key)
	rest, ok := strings.CutSuffix(base, ".json.gz")
	if !ok {
		if rest, ok = strings.CutSuffix(base, ".json"); !ok {
			return d, false
		}
	}
	const stampLen = len("20060102T150405Z")
	if len(rest) < stampLen+1 || rest[len(rest)-stampLen-1] != '_' || !isStamp(rest[len(rest)-stampLen:]) {
		return d, false
	}
	end, err := time.Parse("20060102T150405Z", rest[len(rest)-stampLen:])
	if err != nil {
		return d, false
	}
	// What is left after "<account>_CloudTrail-Digest_<region>_" is "<trail>_<home region>": a region has no
	// underscore, a trail name may.
	middle := rest[:len(rest)-stampLen-1]
	head := d.Account + "_CloudTrail-Digest_" + d.Region + "_"
	middle, ok = strings.CutPrefix(middle, head)
	i := strings.LastIndexByte(middle, '_')
	if !ok || i <= 0 || i == len(middle)-1 || !keyAll(middle[i+1:], isRegionByte) {
		return d, false
	}
	d.Trail, d.HomeRegion, d.End = middle[:i], middle[i+1:], end
	return d, true
}
