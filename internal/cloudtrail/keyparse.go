package cloudtrail

import "strings"

// The two shapes of a CloudTrail key, read by hand rather than by regular expressions: a load lists every key of
// a trail (millions over a year), and the expressions took 40 % of a listing's time. key_test.go holds the
// expressions they replace and checks that both read every key alike.

// name is what a CloudTrail file name carries:
// <account>_<service>_<region>_[<anything>_]<YYYYMMDDTHHmm[ss]Z>[_<id>].json[.gz]
type name struct {
	account, service, region, stamp string
}

// services are the services whose files share CloudTrail's naming (and folder layout).
var services = [...]string{"CloudTrail", "CloudTrail-Digest", "CloudTrail-Insight", "Config"}

// parseName reads a file name. When several underscores could start the time stamp, the last one that leaves a
// valid stamp (and optional id) before the extension wins.
func parseName(base string) (name, bool) {
	var n name
	if len(base) < 13 || !keyDigits(base[:12]) || base[12] != '_' {
		return n, false
	}
	n.account = base[:12]
	rest := base[13:]
	n.service, rest = cutService(rest, '_')
	if n.service == "" {
		return n, false
	}
	i := 0
	for i < len(rest) && isRegionByte(rest[i]) {
		i++
	}
	if i == 0 || i == len(rest) || rest[i] != '_' {
		return n, false
	}
	n.region, rest = rest[:i], rest[i+1:]
	rest, ok := strings.CutSuffix(rest, ".gz")
	if rest, ok = strings.CutSuffix(rest, ".json"); !ok {
		return n, false
	}
	// rest is [<anything>_]<stamp>[_<id>]: try each start right after an underscore, the last first.
	for start := len(rest); start >= 0; start-- {
		if start > 0 && rest[start-1] != '_' {
			continue
		}
		if stamp, ok := stampAndID(rest[start:]); ok {
			n.stamp = stamp
			return n, true
		}
	}
	return n, false
}

// stampAndID reports whether s is <YYYYMMDDTHHmm[ss]Z>[_<id>] with an alphanumeric id, and returns the stamp.
func stampAndID(s string) (string, bool) {
	for _, l := range []int{len("20060102T1504Z"), len("20060102T150405Z")} {
		if len(s) < l || !isStamp(s[:l]) {
			continue
		}
		id := s[l:]
		if id == "" {
			return s[:l], true
		}
		if id[0] == '_' && len(id) > 1 && keyAlnum(id[1:]) {
			return s[:l], true
		}
	}
	return "", false
}

// isStamp reports whether s is YYYYMMDDTHHmmZ or YYYYMMDDTHHmmssZ (digits only; the date is checked later).
func isStamp(s string) bool {
	return (len(s) == 14 || len(s) == 16) && keyDigits(s[:8]) && s[8] == 'T' && keyDigits(s[9:len(s)-1]) && s[len(s)-1] == 'Z'
}

// dirs is what the folders of a key carry: [<org>/]<account>/<service>/<region>/YYYY/MM/DD/<file>, at the end of
// the key (a source may start at any level).
type dirs struct {
	org, account, service, region string
	date                          string // YYYY/MM/DD
}

// parseDirs reads the last eight (or seven) segments of key.
func parseDirs(key string) (dirs, bool) {
	var d dirs
	// Take the segments from the end: file, DD, MM, YYYY, region, service, account.
	var seg [7]string
	rest := key
	for i := range seg {
		j := strings.LastIndexByte(rest, '/')
		if j < 0 {
			if i < len(seg)-1 {
				return d, false
			}
			seg[i], rest = rest, ""
			break
		}
		seg[i], rest = rest[j+1:], rest[:j]
		if i == len(seg)-1 {
			rest += "/" // the account had a folder before it
		}
	}
	file, day, month, year, region, service, account := seg[0], seg[1], seg[2], seg[3], seg[4], seg[5], seg[6]
	if file == "" || len(day) != 2 || !keyDigits(day) || len(month) != 2 || !keyDigits(month) || len(year) != 4 || !keyDigits(year) {
		return d, false
	}
	if region == "" || !keyAll(region, isRegionByte) || len(account) != 12 || !keyDigits(account) {
		return d, false
	}
	if s, after := cutService(service, 0); s == "" || after != "" {
		return d, false
	}
	d.account, d.service, d.region, d.date = account, service, region, year+"/"+month+"/"+day
	// An organization folder right before the account, if any.
	if rest != "" {
		parent := rest[:len(rest)-1]
		parent = parent[strings.LastIndexByte(parent, '/')+1:]
		if id, ok := strings.CutPrefix(parent, "o-"); ok && len(id) >= 10 && len(id) <= 32 && keyAll(id, isOrgByte) {
			d.org = parent
		}
	}
	return d, true
}

// cutService returns the service s starts with, followed by sep (0: followed by nothing), and what follows sep.
func cutService(s string, sep byte) (service, rest string) {
	for _, svc := range services {
		if !strings.HasPrefix(s, svc) {
			continue
		}
		after := s[len(svc):]
		if sep == 0 {
			if after == "" {
				return svc, ""
			}
			continue
		}
		if after != "" && after[0] == sep {
			return svc, after[1:]
		}
	}
	return "", s
}

func keyDigits(s string) bool { return keyAll(s, func(c byte) bool { return c >= '0' && c <= '9' }) }

func keyAlnum(s string) bool {
	return keyAll(s, func(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' })
}

func isRegionByte(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' }

func isOrgByte(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

func keyAll(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}
