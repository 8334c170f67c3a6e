package engine

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	ctapi "github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/digest"
	"github.com/trailq/trailq/internal/hint"
	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/source"
	"github.com/trailq/trailq/internal/source/s3src"
)

// LogsReport is the outcome of VerifyLogs.
type LogsReport = digest.Report

// VerifyLogsOptions say which logs VerifyLogs checks, and with which public keys.
type VerifyLogsOptions struct {
	Source source.Source
	// KeyFiles hold the JSON of `aws cloudtrail list-public-keys` (one file per region, or one for all).
	KeyFiles []string
	// From and To bound the period (either zero: open).
	From, To time.Time
	// Workers is the number of objects read at once (0: 16).
	Workers int
}

// VerifyLogs checks the source's CloudTrail logs against the trail's digest files (package digest): the
// digests' signatures and chains, and every listed log's SHA-256. Without key files, an S3 source's keys are
// asked of cloudtrail:ListPublicKeys in each region whose digests are checked, with the source's AWS
// configuration; a folder's signatures can then only be checked from .sig sidecars and key files. Nothing is
// written to the store.
func (e *Engine) VerifyLogs(ctx context.Context, o VerifyLogsOptions) (*LogsReport, error) {
	objs, digests, err := listForVerify(ctx, o)
	if err != nil {
		return nil, err
	}
	if digests == 0 {
		return nil, hint.With(fmt.Errorf("verify logs of %s: no CloudTrail digest files (CloudTrail-Digest/) in the period", o.Source),
			"turn on log file validation for the trail (aws cloudtrail update-trail --enable-log-file-validation), or widen --since/--until")
	}
	keys := digest.NewKeys()
	for _, path := range o.KeyFiles {
		ks, err := readKeyFile(path)
		if err != nil {
			return nil, err
		}
		keys.Add(ks...)
	}
	if s3, ok := o.Source.(*s3src.Source); ok && len(o.KeyFiles) == 0 {
		ks, err := fetchKeys(ctx, s3, objs)
		if err != nil {
			return nil, err
		}
		keys.Add(ks...)
	}
	e.notify("Checking %d digest files and the logs they list in %s with %d public keys.", digests, o.Source, keys.Len())
	return digest.Check(ctx, o.Source, digest.Input{Objects: objs, Keys: keys, From: o.From, To: o.To, Workers: o.Workers})
}

