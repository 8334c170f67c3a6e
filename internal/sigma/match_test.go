package sigma

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// writeRecords writes CloudTrail records as one delivered log file in a new folder and returns the folder.
func writeRecords(t *testing.T, records []map[string]any) string {
	t.Helper()
	dir := t.TempDir()
	for _, r := range records {
		for k, v := range map[string]any{"eventVersion": "1.08", "awsRegion": "eu-west-1", "recipientAccountId": "111122223333",
			"eventType": "AwsApiCall", "eventTime": "2024-05-01T10:00:00Z", "sourceIPAddress": "198.51.100.1"} {
			if _, ok := r[k]; !ok {
				r[k] = v
			}
		}
	}
	data, err := json.Marshal(map[string]any{"Records": records})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "111122223333_CloudTrail_eu-west-1_20240501T1000Z_test.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

var userData = base64.StdEncoding.EncodeToString([]byte("#!/bin/bash\ncurl http://169.254.169.254/latest/meta-data/"))

// matchRecords is one record per behaviour the cases below look at.
func matchRecords() []map[string]any {
	alice := map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice", "userName": "alice", "accountId": "111122223333"}
	return []map[string]any{
		{"eventID": "e1", "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "eventType": "AwsConsoleSignIn",
			"userIdentity": alice, "sourceIPAddress": "10.1.2.3", "userAgent": "Mozilla/5.0 (X11; Kali Linux)",
			"responseElements": map[string]any{"ConsoleLogin": "Success"}, "additionalEventData": map[string]any{"MFAUsed": "No"}},
		{"eventID": "e2", "eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging", "sourceIPAddress": "192.168.1.5",
			"userIdentity": map[string]any{"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/Admin/s",
				"sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "userName": "Admin"}}},
			"requestParameters": map[string]any{"name": "trail-a", "enable": false}},
		{"eventID": "e3", "eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey", "errorCode": "AccessDenied",
			"userIdentity": alice, "userAgent": "S3 Browser 9.5.5 https://s3browser.com",
			"requestParameters": map[string]any{"userName": "bob"},
			"responseElements":  map[string]any{"accessKey": map[string]any{"userName": "bob", "status": "Active"}}},
		{"eventID": "e4", "eventSource": "iam.amazonaws.com", "eventName": "UpdateLoginProfile", "userIdentity": alice,
			"sourceIPAddress": "2001:db8::5", "requestParameters": map[string]any{"userName": "alice"}},
		{"eventID": "e5", "eventSource": "s3.amazonaws.com", "eventName": "PutBucketPolicy", "eventTime": "2024-05-01T03:15:00Z",
			"userIdentity": alice, "userAgent": `aws-cli/2 x\y*z`,
			"requestParameters": map[string]any{"bucketName": "my_bucket%"},
			"resources":         []any{map[string]any{"ARN": "arn:aws:s3:::my_bucket", "type": "AWS::S3::Bucket"}}},
		{"eventID": "e6", "eventSource": "lambda.amazonaws.com", "eventName": "UpdateFunctionConfiguration20150331v2",
			"userIdentity": alice, "sourceIPAddress": "AWS Internal",
			"requestParameters": map[string]any{"layers": []any{"arn:aws:lambda:eu-west-1:111122223333:layer:x:1"}, "timeout": 30}},
		{"eventID": "e7", "eventSource": "ec2.amazonaws.com", "eventName": "RunInstances", "userAgent": "tool /flag",
			"requestParameters": map[string]any{"userData": userData}},
	}
}

// TestMatch runs each modifier and condition on a store of real DuckDB over the records above.
func TestMatch(t *testing.T) {
	st := openStore(t, writeRecords(t, matchRecords()))
	script := "#!/bin/bash\ncurl http://169.254.169.254/latest/meta-data/"
	for _, c := range []struct {
		name, detection string
		want            string // event IDs, space-separated
	}{
		{"equality is case-insensitive", "sel:\n  eventName: stoplogging\ncondition: sel", "e2"},
		{"cased", "sel:\n  eventName|cased: stoplogging\ncondition: sel", ""},
		{"cased, same case", "sel:\n  eventName|cased: StopLogging\ncondition: sel", "e2"},
		{"a list of values is OR", "sel:\n  eventName: [StopLogging, ConsoleLogin]\ncondition: sel", "e1 e2"},
		{"a mapping is AND", "sel:\n  eventSource: iam.amazonaws.com\n  errorCode: AccessDenied\ncondition: sel", "e3"},
		{"a list of mappings is OR", "sel:\n  - eventName: StopLogging\n  - userIdentity.userName: ALICE\ncondition: sel", "e1 e2 e3 e4 e5 e6"},
		{"null", "sel:\n  userIdentity.type: null\ncondition: sel", "e7"},
		{"null or a value", "sel:\n  errorCode: [null, accessdenied]\ncondition: sel", "e1 e2 e3 e4 e5 e6 e7"},
		{"empty string is not null", "sel:\n  errorCode: ''\ncondition: sel", ""},
		{"wildcard *", "sel:\n  userAgent: 'mozilla*'\ncondition: sel", "e1"},
		{"wildcard ?", "sel:\n  eventName: 'StopLoggin?'\ncondition: sel", "e2"},
		{"only * is: has a value", "sel:\n  errorCode|contains: '*'\ncondition: sel", "e3"},
		{"escaped * and \\ are literal", `sel:
  userAgent: 'aws-cli/2 x\\y\*z'
condition: sel`, "e5"},
		{"an escaped * does not match other text", `sel:
  userAgent: 'aws-cli/2 x\\y\*'
condition: sel`, ""},
		{"% and _ in a value are literal", "sel:\n  requestParameters.bucketName|contains: 'y%b'\ncondition: sel", ""},
		{"% and _ in a value match themselves", "sel:\n  requestParameters.bucketName|endswith: '_bucket%'\ncondition: sel", "e5"},
		{"contains", "sel:\n  userAgent|contains: browser\ncondition: sel", "e3"},
		{"startswith", "sel:\n  eventName|startswith: UpdateFunction\ncondition: sel", "e6"},
		{"endswith", "sel:\n  eventName|endswith: profile\ncondition: sel", "e4"},
		{"contains|all", "sel:\n  userAgent|contains|all: [s3, browser]\ncondition: sel", "e3"},
		{"contains|all needs every value", "sel:\n  userAgent|contains|all: [s3, kali]\ncondition: sel", ""},
		{"re matches anywhere, case-sensitively", "sel:\n  userIdentity.arn|re: ':user/ali'\ncondition: sel", "e1 e3 e4 e5 e6"},
		{"re is case-sensitive", "sel:\n  userIdentity.arn|re: ':USER/ali'\ncondition: sel", ""},
		{"re|i", "sel:\n  userIdentity.arn|re|i: ':USER/ali'\ncondition: sel", "e1 e3 e4 e5 e6"},
		{"re anchors", "sel:\n  userIdentity.arn|re: '^arn:aws:sts::.+:assumed-role/'\ncondition: sel", "e2"},
		{"cidr IPv4 (and text that is no address)", "sel:\n  sourceIPAddress|cidr: 10.0.0.0/8\ncondition: sel", "e1"},
		{"cidr IPv6", "sel:\n  sourceIPAddress|cidr: '2001:db8::/32'\ncondition: sel", "e4"},
		{"cidr list", "sel:\n  sourceIPAddress|cidr: [10.0.0.0/8, 192.168.0.0/16]\ncondition: sel", "e1 e2"},
		{"exists true", "sel:\n  responseElements.accessKey|exists: true\ncondition: sel", "e3"},
		{"exists false", "sel:\n  additionalEventData|exists: false\ncondition: sel", "e2 e3 e4 e5 e6 e7"},
		{"fieldref", "sel:\n  userIdentity.userName|fieldref: requestParameters.userName\ncondition: sel", "e4"},
		{"fieldref|contains", "sel:\n  userIdentity.arn|fieldref|contains: requestParameters.userName\ncondition: sel", "e4"},
		{"fieldref|endswith", "sel:\n  userIdentity.arn|fieldref|endswith: userIdentity.userName\ncondition: sel", "e1 e3 e4 e5 e6"},
		{"neq (a record without the field differs)", "sel:\n  eventSource|neq: iam.amazonaws.com\n  errorCode|neq: x\ncondition: sel", "e1 e2 e5 e6 e7"},
		{"gt on a JSON number", "sel:\n  requestParameters.timeout|gt: 10\ncondition: sel", "e6"},
		{"lte", "sel:\n  requestParameters.timeout|lte: 29\ncondition: sel", ""},
		{"hour of eventTime", "sel:\n  eventTime|hour: 3\ncondition: sel", "e5"},
		{"JSON path", "sel:\n  responseElements.accessKey.userName: BOB\ncondition: sel", "e3"},
		{"JSON object field", "sel:\n  responseElements.ConsoleLogin: success\n  additionalEventData.MFAUsed: 'NO'\ncondition: sel", "e1"},
		{"JSON boolean", "sel:\n  requestParameters.enable: 'false'\ncondition: sel", "e2"},
		{"JSON boolean, unquoted", "sel:\n  requestParameters.enable: false\ncondition: sel", "e2"},
		{"JSON array as its text", "sel:\n  requestParameters.layers|contains: 'layer:x'\ncondition: sel", "e6"},
		{"JSON-text column whole", "sel:\n  requestParameters|contains: '\"userName\":\"bob\"'\ncondition: sel", "e3"},
		{"struct path", "sel:\n  userIdentity.sessionContext.sessionIssuer.userName: admin\ncondition: sel", "e2"},
		{"list of structs: any element", "sel:\n  resources.ARN|endswith: ':::my_bucket'\ncondition: sel", "e5"},
		{"list of structs: null", "sel:\n  resources.type: null\ncondition: sel", "e1 e2 e3 e4 e6 e7"},
		{"base64", "sel:\n  requestParameters.userData|base64: " + strings.ReplaceAll(jsonString(script), "\\n", "\\n") + "\ncondition: sel", "e7"},
		{"base64offset|contains", "sel:\n  requestParameters.userData|base64offset|contains: 169.254.169.254\ncondition: sel", "e7"},
		{"base64offset|contains, absent", "sel:\n  requestParameters.userData|base64offset|contains: wget\ncondition: sel", ""},
		{"windash", "sel:\n  userAgent|windash|contains: ' -flag'\ncondition: sel", "e7"},
		{"not: a record without the field is not filtered out", "sel:\n  eventSource: ec2.amazonaws.com\nfilter:\n  userIdentity.type: AssumedRole\ncondition: sel and not filter", "e7"},
		{"not not", "sel:\n  eventName: StopLogging\ncondition: not not sel", "e2"},
		{"and binds tighter than or", "a:\n  eventName: StopLogging\nb:\n  eventSource: iam.amazonaws.com\nc:\n  errorCode: AccessDenied\ncondition: a or b and c", "e2 e3"},
		{"parentheses", "a:\n  eventName: StopLogging\nb:\n  eventSource: iam.amazonaws.com\nc:\n  errorCode: AccessDenied\ncondition: (a or b) and not c", "e2 e4"},
		{"1 of pattern", "sel_a:\n  eventName: StopLogging\nsel_b:\n  eventName: RunInstances\nother:\n  eventName: ConsoleLogin\ncondition: 1 of sel_*", "e2 e7"},
		{"all of pattern", "sel_a:\n  eventSource: iam.amazonaws.com\nsel_b:\n  errorCode: AccessDenied\ncondition: all of sel_*", "e3"},
		{"1 of them (not _names)", "a:\n  eventName: StopLogging\n_b:\n  eventName: RunInstances\ncondition: 1 of them", "e2"},
		{"all of them", "a:\n  eventSource: iam.amazonaws.com\nb:\n  userAgent|contains: browser\ncondition: all of them", "e3"},
		{"2 of pattern", "s_a:\n  eventSource: iam.amazonaws.com\ns_b:\n  errorCode: AccessDenied\ns_c:\n  userAgent|contains: browser\ncondition: 2 of s_*", "e3"},
		{"a list of conditions is OR", "a:\n  eventName: StopLogging\nb:\n  eventName: RunInstances\ncondition:\n  - a\n  - b", "e2 e7"},
		{"keywords are case-insensitive", "sel:\n  eventName: x\ncondition: NOT sel AND (1 OF them) or sel", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			yml := "title: t\nid: t\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n" + indent(c.detection) + "\n"
			set := Compile([]File{{Name: "t.yml", Data: []byte(yml)}}, Options{})
			if len(set.Problems) > 0 || len(set.Rules) != 1 {
				t.Fatalf("%v", set.Problems)
			}
			r := set.Rules[0]
			var got []string
			for _, row := range run(t, st, "SELECT eventid FROM cloudtrail_logs WHERE "+r.Where+" ORDER BY eventid") {
				got = append(got, row[0].(string))
			}
			if diff := cmp.Diff(strings.Fields(c.want), got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("matches (-want +got):\n%s\nWHERE %s", diff, r.Where)
			}
			// The rule's own SQL gives the same rows.
			if n := len(run(t, st, r.SQL)); n != len(got) {
				t.Errorf("the rule's SQL gives %d rows, its condition %d", n, len(got))
			}
		})
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func indent(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n")
}

func TestWildcards(t *testing.T) {
	for _, c := range []struct{ in, like string }{
		{`a*b`, `lower(x) LIKE 'a%b'`},
		{`a?b`, `lower(x) LIKE 'a_b'`},
		{`a\*b`, `lower(x) = 'a*b'`},
		{`a\\*`, `lower(x) LIKE 'a\\%' ESCAPE '\'`},
		{`a\b`, `lower(x) = 'a\b'`},
		{`50%_*`, `lower(x) LIKE '50\%\_%' ESCAPE '\'`},
		{`it's*`, `lower(x) LIKE 'it''s%'`},
		{`**`, `x IS NOT NULL`},
	} {
		if got := parseWildcards(c.in).cond("x", false).String(); got != c.like {
			t.Errorf("%s: got %s, want %s", c.in, got, c.like)
		}
	}
}

func TestEncodings(t *testing.T) {
	// base64offset finds the value at each offset of a longer encoded text.
	for _, prefix := range []string{"", "a", "ab", "abc"} {
		enc := base64.StdEncoding.EncodeToString([]byte(prefix + "whoami /all" + "!"))
		found := slices.ContainsFunc(encode([]byte("whoami /all"), "", true), func(s string) bool { return strings.Contains(enc, s) })
		if !found {
			t.Errorf("prefix %q: none of %q in %s", prefix, encode([]byte("whoami /all"), "", true), enc)
		}
	}
	if got, want := encode([]byte("cmd"), "utf16le", false)[0], base64.StdEncoding.EncodeToString([]byte{'c', 0, 'm', 0, 'd', 0}); got != want {
		t.Errorf("utf16le: got %s, want %s", got, want)
	}
	if got, want := encode([]byte("cmd"), "utf16", false)[0], base64.StdEncoding.EncodeToString([]byte{0xFF, 0xFE, 'c', 0, 'm', 0, 'd', 0}); got != want {
		t.Errorf("utf16: got %s, want %s", got, want)
	}
	if got := windash("-a /b"); len(got) != 25 || !slices.Contains(got, "/a -b") || !slices.Contains(got, "\u2013a \u2014b") {
		t.Errorf("windash: %d variants: %q", len(got), got)
	}
}
