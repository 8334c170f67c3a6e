package cloudtrail

import (
	"path"
	"regexp"
	"slices"
	"testing"
	"time"
)

func TestParseKey(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d }
	tests := []struct {
		key     string
		kind    Kind
		org     string
		account string
		region  string
		date    time.Time
	}{
		{"AWSLogs/111122223333/CloudTrail/us-east-1/2024/09/01/111122223333_CloudTrail_us-east-1_20240901T0005Z_abcDEF123.json.gz",
			KindLog, "", "111122223333", "us-east-1", day("2024-09-01")},
		{"prefix/AWSLogs/o-aa1bb2cc3d/111122223333/CloudTrail/eu-west-1/2024/09/30/111122223333_CloudTrail_eu-west-1_20240930T2355Z_x.json.gz",
			KindLog, "o-aa1bb2cc3d", "111122223333", "eu-west-1", day("2024-09-30")},
		// A source rooted at AWSLogs/ or at an organization: keys start below it.
		{"o-aa1bb2cc3d/111122223333/CloudTrail/eu-west-1/2024/09/30/111122223333_CloudTrail_eu-west-1_20240930T2355Z_x.json.gz",
			KindLog, "o-aa1bb2cc3d", "111122223333", "eu-west-1", day("2024-09-30")},
		{"111122223333/CloudTrail/ap-northeast-1/2024/02/29/111122223333_CloudTrail_ap-northeast-1_20240229T1500Z_y.json",
			KindLog, "", "111122223333", "ap-northeast-1", day("2024-02-29")},
		// A log file on its own: the name still says account, region and delivery day.
		{"111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz",
			KindLog, "", "111111111111", "eu-central-1", day("2017-12-11")},
		{"AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_trail_us-east-2_20150817T150131Z.json.gz",
			KindDigest, "", "111122223333", "us-east-2", day("2015-08-17")},
		{"AWSLogs/246337027688/CloudTrail-Insight/eu-central-1/2022/04/12/246337027688_CloudTrail-Insight_eu-central-1_20220412T1615Z_a.json.gz",
			KindInsight, "", "246337027688", "eu-central-1", day("2022-04-12")},
		{"AWSLogs/111122223333/Config/us-east-1/2024/9/1/ConfigHistory/111122223333_Config_us-east-1_ConfigHistory_AWS::S3::Bucket_20240901T000000Z_20240901T010000Z_1.json.gz",
			KindConfig, "", "111122223333", "us-east-1", day("2024-09-01")},
		{"downloads/event_history.json", KindUnknown, "", "", "", time.Time{}},
		{"notes/readme.txt", KindOther, "", "", "", time.Time{}},
		{"AWSLogs/111122223333/CloudTrail/us-east-1/2024/09/01/", KindOther, "", "", "", time.Time{}},
	}
	for _, tt := range tests {
		k := ParseKey(tt.key)
		if k.Kind != tt.kind || k.OrgID != tt.org || k.Account != tt.account || k.Region != tt.region || !k.Date.Equal(tt.date) {
			t.Errorf("ParseKey(%q) = kind %v org %q account %q region %q date %v; want %v %q %q %q %v",
				tt.key, k.Kind, k.OrgID, k.Account, k.Region, k.Date, tt.kind, tt.org, tt.account, tt.region, tt.date)
		}
	}
}

func TestParseKeyDeliveredAndPartition(t *testing.T) {
	k := ParseKey("AWSLogs/111122223333/CloudTrail/us-east-1/2024/09/01/111122223333_CloudTrail_us-east-1_20240901T0005Z_abc.json.gz")
	if got, want := k.Delivered, time.Date(2024, 9, 1, 0, 5, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Delivered = %v, want %v", got, want)
	}
	if !k.Compressed {
		t.Error("Compressed = false for a .json.gz key")
	}
	region, y, m, d := k.Partition()
	if region != "us-east-1" || y != "2024" || m != "09" || d != "01" {
		t.Errorf("Partition() = %q %q %q %q", region, y, m, d)
	}
}

func TestDatePrefix(t *testing.T) {
	d := time.Date(2024, 9, 1, 15, 0, 0, 0, time.FixedZone("JST", 9*3600))
	if got, want := DatePrefix("o-aa1bb2cc3d", "111122223333", "us-east-1", d), "AWSLogs/o-aa1bb2cc3d/111122223333/CloudTrail/us-east-1/2024/09/01/"; got != want {
		t.Errorf("DatePrefix = %q, want %q", got, want)
	}
}

