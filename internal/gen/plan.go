package gen

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"sort"
	"time"

	"github.com/trailq/trailq/internal/cloudtrail"
)

// Options describe a generated tree. The same Options give the same bytes.
type Options struct {
	// Records is the total number of records (exact).
	Records int
	// Days is the number of UTC days, from Start.
	Days int
	// Accounts is the number of AWS accounts.
	Accounts int
	// Seed selects the data; the same seed and options give the same files.
	Seed uint64
	// Org, when set (o-xxxxxxxxxx), lays the tree out as an organization trail: AWSLogs/<org>/<account>/….
	Org string
	// Start is the first day (UTC midnight); zero means 2024-09-01.
	Start time.Time
	// Workers is the number of files built at once; 0 means one per CPU.
	Workers int
}

// DefaultStart is the first day when Options.Start is zero: the month of the README's seed query.
var DefaultStart = time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC)

var orgRE = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)

func (o *Options) check() error {
	switch {
	case o.Records < 1:
		return errors.New("records must be at least 1")
	case o.Days < 1:
		return errors.New("days must be at least 1")
	case o.Accounts < 1 || o.Accounts > 1000:
		return errors.New("accounts must be between 1 and 1000")
	case o.Org != "" && !orgRE.MatchString(o.Org):
		return fmt.Errorf("organization ID %q is not o- followed by 10 to 32 lower-case letters or digits", o.Org)
	}
	if o.Start.IsZero() {
		o.Start = DefaultStart
	}
	o.Start = o.Start.UTC().Truncate(24 * time.Hour)
	return nil
}

// region is one commercial AWS region with its share of an account's traffic.
type region struct {
	name string
	// busy is the region's weight in the traffic that grows with the data set (people, applications).
	busy float64
	// background is the rate of AWS's own calls (Config, SSM agents, health checks) in records per hour,
	// whatever the size of the data set: it is what makes the many small files of quiet regions.
	background float64
}

// regions are the commercial regions; opt-in regions get little background traffic.
var regions = []region{
	{"us-east-1", 40, 4}, {"us-east-2", 3, 2}, {"us-west-1", 0, 1.5}, {"us-west-2", 10, 3},
	{"af-south-1", 0, 0.3}, {"ap-east-1", 0, 0.3}, {"ap-south-1", 0, 1.5}, {"ap-south-2", 0, 0.3},
	{"ap-northeast-1", 3, 2}, {"ap-northeast-2", 0, 1.5}, {"ap-northeast-3", 0, 1.5},
	{"ap-southeast-1", 0, 1.5}, {"ap-southeast-2", 0, 1.5}, {"ap-southeast-3", 0, 0.3}, {"ap-southeast-4", 0, 0.3},
	{"ap-southeast-5", 0, 0.3}, {"ap-southeast-7", 0, 0.3},
	{"ca-central-1", 0, 1.5}, {"ca-west-1", 0, 0.3},
	{"eu-central-1", 4, 2}, {"eu-central-2", 0, 0.3}, {"eu-west-1", 10, 3}, {"eu-west-2", 0, 1.5},
	{"eu-west-3", 0, 1.5}, {"eu-south-1", 0, 0.3}, {"eu-south-2", 0, 0.3}, {"eu-north-1", 0, 1.5},
	{"il-central-1", 0, 0.3}, {"me-south-1", 0, 0.3}, {"me-central-1", 0, 0.3}, {"mx-central-1", 0, 0.3},
	{"sa-east-1", 0, 1.5},
}

// Regions returns the names of the regions a generated tree covers.
func Regions() []string {
	names := make([]string, len(regions))
	for i, r := range regions {
		names[i] = r.name
	}
	return names
}

func regionIndex(name string) int {
	for i, r := range regions {
		if r.name == name {
			return i
		}
	}
	return -1
}

// homeRegions are the regions an account's applications may run in (the account's busy region besides us-east-1).
var homeRegions = []string{"us-east-1", "eu-west-1", "us-west-2", "ap-northeast-1", "eu-central-1"}

// slot is CloudTrail's delivery interval per account and region.
const slot = 5 * time.Minute

// maxPerFile splits a busy slot into several files, as CloudTrail does for large deliveries.
const maxPerFile = 4000

