package cloudtrail

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

type decoded struct {
	recs     []*Record
	problems []Problem
	err      error
}

func decode(t *testing.T, doc string) decoded {
	t.Helper()
	var d decoded
	d.err = NewDecoder().Decode(strings.NewReader(doc), func(i int, r *Record, p []Problem) error {
		d.recs = append(d.recs, r)
		d.problems = append(d.problems, p...)
		return nil
	}, func(p Problem) { d.problems = append(d.problems, p) })
	return d
}

// TestDecodeRealFiles checks that every record of the public sample files is decoded, against a count made
// with encoding/json.
func TestDecodeRealFiles(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/cloudtrail/real/*.json")
	if len(files) < 20 {
		t.Fatalf("found %d sample files, want the real set", len(files))
	}
	total := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ref struct{ Records []map[string]any }
		if err := json.Unmarshal(b, &ref); err != nil {
			t.Fatalf("%s: reference decode: %v", f, err)
		}
		d := decode(t, string(b))
		if d.err != nil {
			t.Errorf("%s: %v", f, d.err)
		}
		if got, want := len(d.recs), len(ref.Records); got != want {
			t.Errorf("%s: %d records, want %d", f, got, want)
		}
		for i, r := range d.recs {
			if got, want := r.EventName.S, str(ref.Records[i]["eventName"]); got != want {
				t.Errorf("%s record %d: eventName %q, want %q", f, i, got, want)
			}
		}
		total += len(d.recs)
	}
	// SOURCES.md counts 998 records, 2 of them in the one .json.gz file.
	if total != 996 {
		t.Errorf("decoded %d records from the .json files, SOURCES.md says 998 - 2", total)
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func TestDecodeFields(t *testing.T) {
	doc := `{"Records":[{
		"eventVersion":"1.08",
		"userIdentity":{"type":"AssumedRole","principalId":"AROA:alice","arn":"arn:aws:sts::111122223333:assumed-role/Admin/alice",
			"accountId":"111122223333","accessKeyId":"ASIA1",
			"sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROA","arn":"arn:aws:iam::111122223333:role/Admin","accountId":"111122223333","userName":"Admin"},
				"webIdFederationData":{"federatedProvider":"cognito","attributes":{"b":"2","a":"1"}},
				"attributes":{"creationDate":"2024-09-01T00:00:00Z","mfaAuthenticated":"true"}},
			"onBehalfOf":{"userId":"u-1","identityStoreArn":"arn:aws:identitystore::111122223333:identitystore/d-1"}},
		"eventTime":"2024-09-01T12:34:56Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1",
		"sourceIPAddress":"192.0.2.1","userAgent":"aws-cli/2","requestParameters":{"bucketName":"b","key":"k \u0026 co"},
		"responseElements":null,"additionalEventData":{"x":[1,2]},"requestID":"R1","eventID":"E1","readOnly":true,
		"resources":[{"ARN":"arn:aws:s3:::b/k","type":"AWS::S3::Object"},{"accountId":"111122223333","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::b"}],
		"eventType":"AwsApiCall","recipientAccountId":"111122223333","eventCategory":"Data",
		"tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"b.s3.amazonaws.com"},
		"addendum":{"reason":"DELIVERY_DELAY"},"sessionCredentialFromConsole":"true"
	}]}`
	d := decode(t, doc)
	if d.err != nil || len(d.recs) != 1 {
		t.Fatalf("Decode: %v, %d records", d.err, len(d.recs))
	}
	if len(d.problems) != 0 {
		t.Errorf("problems: %v", d.problems)
	}
	r := d.recs[0]
	checks := []struct{ name, got, want string }{
		{"eventName", r.EventName.S, "GetObject"},
		{"readOnly (a JSON boolean)", r.ReadOnly.S, "true"},
		{"requestParameters keeps JSON text", r.RequestParameters.S, `{"bucketName":"b","key":"k \u0026 co"}`},
		{"additionalEventData", r.AdditionalEventData.S, `{"x":[1,2]}`},
		{"userIdentity.arn", r.UserIdentity.ARN.S, "arn:aws:sts::111122223333:assumed-role/Admin/alice"},
		{"sessionIssuer.userName", r.UserIdentity.SessionContext.SessionIssuer.UserName.S, "Admin"},
		{"mfaAuthenticated", r.UserIdentity.SessionContext.Attributes.MFAAuthenticated.S, "true"},
		{"onBehalfOf.userId", r.UserIdentity.OnBehalfOf.UserID.S, "u-1"},
		{"resources[1].accountId", r.Resources[1].AccountID.S, "111122223333"},
		{"resources[0].ARN", r.Resources[0].ARN.S, "arn:aws:s3:::b/k"},
		{"tlsDetails.tlsVersion", r.TLSDetails.TLSVersion.S, "TLSv1.3"},
		{"addendum.reason", r.Addendum.Reason.S, "DELIVERY_DELAY"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if r.ResponseElements.Valid {
		t.Errorf("responseElements null = %q, want NULL", r.ResponseElements.S)
	}
	if r.ErrorCode.Valid {
		t.Error("missing errorCode is not NULL")
	}
	attrs := r.UserIdentity.SessionContext.WebIDFederationData.Attributes
	if len(attrs) != 2 || attrs[0] != (KV{"b", "2"}) || attrs[1] != (KV{"a", "1"}) {
		t.Errorf("webIdFederationData.attributes = %v, want b=2, a=1 in log order", attrs)
	}
}

func TestDecodeOddTypes(t *testing.T) {
	doc := `{"Records":[
		{"eventID":"1","eventTime":"2024-09-01T00:00:00Z","readOnly":"false","requestParameters":"plain text","tlsDetails":"weird","resources":{"ARN":"x"}},
		42,
		{"eventID":"3","eventTime":"2024-09-01T00:00:00Z","eventName":{"nested":true},"resources":["x",{"ARN":"y"}],"userIdentity":[]},
		{"eventName":"NoTimeNoID"},
		{"eventID":"5","eventTime":"yesterday"}
	]}`
	d := decode(t, doc)
	if d.err != nil {
		t.Fatal(d.err)
	}
	if got, want := len(d.recs), 4; got != want {
		t.Fatalf("%d records decoded, want %d (all but the number)", got, want)
	}
	r0, r2 := d.recs[0], d.recs[1]
	if r0.ReadOnly.S != "false" || r0.RequestParameters.S != "plain text" || r0.TLSDetails != nil || r0.Resources != nil {
		t.Errorf("record 0 = readOnly %q requestParameters %q tlsDetails %v resources %v", r0.ReadOnly.S, r0.RequestParameters.S, r0.TLSDetails, r0.Resources)
	}
	if r2.EventName.S != `{"nested":true}` || len(r2.Resources) != 1 || r2.Resources[0].ARN.S != "y" || r2.UserIdentity != nil {
		t.Errorf("record 2 = eventName %q resources %v userIdentity %v", r2.EventName.S, r2.Resources, r2.UserIdentity)
	}
	want := map[string]bool{
		"0/tlsDetails": false, "0/resources": false, "1/": true, "2/eventName": false, "2/resources[0]": false,
		"2/userIdentity": false, "3/eventTime": false, "3/eventID": false, "4/eventTime": false,
	}
	got := map[string]bool{}
	for _, p := range d.problems {
		got[strings.Join([]string{itoa(p.Record), p.Field}, "/")] = p.Skipped
	}
	for k, skipped := range want {
		s, ok := got[k]
		if !ok {
			t.Errorf("no problem reported for %s; got %v", k, d.problems)
		} else if s != skipped {
			t.Errorf("problem %s: skipped = %v, want %v", k, s, skipped)
		}
	}
	if len(got) != len(want) {
		t.Errorf("problems = %v, want exactly %v", got, want)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestDecodeBrokenDocuments(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		records int
		err     string
		is      error
	}{
		{"empty", "", 0, "unexpected EOF", nil},
		{"not JSON", "hello world", 0, "invalid", nil},
		{"array, not object", `[{"eventID":"1"}]`, 0, "", ErrNoRecords},
		{"no Records", `{"foo":[1]}`, 0, "", ErrNoRecords},
		{"Records not an array", `{"Records":{"eventID":"1"}}`, 0, "Records is an object, not an array", nil},
		{"Records null", `{"Records":null}`, 0, "", nil},
		{"digest", `{"awsAccountId":"1","digestStartTime":"x","logFiles":[]}`, 0, "", ErrDigest},
		{"truncated after two records", `{"Records":[{"eventID":"1"},{"eventID":"2"},{"eventID":"3","eventN`, 2, "read record 2", nil},
		// The first record is whole; the rest of that element (up to the next comma) is named as skipped.
		{"garbage between records", `{"Records":[{"eventID":"1"} x {"eventID":"2"}]}`, 1, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decode(t, tt.doc)
			if got := len(d.recs); got != tt.records {
				t.Errorf("%d records decoded, want %d", got, tt.records)
			}
			switch {
			case tt.is != nil:
				if !errors.Is(d.err, tt.is) {
					t.Errorf("err = %v, want %v", d.err, tt.is)
				}
			case tt.err == "":
				if d.err != nil {
					t.Errorf("err = %v, want none", d.err)
				}
			default:
				if d.err == nil || !strings.Contains(d.err.Error(), tt.err) {
					t.Errorf("err = %v, want one containing %q", d.err, tt.err)
				}
			}
		})
	}
}

func TestHashIgnoresKeyOrderAndSpace(t *testing.T) {
	a := decode(t, `{"Records":[{"eventID":"1","eventTime":"2024-09-01T00:00:00Z","requestParameters":{"a":1}}]}`)
	b := decode(t, `{"Records":[ { "eventTime" : "2024-09-01T00:00:00Z", "requestParameters":{"a":1}, "eventID":"1" } ]}`)
	c := decode(t, `{"Records":[{"eventID":"1","eventTime":"2024-09-01T00:00:00Z","requestParameters":{"a":2}}]}`)
	if a.recs[0].Hash != b.recs[0].Hash {
		t.Error("the same record with keys in another order has another hash")
	}
	if a.recs[0].Hash == c.recs[0].Hash {
		t.Error("records that differ in requestParameters have the same hash")
	}
}

func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("../../testdata/cloudtrail/real/*.json")
	for _, p := range files[:3] {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Add([]byte(`{"Records":[{"eventID":"1","tlsDetails":"x","resources":{}}, 7, null]}`))
	f.Add([]byte(`{"Records":[`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		// The in-memory and the streaming decoder must agree on every document.
		type result struct {
			ids      []string
			problems int
			err      bool
		}
		runOne := func(decode func(*Decoder, func(int, *Record, []Problem) error, func(Problem)) error) result {
			var r result
			err := decode(NewDecoder(), func(i int, rec *Record, p []Problem) error {
				if rec == nil {
					t.Fatal("nil record")
				}
				r.ids = append(r.ids, fmt.Sprint(i, rec.EventID, rec.EventName, rec.Hash))
				r.problems += len(p)
				return nil
			}, func(Problem) { r.problems++ })
			r.err = err != nil
			return r
		}
		whole := runOne(func(d *Decoder, fn func(int, *Record, []Problem) error, p func(Problem)) error {
			return d.Decode(strings.NewReader(string(doc)), fn, p)
		})
		stream := runOne(func(d *Decoder, fn func(int, *Record, []Problem) error, p func(Problem)) error {
			return d.decodeStream(strings.NewReader(string(doc)), fn, p)
		})
		if fmt.Sprint(whole) != fmt.Sprint(stream) {
			t.Errorf("whole-file decode %v, streaming decode %v", whole, stream)
		}
	})
}

// get looks a key up case-insensitively (the decoder matches keys as Athena's SerDe does).
func get(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = nil
		for k, x := range mm {
			if strings.EqualFold(k, p) {
				v = x
			}
		}
	}
	return v
}

// TestDecodeMatchesReference compares the decoder field by field with encoding/json on every real record.
func TestDecodeMatchesReference(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/cloudtrail/real/*.json")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		var ref struct{ Records []map[string]any }
		if err := json.Unmarshal(b, &ref); err != nil {
			t.Fatal(err)
		}
		d := decode(t, string(b))
		for i, r := range d.recs {
			m := ref.Records[i]
			strField := func(name string, got String, path ...string) {
				want, isStr := get(m, path...).(string)
				if isStr && (!got.Valid || got.S != want) || !isStr && get(m, path...) == nil && got.Valid {
					t.Errorf("%s record %d %s = %q (valid %v), reference %v", filepath.Base(f), i, name, got.S, got.Valid, get(m, path...))
				}
			}
			strField("eventTime", r.EventTime, "eventTime")
			strField("eventSource", r.EventSource, "eventSource")
			strField("sourceIPAddress", r.SourceIPAddress, "sourceIPAddress")
			strField("errorMessage", r.ErrorMessage, "errorMessage")
			if r.UserIdentity != nil {
				strField("userIdentity.arn", r.UserIdentity.ARN, "userIdentity", "arn")
				if sc := r.UserIdentity.SessionContext; sc != nil && sc.SessionIssuer != nil {
					strField("sessionIssuer.userName", sc.SessionIssuer.UserName, "userIdentity", "sessionContext", "sessionIssuer", "userName")
				}
			} else if _, isObj := get(m, "userIdentity").(map[string]any); isObj {
				t.Errorf("%s record %d: userIdentity lost", filepath.Base(f), i)
			}
			for _, jf := range []struct {
				name string
				got  String
			}{{"requestParameters", r.RequestParameters}, {"responseElements", r.ResponseElements}, {"additionalEventData", r.AdditionalEventData}} {
				want := get(m, jf.name)
				if _, isStr := want.(string); isStr || want == nil {
					continue
				}
				var got any
				if err := json.Unmarshal([]byte(jf.got.S), &got); err != nil {
					t.Errorf("%s record %d %s is not JSON: %q", filepath.Base(f), i, jf.name, jf.got.S)
					continue
				}
				gb, _ := json.Marshal(got)
				wb, _ := json.Marshal(want)
				if string(gb) != string(wb) {
					t.Errorf("%s record %d %s = %s, reference %s", filepath.Base(f), i, jf.name, gb, wb)
				}
			}
			if rs, ok := get(m, "resources").([]any); ok {
				objects := 0 // elements that are not objects are reported and left out
				for _, x := range rs {
					if _, isObj := x.(map[string]any); isObj {
						objects++
					}
				}
				if len(r.Resources) != objects {
					t.Errorf("%s record %d: %d resources, reference %d", filepath.Base(f), i, len(r.Resources), objects)
				}
			}
		}
	}
}