func FuzzParseKey(f *testing.F) {
	f.Add("AWSLogs/111122223333/CloudTrail/us-east-1/2024/09/01/111122223333_CloudTrail_us-east-1_20240901T0005Z_abc.json.gz")
	f.Add("o-aa1bb2cc3d/111122223333/CloudTrail-Digest/x/2024/13/40/a.json")
	f.Add("")
	for _, k := range keyCases {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		checkKeyParsers(t, key)
		k := ParseKey(key)
		if k.Kind == KindLog && k.Account == "" {
			t.Errorf("ParseKey(%q): a log without an account", key)
		}
	})
}

// The regular expressions parseName and parseDirs replace: the reference they are checked against.
var (
	refDirRE  = regexp.MustCompile(`(?:^|/)(?:(o-[a-z0-9]{10,32})/)?(\d{12})/(CloudTrail|CloudTrail-Digest|CloudTrail-Insight|Config)/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/[^/]+$`)
	refNameRE = regexp.MustCompile(`^(\d{12})_(CloudTrail|CloudTrail-Digest|CloudTrail-Insight|Config)_([a-z0-9-]+)_(?:.*_)?(\d{8}T\d{4}(?:\d{2})?Z)(?:_[A-Za-z0-9]+)?\.json(?:\.gz)?$`)
)

// checkKeyParsers compares parseName and parseDirs with the regular expressions on key and its base name.
func checkKeyParsers(t *testing.T, key string) {
	t.Helper()
	base := path.Base(key)
	n, ok := parseName(base)
	if m := refNameRE.FindStringSubmatch(base); (m != nil) != ok || m != nil && (n != name{m[1], m[2], m[3], m[4]}) {
		t.Errorf("parseName(%q) = %+v, %v; the expression gives %q", base, n, ok, m)
	}
	d, ok := parseDirs(key)
	if m := refDirRE.FindStringSubmatch(key); (m != nil) != ok || m != nil && (d != dirs{m[1], m[2], m[3], m[4], m[5] + "/" + m[6] + "/" + m[7]}) {
		t.Errorf("parseDirs(%q) = %+v, %v; the expression gives %q", key, d, ok, m)
	}
}

// keyCases are keys at the edges of the two shapes.
var keyCases = []string{
	"AWSLogs/111122223333/CloudTrail/us-east-1/2024/09/01/111122223333_CloudTrail_us-east-1_20240901T0005Z_abcDEF123.json.gz",
	"prefix/AWSLogs/o-aa1bb2cc3d/111122223333/CloudTrail/eu-west-1/2024/09/30/111122223333_CloudTrail_eu-west-1_20240930T2355Z_x.json.gz",
	"o-aa1bb2cc3d/111122223333/CloudTrail/eu-west-1/2024/09/30/a.json",
	"/o-aa1bb2cc3d/111122223333/CloudTrail/eu-west-1/2024/09/30/a.json",
	"o-aa1bb2cc3/111122223333/CloudTrail/eu-west-1/2024/09/30/a.json",                 // org id too short
	"xo-aa1bb2cc3d/111122223333/CloudTrail/eu-west-1/2024/09/30/a.json",               // not an org folder
	"o-aa1bb2cc3d01234567890123456789012/111122223333/CloudTrail/r/2024/09/30/a.json", // org id too long
	"111122223333/CloudTrail/ap-northeast-1/2024/02/29/111122223333_CloudTrail_ap-northeast-1_20240229T1500Z_y.json",
	"1111222233334/CloudTrail/r/2024/02/29/f", "11112222333/CloudTrail/r/2024/02/29/f",
	"111122223333/CloudTrail/r/2024/02/29/", "111122223333/CloudTrail//2024/02/29/f", "111122223333/CloudTrail/R/2024/02/29/f",
	"111122223333/CloudTrailX/r/2024/02/29/f", "111122223333/CloudTrail-Digest/r/2024/2/29/f", "a//111122223333/Config/r/2024/02/29/f",
	"111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz",
	"111122223333_CloudTrail-Digest_us-east-2_trail_us-east-2_20150817T150131Z.json.gz",
	"111122223333_Config_us-east-1_ConfigHistory_AWS::S3::Bucket_20240901T000000Z_20240901T010000Z_1.json.gz",
	"111122223333_CloudTrail_us-east-1_20240901T0005Z_20240901T0010Z.json.gz", // the id looks like a stamp
	"111122223333_CloudTrail_us-east-1_20240901T0005Z_.json", "111122223333_CloudTrail_us-east-1_20240901T0005Z_a-b.json",
	"111122223333_CloudTrail_us-east-1_20240901T0005Z.json", "111122223333_CloudTrail_us-east-1_20240901T0005Z.JSON",
	"111122223333_CloudTrail_us-east-1_20240901T0005Z.gz", "111122223333_CloudTrail_us-east-1_x_y_20240901T000512Z_q.json.gz",
	"111122223333_CloudTrail__20240901T0005Z.json", "111122223333_CloudTrail_us_east_20240901T0005Z.json",
	"111122223333_CloudTrail_us-east-1_2024090T10005Z.json", "111122223333_CloudTrail-Insight_r_20240901T0005Z_a.json",
	"111122223333_CloudTrail_r_20240901T00051Z.json", "111122223333_CloudTrail_r_a20240901T0005Z.json",
	"", "/", "a", "111122223333_", "111122223333_CloudTrail", "111122223333_CloudTrail_r_",
}

