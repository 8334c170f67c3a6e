package tracetest

import (
	"cmp"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// The principals of PlantNovelties (IAM users of AccountA) and what each does in the period against its 28
// days of baseline.
const (
	NovIP        = "nov-ip"        // the same IP for 28 days, then a new IP of the same network, then one in Frankfurt
	NovRegion    = "nov-region"    // a new region, a new service and event name (kms Decrypt), a new user agent
	NovBurst     = "nov-burst"     // flat calls every hour, then a burst of AccessDenied ListSecrets in one hour
	NovTokyo     = "nov-tokyo"     // signs in every day between 09:00 and 18:00 Tokyo time, then at 03:00
	NovTraveller = "nov-traveller" // signs in from Tokyo and Frankfurt on alternate days, then from both an hour apart
	NovReturn    = "nov-return"    // decoy: an IP of the baseline's first days used again
	NovNewbie    = "nov-newbie"    // decoy: two sign-ins in the baseline, then one at 03:00 (too few to judge)
	NovFresh     = "nov-fresh"     // decoy: no event in the baseline (not compared)
	NovSSO       = "nov-sso"       // an IAM Identity Center user: signs in 09:00–18:00 Tokyo time, then at 02:30
	// SSOPrincipal is how trace --new names NovSSO: IAM Identity Center's sign-ins carry no ARN.
	SSOPrincipal = NovSSO + " (IAM Identity Center)"
	// BurstEvent is the event name of the burst (no generated tree has it); NewUserAgent the new user agent.
	BurstEvent   = "ListSecrets"
	NewUserAgent = "Boto3/1.35.0 md/Botocore#1.35.0 planted-new"
	NewRegion    = "sa-east-1"
	HomeRegion   = "ap-northeast-1"
)

// The addresses of the novelties (in the networks of WriteGeoIP).
const (
	NovIPHome, NovIPNew, NovIPFar = "198.51.100.10", "198.51.100.11", "203.0.113.50"
	NovRegionIP, NovBurstIP       = "198.51.100.20", "198.51.100.30"
	NovTokyoIP                    = "198.51.100.40"
	TravelTokyoIP, TravelFarIP    = "198.51.100.50", "203.0.113.60"
	NovReturnOld, NovReturnIP     = "198.51.100.61", "198.51.100.62"
	NovNewbieIP, NovFreshIP       = "198.51.100.70", "198.51.100.80"
	NovSSOIP                      = "198.51.100.90"
)

// Tokyo is the zone of the hour rule's planted sign-ins.
var Tokyo = time.FixedZone("JST", 9*3600)

// Want is a finding trailq trace --new must give: its kind, principal (an ARN; "" for an event name's rate
// over every principal), value (for the first-seen kinds) and evidence event IDs.
type Want struct {
	Kind, Principal, Value string
	Evidence               []string
}

// Novelties is the plan: the log files, the period, and the findings they must give.
type Novelties struct {
	Files map[string][]byte
	// Start and End are the period, the UTC day after the 28 days of baseline.
	Start, End time.Time
	Want       []Want
	// Principals are the ARNs of every planted principal, decoys included; Decoys those of the decoys.
	Principals, Decoys []string
	// NewIPSignIn is the period's one sign-in from an IP and country new for its principal.
	NewIPSignIn string
	events      []novEvent
}

// novEvent is a planted event as the plan knows it.
type novEvent struct {
	arn, id, name string
	t             time.Time
	failed        bool
}

// ARN is the ARN of a planted principal.
func ARN(name string) string { return "arn:aws:iam::" + AccountA + ":user/" + name }

type novPlanter struct {
	pl *planter
	n  *Novelties
}

// PlantNovelties plans 28 days of baseline from start-28d and the period [start, start+24h) (start is
// truncated to a UTC day), with IDs drawn from seed.
func PlantNovelties(seed uint64, start time.Time) *Novelties {
	start = start.UTC().Truncate(24 * time.Hour)
	n := &Novelties{Files: map[string][]byte{}, Start: start, End: start.Add(24 * time.Hour)}
	np := &novPlanter{pl: &planter{rng: rand.New(rand.NewPCG(seed, 11)), p: &Planted{}, records: map[string][]map[string]any{}}, n: n}
	for _, name := range []string{NovIP, NovRegion, NovBurst, NovTokyo, NovTraveller, NovReturn, NovNewbie, NovFresh} {
		n.Principals = append(n.Principals, ARN(name))
	}
	n.Principals = append(n.Principals, SSOPrincipal)
	n.Decoys = []string{ARN(NovReturn), ARN(NovNewbie), ARN(NovFresh)}
	np.ip()
	np.region()
	np.burst()
	np.tokyo()
	np.traveller()
	np.sso()
	np.decoys()
	for key, recs := range np.pl.records {
		b, err := json.Marshal(map[string]any{"Records": recs})
		if err != nil {
			panic(err)
		}
		n.Files[key] = b
	}
	return n
}

// day is the start (UTC midnight) of baseline day d (0 … 27) or of the period (d = 28).
func (np *novPlanter) day(d int) time.Time { return np.n.Start.AddDate(0, 0, d-28) }

// tokyoTime is hour:minute Tokyo time on the Tokyo date of day d's UTC midnight.
func (np *novPlanter) tokyoTime(d, hour, minute int) time.Time {
	t := np.day(d).In(Tokyo)
	return time.Date(t.Year(), t.Month(), t.Day(), hour, minute, 0, 0, Tokyo)
}

// call plants one call of user name at t; ua "" is the planted default.
func (np *novPlanter) call(name, ip, region, ua string, t time.Time, c call) string {
	e := np.pl.record("novelty", t, user(name, AccountA, "AKIA"+strings.ToUpper(strings.ReplaceAll(name, "-", "")), ip, time.Time{}), c, region)
	if ua != "" {
		recs := np.pl.records[fileKey(AccountA, region, t)]
		recs[len(recs)-1]["userAgent"] = ua
	}
	np.n.events = append(np.n.events, novEvent{arn: ARN(name), id: e.ID, name: c.name, t: t, failed: c.errorCode != ""})
	return e.ID
}

// signIn plants a successful console sign-in of user name at t.
func (np *novPlanter) signIn(name, ip string, t time.Time) string {
	e := np.pl.record("novelty", t, user(name, AccountA, "", ip, time.Time{}),
		call{source: "signin.amazonaws.com", name: "ConsoleLogin", resp: map[string]any{"ConsoleLogin": "Success"}}, "us-east-1")
	np.n.events = append(np.n.events, novEvent{arn: ARN(name), id: e.ID, name: "ConsoleLogin", t: t})
	return e.ID
}

var (
	describe = call{source: "ec2.amazonaws.com", name: "DescribeInstances", readOnly: true}
	list     = call{source: "s3.amazonaws.com", name: "ListBuckets", readOnly: true}
)

func (np *novPlanter) want(kind, name, value string, ids ...string) {
	arn := ""
	if name != "" {
		arn = ARN(name)
	}
	np.n.Want = append(np.n.Want, Want{Kind: kind, Principal: arn, Value: value, Evidence: ids})
}

// ip: 28 days from one address; in the period, a new address of the same network (a new IP only), then one in
// Frankfurt (a new IP, ASN and country).
func (np *novPlanter) ip() {
	for d := range 28 {
		t := np.day(d).Add(time.Hour)
		np.call(NovIP, NovIPHome, HomeRegion, "", t, describe)
		np.call(NovIP, NovIPHome, HomeRegion, "", t.Add(10*time.Minute), list)
	}
	p := np.day(28)
	np.call(NovIP, NovIPHome, HomeRegion, "", p.Add(time.Hour), describe)
	first := np.call(NovIP, NovIPNew, HomeRegion, "", p.Add(90*time.Minute), describe)
	np.call(NovIP, NovIPNew, HomeRegion, "", p.Add(2*time.Hour), list)
	far := np.call(NovIP, NovIPFar, HomeRegion, "", p.Add(4*time.Hour), list)
	// A console sign-in from there, later: the address is not new by then, but its first sign-in is its first
	// event of the sign-in service, in us-east-1.
	in := np.signIn(NovIP, NovIPFar, p.Add(5*time.Hour))
	np.n.NewIPSignIn = in
	np.want("event", NovIP, "ConsoleLogin", in)
	np.want("service", NovIP, "signin.amazonaws.com", in)
	np.want("region", NovIP, "us-east-1", in)
	np.want("ip", NovIP, NovIPNew, first)
	np.want("ip", NovIP, NovIPFar, far)
	np.want("asn", NovIP, FrankfurtASN, far)
	np.want("country", NovIP, "DE", far)
}

// region: the same address, region and calls for 28 days; in the period a call in a new region, a kms Decrypt
// (a new service and event name) and a call with a new user agent.
func (np *novPlanter) region() {
	for d := range 28 {
		t := np.day(d).Add(2 * time.Hour)
		np.call(NovRegion, NovRegionIP, HomeRegion, "", t, describe)
		np.call(NovRegion, NovRegionIP, HomeRegion, "", t.Add(5*time.Minute), list)
	}
	p := np.day(28).Add(2 * time.Hour)
	np.call(NovRegion, NovRegionIP, HomeRegion, "", p, describe)
	r := np.call(NovRegion, NovRegionIP, NewRegion, "", p.Add(time.Hour), describe)
	k := np.call(NovRegion, NovRegionIP, HomeRegion, "", p.Add(2*time.Hour), call{source: "kms.amazonaws.com", name: "Decrypt", readOnly: true})
	ua := np.call(NovRegion, NovRegionIP, HomeRegion, NewUserAgent, p.Add(3*time.Hour), list)
	np.want("region", NovRegion, NewRegion, r)
	np.want("service", NovRegion, "kms.amazonaws.com", k)
	np.want("event", NovRegion, "Decrypt", k)
	np.want("user_agent", NovRegion, NewUserAgent, ua)
}

// burstHour is the hour (UTC) of the period that holds the burst.
const burstHour = 5

// burst: two GetObject calls every hour and a ListSecrets a day, then 20 denied ListSecrets in one hour.
func (np *novPlanter) burst() {
	get := call{source: "s3.amazonaws.com", name: "GetObject", readOnly: true, resource: "arn:aws:s3:::" + Bucket, req: map[string]any{"bucketName": Bucket, "key": "data.csv"}}
	secrets := call{source: "secretsmanager.amazonaws.com", name: BurstEvent, readOnly: true}
	for d := range 29 {
		for h := range 24 {
			t := np.day(d).Add(time.Duration(h) * time.Hour)
			np.call(NovBurst, NovBurstIP, HomeRegion, "", t.Add(7*time.Minute), get)
			np.call(NovBurst, NovBurstIP, HomeRegion, "", t.Add(37*time.Minute), get)
		}
		np.call(NovBurst, NovBurstIP, HomeRegion, "", np.day(d).Add(12*time.Hour+20*time.Minute), secrets)
	}
	denied := secrets
	denied.errorCode = "AccessDenied"
	from := np.day(28).Add(burstHour * time.Hour)
	for i := range 20 {
		np.call(NovBurst, NovBurstIP, HomeRegion, "", from.Add(10*time.Minute+time.Duration(i)*90*time.Second), denied)
	}
	to := from.Add(time.Hour)
	inHour := func(e *novEvent) bool { return !e.t.Before(from) && e.t.Before(to) }
	np.want("rate", "", "", np.first(func(e *novEvent) bool { return inHour(e) && e.name == BurstEvent })...)
	np.want("rate", "", "", np.first(func(e *novEvent) bool { return inHour(e) && e.name == BurstEvent && e.failed })...)
	np.want("rate", NovBurst, "", np.first(func(e *novEvent) bool { return inHour(e) && e.arn == ARN(NovBurst) })...)
	np.want("rate", NovBurst, "", np.first(func(e *novEvent) bool { return inHour(e) && e.arn == ARN(NovBurst) && e.failed })...)
}

// first returns the IDs of the first five planted events that keep holds for, in time order.
func (np *novPlanter) first(keep func(*novEvent) bool) []string {
	var es []novEvent
	for i := range np.n.events {
		if keep(&np.n.events[i]) {
			es = append(es, np.n.events[i])
		}
	}
	slices.SortFunc(es, func(a, b novEvent) int { return cmp.Or(a.t.Compare(b.t), strings.Compare(a.id, b.id)) })
	ids := []string{}
	for _, e := range es[:min(5, len(es))] {
		ids = append(ids, e.id)
	}
	return ids
}

// tokyo: a sign-in every day at an hour from 09 to 18 Tokyo time; in the period one at 10:05 (an hour seen),
// one at 03:00, and a failed one at 04:30.
func (np *novPlanter) tokyo() {
	for d := range 28 {
		np.signIn(NovTokyo, NovTokyoIP, np.tokyoTime(d, 9+d%10, 5))
	}
	np.signIn(NovTokyo, NovTokyoIP, np.tokyoTime(28, 10, 5))
	odd := np.signIn(NovTokyo, NovTokyoIP, np.tokyoTime(28, 27, 0)) // 03:00 the next Tokyo day, 18:00 UTC
	// A failed sign-in at 04:30 is no sign-in: the hour rule does not judge it.
	np.pl.record("novelty", np.tokyoTime(28, 28, 30), user(NovTokyo, AccountA, "", NovTokyoIP, time.Time{}),
		call{source: "signin.amazonaws.com", name: "ConsoleLogin", resp: map[string]any{"ConsoleLogin": "Failure"}}, "us-east-1")
	np.want("hour", NovTokyo, "", odd)
}

// traveller: sign-ins from Tokyo at 10:00 and Frankfurt at 11:00 Tokyo time on alternate days (a day apart);
// in the period from Tokyo at 10:00, then from Frankfurt at 11:00.
func (np *novPlanter) traveller() {
	for d := range 28 {
		if d%2 == 0 {
			np.signIn(NovTraveller, TravelTokyoIP, np.tokyoTime(d, 10, 0))
		} else {
			np.signIn(NovTraveller, TravelFarIP, np.tokyoTime(d, 11, 0))
		}
	}
	a := np.signIn(NovTraveller, TravelTokyoIP, np.tokyoTime(28, 10, 0))
	b := np.signIn(NovTraveller, TravelFarIP, np.tokyoTime(28, 11, 0))
	np.want("travel", NovTraveller, "", a, b)
}

// decoys: an IP of the baseline's first days used again; a principal with two sign-ins in the baseline signing
// in at 03:00; a principal new in the period.
func (np *novPlanter) decoys() {
	for d := range 28 {
		ip := NovReturnIP
		if d < 3 {
			ip = NovReturnOld
		}
		np.call(NovReturn, ip, HomeRegion, "", np.day(d).Add(3*time.Hour), describe)
	}
	np.call(NovReturn, NovReturnOld, HomeRegion, "", np.day(28).Add(3*time.Hour), describe)
	np.signIn(NovNewbie, NovNewbieIP, np.tokyoTime(26, 10, 0))
	np.signIn(NovNewbie, NovNewbieIP, np.tokyoTime(27, 10, 0))
	np.signIn(NovNewbie, NovNewbieIP, np.tokyoTime(28, 27, 0))
	np.call(NovFresh, NovFreshIP, NewRegion, NewUserAgent, np.day(28).Add(6*time.Hour), describe)
}

// sso: an IAM Identity Center user's sign-ins (UserAuthentication: no ARN, the user's name) every day at an
// hour from 09 to 18 Tokyo time; in the period one at 10:30 (an hour seen) and one at 02:30.
func (np *novPlanter) sso() {
	caller := identity{fields: map[string]any{"type": "Unknown", "principalId": AccountA, "arn": "", "accountId": AccountA,
		"accessKeyId": "", "userName": NovSSO}, account: AccountA, ip: NovSSOIP}
	auth := call{source: "signin.amazonaws.com", name: "UserAuthentication"}
	for d := range 28 {
		np.pl.record("novelty", np.tokyoTime(d, 9+(d+3)%10, 40), caller, auth, "us-east-1")
	}
	np.pl.record("novelty", np.tokyoTime(28, 10, 30), caller, auth, "us-east-1")
	odd := np.pl.record("novelty", np.tokyoTime(28, 26, 30), caller, auth, "us-east-1") // 02:30 the next Tokyo day
	np.n.Want = append(np.n.Want, Want{Kind: "hour", Principal: SSOPrincipal, Evidence: []string{odd.ID}})
}
