package digesttest

import (
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Signer is a test key pair standing for one of CloudTrail's regional signing keys.
type Signer struct {
	Key         *rsa.PrivateKey
	Fingerprint string
	From, To    time.Time
}

// NewSigner makes a 2048-bit key valid from from to to. Its fingerprint is the hex MD5 of its PKCS #1 DER
// (any unique hex text would do: the verifier matches the fingerprint, it does not compute it).
func NewSigner(tb testing.TB, from, to time.Time) *Signer {
	tb.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	sum := md5.Sum(x509.MarshalPKCS1PublicKey(&k.PublicKey))
	return &Signer{Key: k, Fingerprint: hex.EncodeToString(sum[:]), From: from, To: to}
}

// KeysJSON returns what `aws cloudtrail list-public-keys` prints for the signers.
func KeysJSON(tb testing.TB, signers ...*Signer) []byte {
	tb.Helper()
	type key struct {
		Value                              string
		ValidityStartTime, ValidityEndTime string
		Fingerprint                        string
	}
	var list []key
	for _, s := range signers {
		list = append(list, key{base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(&s.Key.PublicKey)),
			s.From.UTC().Format("2006-01-02T15:04:05+00:00"), s.To.UTC().Format("2006-01-02T15:04:05+00:00"), s.Fingerprint})
	}
	b, err := json.MarshalIndent(map[string]any{"PublicKeyList": list}, "", "    ")
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// Sign returns the hex signature CloudTrail puts in x-amz-meta-signature, written here from AWS's documentation
// independently of package digest: SHA256withRSA over
// digestEndTime \n bucket/key \n hex SHA-256 of the uncompressed digest \n previous signature (or "null").
func (s *Signer) Sign(tb testing.TB, endTime, bucket, key string, uncompressed []byte, previousSignature string) string {
	tb.Helper()
	if previousSignature == "" {
		previousSignature = "null"
	}
	fileSum := sha256.Sum256(uncompressed)
	text := fmt.Sprintf("%s\n%s/%s\n%s\n%s", endTime, bucket, key, hex.EncodeToString(fileSum[:]), previousSignature)
	sum := sha256.Sum256([]byte(text))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.Key, crypto.SHA256, sum[:])
	if err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(sig)
}

// Object is one generated S3 object.
type Object struct {
	Key  string // the full key in the bucket
	Body []byte
	// Meta is the object's user metadata (a digest's signature and signature-algorithm).
	Meta map[string]string
}

// Trail describes the trail to generate.
type Trail struct {
	Bucket                            string
	Prefix                            string // the trail's S3 key prefix, "" or ending in "/"
	OrgID                             string // an organization trail's o-…, or ""
	Account, Region, Name, HomeRegion string
	Start                             time.Time // the first digest's start
	Hours                             int       // digests, one an hour
	LogsPerHour                       int
	Signer                            *Signer
	// SignWith gives another signer for some digests (by hour index): the digest names its fingerprint.
	SignWith map[int]*Signer
}

// Generated is a trail's objects.
type Generated struct {
	Logs    []Object
	Digests []Object // in time order
}

// All returns the logs and the digests.
func (g *Generated) All() []Object { return append(append([]Object(nil), g.Logs...), g.Digests...) }

func (t Trail) base() string {
	p := t.Prefix + "AWSLogs/"
	if t.OrgID != "" {
		p += t.OrgID + "/"
	}
	return p + t.Account + "/"
}

