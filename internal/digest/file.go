package digest

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// File is a digest file's content (CloudTrail digest file structure).
type File struct {
	AccountID          string    `json:"awsAccountId"`
	Start              time.Time `json:"digestStartTime"`
	End                time.Time `json:"-"`
	EndText            string    `json:"digestEndTime"` // as written: the signing string holds it verbatim
	Bucket             string    `json:"digestS3Bucket"`
	Object             string    `json:"digestS3Object"`
	Fingerprint        string    `json:"digestPublicKeyFingerprint"`
	SignatureAlgorithm string    `json:"digestSignatureAlgorithm"`
	PreviousBucket     *string   `json:"previousDigestS3Bucket"`
	PreviousObject     *string   `json:"previousDigestS3Object"`
	PreviousHash       *string   `json:"previousDigestHashValue"`
	PreviousHashAlg    *string   `json:"previousDigestHashAlgorithm"`
	PreviousSignature  *string   `json:"previousDigestSignature"`
	Logs               []LogFile `json:"logFiles"`

	// SHA256 is the hex SHA-256 of the digest file's uncompressed bytes.
	SHA256 string `json:"-"`
}

// LogFile is one entry of a digest's logFiles.
type LogFile struct {
	Bucket        string `json:"s3Bucket"`
	Object        string `json:"s3Object"`
	Hash          string `json:"hashValue"`
	HashAlgorithm string `json:"hashAlgorithm"`
}

// SignatureAlgorithm is the only digest signature algorithm CloudTrail uses.
const SignatureAlgorithm = "SHA256withRSA"

// Read reads a digest file from r (gzipped, as CloudTrail delivers it, or not) and parses it; name is used in
// errors.
func Read(r io.Reader, name string) (*File, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read digest %s: %w", name, err)
	}
	if len(raw) >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, &FormatError{name, fmt.Errorf("gunzip: %w", err)}
		}
		if raw, err = io.ReadAll(zr); err != nil {
			return nil, &FormatError{name, fmt.Errorf("gunzip: %w", err)}
		}
	}
	return Parse(raw, name)
}

// Parse parses a digest file's uncompressed bytes. A document that is not a digest, or lacks a field the check
// needs, gives an error naming the file and the field.
func Parse(raw []byte, name string) (*File, error) {
	var f File
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, &FormatError{name, err}
	}
	for _, fv := range [...][2]string{{"awsAccountId", f.AccountID}, {"digestEndTime", f.EndText},
		{"digestS3Bucket", f.Bucket}, {"digestS3Object", f.Object}, {"digestPublicKeyFingerprint", f.Fingerprint}} {
		if field, v := fv[0], fv[1]; v == "" {
			return nil, &FormatError{name, fmt.Errorf("no %s: not a CloudTrail digest file", field)}
		}
	}
	if f.Start.IsZero() {
		return nil, &FormatError{name, fmt.Errorf("no digestStartTime: not a CloudTrail digest file")}
	}
	end, err := time.Parse(time.RFC3339, f.EndText)
	if err != nil {
		return nil, &FormatError{name, fmt.Errorf("digestEndTime: %w", err)}
	}
	f.End = end
	for i, l := range f.Logs {
		if l.Object == "" || len(l.Hash) != sha256.Size*2 {
			return nil, &FormatError{name, fmt.Errorf("logFiles[%d]: no s3Object or no SHA-256 hashValue", i)}
		}
		if l.HashAlgorithm != "" && l.HashAlgorithm != "SHA-256" {
			return nil, &FormatError{name, fmt.Errorf("logFiles[%d]: hash algorithm %q (only SHA-256 is known)", i, l.HashAlgorithm)}
		}
	}
	sum := sha256.Sum256(raw)
	f.SHA256 = hex.EncodeToString(sum[:])
	return &f, nil
}

// FormatError is the error of a file that is not a readable CloudTrail digest file.
type FormatError struct {
	Name string
	Err  error
}

func (e *FormatError) Error() string { return "parse digest " + e.Name + ": " + e.Err.Error() }
func (e *FormatError) Unwrap() error { return e.Err }

// Location is the digest's own s3://bucket/key, where CloudTrail delivered it.
func (f *File) Location() string { return "s3://" + f.Bucket + "/" + f.Object }

// SigningString is the string CloudTrail signs for a digest: its digestEndTime, its S3 path (bucket/key), the
// hex SHA-256 of its uncompressed bytes and the previous digest's hex signature ("null" for the first digest of
// a chain), separated by newlines.
func (f *File) SigningString() []byte {
	prev := "null"
	if f.PreviousSignature != nil {
		prev = *f.PreviousSignature
	}
	return []byte(f.EndText + "\n" + f.Bucket + "/" + f.Object + "\n" + f.SHA256 + "\n" + prev)
}
