package digest

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"
)

// TestParseDocExamples parses the AWS documentation's two digest files and rebuilds their signing strings.
func TestParseDocExamples(t *testing.T) {
	for _, tt := range []struct {
		file, bucket, prevSigStart string
		end                        time.Time
		logs                       int
	}{
		{"awsdocs__cloudtrail-user-guide__digest-example-1.json", "S3-bucket-name", "50887ccffad4", time.Date(2015, 8, 17, 15, 1, 31, 0, time.UTC), 1},
		{"awsdocs__cloudtrail-user-guide__digest-example-2.json", "example-bucket-name", "82705525fb0f", time.Date(2015, 8, 20, 18, 1, 31, 0, time.UTC), 0},
	} {
		raw, err := os.ReadFile("testdata/" + tt.file)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Parse(raw, tt.file)
		if err != nil {
			t.Fatalf("Parse %s: %v", tt.file, err)
		}
		if f.AccountID != "111122223333" || f.Bucket != tt.bucket || !f.End.Equal(tt.end) || len(f.Logs) != tt.logs ||
			f.Fingerprint != "31e8b5433410dfb61a9dc45cc65b22ff" || f.SignatureAlgorithm != SignatureAlgorithm || f.PreviousSignature == nil {
			t.Fatalf("%s: parsed %+v", tt.file, f)
		}
		sum := sha256.Sum256(raw)
		lines := strings.Split(string(f.SigningString()), "\n")
		want := []string{tt.end.Format("2006-01-02T15:04:05Z"), tt.bucket + "/" + f.Object, hex.EncodeToString(sum[:]), *f.PreviousSignature}
		if len(lines) != 4 || strings.Join(lines, "|") != strings.Join(want, "|") || !strings.HasPrefix(lines[3], tt.prevSigStart) {
			t.Errorf("%s: signing string %q, want the lines %q", tt.file, lines, want)
		}
		if tt.logs == 1 && (f.Logs[0].Hash != "9bb6196fc6b84d6f075a56548feca262bd99ba3c2de41b618e5b6e22c1fc71f6" || !strings.HasSuffix(f.Logs[0].Object, "_9nYN7gp2eWAJHIfT.json.gz")) {
			t.Errorf("%s: log %+v", tt.file, f.Logs[0])
		}
	}
}

// TestSigningStringFirstDigest: a digest that starts a chain has no previous signature; the string holds "null".
func TestSigningStringFirstDigest(t *testing.T) {
	raw := []byte(`{"awsAccountId":"111122223333","digestStartTime":"2015-08-17T14:01:31Z","digestEndTime":"2015-08-17T15:01:31Z",` +
		`"digestS3Bucket":"b","digestS3Object":"k.json.gz","digestPublicKeyFingerprint":"ab","previousDigestSignature":null,"logFiles":[]}`)
	f, err := Parse(raw, "k")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	if got, want := string(f.SigningString()), "2015-08-17T15:01:31Z\nb/k.json.gz\n"+hex.EncodeToString(sum[:])+"\nnull"; got != want {
		t.Fatalf("signing string %q, want %q", got, want)
	}
}

// TestParseRejects: files that are not digests are refused with the file's name and what is wrong.
func TestParseRejects(t *testing.T) {
	for _, tt := range []struct{ doc, want string }{
		{`{"Records":[]}`, "no awsAccountId"},
		{`not json`, "invalid character"},
		{`{"awsAccountId":"1","digestStartTime":"2015-08-17T14:01:31Z","digestEndTime":"yesterday","digestS3Bucket":"b","digestS3Object":"o","digestPublicKeyFingerprint":"f"}`, "digestEndTime"},
		{`{"awsAccountId":"1","digestStartTime":"2015-08-17T14:01:31Z","digestEndTime":"2015-08-17T15:01:31Z","digestS3Bucket":"b","digestS3Object":"o","digestPublicKeyFingerprint":"f","logFiles":[{"s3Object":"x","hashValue":"12"}]}`, "logFiles[0]"},
	} {
		_, err := Parse([]byte(tt.doc), "AWSLogs/x.json.gz")
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "AWSLogs/x.json.gz") {
			t.Errorf("Parse(%s) = %v, want an error naming the file and %q", tt.doc, err, tt.want)
		}
	}
}
