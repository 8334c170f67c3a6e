package engine

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/gen"
	"github.com/trailq/trailq/internal/rules"
	"github.com/trailq/trailq/internal/sigma"
	"github.com/trailq/trailq/internal/signin"
	"github.com/trailq/trailq/internal/source/local"
)

// oddEvents are events whose values hold the scan's separators (chr(31) in the principal and the user agent,
// a comma in the region), of principals the built-in rules and SigmaHQ's flag.
const oddEvents = `{"Records":[
{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAODD:s\u001fx","arn":"arn:aws:sts::111122223333:assumed-role/r/s\u001fx","accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAODD","arn":"arn:aws:iam::111122223333:role/r","accountId":"111122223333","userName":"r"}}},"eventTime":"2024-09-01T10:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"a\u001fb","requestParameters":{"name":"t"},"responseElements":null,"eventID":"odd-1","eventType":"AwsApiCall","recipientAccountId":"111122223333"},
{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAODD:s","arn":"arn:aws:sts::111122223333:assumed-role/r/s","accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAODD","arn":"arn:aws:iam::111122223333:role/r","accountId":"111122223333","userName":"r"}}},"eventTime":"2024-09-01T10:05:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1,x","sourceIPAddress":"203.0.113.9","userAgent":"ua","requestParameters":{"name":"t"},"responseElements":null,"eventID":"odd-2","eventType":"AwsApiCall","recipientAccountId":"111122223333"},
{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAODD:s","arn":"arn:aws:sts::111122223333:assumed-role/r/s","accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAODD","arn":"arn:aws:iam::111122223333:role/r","accountId":"111122223333","userName":"r"}}},"eventTime":"not a time","eventSource":"cloudtrail.amazonaws.com","eventName":"DeleteTrail","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"ua","requestParameters":{"name":"t"},"responseElements":null,"eventID":"odd-3","eventType":"AwsApiCall","recipientAccountId":"111122223333"}
]}`

// TestDetectScanSame checks that the scan makes the findings the scan before it made (scanBefore: the same
// query, each row split and joined into strings) on a generated tree with the Stratus Red Team detonations and
// events whose values hold the separators: every detection rule, built-in and SigmaHQ's.
func TestDetectScanSame(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p, err := gen.NewPlan(gen.Options{Records: 20_000, Days: 2, Accounts: 3, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gen.Generate(ctx, p, dir, nil); err != nil {
		t.Fatal(err)
	}
	stratus, err := os.ReadFile("testdata/stratus-red-team__detonation-logs.json")
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"stratus.json": stratus, "odd.json": []byte(oddEvents)} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Source: src, StorePath: filepath.Join(t.TempDir(), "s.duckdb")}
	var e Engine
	if _, err := e.Sync(ctx, o); err != nil {
		t.Fatal(err)
	}
	hq, err := sigma.Load([]string{"../sigma/testdata/rules", "../sigma/testdata/unsupported"}, sigma.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var dets []*sigma.Rule
	for _, r := range runnable(append(sigma.Compile(rules.Files(), sigma.Options{}).Rules, hq.Rules...), "") {
		if r.Kind == sigma.Detection {
			dets = append(dets, r)
		}
	}
	st, err := e.Reader(ctx, Options{StorePath: o.StorePath})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	run := func(scan func(*detectRun, context.Context, []*sigma.Rule) error) []Finding {
		r := &detectRun{e: &e, st: st, res: &DetectResult{}, now: now, sandboxed: true}
		var err error
		if r.rel, err = scopeRelation(r.period, nil, nil); err != nil {
			t.Fatal(err)
		}
		if err := scan(r, ctx, dets); err != nil {
			t.Fatal(err)
		}
		return r.res.Findings
	}
	got, want := run((*detectRun).scan), run((*detectRun).scanBefore)
	if len(want) < 100 {
		t.Fatalf("%d findings: want a tree that trips many rules", len(want))
	}
	var odd int
	for _, f := range want {
		for _, id := range f.EventIDs {
			if strings.HasPrefix(id, "odd-") {
				odd++
			}
		}
	}
	if odd < 3 {
		t.Errorf("the odd events are in %d findings' evidence, want at least 3", odd)
	}
	if len(got) != len(want) {
		t.Fatalf("%d findings, before %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("finding %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	t.Logf("%d findings the same (%d with odd events' evidence)", len(want), odd)
}

// scanBefore is scan as it was before its rows were cut without copying (the reference TestDetectScanSame
// compares it with).
func (r *detectRun) scanBefore(ctx context.Context, rules []*sigma.Rule) error {
	groups := map[string]*detGroup{}
	var order []*detGroup
	names := map[string]who{}
	nf := len(signin.PrincipalFields)
	vals := make([]any, nf)
	err := r.query(ctx, DetectScanSQL(rules), func(_ []Column, v []any) error {
		parts := strings.Split(text(v[4]), whoSep)
		if len(parts) != nf+4 {
			parts = append(make([]string, nf), "", "", "", "")
		}
		pkey := strings.Join(parts[:nf], whoSep)
		w, ok := names[pkey]
		if !ok {
			for i, p := range parts[:nf] {
				vals[i] = p
			}
			w.principal, w.account = signin.Principal(vals)
			names[pkey] = w
		}
		us, ok := v[2].(int64)
		hour := int64(math.MinInt64)
		if !ok {
			us = math.MinInt64
		} else {
			hour = floorDiv(us, 3600_000_000)
		}
		fileID, _ := v[3].(int64)
		for _, s := range strings.Split(text(v[0]), ",") {
			i, err := strconv.Atoi(s)
			if err != nil || i < 0 || i >= len(rules) {
				return fmt.Errorf("the scan gave rule %q", text(v[0]))
			}
			key := s + "\x00" + w.account + "\x00" + w.principal + "\x00" + strconv.FormatInt(hour, 10)
			g := groups[key]
			if g == nil {
				g = &detGroup{rule: rules[i], account: w.account, principal: w.principal, hour: hour}
				groups[key] = g
				order = append(order, g)
			}
			g.events = append(g.events, evidence{text(v[1]), us})
			g.regions.add(parts[nf])
			g.ips.add(parts[nf+1])
			g.names.add(parts[nf+2])
			g.errors.add(parts[nf+3])
			g.fileID = max(g.fileID, fileID)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("detect: %w", err)
	}
	for _, g := range order {
		r.res.Findings = append(r.res.Findings, r.detectionFinding(g))
	}
	return nil
}

// TestOrderedSet checks the set keeps the distinct non-empty values in the order first seen, past the size
// where it starts a map.
func TestOrderedSet(t *testing.T) {
	var s orderedSet
	var want []string
	for i := range 40 {
		v := strconv.Itoa(i * 7 % 13)
		if i%5 == 0 {
			v = ""
		}
		s.add(v)
		if v != "" && !slices.Contains(want, v) {
			want = append(want, v)
		}
	}
	if !slices.Equal(s.list, want) {
		t.Errorf("got %q, want %q", s.list, want)
	}
}
