package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/source"
	"github.com/trailq/trailq/internal/timewin"
)

// followPlan is what a follower lists between whole listings: the trail folders (one account's logs of one
// region) the last whole listing found, and the last key seen in each recent day folder. CloudTrail names a
// log file after its delivery time, so within a day folder a new delivery sorts after every earlier one.
type followPlan struct {
	accounts, regions []string
	loadDays          *timewin.Days // the load's window (--since): days before its start are not listed
	// laidOut is true when the source is laid out as CloudTrail lays out a bucket (trails found): else every
	// poll lists it whole.
	laidOut bool
	trails  []string          // the trail folders, e.g. "AWSLogs/111122223333/CloudTrail/eu-west-1/"
	last    map[string]string // day folder → the last key seen there (and loaded)
}

func newFollowPlan(o Options) *followPlan {
	return &followPlan{accounts: o.Load.Accounts, regions: o.Load.Regions, loadDays: o.Load.Days, last: map[string]string{}}
}

// utcDate is the UTC date of t, as midnight UTC.
func utcDate(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

// days returns the UTC dates an incremental poll at now lists: the previous and the current day, and after a
// pause (a laptop that slept) every day since the day before the last poll; none before the window's start.
func (p *followPlan) days(last, now time.Time) []time.Time {
	to := utcDate(now)
	from := to.AddDate(0, 0, -1)
	if !last.IsZero() {
		if d := utcDate(last).AddDate(0, 0, -1); d.Before(from) {
			from = d
		}
	}
	if p.loadDays != nil && !p.loadDays.From.IsZero() && from.Before(utcDate(p.loadDays.From)) {
		from = utcDate(p.loadDays.From)
	}
	var out []time.Time
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		out = append(out, d)
	}
	return out
}

// recent is the first date whose day folders' last keys are kept at now: the previous day.
func recent(now time.Time) time.Time { return utcDate(now).AddDate(0, 0, -1) }

// window returns the window of a whole listing at now: the load's, its end (fixed when the command started)
// moved on to now's date.
func (p *followPlan) window(now time.Time) *timewin.Days {
	if p.loadDays == nil {
		return nil
	}
	d := *p.loadDays
	if !d.To.IsZero() && d.To.Before(utcDate(now)) {
		d.To = utcDate(now)
	}
	return &d
}

// record keeps the last keys of folders listed and loaded, and forgets the folders of days before from (the
// first day the next poll lists): the memory stays that of two days of folders, or of the days since the last
// poll that worked.
func (p *followPlan) record(last map[string]string, from time.Time) {
	for folder, key := range last {
		if key > p.last[folder] {
			p.last[folder] = key
		}
	}
	for folder := range p.last {
		if d, ok := folderDate(folder); !ok || d.Before(from) {
			delete(p.last, folder)
		}
	}
}

// folderDate reads the date of a day folder "…/YYYY/MM/DD/".
func folderDate(folder string) (time.Time, bool) {
	if len(folder) < len("2006/01/02/") {
		return time.Time{}, false
	}
	d, err := time.Parse("2006/01/02/", folder[len(folder)-len("2006/01/02/"):])
	return d, err == nil
}

// discover finds the trail folders of src (folder listings only), within the accounts and regions asked for.
func (p *followPlan) discover(ctx context.Context, src source.Source) error {
	dl, ok := src.(source.DirLister)
	if !ok {
		p.laidOut, p.trails = false, nil
		return nil
	}
	trails, ok, err := ingest.DiscoverTrails(ctx, dl, "")
	if err != nil {
		return fmt.Errorf("find the trail folders of %s: %w", src, err)
	}
	p.laidOut, p.trails = ok, p.trails[:0]
	for _, t := range trails {
		if len(p.accounts) > 0 && !slices.Contains(p.accounts, t.Account) || len(p.regions) > 0 && !slices.Contains(p.regions, t.Region) {
			continue
		}
		p.trails = append(p.trails, t.Prefix)
	}
	return nil
}

// found is what an incremental poll listed.
type found struct {
	folders int
	objects []source.Object   // in folder order, each folder's in key order
	last    map[string]string // folder → its last key, for the folders listed without error
}

