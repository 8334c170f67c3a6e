package engine

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/trailq/trailq/internal/hint"
	"github.com/trailq/trailq/internal/hiveddl"
	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/source"
)

// LogsTable is a raw-logs table that LogsDDL found in a source: one per folder of accounts (a bucket's AWSLogs/,
// each organization trail's AWSLogs/o-…/).
type LogsTable = hiveddl.LogsTable

// LogsDDLOptions say how LogsDDL names the tables and where they are.
type LogsDDLOptions struct {
	Database, Table string
	// Location is the s3:// address the source's root stands for (a local copy of a bucket: the bucket's
	// address); "" uses the source's own (s3://bucket/prefix/, or the folder's path).
	Location string
}

// LogsDDLResult is what LogsDDL found and the DDL of each table, in order.
type LogsDDLResult struct {
	Tables []LogsTable
	DDL    []string
	// Local is true when the locations are a folder's path: they are to be replaced with the s3:// address.
	Local bool
	// Base is the location the tables' roots are under (the source's, or the folder above an account's).
	Base string
}

// located is implemented by sources whose objects have an s3:// address (s3src.Source).
type located interface{ Location(key string) string }

var (
	accountIDRE = regexp.MustCompile(`^\d{12}$`)
	orgRootRE   = regexp.MustCompile(`(o-[a-z0-9]+)/$`)
	nonIdentRE  = regexp.MustCompile(`[^A-Za-z0-9_]+`)
)

var dayDirRE = [3]*regexp.Regexp{regexp.MustCompile(`^\d{4}$`), regexp.MustCompile(`^\d{2}$`), regexp.MustCompile(`^\d{2}$`)}

// LogsDDL finds the CloudTrail trail folders of src with folder listings only (accounts, regions, and the first
// day of each trail) and returns the Athena DDL of a table with partition projection over each folder of
// accounts.
func (e *Engine) LogsDDL(ctx context.Context, src source.Source, o LogsDDLOptions) (*LogsDDLResult, error) {
	dl, ok := src.(source.DirLister)
	if !ok {
		return nil, fmt.Errorf("find the trails of %s: it cannot be listed by folder", src)
	}
	trails, ok, err := ingest.DiscoverTrails(ctx, dl, "")
	if err != nil {
		return nil, fmt.Errorf("find the trails of %s: %w", src, err)
	}
	account := ""
	if !ok || len(trails) == 0 {
		// Perhaps the source is one account's folder (…/AWSLogs/<account>/).
		if trails, account, err = accountTrails(ctx, dl, src); err != nil {
			return nil, fmt.Errorf("find the trails of %s: %w", src, err)
		}
	}
	if len(trails) == 0 {
		return nil, hint.With(fmt.Errorf("find the trails of %s: no AWSLogs/<account>/CloudTrail/<region>/ folders", src),
			"give the bucket (s3://bucket/), its AWSLogs/ folder, or a copy of it; CloudTrail writes AWSLogs/[o-…/]<account>/CloudTrail/<region>/yyyy/MM/dd/")
	}
	firsts := make([]string, len(trails))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for i, t := range trails {
		g.Go(func() (err error) {
			firsts[i], err = firstDay(gctx, dl, t.Prefix)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("find the first day of the trails of %s: %w", src, err)
	}
	res := &LogsDDLResult{}
	base := o.Location
	if base == "" {
		if l, ok := src.(located); ok {
			base = l.Location("")
		} else {
			base, res.Local = strings.TrimSuffix(src.String(), "/")+"/", true
		}
	}
	base = dir(base)
	if account != "" {
		// The table is over the folder of accounts above it, projected onto this account alone.
		base = strings.TrimSuffix(base, account+"/")
		for i := range trails {
			trails[i].Prefix = account + "/" + trails[i].Prefix
		}
	}
	res.Base = base
	res.Tables = logsTables(trails, firsts, o, base)
	for _, t := range res.Tables {
		ddl, err := hiveddl.Logs(t)
		if err != nil {
			return nil, err
		}
		res.DDL = append(res.DDL, ddl)
	}
	return res, nil
}

// accountTrails returns the trails of a source that is one account's folder (its name an account ID, holding
// CloudTrail/<region>/), with prefixes relative to it, and the account; none when it is not one.
func accountTrails(ctx context.Context, dl source.DirLister, src source.Source) ([]ingest.Trail, string, error) {
	name := path.Base(strings.TrimSuffix(src.String(), "/"))
	if !accountIDRE.MatchString(name) {
		return nil, "", nil
	}
	regions, err := dl.ListDirs(ctx, "CloudTrail/")
	if err != nil {
		return nil, "", err
	}
	var trails []ingest.Trail
	for _, r := range regions {
		trails = append(trails, ingest.Trail{Prefix: "CloudTrail/" + r + "/", Account: name, Region: r})
	}
	return trails, name, nil
}

// logsTables groups the trails by the folder their accounts are in, in the order of the folders; a trail with no
// day folder yet adds its account and region but no first day.
func logsTables(trails []ingest.Trail, firsts []string, o LogsDDLOptions, base string) []LogsTable {
	var tables []LogsTable
	byRoot := map[string]int{}
	for i, t := range trails {
		root := strings.TrimSuffix(t.Prefix, t.Account+"/CloudTrail/"+t.Region+"/")
		n, ok := byRoot[root]
		if !ok {
			name, comment := o.Table, "CloudTrail logs under "+base+root
			if t.OrgID != "" {
				comment = "CloudTrail logs of organization " + t.OrgID + " under " + base + root
			}
			n = len(tables)
			byRoot[root] = n
			tables = append(tables, LogsTable{Database: o.Database, Name: name, Root: base + root, Comment: comment})
		}
		tb := &tables[n]
		tb.Accounts = appendNew(tb.Accounts, t.Account)
		tb.Regions = appendNew(tb.Regions, t.Region)
		if f := firsts[i]; f != "" && (tb.FirstDay == "" || f < tb.FirstDay) {
			tb.FirstDay = f
		}
	}
	if len(tables) > 1 {
		// One table a folder of accounts: an organization's is named after it, one under a key prefix after that.
		for i := range tables {
			switch root := strings.TrimPrefix(tables[i].Root, base); {
			case orgRootRE.MatchString(root):
				tables[i].Name += "_" + strings.ReplaceAll(orgRootRE.FindStringSubmatch(root)[1], "-", "_")
			case root != "AWSLogs/" && root != "":
				tables[i].Name += "_" + strings.Trim(nonIdentRE.ReplaceAllString(strings.TrimSuffix(root, "AWSLogs/"), "_"), "_")
			}
		}
	}
	return tables
}

func appendNew(vs []string, v string) []string {
	if slices.Contains(vs, v) {
		return vs
	}
	vs = append(vs, v)
	slices.Sort(vs)
	return vs
}

// firstDay returns the earliest yyyy/MM/dd day folder below a trail's region folder (three folder listings), or
// "" when it has none.
func firstDay(ctx context.Context, dl source.DirLister, prefix string) (string, error) {
	var parts []string
	for level := 0; level < 3; level++ {
		dirs, err := dl.ListDirs(ctx, prefix)
		if err != nil {
			return "", err
		}
		i := slices.IndexFunc(dirs, dayDirRE[level].MatchString) // the listing is in lexical order
		if i < 0 {
			return "", nil
		}
		parts = append(parts, dirs[i])
		prefix += dirs[i] + "/"
	}
	return strings.Join(parts, "/"), nil
}

// dir ends a location with a slash.
func dir(location string) string {
	if !strings.HasSuffix(location, "/") {
		location += "/"
	}
	return location
}
