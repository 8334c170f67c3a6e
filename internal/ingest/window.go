package ingest

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/source"
	"github.com/trailq/trailq/internal/timewin"
)

// Trail is one account's logs of one region: the folder holding its YYYY/MM/DD/ folders.
type Trail struct {
	Prefix  string // e.g. "AWSLogs/o-xxxx/111122223333/CloudTrail/us-east-1/"
	OrgID   string
	Account string
	Region  string
}

var (
	accountRE = regexp.MustCompile(`^\d{12}$`)
	orgRE     = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
)

// DiscoverTrails finds the account/region folders below prefix with folder listings only, whatever level the
// source starts at (the bucket, AWSLogs/, an organization or an account folder). A trail's key prefix above
// AWSLogs/ (up to two folders, e.g. "cloudtrail/prod/AWSLogs/") is found too, looking into at most
// maxKeyPrefixDirs folders a level. The folders of one level are looked into in parallel (an organization's
// accounts: two round trips each). ok is false when prefix is not laid out as CloudTrail lays out a bucket; then
// the caller lists everything.
func DiscoverTrails(ctx context.Context, dl source.DirLister, prefix string) (trails []Trail, ok bool, err error) {
	var walk func(ctx context.Context, p, org, account string, depth, keyPrefix int) ([]Trail, bool, error)
	walk = func(ctx context.Context, p, org, account string, depth, keyPrefix int) ([]Trail, bool, error) {
		if depth > 6 {
			return nil, false, nil
		}
		dirs, err := dl.ListDirs(ctx, p)
		if err != nil {
			return nil, false, err
		}
		// One slot per folder, filled in parallel and joined in folder order.
		found := make([][]Trail, len(dirs))
		oks := make([]bool, len(dirs))
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(discoverWorkers)
		descend := func(i int, p, org, account string, keyPrefix int) {
			g.Go(func() error {
				var err error
				found[i], oks[i], err = walk(gctx, p, org, account, depth+1, keyPrefix)
				return err
			})
		}
		for i, d := range dirs {
			switch {
			case account != "" && d == "CloudTrail":
				g.Go(func() error {
					regions, err := dl.ListDirs(gctx, p+d+"/")
					if err != nil {
						return err
					}
					oks[i] = true
					for _, r := range regions {
						found[i] = append(found[i], Trail{Prefix: p + d + "/" + r + "/", OrgID: org, Account: account, Region: r})
					}
					return nil
				})
			case account == "" && d == "AWSLogs":
				descend(i, p+d+"/", org, "", keyPrefix)
			case account == "" && org == "" && orgRE.MatchString(d):
				descend(i, p+d+"/", d, "", keyPrefix)
			case account == "" && accountRE.MatchString(d):
				descend(i, p+d+"/", org, d, keyPrefix)
			case account == "" && org == "" && keyPrefix < 2 && len(dirs) <= maxKeyPrefixDirs && !strings.HasSuffix(p, "AWSLogs/"):
				// Perhaps the trail's S3 key prefix.
				descend(i, p+d+"/", "", "", keyPrefix+1)
			}
		}
		if err := g.Wait(); err != nil {
			return nil, false, err
		}
		var trails []Trail
		ok := false
		for i := range dirs {
			trails = append(trails, found[i]...)
			ok = ok || oks[i]
		}
		return trails, ok, nil
	}
	trails, ok, err = walk(ctx, prefix, "", "", 0, 0)
	if err != nil {
		return nil, false, err
	}
	return trails, ok, nil
}

// discoverWorkers bounds the folder listings DiscoverTrails runs at once on one level.
const discoverWorkers = 16

// maxKeyPrefixDirs bounds the folders DiscoverTrails looks into for a key prefix, at each of two levels: at most
// 16 + 16×16 folder listings in a bucket that holds other things too.
const maxKeyPrefixDirs = 16

// windowPrefixes returns the day folders to list for the key dates of a load's window (w nil: the folders of the
// trails of the accounts and regions asked for), or ok=false when the source cannot be listed by folder (then everything is listed and
// filtered by key).
func windowPrefixes(ctx context.Context, src source.Source, w *timewin.Days, accounts, regions []string) (prefixes []string, ok bool, err error) {
	dl, isDL := src.(source.DirLister)
	if !isDL {
		return nil, false, nil
	}
	if ll, ok := src.(source.LocalLister); ok && ll.ListsLocally() {
		return nil, false, nil // listed whole and filtered by key: cheap, and nothing outside the trails is missed
	}
	if w != nil && (w.From.IsZero() || w.To.IsZero() || len(w.Dates()) > maxListedDays) {
		return nil, false, nil // open, or so many day folders that they cost more than listing everything once
	}
	trails, ok, err := DiscoverTrails(ctx, dl, "")
	if err != nil || !ok {
		return nil, false, err
	}
	for _, t := range trails {
		if len(accounts) > 0 && !slices.Contains(accounts, t.Account) || len(regions) > 0 && !slices.Contains(regions, t.Region) {
			continue
		}
		if w == nil {
			prefixes = append(prefixes, t.Prefix)
			continue
		}
		for _, d := range w.Dates() {
			prefixes = append(prefixes, t.Prefix+d.Format("2006/01/02")+"/")
		}
	}
	return prefixes, true, nil
}

// maxListedDays bounds the day folders a windowed load lists one by one for each trail; a longer window lists
// everything and filters by key.
const maxListedDays = 400

// keep reports whether an object with key k belongs to the load under the options' window and filters.
func (o *Options) keep(k cloudtrail.Key) bool {
	if len(o.Accounts) > 0 && k.Account != "" && !slices.Contains(o.Accounts, k.Account) {
		return false
	}
	if len(o.Regions) > 0 && k.Region != "" && !slices.Contains(o.Regions, k.Region) {
		return false
	}
	if o.Window != nil && !k.Date.IsZero() && !o.Window.Contains(k.Date) {
		return false
	}
	return true
}