// list lists the day folders of days in every trail, each from the last key seen there, up to workers at once
// (0: 16). A folder that cannot be listed is left for the next poll (the error says how many, and the first);
// the others' objects are returned.
func (p *followPlan) list(ctx context.Context, src source.Source, days []time.Time, workers int) (*found, error) {
	var folders []string
	for _, t := range p.trails {
		for _, d := range days {
			folders = append(folders, t+d.Format("2006/01/02/"))
		}
	}
	objs := make([][]source.Object, len(folders))
	errs := make([]error, len(folders))
	var g errgroup.Group
	g.SetLimit(orDefault(workers, 16))
	for i, folder := range folders {
		after := p.last[folder]
		g.Go(func() error {
			errs[i] = listAfter(ctx, src, folder, after, func(o source.Object) error {
				// Log files only: CloudTrail's names sort by delivery; another file (a copied download) may sort
				// after every log, and is left to the whole listings.
				if cloudtrail.ParseKey(o.Key).Kind == cloudtrail.KindLog {
					objs[i] = append(objs[i], o)
				}
				return nil
			})
			return nil
		})
	}
	g.Wait()
	f := &found{folders: len(folders), last: map[string]string{}}
	var failed []error
	for i, folder := range folders {
		if errs[i] != nil {
			failed = append(failed, errs[i])
			continue
		}
		f.objects = append(f.objects, objs[i]...)
		if n := len(objs[i]); n > 0 {
			f.last[folder] = objs[i][n-1].Key
		}
	}
	if err := ctx.Err(); err != nil {
		return f, err
	}
	switch len(failed) {
	case 0:
		return f, nil
	case 1:
		return f, failed[0]
	}
	return f, fmt.Errorf("%d of %d day folders could not be listed; the first: %w", len(failed), len(folders), failed[0])
}

func orDefault(n, def int) int {
	if n > 0 {
		return n
	}
	return def
}

// listAfter lists the objects of prefix after the key after: from there when the source can (S3's StartAfter),
// else all of them, dropping those up to it (a local folder: one folder's listing).
func listAfter(ctx context.Context, src source.Source, prefix, after string, fn func(source.Object) error) error {
	if al, ok := src.(source.AfterLister); ok {
		return al.ListAfter(ctx, prefix, after, fn)
	}
	return src.List(ctx, prefix, func(o source.Object) error {
		if o.Key <= after {
			return nil
		}
		return fn(o)
	})
}

// listedSource is a source whose listing is objects listed before (an incremental poll's): the load reads
// those, from the source.
type listedSource struct {
	source.Source
	objects []source.Object
}

func listed(src source.Source, objects []source.Object) source.Source {
	return &listedSource{Source: src, objects: objects}
}

func (l *listedSource) List(ctx context.Context, prefix string, fn func(source.Object) error) error {
	for _, o := range l.objects {
		if err := ctx.Err(); err != nil {
			return err
		}
		if strings.HasPrefix(o.Key, prefix) {
			if err := fn(o); err != nil {
				return err
			}
		}
	}
	return nil
}

// recordingSource is a source that notes, as a whole listing goes, the last key of each day folder from since
// on (log files only), so that the next incremental poll starts after it. Listings may run at once.
type recordingSource struct {
	source.Source
	since time.Time

	mu   sync.Mutex
	keys map[string]string
}

// dirRecordingSource is a recordingSource over a source that lists folders: the load lists it as it would
// list the source itself.
type dirRecordingSource struct {
	*recordingSource
	dl source.DirLister
}

func (d dirRecordingSource) ListDirs(ctx context.Context, prefix string) ([]string, error) {
	return d.dl.ListDirs(ctx, prefix)
}

func (d dirRecordingSource) ListsLocally() bool {
	ll, ok := d.Source.(source.LocalLister)
	return ok && ll.ListsLocally()
}

// recorder wraps src; its last method returns what it noted.
func recorder(src source.Source, since time.Time) interface {
	source.Source
	last() map[string]string
} {
	r := &recordingSource{Source: src, since: since, keys: map[string]string{}}
	if dl, ok := src.(source.DirLister); ok {
		return dirRecordingSource{recordingSource: r, dl: dl}
	}
	return r
}

func (r *recordingSource) List(ctx context.Context, prefix string, fn func(source.Object) error) error {
	return r.Source.List(ctx, prefix, func(o source.Object) error {
		r.see(o.Key)
		return fn(o)
	})
}

func (r *recordingSource) see(key string) {
	k := cloudtrail.ParseKey(key)
	if k.Kind != cloudtrail.KindLog || k.Date.Before(r.since) {
		return
	}
	folder := key[:strings.LastIndexByte(key, '/')+1]
	r.mu.Lock()
	if key > r.keys[folder] {
		r.keys[folder] = key
	}
	r.mu.Unlock()
}

func (r *recordingSource) last() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.keys
}