// File is one log object of a plan.
type File struct {
	Key       string
	Account   int // index in Plan.Accounts
	Region    int // index in Regions()
	Window    time.Time
	Delivered time.Time
	Records   int
}

// Plan is the list of files of a tree and the people and resources the records refer to.
type Plan struct {
	Options  Options
	Accounts []*Account
	Files    []File // sorted by key
	// quietShare is the share of background traffic in each account's regions.
	quietShare [][]float64
	// idc are the organization's IAM Identity Center users; idcPortal is its access portal's name.
	idc       []idcUser
	idcPortal string
	// signinShare is the share of each region's records that begin console sign-in patterns, per account.
	signinShare [][]float64
}

// NewPlan lays out the files: which account, region and delivery time, and how many records each holds.
func NewPlan(opts Options) (*Plan, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x9e3779b97f4a7c15))
	p := &Plan{Options: opts}
	for i := range opts.Accounts {
		p.Accounts = append(p.Accounts, newAccount(rng, i, opts))
	}

	// Expected records per slot: background (capped at 30 % of the data set) plus busy traffic that follows
	// the working day and the account's size.
	slotsPerDay := int(24 * time.Hour / slot)
	var bgTotal, busyTotal float64
	for _, a := range p.Accounts {
		for ri, r := range regions {
			bgTotal += r.background / 12 * float64(slotsPerDay*opts.Days)
			busyTotal += a.weight * a.busy(ri) * float64(opts.Days)
		}
	}
	bgScale := 1.0
	if bgTotal > 0.3*float64(opts.Records) {
		bgScale = 0.3 * float64(opts.Records) / bgTotal
	}
	busyScale := (float64(opts.Records) - bgTotal*bgScale) / busyTotal / float64(slotsPerDay)
	p.quietShare = make([][]float64, len(p.Accounts))
	for ai, a := range p.Accounts {
		p.quietShare[ai] = make([]float64, len(regions))
		for ri, r := range regions {
			bg, busy := r.background/12*bgScale, a.weight*a.busy(ri)*busyScale
			if bg+busy > 0 {
				p.quietShare[ai][ri] = bg / (bg + busy)
			}
		}
	}
	store := "d-9067" + randString(rng, 6, lowerHex)
	p.idcPortal = store
	for _, name := range people {
		p.idc = append(p.idc, idcUser{
			name:       name,
			userID:     randString(rng, 10, lowerHex) + "-" + uuid(rng),
			store:      "arn:aws:identitystore::" + p.Accounts[0].ID + ":identitystore/" + store,
			credential: randString(rng, 20, alnum),
		})
	}

	type cell struct{ a, r, d, s, n int }
	var cells []cell
	total := 0
	for d := range opts.Days {
		for ai, a := range p.Accounts {
			for ri, r := range regions {
				bg := r.background / 12 * bgScale
				busy := a.weight * a.busy(ri) * busyScale
				for s := range slotsPerDay {
					lambda := bg + busy*diurnal(s, slotsPerDay)
					if n := poisson(rng, lambda); n > 0 {
						cells = append(cells, cell{ai, ri, d, s, n})
						total += n
					}
				}
			}
		}
	}
	if total == 0 {
		// Too few records for the rates: put them at random times in us-east-1.
		for range min(opts.Records, 8) {
			cells = append(cells, cell{rng.IntN(len(p.Accounts)), 0, rng.IntN(opts.Days), rng.IntN(slotsPerDay), 1})
			total++
		}
	}
	// Make the total exact: add or remove single records at random records' files (drawn in proportion to the
	// first draw's counts).
	cum := make([]int, len(cells))
	sum := 0
	for i, c := range cells {
		sum += c.n
		cum[i] = sum
	}
	for total != opts.Records {
		i := sort.SearchInts(cum, rng.IntN(sum)+1)
		if total < opts.Records {
			cells[i].n++
			total++
		} else if cells[i].n > 0 {
			cells[i].n--
			total--
		}
	}

	for _, c := range cells {
		if c.n == 0 {
			continue
		}
		a := p.Accounts[c.a]
		window := opts.Start.AddDate(0, 0, c.d).Add(time.Duration(c.s) * slot)
		for n, part := c.n, 0; n > 0; part++ {
			k := min(n, maxPerFile)
			n -= k
			// Delivered within the slot (so the key's date is the window's date); records reach back ~15 min.
			delivered := window.Add(3*time.Minute + time.Duration(min(part, 1))*time.Minute)
			id := randString(rng, 16, alnum)
			p.Files = append(p.Files, File{
				Key:       key(opts.Org, a.ID, regions[c.r].name, delivered, id),
				Account:   c.a,
				Region:    c.r,
				Window:    window,
				Delivered: delivered,
				Records:   k,
			})
		}
	}
	sort.Slice(p.Files, func(i, j int) bool { return p.Files[i].Key < p.Files[j].Key })
	p.planSignins()
	return p, nil
}

