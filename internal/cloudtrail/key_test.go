package cloudtrail

import (
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
	f.Fuzz(func(t *testing.T, key string) {
		k := ParseKey(key)
		if k.Kind == KindLog && k.Account == "" {
			t.Errorf("ParseKey(%q): a log without an account", key)
		}
	})
}
