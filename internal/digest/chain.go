package digest

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/source"
)

// judge checks what the digest says of itself: that it is where CloudTrail delivered it (the same key at the end of
// its digestS3Object; over S3, the same bucket and key), and its signature.
func (d *digestState) judge(src source.Source, keys *Keys) {
	if d.file == nil {
		return
	}
	f := d.file
	obj := f.Object
	if !strings.HasSuffix(obj, d.key) || len(obj) > len(d.key) && obj[len(obj)-len(d.key)-1] != '/' {
		d.res.Status, d.res.Detail = Invalid, fmt.Sprintf("not where CloudTrail delivered it: the file says %s", f.Location())
		return
	}
	d.outside = obj[:len(obj)-len(d.key)]
	if l, ok := src.(locator); ok && l.Location(d.key) != f.Location() {
		d.res.Status, d.res.Detail = Invalid, fmt.Sprintf("not where CloudTrail delivered it: the file says %s", f.Location())
		return
	}
	if f.AccountID != d.dk.Account {
		d.res.Status, d.res.Detail = Invalid, fmt.Sprintf("its awsAccountId %s is not the account of its key", f.AccountID)
		return
	}
	d.res.Status = d.verify(keys)
}

// verify checks the digest's signature.
func (d *digestState) verify(keys *Keys) Status {
	f := d.file
	switch {
	case d.sig == "" && d.metadata:
		d.res.Detail = "the object has no x-amz-meta-signature: it was copied without its metadata, or not written by CloudTrail"
		return BadSignature
	case d.sig == "":
		d.res.Detail = "signature not checked: a folder copy keeps no S3 metadata (save the object's x-amz-meta-signature as " +
			d.key + ".sig to check it); its hash and chain were checked"
		return Unsigned
	case d.sigAlg != "" && d.sigAlg != SignatureAlgorithm:
		d.res.Detail = fmt.Sprintf("x-amz-meta-signature-algorithm %q (only %s is known)", d.sigAlg, SignatureAlgorithm)
		return BadSignature
	}
	key, err := keys.Lookup(f.Fingerprint, f.End)
	if err != nil {
		d.res.Detail = err.Error()
		if d.dk.Region != "" {
			d.res.Detail += fmt.Sprintf("; CloudTrail signs %s's digests with that region's keys: aws cloudtrail list-public-keys --region %s", d.dk.Region, d.dk.Region)
		}
		return UnknownKey
	}
	if err := Verify(key, f, d.sig); err != nil {
		d.res.Detail = err.Error()
		if errors.Is(err, ErrBadSignature) {
			return BadSignature
		}
		return Invalid
	}
	return Valid
}

// linkChains follows each digest's previous digest: the one it names must be in the source, with the SHA-256
// and signature it records. A digest named but absent is a ChainGap result; one whose hash or signature differ
// from what its successor recorded is marked Modified or BadSignature. A previous digest that ends before from
// (outside the period) need only be listed.
func linkChains(digests []*digestState, listed map[string]bool, from time.Time) []Result {
	byKey := make(map[string]*digestState, len(digests))
	for _, d := range digests {
		byKey[d.key] = d
	}
	var gaps []Result
	for _, d := range digests {
		f := d.file
		if f == nil || d.res.Status == Invalid || f.PreviousSignature == nil || f.PreviousObject == nil {
			if f != nil && f.PreviousSignature == nil && d.res.Detail == "" {
				d.res.Detail = "first digest of its chain (logging or log file validation started or resumed)"
			}
			continue
		}
		if f.PreviousBucket != nil && *f.PreviousBucket != f.Bucket {
			d.res.Detail = strings.TrimPrefix(d.res.Detail+"; ", "; ") + fmt.Sprintf("its previous digest is in another bucket (s3://%s/%s), not checked", *f.PreviousBucket, *f.PreviousObject)
			continue
		}
		prevKey, ok := strings.CutPrefix(*f.PreviousObject, d.outside)
		if p := byKey[prevKey]; ok && p != nil {
			p.matchSuccessor(d)
			continue
		}
		if ok && listed[prevKey] {
			continue
		}
		pk, _ := cloudtrail.ParseDigestKey(prevKey)
		if !from.IsZero() && !pk.End.IsZero() && !pk.End.After(from) {
			continue
		}
		gaps = append(gaps, Result{Kind: "digest", Key: prevKey, Trail: d.res.Trail, Status: ChainGap, End: f.Start,
			Detail: fmt.Sprintf("missing: %s names it as its previous digest; the logs it listed cannot be checked", d.key)})
	}
	return gaps
}

// matchSuccessor checks the digest against what the next digest of its chain recorded of it.
func (p *digestState) matchSuccessor(next *digestState) {
	if p.file == nil || p.res.Status == Invalid {
		return
	}
	nf := next.file
	if nf.PreviousHash != nil && !strings.EqualFold(*nf.PreviousHash, p.file.SHA256) {
		p.res.Status = Modified
		p.res.Detail = fmt.Sprintf("its SHA-256 %s is not the previousDigestHashValue %s of %s", p.file.SHA256, *nf.PreviousHash, next.key)
		return
	}
	if p.sig != "" && !strings.EqualFold(strings.TrimSpace(p.sig), *nf.PreviousSignature) && !p.res.Status.Failed() {
		p.res.Status = BadSignature
		p.res.Detail = fmt.Sprintf("its signature is not the previousDigestSignature of %s", next.key)
	}
}