// listForVerify lists the source's digest and log files; digests are kept when they can meet the period, logs
// when delivered in it.
func listForVerify(ctx context.Context, o VerifyLogsOptions) (objs []source.Object, digests int, err error) {
	prefixes, ok, err := verifyPrefixes(ctx, o)
	if err != nil {
		return nil, 0, err
	}
	if !ok {
		prefixes = []string{""}
	}
	lists := make([][]source.Object, len(prefixes))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, p := range prefixes {
		g.Go(func() error {
			err := o.Source.List(gctx, p, func(obj source.Object) error {
				lists[i] = append(lists[i], obj)
				return nil
			})
			if err != nil {
				return fmt.Errorf("list %s: %w", o.Source, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, 0, err
	}
	for _, l := range lists {
		for _, obj := range l {
			if keep, isDigest := o.keep(obj); keep {
				objs = append(objs, obj)
				if isDigest {
					digests++
				}
			}
		}
	}
	return objs, digests, nil
}

// keep reports whether a listed object is a digest that can meet the period or a log delivered in it.
func (o *VerifyLogsOptions) keep(obj source.Object) (keep, isDigest bool) {
	k := cloudtrail.ParseKey(obj.Key)
	switch k.Kind {
	case cloudtrail.KindDigest:
		dk, ok := cloudtrail.ParseDigestKey(obj.Key)
		if !ok || !o.To.IsZero() && !dk.End.Add(-time.Hour).Before(o.To) || !o.From.IsZero() && !dk.End.After(o.From) {
			return false, false
		}
		return true, true
	case cloudtrail.KindLog:
		if !o.To.IsZero() && !k.Delivered.IsZero() && !k.Delivered.Before(o.To) || !o.From.IsZero() && k.Delivered.Add(time.Minute).Before(o.From) {
			return false, false
		}
		return true, false
	}
	return false, false
}

// verifyPrefixes returns the day folders of digests and logs to list for a bounded period over a remote source
// (S3): the days of the period and one on each side (a digest ending after midnight lists logs of the day before).
// ok is false when everything is to be listed: a local folder, an open or long period, or a layout that is not
// CloudTrail's.
func verifyPrefixes(ctx context.Context, o VerifyLogsOptions) ([]string, bool, error) {
	dl, isDL := o.Source.(source.DirLister)
	if ll, local := o.Source.(source.LocalLister); !isDL || local && ll.ListsLocally() || o.From.IsZero() || o.To.IsZero() {
		return nil, false, nil
	}
	var days []string
	for d := o.From.UTC().Truncate(24*time.Hour).AddDate(0, 0, -1); !d.After(o.To.UTC().AddDate(0, 0, 1)); d = d.AddDate(0, 0, 1) {
		days = append(days, d.Format("2006/01/02")+"/")
	}
	if len(days) > 400 {
		return nil, false, nil
	}
	trails, ok, err := ingest.DiscoverTrails(ctx, dl, "")
	if err != nil || !ok {
		return nil, false, err
	}
	var prefixes, accounts []string
	for _, t := range trails {
		for _, d := range days {
			prefixes = append(prefixes, t.Prefix+d)
		}
		// t.Prefix is <account folder>CloudTrail/<region>/.
		a := strings.TrimSuffix(t.Prefix, "CloudTrail/"+t.Region+"/")
		if !slices.Contains(accounts, a) {
			accounts = append(accounts, a)
		}
	}
	for _, a := range accounts {
		regions, err := dl.ListDirs(ctx, a+"CloudTrail-Digest/")
		if err != nil {
			return nil, false, fmt.Errorf("list %s: %w", o.Source, err)
		}
		for _, r := range regions {
			for _, d := range days {
				prefixes = append(prefixes, a+"CloudTrail-Digest/"+r+"/"+d)
			}
		}
	}
	return prefixes, true, nil
}

func readKeyFile(path string) ([]digest.Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, hint.With(fmt.Errorf("read public keys: %w", err),
			"--public-keys takes the JSON of: aws cloudtrail list-public-keys --region REGION --start-time … > keys.json")
	}
	defer f.Close()
	ks, err := digest.ReadKeys(f, path)
	if err != nil {
		return nil, hint.With(err, "--public-keys takes the JSON of: aws cloudtrail list-public-keys --region REGION --start-time … > keys.json")
	}
	return ks, nil
}

// fetchKeys asks cloudtrail:ListPublicKeys, in each region of the digests, for the keys of their period.
func fetchKeys(ctx context.Context, s3 *s3src.Source, objs []source.Object) ([]digest.Key, error) {
	var regions []string
	var from, to time.Time
	for _, o := range objs {
		dk, ok := cloudtrail.ParseDigestKey(o.Key)
		if !ok {
			continue
		}
		if !slices.Contains(regions, dk.Region) {
			regions = append(regions, dk.Region)
		}
		if from.IsZero() || dk.End.Add(-2*time.Hour).Before(from) {
			from = dk.End.Add(-2 * time.Hour)
		}
		if dk.End.After(to) {
			to = dk.End
		}
	}
	client := ctapi.NewFromConfig(s3.AWSConfig())
	var keys []digest.Key
	for _, r := range regions {
		ks, err := digest.FetchKeys(ctx, client, r, from, to)
		if err != nil {
			return nil, hint.With(err, fmt.Sprintf("allow cloudtrail:ListPublicKeys, or give the keys as a file: aws cloudtrail list-public-keys --region %s --start-time %s --end-time %s > keys-%s.json, then --public-keys keys-%s.json",
				r, from.Format(time.RFC3339), to.Format(time.RFC3339), r, r))
		}
		keys = append(keys, ks...)
	}
	return keys, nil
}
