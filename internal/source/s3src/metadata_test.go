package s3src_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailq/trailq/internal/source"
)

// TestOpenGivesUserMetadata: the reader of an object put with x-amz-meta-* headers (as CloudTrail puts a
// digest's signature) gives them, names in lower case without the prefix; an object without any gives none.
func TestOpenGivesUserMetadata(t *testing.T) {
	srv := newServer(t, "trail")
	client := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(testKeyID, testSecret, ""),
	})
	meta := map[string]string{"signature": "0a1b2c", "Signature-Algorithm": "SHA256withRSA"}
	if _, err := client.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("trail"), Key: aws.String("p/d.json.gz"),
		Body: bytes.NewReader([]byte("digest")), Metadata: meta}); err != nil {
		t.Fatal(err)
	}
	srv.put(t, "trail", "p/plain.json", []byte("{}"))
	src := srv.open(t, "s3://trail/p/")
	for key, want := range map[string]map[string]string{
		"d.json.gz":  {"signature": "0a1b2c", "signature-algorithm": "SHA256withRSA"},
		"plain.json": {},
	} {
		rc, err := src.Open(t.Context(), key)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, rc)
		rc.Close()
		um, ok := rc.(source.UserMetadata)
		if !ok {
			t.Fatalf("the reader of %s does not implement source.UserMetadata", key)
		}
		got := um.UserMetadata()
		if len(got) != len(want) {
			t.Errorf("%s: metadata %v, want %v", key, got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: metadata %q = %q, want %q (all: %v)", key, k, got[k], v, got)
			}
		}
	}
}