func TestKeyParsersMatchTheExpressions(t *testing.T) {
	keys := slices.Clone(keyCases)
	// Keys as trails write them, and the same keys cut at every length (a listing's partial keys, bad names).
	for _, org := range []string{"", "o-a1b2c3d4e5/"} {
		for _, svc := range services {
			for _, region := range []string{"us-east-1", "ap-northeast-1", "cn-north-1"} {
				k := "AWSLogs/" + org + "111122223333/" + svc + "/" + region + "/2024/09/01/111122223333_" + svc + "_" + region + "_20240901T0005Z_Ab3.json.gz"
				keys = append(keys, k)
				for i := range len(k) {
					keys = append(keys, k[:i], k[i:])
				}
			}
		}
	}
	for _, k := range keys {
		checkKeyParsers(t, k)
	}
	// The check itself can fail.
	if n, _ := parseName("111122223333_CloudTrail_us-east-1_20240901T0005Z_abc.json"); n.stamp != "20240901T0005Z" {
		t.Errorf("parseName stamp = %q", n.stamp)
	}
}

func TestParseDigestKey(t *testing.T) {
	tests := []struct {
		key                               string
		ok                                bool
		org, account, region, trail, home string
		end                               time.Time
	}{
		{"AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz",
			true, "", "111122223333", "us-east-2", "your-trail-name", "us-east-2", time.Date(2015, 8, 17, 15, 1, 31, 0, time.UTC)},
		// An organization trail, a multi-region trail's digest of another region, a trail name with underscores.
		{"logs/AWSLogs/o-aa1bb2cc3d/444455556666/CloudTrail-Digest/eu-west-1/2024/09/30/444455556666_CloudTrail-Digest_eu-west-1_org_trail_1_us-east-1_20240930T235959Z.json.gz",
			true, "o-aa1bb2cc3d", "444455556666", "eu-west-1", "org_trail_1", "us-east-1", time.Date(2024, 9, 30, 23, 59, 59, 0, time.UTC)},
		{"AWSLogs/111122223333/CloudTrail/us-east-1/2024/09/01/111122223333_CloudTrail_us-east-1_20240901T0005Z_abc.json.gz", false, "", "", "", "", "", time.Time{}},
		// No trail or home region, a minute stamp, another region in the name than the folder's.
		{"AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_20150817T150131Z.json.gz", false, "", "", "", "", "", time.Time{}},
		{"AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_t_us-east-2_20150817T1501Z.json.gz", false, "", "", "", "", "", time.Time{}},
		{"AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-west-1_t_us-east-2_20150817T150131Z.json.gz", false, "", "", "", "", "", time.Time{}},
	}
	for _, tt := range tests {
		d, ok := ParseDigestKey(tt.key)
		if ok != tt.ok {
			t.Errorf("ParseDigestKey(%q) ok = %v, want %v", tt.key, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		if d.OrgID != tt.org || d.Account != tt.account || d.Region != tt.region || d.Trail != tt.trail || d.HomeRegion != tt.home || !d.End.Equal(tt.end) {
			t.Errorf("ParseDigestKey(%q) = org %q account %q region %q trail %q home %q end %v; want %q %q %q %q %q %v",
				tt.key, d.OrgID, d.Account, d.Region, d.Trail, d.HomeRegion, d.End, tt.org, tt.account, tt.region, tt.trail, tt.home, tt.end)
		}
	}
}
