package digest

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Key is one of CloudTrail's public keys: the RSA key whose private half signed digests between From and To.
type Key struct {
	Fingerprint string
	Public      *rsa.PublicKey
	From, To    time.Time // validity; a zero To is open
	Region      string    // the region that listed it, "" from a file
}

// Keys is a set of public keys, looked up by fingerprint and time.
type Keys struct {
	keys []Key
}

// NewKeys returns the set of ks.
func NewKeys(ks ...Key) *Keys { return &Keys{keys: ks} }

// Add adds keys to the set.
func (s *Keys) Add(ks ...Key) { s.keys = append(s.keys, ks...) }

// Len is the number of keys.
func (s *Keys) Len() int { return len(s.keys) }

// ErrUnknownKey is the error of Lookup when no key has the fingerprint, or none valid at the time.
var ErrUnknownKey = errors.New("unknown public key")

// Lookup returns the key with fingerprint valid at t (its validity holds t). The error matches ErrUnknownKey and
// says whether the fingerprint is unknown or known for another time.
func (s *Keys) Lookup(fingerprint string, t time.Time) (Key, error) {
	var other []string
	for _, k := range s.keys {
		if !strings.EqualFold(k.Fingerprint, fingerprint) {
			continue
		}
		if !t.Before(k.From) && (k.To.IsZero() || t.Before(k.To)) {
			return k, nil
		}
		other = append(other, fmt.Sprintf("%s to %s", k.From.UTC().Format(time.RFC3339), k.To.UTC().Format(time.RFC3339)))
	}
	if len(other) > 0 {
		return Key{}, fmt.Errorf("%w: key %s is valid %s, not at %s", ErrUnknownKey, fingerprint, strings.Join(other, ", "), t.UTC().Format(time.RFC3339))
	}
	return Key{}, fmt.Errorf("%w: no public key has fingerprint %s (%d known)", ErrUnknownKey, fingerprint, len(s.keys))
}

// ErrBadSignature is the error of Verify when the signature does not match.
var ErrBadSignature = errors.New("signature does not match")

// Verify checks sigHex, the hex signature of f (its S3 object's x-amz-meta-signature), with key: RSA PKCS #1
// v1.5 over the SHA-256 of f's signing string.
func Verify(key Key, f *File, sigHex string) error {
	if f.SignatureAlgorithm != "" && f.SignatureAlgorithm != SignatureAlgorithm {
		return fmt.Errorf("%w: digestSignatureAlgorithm %q (only %s is known)", ErrBadSignature, f.SignatureAlgorithm, SignatureAlgorithm)
	}
	sig, err := hex.DecodeString(strings.TrimSpace(sigHex))
	if err != nil {
		return fmt.Errorf("%w: the signature is not hex: %v", ErrBadSignature, err)
	}
	sum := sha256.Sum256(f.SigningString())
	if err := rsa.VerifyPKCS1v15(key.Public, crypto.SHA256, sum[:], sig); err != nil {
		return fmt.Errorf("%w with public key %s", ErrBadSignature, key.Fingerprint)
	}
	return nil
}

// ParsePublicKey reads a public key's DER bytes: PKCS #1 (what ListPublicKeys returns) or PKIX.
func ParsePublicKey(der []byte) (*rsa.PublicKey, error) {
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, errors.New("not a DER RSA public key (PKCS #1 or PKIX)")
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("a %T, not an RSA public key", k)
	}
	return rk, nil
}

// keysFile is the JSON that `aws cloudtrail list-public-keys` prints.
type keysFile struct {
	PublicKeyList []struct {
		Value             []byte // base64 in JSON
		ValidityStartTime cliTime
		ValidityEndTime   cliTime
		Fingerprint       string
	}
}

// cliTime is a time as the AWS CLI prints it: an ISO 8601 text (the default) or seconds since 1970 (the wire
// format, cli_timestamp_format = wire).
type cliTime struct{ time.Time }

func (t *cliTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] != '"' {
		secs, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			return fmt.Errorf("time %s: not a number of seconds or a quoted date", b)
		}
		t.Time = time.Unix(0, int64(secs*1e9)).UTC()
		return nil
	}
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return err
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999-0700", "2006-01-02T15:04:05"} {
		if v, err := time.Parse(layout, s); err == nil {
			t.Time = v
			return nil
		}
	}
	return fmt.Errorf("time %q: not an ISO 8601 date and time", s)
}

// ReadKeys reads the JSON of `aws cloudtrail list-public-keys` (PublicKeyList of base64 DER Value, Fingerprint,
// ValidityStartTime, ValidityEndTime); name is used in errors.
func ReadKeys(r io.Reader, name string) ([]Key, error) {
	var f keysFile
	dec := json.NewDecoder(r)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("read public keys %s: %w (expected the JSON of aws cloudtrail list-public-keys)", name, err)
	}
	if f.PublicKeyList == nil {
		return nil, fmt.Errorf("read public keys %s: no PublicKeyList (expected the JSON of aws cloudtrail list-public-keys)", name)
	}
	keys := make([]Key, 0, len(f.PublicKeyList))
	for i, k := range f.PublicKeyList {
		if k.Fingerprint == "" {
			return nil, fmt.Errorf("read public keys %s: PublicKeyList[%d]: no Fingerprint", name, i)
		}
		pub, err := ParsePublicKey(k.Value)
		if err != nil {
			return nil, fmt.Errorf("read public keys %s: PublicKeyList[%d] (%s): Value: %w", name, i, k.Fingerprint, err)
		}
		keys = append(keys, Key{Fingerprint: k.Fingerprint, Public: pub, From: k.ValidityStartTime.Time, To: k.ValidityEndTime.Time})
	}
	return keys, nil
}
