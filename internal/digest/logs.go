package digest

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
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

// checkLogs checks the log files the digests list, workers at a time: each must be in the source with the
// SHA-256 (of its uncompressed bytes) the digest holds. The logs of a digest that is invalid or badly signed
// are not checked (its hashes cannot be trusted); they are not "not covered" either.
func checkLogs(ctx context.Context, src source.Source, digests []*digestState, workers int) ([]Result, error) {
	type job struct {
		d   *digestState
		log LogFile
	}
	var jobs []job
	for _, d := range digests {
		if d.file == nil || d.res.Status == Invalid || d.res.Status == BadSignature {
			continue
		}
		for _, l := range d.file.Logs {
			jobs = append(jobs, job{d, l})
		}
	}
	out := make([]Result, len(jobs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for i, j := range jobs {
		g.Go(func() error {
			r := Result{Kind: "log", Trail: j.d.res.Trail, Digest: j.d.key, Start: j.d.file.Start, End: j.d.file.End}
			key, ok := strings.CutPrefix(j.log.Object, j.d.outside)
			r.Key = key
			switch {
			case !ok || j.log.Bucket != j.d.file.Bucket:
				r.Key, r.Status, r.Detail = "s3://"+j.log.Bucket+"/"+j.log.Object, Missing, "listed in another place than its digest's, outside this source"
			default:
				r.Status, r.Detail = hashLog(gctx, src, key, j.log.Hash)
			}
			out[i] = r
			return gctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// hashLog compares the SHA-256 of a log's uncompressed bytes with want. A key ending in .gz that is not in the
// source is looked for without it (a folder copy someone gunzipped).
func hashLog(ctx context.Context, src source.Source, key, want string) (Status, string) {
	rc, err := src.Open(ctx, key)
	if errors.Is(err, fs.ErrNotExist) {
		if plain, ok := strings.CutSuffix(key, ".gz"); ok {
			rc, err = src.Open(ctx, plain)
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return Missing, "listed in its digest, not in the source"
	}
	if err != nil {
		return Unreadable, err.Error()
	}
	defer rc.Close()
	sum, err := sha256Uncompressed(rc)
	if err != nil {
		if ctx.Err() == nil && isGzipError(err) {
			return Modified, fmt.Sprintf("not the gzip file its digest hashed: %v", err)
		}
		return Unreadable, fmt.Sprintf("read %s: %v", key, err)
	}
	if !strings.EqualFold(sum, want) {
		return Modified, fmt.Sprintf("SHA-256 of its uncompressed bytes is %s, its digest holds %s", sum, want)
	}
	return Valid, ""
}

// sha256Uncompressed returns the hex SHA-256 of r's bytes, gunzipped when they are gzip (every member).
func sha256Uncompressed(r io.Reader) (string, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	h := sha256.New()
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return "", gzipError{err}
		}
		if _, err := io.Copy(h, zr); err != nil {
			if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF) {
				return "", gzipError{err}
			}
			return "", err
		}
	} else if _, err := io.Copy(h, br); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

type gzipError struct{ err error }

func (e gzipError) Error() string { return e.err.Error() }

func isGzipError(err error) bool {
	var ge gzipError
	return errors.As(err, &ge)
}

// notCovered finds the logs no digest lists, delivered while digests of their account and region cover the time
// (a digest covers the logs delivered from its start to its end; the names give the delivery minute).
func notCovered(in Input, digests []*digestState) []Result {
	type area struct{ org, account, region string }
	spans := map[area][][2]time.Time{}
	listedLogs := map[string]bool{}
	for _, d := range digests {
		if d.file == nil || d.res.Status == Invalid {
			continue
		}
		a := area{d.dk.OrgID, d.dk.Account, d.dk.Region}
		spans[a] = append(spans[a], [2]time.Time{d.file.Start, d.file.End})
		for _, l := range d.file.Logs {
			if k, ok := strings.CutPrefix(l.Object, d.outside); ok {
				listedLogs[k] = true
				listedLogs[strings.TrimSuffix(k, ".gz")] = true
			}
		}
	}
	for a, s := range spans {
		spans[a] = merge(s)
	}
	var out []Result
	for _, o := range in.Objects {
		k := cloudtrail.ParseKey(o.Key)
		if k.Kind != cloudtrail.KindLog || k.Delivered.IsZero() || listedLogs[o.Key] {
			continue
		}
		t := k.Delivered
		if !in.overlaps(t, t.Add(time.Minute)) || !within(spans[area{k.OrgID, k.Account, k.Region}], t, t.Add(time.Minute)) {
			continue
		}
		out = append(out, Result{Kind: "log", Key: o.Key, Status: NotCovered, Start: t, End: t,
			Trail:  Trail{OrgID: k.OrgID, Account: k.Account, Region: k.Region},
			Detail: "no digest lists it, though digests of its account and region cover its delivery time"})
	}
	return out
}

// merge joins spans that meet or overlap, in time order.
func merge(s [][2]time.Time) [][2]time.Time {
	sort.Slice(s, func(i, j int) bool { return s[i][0].Before(s[j][0]) })
	var out [][2]time.Time
	for _, sp := range s {
		if n := len(out); n > 0 && !sp[0].After(out[n-1][1]) {
			if sp[1].After(out[n-1][1]) {
				out[n-1][1] = sp[1]
			}
			continue
		}
		out = append(out, sp)
	}
	return out
}

// within reports whether [from, to) lies inside one of the spans.
func within(spans [][2]time.Time, from, to time.Time) bool {
	for _, sp := range spans {
		if !from.Before(sp[0]) && !to.After(sp[1]) {
			return true
		}
	}
	return false
}
