package digest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/source"
)

// Input is what Check is given.
type Input struct {
	// Objects are the listed objects: digest files and log files (others are ignored).
	Objects []source.Object
	// Keys are the public keys to verify signatures with; nil or empty: every signed digest is UnknownKey.
	Keys *Keys
	// From and To bound the check (either zero: open): digests whose period meets [From, To) are judged, and
	// logs delivered in it.
	From, To time.Time
	// Workers is the number of files read at once; 0 means 16.
	Workers int
}

// locator is implemented by sources that know an object's s3:// address (s3src).
type locator interface{ Location(key string) string }

// digestState is one digest file being judged.
type digestState struct {
	key      string
	dk       cloudtrail.DigestKey
	file     *File
	sig      string // hex signature, "" when none was found
	sigAlg   string // x-amz-meta-signature-algorithm
	metadata bool   // the source keeps S3 metadata: a digest without a signature there lost it
	outside  string // what digestS3Object has before the source's key (the source's prefix in the bucket)
	res      Result
}

// Check verifies the digests in in.Objects and the logs they list, reading them from src, as AWS documents the
// validation: each digest's signature, each trail's chain of digests, each log's SHA-256 over its uncompressed
// bytes; then it finds the logs no digest lists.
func Check(ctx context.Context, src source.Source, in Input) (*Report, error) {
	if in.Workers <= 0 {
		in.Workers = 16
	}
	if in.Keys == nil {
		in.Keys = NewKeys()
	}
	var digests []*digestState
	listed := map[string]bool{}
	for _, o := range in.Objects {
		dk, ok := cloudtrail.ParseDigestKey(o.Key)
		if !ok {
			continue
		}
		listed[o.Key] = true
		if in.overlaps(dk.End.Add(-time.Hour), dk.End) {
			digests = append(digests, &digestState{key: o.Key, dk: dk})
		}
	}
	if err := readDigests(ctx, src, digests, in.Workers); err != nil {
		return nil, err
	}
	sort.SliceStable(digests, func(i, j int) bool { return digests[i].dk.End.Before(digests[j].dk.End) })
	rep := &Report{Keys: in.Keys.Len()}
	for _, d := range digests {
		d.judge(src, in.Keys)
	}
	gaps := linkChains(digests, listed, in.From)
	logs, err := checkLogs(ctx, src, digests, in.Workers)
	if err != nil {
		return nil, err
	}
	for _, d := range digests {
		rep.Results = append(rep.Results, d.res)
	}
	rep.Results = append(rep.Results, gaps...)
	rep.Results = append(rep.Results, logs...)
	rep.Results = append(rep.Results, notCovered(in, digests)...)
	return rep, nil
}

// overlaps reports whether [start, end) meets the input's period.
func (in *Input) overlaps(start, end time.Time) bool {
	return (in.To.IsZero() || start.Before(in.To)) && (in.From.IsZero() || end.After(in.From))
}

// readDigests reads and parses the digests, with their signatures, workers at a time.
func readDigests(ctx context.Context, src source.Source, digests []*digestState, workers int) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for _, d := range digests {
		g.Go(func() error {
			d.res = Result{Kind: "digest", Key: d.key, End: d.dk.End,
				Trail: Trail{OrgID: d.dk.OrgID, Account: d.dk.Account, Region: d.dk.Region, Name: d.dk.Trail, HomeRegion: d.dk.HomeRegion}}
			err := d.read(gctx, src)
			if gctx.Err() != nil {
				return gctx.Err()
			}
			if err != nil {
				d.res.Status, d.res.Detail = Unreadable, err.Error()
				var ferr *FormatError
				if errors.As(err, &ferr) {
					d.res.Status = Invalid
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// read fetches the digest and its signature: the object's x-amz-meta-signature where the source keeps
// metadata, else a sidecar file <key>.sig holding it (hex, as the metadata holds it).
func (d *digestState) read(ctx context.Context, src source.Source) error {
	rc, err := src.Open(ctx, d.key)
	if err != nil {
		return err
	}
	defer rc.Close()
	f, err := Read(rc, d.key)
	if err != nil {
		return err
	}
	d.file = f
	d.res.Start, d.res.End = f.Start, f.End
	if um, ok := rc.(source.UserMetadata); ok {
		m := um.UserMetadata()
		d.sig, d.sigAlg, d.metadata = m["signature"], m["signature-algorithm"], true
		if d.sig != "" {
			return nil
		}
	}
	sc, err := src.Open(ctx, d.key+".sig")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer sc.Close()
	b, err := io.ReadAll(io.LimitReader(sc, 4096))
	if err != nil {
		return fmt.Errorf("read %s.sig: %w", d.key, err)
	}
	d.sig = strings.TrimSpace(string(b))
	return nil
}
