package tracetest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path"
	"slices"
	"time"
)

// The accounts and names of the planted sessions (none of them is one internal/gen uses).
const (
	AccountA   = "210987654321"
	AccountB   = "310987654321"
	Alice      = "trace-alice"
	Bob        = "trace-bob"
	DeployRole = "trace-deploy"
	AuditRole  = "trace-audit"
	// SessionName is the role session name both Alice and Bob use for the deploy role.
	SessionName = "trace-deploy-session"
	Bucket      = "trace-planted-bucket"
	// The source addresses: Alice in the console and her deploy session, Alice's CLI, Bob.
	AliceIP    = "198.51.100.7"
	AliceCLIIP = "198.51.100.200"
	BobIP      = "203.0.113.9"
)

// The sessions a planted event belongs to.
const (
	Console   = "console"    // Alice's console session (its sign-in included)
	Deploy    = "deploy"     // the deploy role session Alice opened from the console (account B)
	Audit     = "audit"      // the audit role session opened from the deploy session (account A)
	Decoy     = "decoy"      // Alice's console session of the next day (its sign-in included)
	AliceKey  = "alice-key"  // Alice's calls with her long-term key
	BobKey    = "bob-key"    // Bob's calls with his long-term key
	BobDeploy = "bob-deploy" // Bob's deploy session, with the same session name as Alice's
)

// Event is a planted event and what a trace must know of it.
type Event struct {
	ID, Session string
	Time        time.Time
	Name, IP    string
	Account     string
	AccessKey   string
	Resources   []string
	// NewKey is the key of the session the event opened.
	NewKey string
}

// Planted is the plan: its events and the log files that hold them.
type Planted struct {
	Events []Event
	// Files are the log files by key (AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/…json).
	Files map[string][]byte
	// The sign-ins and AssumeRole calls a trace starts from, and the keys of the sessions.
	ConsoleLogin, DecoyLogin, AssumeDeploy, AssumeAudit, BobAssume string
	AliceARN, DeployARN, DeployRoleARN, BucketARN                  string
	DeployKey, AuditKey, BobDeployKey, AliceLongKey                string
}

// IDs returns the IDs of the events of the sessions given, in the period [from, to) (zero bounds are open).
func (p *Planted) IDs(from, to time.Time, sessions ...string) []string {
	var ids []string
	for _, e := range p.Events {
		if slices.Contains(sessions, e.Session) && (from.IsZero() || !e.Time.Before(from)) && (to.IsZero() || e.Time.Before(to)) {
			ids = append(ids, e.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// Where returns the IDs of the events for which keep is true.
func (p *Planted) Where(keep func(*Event) bool) []string {
	var ids []string
	for i := range p.Events {
		if keep(&p.Events[i]) {
			ids = append(ids, p.Events[i].ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// planter builds the records.
type planter struct {
	rng     *rand.Rand
	p       *Planted
	records map[string][]map[string]any // by file key
}

// Plant plans the sessions from day (UTC) on, with call counts drawn from seed.
func Plant(seed uint64, day time.Time) *Planted {
	pl := &planter{rng: rand.New(rand.NewPCG(seed, 7)), p: &Planted{Files: map[string][]byte{}}, records: map[string][]map[string]any{}}
	p := pl.p
	p.AliceARN = "arn:aws:iam::" + AccountA + ":user/" + Alice
	p.DeployRoleARN = "arn:aws:iam::" + AccountB + ":role/" + DeployRole
	p.DeployARN = "arn:aws:sts::" + AccountB + ":assumed-role/" + DeployRole + "/" + SessionName
	p.BucketARN = "arn:aws:s3:::" + Bucket
	p.AliceLongKey = pl.key("AKIA")
	t0 := day.UTC().Truncate(24 * time.Hour).Add(9*time.Hour + 12*time.Minute + 7*time.Second)
	pl.console(t0, Console)
	pl.aliceCLI(t0.Add(2 * time.Hour))
	pl.bob(t0.Add(5 * time.Hour))
	pl.console(t0.Add(26*time.Hour+3*time.Minute), Decoy)
	for key, recs := range pl.records {
		b, err := json.Marshal(map[string]any{"Records": recs})
		if err != nil {
			panic(err)
		}
		p.Files[key] = b
	}
	slices.SortFunc(p.Events, func(a, b Event) int { return a.Time.Compare(b.Time) })
	return p
}

func (pl *planter) key(prefix string) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := []byte(prefix)
	for range 16 {
		b = append(b, chars[pl.rng.IntN(len(chars))])
	}
	return string(b)
}

func (pl *planter) uuid() string {
	return fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", pl.rng.Uint32(), pl.rng.IntN(1<<16), pl.rng.IntN(1<<12), pl.rng.IntN(1<<12), pl.rng.Int64N(1<<48))
}

// n draws how many calls a session makes.
func (pl *planter) n() int { return 3 + pl.rng.IntN(5) }

// call is what a planted call does.
type call struct {
	source, name string
	readOnly     bool
	resource     string
	errorCode    string
	req, resp    map[string]any
}

// calls draws n ordinary calls: reads, writes, a bucket's objects, a denied one now and then.
func (pl *planter) calls(n int, bucketARN string) []call {
	menu := []call{
		{source: "ec2.amazonaws.com", name: "DescribeInstances", readOnly: true},
		{source: "s3.amazonaws.com", name: "ListBuckets", readOnly: true},
		{source: "s3.amazonaws.com", name: "GetObject", readOnly: true, resource: bucketARN, req: map[string]any{"bucketName": Bucket, "key": "report.csv"}},
		{source: "s3.amazonaws.com", name: "PutObject", resource: bucketARN, req: map[string]any{"bucketName": Bucket, "key": "upload.bin"}},
		{source: "iam.amazonaws.com", name: "ListRoles", readOnly: true},
		{source: "secretsmanager.amazonaws.com", name: "GetSecretValue", readOnly: true, errorCode: "AccessDenied"},
		{source: "ec2.amazonaws.com", name: "RunInstances", errorCode: "Client.UnauthorizedOperation"},
		{source: "lambda.amazonaws.com", name: "UpdateFunctionCode20150331v2"},
	}
	out := make([]call, n)
	for i := range out {
		out[i] = menu[pl.rng.IntN(len(menu))]
	}
	return out
}

// fileKey is the log file key of an event of account and region at t.
func fileKey(account, region string, t time.Time) string {
	u := t.UTC()
	return path.Join("AWSLogs", account, "CloudTrail", region, u.Format("2006/01/02"),
		fmt.Sprintf("%s_CloudTrail_%s_%sZ_plant.json", account, region, u.Truncate(time.Hour).Format("20060102T1504")))
}
