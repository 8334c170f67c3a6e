package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/trailq/trailq/internal/schema"
)

// trailKeys are log keys of a bucket with a trail of two accounts in two regions (the earliest day in
// eu-west-1) and an organization trail, and files that are no trail's.
var trailKeys = []string{
	"AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/05/111122223333_CloudTrail_us-east-1_20240305T0000Z_a.json.gz",
	"AWSLogs/111122223333/CloudTrail/eu-west-1/2024/01/02/111122223333_CloudTrail_eu-west-1_20240102T0000Z_b.json.gz",
	"AWSLogs/111122223333/CloudTrail/eu-west-1/2024/02/01/111122223333_CloudTrail_eu-west-1_20240201T0000Z_c.json.gz",
	"AWSLogs/444455556666/CloudTrail/us-east-1/2025/01/01/444455556666_CloudTrail_us-east-1_20250101T0000Z_d.json.gz",
	"AWSLogs/444455556666/CloudTrail/eu-west-1/2024/06/30/444455556666_CloudTrail_eu-west-1_20240630T0000Z_e.json.gz",
	"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2023/01/01/111122223333_CloudTrail-Digest_us-east-1_x.json.gz",
	"AWSLogs/o-abcdefghij/777788889999/CloudTrail/ap-south-1/2023/12/31/777788889999_CloudTrail_ap-south-1_20231231T0000Z_f.json.gz",
	"AWSLogs/o-abcdefghij/777788889999/CloudTrail/us-east-1/2024/01/01/777788889999_CloudTrail_us-east-1_20240101T0000Z_g.json.gz",
	"notes/readme.txt",
}

// props returns the TBLPROPERTIES of each statement in ddl, in order.
func props(ddl string) []map[string]string {
	var out []map[string]string
	for _, stmt := range strings.SplitAfter(ddl, ");\n") {
		if !strings.Contains(stmt, "CREATE EXTERNAL TABLE") {
			continue
		}
		m := map[string]string{}
		for _, kv := range regexp.MustCompile(`'([^']*)'='([^']*)'`).FindAllStringSubmatch(stmt, -1) {
			m[kv[1]] = kv[2]
		}
		if l := regexp.MustCompile(`(?m)^LOCATION '([^']*)'$`).FindStringSubmatch(stmt); l != nil {
			m["LOCATION"] = l[1]
		}
		if n := regexp.MustCompile("CREATE EXTERNAL TABLE IF NOT EXISTS ([`.a-z_]+) \\(").FindStringSubmatch(stmt); n != nil {
			m["NAME"] = n[1]
		}
		m["COLUMNS"] = itoaCount(strings.Count(stmt, "\n  `"))
		out = append(out, m)
	}
	return out
}

// itoaCount writes a count as that many bars (compared as text with the other properties).
func itoaCount(n int) string { return strings.Repeat("|", n) }

