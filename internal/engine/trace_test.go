package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/gen"
	"github.com/trailq/trailq/internal/source/local"
	"github.com/trailq/trailq/internal/timewin"
	"github.com/trailq/trailq/internal/trace"
	"github.com/trailq/trailq/internal/trace/tracetest"
)

// loadStore loads the logs under dir into a new store and returns the options that answer from it.
func loadStore(t testing.TB, dir string) engine.Options {
	t.Helper()
	src, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	o := engine.Options{Source: src, StorePath: filepath.Join(t.TempDir(), "s.duckdb")}
	if _, err := (&engine.Engine{}).Sync(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	return engine.Options{StorePath: o.StorePath}
}

// plantedDay is the day the planted sessions start; the generated tree covers it and the day after.
var plantedDay = gen.DefaultStart.AddDate(0, 0, 1)

// writePlanted writes a generated tree of n records over three days and the planted sessions into dir.
func writePlanted(t testing.TB, dir string, n int, seed uint64) *tracetest.Planted {
	t.Helper()
	p, err := gen.NewPlan(gen.Options{Records: n, Days: 3, Accounts: 3, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gen.Generate(context.Background(), p, dir, nil); err != nil {
		t.Fatal(err)
	}
	planted := tracetest.Plant(seed, plantedDay)
	tracetest.WriteFiles(t, dir, planted.Files)
	return planted
}

var planted struct {
	once sync.Once
	p    *tracetest.Planted
	o    engine.Options
}

// plantedStore is a store of 20,000 generated events and the planted sessions, made once for the package's tests.
func plantedStore(t *testing.T) (*tracetest.Planted, engine.Options) {
	t.Helper()
	planted.once.Do(func() {
		dir, err := os.MkdirTemp("", "trailq-trace-")
		if err != nil {
			t.Fatal(err)
		}
		// The store outlives the test that made it: the other tests of the package read it.
		planted.p = writePlanted(t, dir, 20_000, 42)
		src, err := local.New(dir)
		if err != nil {
			t.Fatal(err)
		}
		planted.o = engine.Options{Source: src, StorePath: filepath.Join(dir, "s.duckdb")}
		if _, err := (&engine.Engine{}).Sync(context.Background(), planted.o); err != nil {
			t.Fatal(err)
		}
		planted.o = engine.Options{StorePath: planted.o.StorePath}
	})
	if planted.p == nil {
		t.Fatal("the planted store could not be made")
	}
	return planted.p, planted.o
}

func runTrace(t *testing.T, o engine.Options, q trace.Query) *engine.TraceResult {
	t.Helper()
	res, err := (&engine.Engine{}).Trace(context.Background(), o, engine.TraceOptions{Query: q})
	if err != nil {
		t.Fatalf("trace --%s %s: %v", q.Kind, q.Value, err)
	}
	return res
}

func eventIDs(res *engine.TraceResult) []string {
	ids := make([]string, len(res.Events))
	for i, e := range res.Events {
		ids[i] = e.ID
	}
	slices.Sort(ids)
	return ids
}

// TestTracePlanted traces the planted sessions from every kind of start: each trace must return exactly the
// planted calls it reaches, no more (the decoy session of the same principal, the reused session name, the
// generated events) and no fewer.
func TestTracePlanted(t *testing.T) {
	p, o := plantedStore(t)
	var never time.Time
	next := plantedDay.AddDate(0, 0, 1)
	ip := func(addrs ...string) func(*tracetest.Event) bool {
		return func(e *tracetest.Event) bool { return slices.Contains(addrs, e.IP) }
	}
	names := func(res string) func(*tracetest.Event) bool {
		return func(e *tracetest.Event) bool { return slices.Contains(e.Resources, res) }
	}
	cases := []struct {
		name string
		q    trace.Query
		want []string
	}{
		{"console sign-in", trace.Query{Kind: trace.BySession, Value: p.ConsoleLogin, Depth: 5}, p.IDs(never, never, tracetest.Console, tracetest.Deploy, tracetest.Audit)},
		{"console sign-in, no chaining", trace.Query{Kind: trace.BySession, Value: p.ConsoleLogin}, p.IDs(never, never, tracetest.Console)},
		{"decoy sign-in", trace.Query{Kind: trace.BySession, Value: p.DecoyLogin, Depth: 5}, p.IDs(never, never, tracetest.Decoy)},
		{"AssumeRole", trace.Query{Kind: trace.BySession, Value: p.AssumeDeploy, Depth: 5}, append(p.IDs(never, never, tracetest.Deploy, tracetest.Audit), p.AssumeDeploy)},
		{"role session key", trace.Query{Kind: trace.ByAccessKey, Value: p.DeployKey, Depth: 5}, p.IDs(never, never, tracetest.Deploy, tracetest.Audit)},
		{"role session key, depth 0", trace.Query{Kind: trace.ByAccessKey, Value: p.DeployKey}, p.IDs(never, never, tracetest.Deploy)},
		{"long-term key", trace.Query{Kind: trace.ByAccessKey, Value: p.AliceLongKey, Depth: 5}, p.IDs(never, never, tracetest.AliceKey)},
		{"reused session name", trace.Query{Kind: trace.ByPrincipal, Value: p.DeployARN, Depth: 5}, p.IDs(never, never, tracetest.Deploy, tracetest.BobDeploy, tracetest.Audit)},
		{"role", trace.Query{Kind: trace.ByRole, Value: p.DeployRoleARN, Depth: 5}, p.IDs(never, never, tracetest.Deploy, tracetest.BobDeploy, tracetest.Audit)},
		{"role by name", trace.Query{Kind: trace.ByRole, Value: tracetest.DeployRole}, p.IDs(never, never, tracetest.Deploy, tracetest.BobDeploy)},
		{"principal by name", trace.Query{Kind: trace.ByPrincipal, Value: tracetest.Alice, Depth: 5},
			p.IDs(never, never, tracetest.Console, tracetest.Decoy, tracetest.AliceKey, tracetest.Deploy, tracetest.Audit)},
		{"principal by ARN, next day", trace.Query{Kind: trace.ByPrincipal, Value: p.AliceARN, Depth: 5, Period: timewin.Period{Start: next}},
			p.IDs(next, never, tracetest.Console, tracetest.Decoy, tracetest.AliceKey, tracetest.Deploy, tracetest.Audit)},
		{"principal, first day", trace.Query{Kind: trace.ByPrincipal, Value: p.AliceARN, Period: timewin.Period{Start: plantedDay, End: next}},
			p.IDs(plantedDay, next, tracetest.Console, tracetest.Decoy, tracetest.AliceKey)},
		{"address", trace.Query{Kind: trace.ByIP, Value: tracetest.BobIP}, p.Where(ip(tracetest.BobIP))},
		{"prefix", trace.Query{Kind: trace.ByIP, Value: "198.51.100.0/24"}, p.Where(ip(tracetest.AliceIP, tracetest.AliceCLIIP))},
		{"resource ARN", trace.Query{Kind: trace.ByResource, Value: p.BucketARN}, p.Where(names(p.BucketARN))},
		{"resource name", trace.Query{Kind: trace.ByResource, Value: tracetest.Bucket}, p.Where(names(p.BucketARN))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			slices.Sort(c.want)
			if len(c.want) == 0 {
				t.Fatal("the plan has no such events: the case tests nothing")
			}
			res := runTrace(t, o, c.q)
			if diff := cmp.Diff(c.want, eventIDs(res)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTracePlantedTree checks the chain drawn from the console sign-in: the console session, the deploy role
// session it opened in account B (session name, source identity, opener) and the audit role session opened
// from that one back in account A; Bob's session of the same name is not in it.
func TestTracePlantedTree(t *testing.T) {
	p, o := plantedStore(t)
	res := runTrace(t, o, trace.Query{Kind: trace.BySession, Value: p.ConsoleLogin, Depth: 5})
	root := res.Root
	if root.Kind != "console" || root.ARN != p.AliceARN || len(root.Keys) != 2 || root.Opener == nil || root.Opener.ID != p.ConsoleLogin {
		t.Fatalf("root: %+v", root)
	}
	if got, want := root.Calls, len(p.IDs(time.Time{}, time.Time{}, tracetest.Console))-1; got != want {
		t.Errorf("console calls %d, want %d (the sign-in is not a call)", got, want)
	}
	if root.FromConsole != root.Calls {
		t.Errorf("%d of %d calls marked sessionCredentialFromConsole", root.FromConsole, root.Calls)
	}
	if len(root.Children) != 1 {
		t.Fatalf("%d sessions opened from the console, want 1 (the denied AssumeRole opened none)", len(root.Children))
	}
	deploy := root.Children[0]
	if deploy.ID != "1.1" || deploy.AccessKey != p.DeployKey || deploy.Opener.ID != p.AssumeDeploy || deploy.Account != tracetest.AccountB ||
		deploy.SessionName != tracetest.SessionName || deploy.SourceIdentity != tracetest.Alice || deploy.RoleARN != p.DeployRoleARN {
		t.Errorf("deploy session: %+v", deploy)
	}
	if len(deploy.Children) != 1 || deploy.Children[0].AccessKey != p.AuditKey || deploy.Children[0].Account != tracetest.AccountA ||
		deploy.Children[0].Opener.ID != p.AssumeAudit {
		t.Fatalf("audit session: %+v", deploy.Children)
	}
	for _, e := range res.Events {
		want := map[string]string{tracetest.Console: "1", tracetest.Deploy: "1.1", tracetest.Audit: "1.1.1"}[session(p, e.ID)]
		if e.Session != want {
			t.Errorf("event %s %s is in session %q, want %q", e.ID, e.Name, e.Session, want)
		}
	}
	if res.Profile.Denied == 0 || res.Profile.Denied != countDenied(res) || len(res.Profile.Accounts) != 2 {
		t.Errorf("profile: %d denied, accounts %v", res.Profile.Denied, res.Profile.Accounts)
	}
	// The principal's sign-ins: this one and the decoy's (the period is open).
	var logins []string
	for _, s := range res.SignIns {
		if s.MFA != "Yes" || s.ARN != p.AliceARN {
			t.Errorf("sign-in %+v", s)
		}
		logins = append(logins, s.ID)
	}
	if !slices.Equal(logins, []string{p.ConsoleLogin, p.DecoyLogin}) {
		t.Errorf("sign-ins %v, want %v", logins, []string{p.ConsoleLogin, p.DecoyLogin})
	}

	// At depth 1 the audit session is left out, and the trace says so.
	res = runTrace(t, o, trace.Query{Kind: trace.BySession, Value: p.ConsoleLogin, Depth: 1})
	if d := res.Root.Children[0]; len(d.Children) != 0 || d.NotFollowed != 1 || !strings.Contains(strings.Join(res.Notes, " "), "depth limit") {
		t.Errorf("depth 1: %+v, notes %q", d, res.Notes)
	}

	// The role's sessions: Alice's and Bob's, each with the AssumeRole that opened it.
	res = runTrace(t, o, trace.Query{Kind: trace.ByRole, Value: p.DeployRoleARN})
	var openers []string
	for _, s := range res.Root.Children {
		if s.Opener != nil {
			openers = append(openers, s.Opener.ID)
		}
	}
	slices.Sort(openers)
	want := []string{p.AssumeDeploy, p.BobAssume}
	slices.Sort(want)
	if !slices.Equal(openers, want) {
		t.Errorf("role sessions opened by %v, want %v", openers, want)
	}
}

func session(p *tracetest.Planted, id string) string {
	for _, e := range p.Events {
		if e.ID == id {
			return e.Session
		}
	}
	return ""
}

func countDenied(res *engine.TraceResult) int {
	n := 0
	for _, e := range res.Events {
		if trace.Denied(e.ErrorCode) {
			n++
		}
	}
	return n
}

// TestTraceNotFound: a start that matches nothing says so, with what the store holds near it.
func TestTraceNotFound(t *testing.T) {
	p, o := plantedStore(t)
	cases := []struct {
		q         trace.Query
		msg, near string
	}{
		{trace.Query{Kind: trace.ByAccessKey, Value: p.DeployKey[:12]}, "no event was made with access key", p.DeployKey},
		{trace.Query{Kind: trace.ByPrincipal, Value: "trace-alic"}, "no event was made by principal", p.AliceARN},
		{trace.Query{Kind: trace.ByRole, Value: "trace-deplo"}, "no event was made in a session of role", p.DeployRoleARN},
		{trace.Query{Kind: trace.ByResource, Value: "trace-planted"}, "no event names resource", p.BucketARN},
		{trace.Query{Kind: trace.ByIP, Value: "198.51.100.8"}, "no event came from", tracetest.AliceIP},
		{trace.Query{Kind: trace.BySession, Value: p.DeployKey}, "no event has the ID", "--access-key " + p.DeployKey},
		{trace.Query{Kind: trace.BySession, Value: p.ConsoleLogin[:9] + "0000"}, "no event has the ID", p.ConsoleLogin},
		{trace.Query{Kind: trace.ByPrincipal, Value: p.AliceARN, Period: timewin.Period{Start: plantedDay.AddDate(0, 0, 2)}}, "in the period (it has", "--since " + plantedDay.Format(time.DateOnly)},
	}
	// The nearest key by prefix must come first even when it made the fewest calls: a typo in its last letter.
	count := map[string]int{}
	for _, e := range p.Events {
		if strings.HasPrefix(e.AccessKey, "ASIA") {
			count[e.AccessKey]++
		}
	}
	fewest, most := "", 0
	for k, n := range count {
		if fewest == "" || n < count[fewest] || n == count[fewest] && k < fewest {
			fewest = k
		}
		most = max(most, n)
	}
	if count[fewest] == most {
		t.Fatalf("the planted keys all made %d calls: the case below tests no ranking", most)
	}
	typo := fewest[:len(fewest)-1] + map[bool]string{true: "2", false: "3"}[fewest[len(fewest)-1] != '2']
	cases = append(cases, struct {
		q         trace.Query
		msg, near string
	}{trace.Query{Kind: trace.ByAccessKey, Value: typo}, "no event was made with access key", "--access-key " + fewest + " "})
	for _, c := range cases {
		t.Run(string(c.q.Kind)+" "+c.q.Value, func(t *testing.T) {
			_, err := (&engine.Engine{}).Trace(context.Background(), o, engine.TraceOptions{Query: c.q})
			var nf *trace.NotFoundError
			if !errors.As(err, &nf) {
				t.Fatalf("want a NotFoundError, got %v", err)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("message %q lacks %q", err, c.msg)
			}
			if first := strings.Split(nf.Hint(), "\n")[0]; !strings.Contains(first, c.near) {
				t.Errorf("first suggestion %q, want %q in it; all:\n%s", first, c.near, nf.Hint())
			}
		})
	}
}

// stratusRecord is what the Stratus tests read of a record, to work out from the file what a trace must give.
type stratusRecord struct {
	EventID, EventName, EventTime string
	ErrorCode                     string
	UserIdentity                  struct {
		ARN, AccessKeyID string
		SessionContext   struct {
			Attributes struct{ CreationDate string }
		}
	}
	ResponseElements json.RawMessage
}

func stratusRecords(t *testing.T) []stratusRecord {
	t.Helper()
	data, err := os.ReadFile(stratusFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Records []stratusRecord }
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Records
}

// issuedKey is the access key in an AssumeRole / GetFederationToken response, or "".
func (r *stratusRecord) issuedKey() string {
	var resp struct{ Credentials struct{ AccessKeyID string } }
	if r.ErrorCode != "" || json.Unmarshal(r.ResponseElements, &resp) != nil {
		return ""
	}
	return resp.Credentials.AccessKeyID
}

// TestTraceStratus traces the real sessions of the Stratus Red Team detonations: every AssumeRole and
// GetFederationToken that worked gives the calls made with the key it issued (no more, no less), and the
// caller's key gives its own calls and those of the sessions it opened, which are its children.
func TestTraceStratus(t *testing.T) {
	recs := stratusRecords(t)
	o := loadStore(t, stratusFile)
	byKey := map[string][]string{}
	for _, r := range recs {
		if k := r.UserIdentity.AccessKeyID; k != "" {
			byKey[k] = append(byKey[k], r.EventID)
		}
	}
	opened := 0
	for _, r := range recs {
		key := r.issuedKey()
		if key == "" {
			continue
		}
		opened++
		want := append(slices.Clone(byKey[key]), r.EventID)
		slices.Sort(want)
		res := runTrace(t, o, trace.Query{Kind: trace.BySession, Value: r.EventID, Depth: 5})
		if diff := cmp.Diff(want, eventIDs(res)); diff != "" {
			t.Errorf("%s %s (key %s): events (-want +got):\n%s", r.EventName, r.EventID, key, diff)
		}
		if res.Root.AccessKey != key || res.Root.Calls != len(byKey[key]) {
			t.Errorf("%s %s: root %s with %d calls, want %s with %d", r.EventName, r.EventID, res.Root.AccessKey, res.Root.Calls, key, len(byKey[key]))
		}

		// From the caller's key: its calls and the sessions it opened, drawn as its children.
		caller := r.UserIdentity.AccessKeyID
		res = runTrace(t, o, trace.Query{Kind: trace.ByAccessKey, Value: caller, Depth: 5})
		want = slices.Clone(byKey[caller])
		var children []string
		for _, c := range recs {
			if c.UserIdentity.AccessKeyID == caller && c.issuedKey() != "" {
				children = append(children, c.issuedKey())
				want = append(want, byKey[c.issuedKey()]...)
			}
		}
		slices.Sort(want)
		if diff := cmp.Diff(want, eventIDs(res)); diff != "" {
			t.Errorf("--access-key %s: events (-want +got):\n%s", caller, diff)
		}
		var got []string
		for _, c := range res.Root.Children {
			got = append(got, c.AccessKey)
		}
		slices.Sort(got)
		slices.Sort(children)
		if !slices.Equal(got, children) {
			t.Errorf("--access-key %s: sessions opened %v, want %v", caller, got, children)
		}
	}
	if opened < 5 {
		t.Fatalf("%d sessions opened in the Stratus logs: the test reads the file wrongly", opened)
	}
}

// TestTraceStratusConsole traces the detonation's console sign-in: the sign-in and the calls of its session
// (the user's calls whose session was created at the sign-in's second), worked out from the file.
func TestTraceStratusConsole(t *testing.T) {
	recs := stratusRecords(t)
	o := loadStore(t, stratusFile)
	for _, r := range recs {
		if r.EventName != "ConsoleLogin" {
			continue
		}
		want := []string{r.EventID}
		login, _ := time.Parse(time.RFC3339, r.EventTime)
		for _, c := range recs {
			created, err := time.Parse(time.RFC3339, c.UserIdentity.SessionContext.Attributes.CreationDate)
			if err == nil && c.UserIdentity.ARN == r.UserIdentity.ARN && created.Equal(login) {
				want = append(want, c.EventID)
			}
		}
		slices.Sort(want)
		res := runTrace(t, o, trace.Query{Kind: trace.BySession, Value: r.EventID, Depth: 5})
		if diff := cmp.Diff(want, eventIDs(res)); diff != "" {
			t.Errorf("ConsoleLogin %s: events (-want +got):\n%s", r.EventID, diff)
		}
		if res.Root.Kind != "console" || len(res.SignIns) != 1 {
			t.Errorf("ConsoleLogin %s: root kind %q, %d sign-ins", r.EventID, res.Root.Kind, len(res.SignIns))
		}
	}
}

// TestTraceIdentityCenter traces the IAM Identity Center sign-ins of the AWS documentation's examples: the
// sign-in and the same user's sign-in and portal steps of the 12 hours after it (worked out from the file), with
// the note that they are linked by user name and time.
func TestTraceIdentityCenter(t *testing.T) {
	const file = "../../testdata/cloudtrail/real/awsdocs__iam-identity-center-user-guide.json"
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Records []struct {
			EventID, EventName, EventTime, EventSource string
			UserIdentity                               struct{ UserName string }
		}
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	o := loadStore(t, file)
	traced := 0
	for _, r := range doc.Records {
		if r.EventName != "UserAuthentication" {
			continue
		}
		at, _ := time.Parse(time.RFC3339, r.EventTime)
		want := []string{r.EventID}
		for _, c := range doc.Records {
			ct, _ := time.Parse(time.RFC3339, c.EventTime)
			if c.EventName != "UserAuthentication" && c.UserIdentity.UserName == r.UserIdentity.UserName &&
				(c.EventSource == "sso.amazonaws.com" || c.EventSource == "signin.amazonaws.com") &&
				!ct.Before(at.Add(-time.Second)) && !ct.After(at.Add(12*time.Hour)) {
				want = append(want, c.EventID)
			}
		}
		slices.Sort(want)
		want = slices.Compact(want)
		res := runTrace(t, o, trace.Query{Kind: trace.BySession, Value: r.EventID, Depth: 5})
		if diff := cmp.Diff(want, slices.Compact(eventIDs(res))); diff != "" {
			t.Errorf("UserAuthentication %s: events (-want +got):\n%s", r.EventID, diff)
		}
		if res.Root.Kind != "identity-center" || !strings.Contains(strings.Join(res.Notes, " "), "linked") && !strings.Contains(strings.Join(res.Notes, " "), "by user name") {
			t.Errorf("UserAuthentication %s: root %q, notes %q", r.EventID, res.Root.Kind, res.Notes)
		}
		traced++
	}
	if traced == 0 {
		t.Fatal("no UserAuthentication in the file: the test tests nothing")
	}
}