// Generate makes the trail's log files and digests.
func (t Trail) Generate(tb testing.TB) *Generated {
	tb.Helper()
	g := &Generated{}
	prevSig, prevKey, prevHash := "", "", ""
	for h := range t.Hours {
		start := t.Start.Add(time.Duration(h) * time.Hour).UTC()
		end := start.Add(time.Hour)
		var logs []map[string]any
		for i := range t.LogsPerHour {
			at := start.Add(time.Duration(i+1) * (time.Hour / time.Duration(t.LogsPerHour+1)))
			lo := t.log(tb, at, h*1000+i)
			g.Logs = append(g.Logs, lo)
			sum := sha256.Sum256(gunzip(tb, lo.Body))
			logs = append(logs, map[string]any{"s3Bucket": t.Bucket, "s3Object": lo.Key, "hashValue": hex.EncodeToString(sum[:]),
				"hashAlgorithm": "SHA-256", "newestEventTime": at.Format(time.RFC3339), "oldestEventTime": at.Format(time.RFC3339)})
		}
		signer := t.Signer
		if s := t.SignWith[h]; s != nil {
			signer = s
		}
		key := t.base() + "CloudTrail-Digest/" + t.Region + "/" + end.Format("2006/01/02") + "/" + t.Account + "_CloudTrail-Digest_" +
			t.Region + "_" + t.Name + "_" + t.HomeRegion + "_" + end.Format("20060102T150405Z") + ".json.gz"
		doc := t.digestDoc(start, end, key, signer.Fingerprint, prevKey, prevHash, prevSig, logs)
		raw, err := json.Marshal(doc)
		if err != nil {
			tb.Fatal(err)
		}
		sig := signer.Sign(tb, end.Format("2006-01-02T15:04:05Z"), t.Bucket, key, raw, prevSig)
		g.Digests = append(g.Digests, Object{Key: key, Body: gz(tb, raw), Meta: map[string]string{"signature": sig, "signature-algorithm": "SHA256withRSA"}})
		sum := sha256.Sum256(raw)
		prevSig, prevKey, prevHash = sig, key, hex.EncodeToString(sum[:])
	}
	return g
}

// digestDoc is a digest file's fields, in the order CloudTrail writes them.
func (t Trail) digestDoc(start, end time.Time, key, fingerprint, prevKey, prevHash, prevSig string, logs []map[string]any) any {
	var pb, pk, ph, pa, ps any
	if prevKey != "" {
		pb, pk, ph, pa, ps = t.Bucket, prevKey, prevHash, "SHA-256", prevSig
	}
	if logs == nil {
		logs = []map[string]any{}
	}
	return struct {
		A  string           `json:"awsAccountId"`
		S  string           `json:"digestStartTime"`
		E  string           `json:"digestEndTime"`
		B  string           `json:"digestS3Bucket"`
		O  string           `json:"digestS3Object"`
		F  string           `json:"digestPublicKeyFingerprint"`
		SA string           `json:"digestSignatureAlgorithm"`
		NE any              `json:"newestEventTime"`
		OE any              `json:"oldestEventTime"`
		PB any              `json:"previousDigestS3Bucket"`
		PO any              `json:"previousDigestS3Object"`
		PH any              `json:"previousDigestHashValue"`
		PA any              `json:"previousDigestHashAlgorithm"`
		PS any              `json:"previousDigestSignature"`
		L  []map[string]any `json:"logFiles"`
	}{t.Account, start.Format("2006-01-02T15:04:05Z"), end.Format("2006-01-02T15:04:05Z"), t.Bucket, key, fingerprint,
		"SHA256withRSA", nil, nil, pb, pk, ph, pa, ps, logs}
}

// log makes one gzipped log file delivered at at.
func (t Trail) log(tb testing.TB, at time.Time, n int) Object {
	key := t.base() + "CloudTrail/" + t.Region + "/" + at.Format("2006/01/02") + "/" + t.Account + "_CloudTrail_" + t.Region + "_" +
		at.Format("20060102T1504Z") + fmt.Sprintf("_gen%06d", n) + ".json.gz"
	rec := fmt.Sprintf(`{"Records":[{"eventVersion":"1.08","eventTime":%q,"eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":%q,"eventID":"gen-%s-%d","recipientAccountId":%q}]}`,
		at.Add(-time.Minute).Format(time.RFC3339), t.Region, t.Name, n, t.Account)
	return Object{Key: key, Body: gz(tb, []byte(rec))}
}

func gz(tb testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// Gzip compresses b as CloudTrail delivers files.
func Gzip(tb testing.TB, b []byte) []byte { return gz(tb, b) }

func gunzip(tb testing.TB, b []byte) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		tb.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := out.ReadFrom(zr); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

// Gunzip uncompresses b.
func Gunzip(tb testing.TB, b []byte) []byte { return gunzip(tb, b) }

// WriteDir writes the objects below dir (a folder copy of the bucket: keys become paths). With sidecars, each
// object's signature metadata is written next to it as <key>.sig.
func WriteDir(tb testing.TB, dir string, objs []Object, sidecars bool) {
	tb.Helper()
	for _, o := range objs {
		p := filepath.Join(dir, filepath.FromSlash(o.Key))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, o.Body, 0o644); err != nil {
			tb.Fatal(err)
		}
		if sig := o.Meta["signature"]; sidecars && sig != "" {
			if err := os.WriteFile(p+".sig", []byte(sig+"\n"), 0o644); err != nil {
				tb.Fatal(err)
			}
		}
	}
}