// key is CloudTrail's object key for a delivery.
func key(org, account, region string, delivered time.Time, id string) string {
	return cloudtrail.DatePrefix(org, account, region, delivered) +
		account + "_CloudTrail_" + region + "_" + delivered.Format("20060102T1504Z") + "_" + id + ".json.gz"
}

// diurnal scales busy traffic over the UTC day: about 3× more in the afternoon than at night (average 1).
func diurnal(s, perDay int) float64 {
	h := 24 * float64(s) / float64(perDay)
	return 1 + 0.5*math.Cos(2*math.Pi*(h-14)/24)
}

// poisson draws a Poisson count (normal approximation for large means).
func poisson(rng *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 30 {
		n := int(math.Round(lambda + math.Sqrt(lambda)*rng.NormFloat64()))
		return max(n, 0)
	}
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// signinRegions are where console sign-ins are logged, with their share: root and the global endpoint log in
// us-east-1; an account-alias cookie routes some IAM users to us-east-2, eu-north-1 or ap-southeast-2; the
// account's home region gets regional-endpoint sign-ins.
var signinRegions = []struct {
	name  string
	share float64
}{{"us-east-1", 0.72}, {"us-east-2", 0.06}, {"eu-north-1", 0.03}, {"ap-southeast-2", 0.04}}

const homeSigninShare = 0.15

// SigninShare is the share of records that are console sign-in events.
const SigninShare = 0.015

// planSignins spreads 1.5 % of the records over the sign-in regions of each account.
func (p *Plan) planSignins() {
	perRegion := make([][]int, len(p.Accounts))
	perAccount := make([]int, len(p.Accounts))
	for i := range perRegion {
		perRegion[i] = make([]int, len(regions))
	}
	for _, f := range p.Files {
		perRegion[f.Account][f.Region] += f.Records
		perAccount[f.Account] += f.Records
	}
	p.signinShare = make([][]float64, len(p.Accounts))
	for ai, a := range p.Accounts {
		want := make([]float64, len(regions))
		for _, sr := range signinRegions {
			want[regionIndex(sr.name)] += sr.share
		}
		want[regionIndex(a.Home)] += homeSigninShare
		share := make([]float64, len(regions))
		target := SigninShare * float64(perAccount[ai])
		// Regions with too few records for their share pass the rest on to us-east-1.
		deficit := 0.0
		for ri := range regions {
			if want[ri] == 0 || perRegion[ai][ri] == 0 {
				deficit += want[ri] * target
				continue
			}
			n := want[ri] * target
			if limit := 0.5 * float64(perRegion[ai][ri]); n > limit {
				deficit += n - limit
				n = limit
			}
			share[ri] = n / float64(perRegion[ai][ri])
		}
		if us := regionIndex("us-east-1"); perRegion[ai][us] > 0 {
			share[us] = min(share[us]+deficit/float64(perRegion[ai][us]), 0.5)
		}
		p.signinShare[ai] = share
	}
}

// Stats sums a plan up.
type Stats struct {
	Objects, Records int
	Min, Max         int // records per object
}

// Stats returns the number of objects and records of the plan.
func (p *Plan) Stats() Stats {
	s := Stats{Objects: len(p.Files), Min: math.MaxInt}
	for _, f := range p.Files {
		s.Records += f.Records
		s.Min = min(s.Min, f.Records)
		s.Max = max(s.Max, f.Records)
	}
	if s.Objects == 0 {
		s.Min = 0
	}
	return s
}