// TestDDLAthenaS3: ddl athena over gofakes3 (the real SDK, folder listings) prints one table for the bucket's
// trail and one for the organization trail, each with its accounts, regions and first day found, the console's
// columns and the template of its folders; stderr says what it found; a source under the organization's folder
// gives that table alone, under its own name; an account's folder, the table over its parent for that account.
func TestDDLAthenaS3(t *testing.T) {
	s3 := newFakeBuckets(t, "trail", "empty")
	for _, k := range trailKeys {
		s3.put(t, "trail", k, []byte("{}"))
	}
	r := run(t, t.TempDir(), "", "ddl", "athena", "--source", "s3://trail/", "--endpoint-url", s3.url, "--table", "ct", "--database", "sec")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	got := props(r.out)
	if len(got) != 2 {
		t.Fatalf("%d tables, want 2:\n%s", len(got), r.out)
	}
	cols := itoaCount(len(schema.Athena))
	for i, want := range []map[string]string{{
		"NAME": "`sec`.`ct`", "LOCATION": "s3://trail/AWSLogs/", "COLUMNS": cols,
		"projection.account.values":  "111122223333,444455556666",
		"projection.region.values":   "eu-west-1,us-east-1",
		"projection.timestamp.range": "2024/01/02,NOW",
		"storage.location.template":  "s3://trail/AWSLogs/${account}/CloudTrail/${region}/${timestamp}",
	}, {
		"NAME": "`sec`.`ct_o_abcdefghij`", "LOCATION": "s3://trail/AWSLogs/o-abcdefghij/", "COLUMNS": cols,
		"projection.account.values":  "777788889999",
		"projection.region.values":   "ap-south-1,us-east-1",
		"projection.timestamp.range": "2023/12/31,NOW",
		"storage.location.template":  "s3://trail/AWSLogs/o-abcdefghij/${account}/CloudTrail/${region}/${timestamp}",
	}} {
		for k, v := range want {
			if got[i][k] != v {
				t.Errorf("table %d: %s = %q, want %q", i, k, got[i][k], v)
			}
		}
	}
	for _, want := range []string{
		"ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'",
		"STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'",
		"PARTITIONED BY (`account` STRING, `region` STRING, `timestamp` STRING)",
	} {
		if strings.Count(r.out, want) != 2 {
			t.Errorf("the two tables do not both say %q", want)
		}
	}
	for _, want := range []string{
		"ct: 2 accounts (111122223333, 444455556666), 2 regions (eu-west-1, us-east-1), first day 2024/01/02, under s3://trail/AWSLogs/",
		"ct_o_abcdefghij: 1 account (777788889999), 2 regions (ap-south-1, us-east-1), first day 2023/12/31",
	} {
		if !strings.Contains(r.errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.errOut)
		}
	}

	r = run(t, t.TempDir(), "", "ddl", "athena", "--source", "s3://trail/AWSLogs/o-abcdefghij/", "--endpoint-url", s3.url)
	if got := props(r.out); r.code != 0 || len(got) != 1 || got[0]["NAME"] != "`cloudtrail_logs`" || got[0]["LOCATION"] != "s3://trail/AWSLogs/o-abcdefghij/" {
		t.Errorf("the organization's folder: exit %d, %v\n%s", r.code, got, r.errOut)
	}

	// One account's folder: the table over the folder of accounts above it, projected onto that account.
	r = run(t, t.TempDir(), "", "ddl", "athena", "--source", "s3://trail/AWSLogs/444455556666/", "--endpoint-url", s3.url)
	if got := props(r.out); r.code != 0 || len(got) != 1 || got[0]["LOCATION"] != "s3://trail/AWSLogs/" ||
		got[0]["projection.account.values"] != "444455556666" || got[0]["projection.region.values"] != "eu-west-1,us-east-1" ||
		got[0]["projection.timestamp.range"] != "2024/06/30,NOW" {
		t.Errorf("an account's folder: exit %d, %v\n%s", r.code, got, r.errOut)
	}

	r = run(t, t.TempDir(), "", "ddl", "athena", "--source", "s3://empty/", "--endpoint-url", s3.url)
	if r.code != 1 || !strings.Contains(r.errOut, "no AWSLogs/<account>/CloudTrail/<region>/ folders") || !strings.Contains(r.errOut, "Try:") {
		t.Errorf("an empty bucket: exit %d: %s", r.code, r.errOut)
	}
}

// TestDDLAthenaLocal: over a folder copy of a bucket the DDL names the folder, and stderr says to replace it;
// --location names the bucket instead; bad flags are usage errors.
func TestDDLAthenaLocal(t *testing.T) {
	dir := t.TempDir()
	for _, k := range trailKeys {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := run(t, t.TempDir(), "", "ddl", "athena", "--source", dir)
	got := props(r.out)
	if r.code != 0 || len(got) != 2 || got[0]["LOCATION"] != dir+"/AWSLogs/" || !strings.Contains(r.errOut, "replace it with the s3:// address") {
		t.Errorf("folder: exit %d, %v\n%s", r.code, got, r.errOut)
	}
	r = run(t, t.TempDir(), "", "ddl", "athena", "--source", dir, "--location", "s3://trail")
	got = props(r.out)
	if r.code != 0 || len(got) != 2 || got[1]["storage.location.template"] != "s3://trail/AWSLogs/o-abcdefghij/${account}/CloudTrail/${region}/${timestamp}" ||
		strings.Contains(r.errOut, "replace it") {
		t.Errorf("folder with --location: exit %d, %v\n%s", r.code, got, r.errOut)
	}
	for _, args := range [][]string{
		{"ddl", "athena"},
		{"ddl", "athena", "--source", dir, "--table", "bad-name"},
		{"ddl", "athena", "--source", dir, "--database", "x;y"},
		{"ddl", "athena", "--source", dir, "--location", "/elsewhere"},
	} {
		if r := run(t, t.TempDir(), "", args...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", args, r.code, r.errOut)
		}
	}
}
