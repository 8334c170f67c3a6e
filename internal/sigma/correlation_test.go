package sigma

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// corrRecords are sign-ins and IAM calls of several people at set times (2024-05-01), each made to cross or
// stay under a threshold of the rules below.
func corrRecords() []map[string]any {
	var out []map[string]any
	n := 0
	add := func(clock, name, user, ip string, extra map[string]any) {
		n++
		r := map[string]any{"eventID": fmt.Sprintf("%s-%02d", user, n), "eventTime": "2024-05-01T" + clock + "Z",
			"sourceIPAddress": ip, "userIdentity": map[string]any{"type": "IAMUser", "userName": user,
				"arn": "arn:aws:iam::111122223333:user/" + user}}
		switch name {
		case "fail", "ok":
			r["eventSource"], r["eventName"], r["eventType"] = "signin.amazonaws.com", "ConsoleLogin", "AwsConsoleSignIn"
			r["responseElements"] = map[string]any{"ConsoleLogin": map[string]string{"fail": "Failure", "ok": "Success"}[name]}
		default:
			r["eventSource"], r["eventName"] = "iam.amazonaws.com", name
		}
		for k, v := range extra {
			r[k] = v
		}
		out = append(out, r)
	}
	// alice: two bursts of five failures an hour apart; bob: three; carol: five, five minutes apart;
	// dave: five across 10:10, where fixed five-minute windows would split them 2 + 3.
	for _, c := range []string{"10:00:00", "10:01:00", "10:02:00", "10:03:00", "10:04:00", "11:00:00", "11:00:30", "11:01:00", "11:01:30", "11:02:00"} {
		add(c, "fail", "alice", "198.51.100.1", nil)
	}
	for _, c := range []string{"10:00:00", "10:01:00", "10:02:00"} {
		add(c, "fail", "bob", "198.51.100.2", nil)
	}
	for _, c := range []string{"10:00:00", "10:05:01", "10:10:02", "10:15:03", "10:20:04"} {
		add(c, "fail", "carol", "198.51.100.3", nil)
	}
	for _, c := range []string{"10:08:00", "10:09:00", "10:10:00", "10:11:00", "10:12:00"} {
		add(c, "fail", "dave", "198.51.100.4", nil)
	}
	// Spraying: one address fails for four people in ten minutes; another fails four times for one.
	for i, u := range []string{"u1", "u2", "u3", "u4"} {
		add(fmt.Sprintf("12:0%d:00", 2*i), "fail", u, "203.0.113.9", nil)
		add(fmt.Sprintf("12:0%d:00", 2*i), "fail", "u5", "203.0.113.10", nil)
	}
	// erin fails three times, then signs in; frank signs in, then fails three times.
	for _, c := range []string{"13:00:00", "13:01:00", "13:02:00"} {
		add(c, "fail", "erin", "198.51.100.5", nil)
	}
	add("13:05:00", "ok", "erin", "198.51.100.5", nil)
	add("13:00:00", "ok", "frank", "198.51.100.6", nil)
	for _, c := range []string{"13:01:00", "13:02:00", "13:03:00"} {
		add(c, "fail", "frank", "198.51.100.6", nil)
	}
	// IAM: gina creates a user, its key and attaches a policy in five minutes; hank does two of the three;
	// ivan does all three over two hours.
	for i, name := range []string{"CreateUser", "CreateAccessKey", "AttachUserPolicy"} {
		add(fmt.Sprintf("14:0%d:00", 2*i), name, "gina", "198.51.100.7", map[string]any{"requestParameters": map[string]any{"userName": "mallory"}})
		if i < 2 {
			add(fmt.Sprintf("14:0%d:00", 2*i), name, "hank", "198.51.100.8", nil)
		}
		add(fmt.Sprintf("1%d:00:00", 4+i), name, "ivan", "198.51.100.9", nil)
	}
	// mallory, whose key gina made, signs in at 14:30.
	add("14:30:00", "ok", "mallory", "198.51.100.10", nil)
	return out
}

const corrBase = `title: Failed console sign-in
id: 0f5c1f0a-0000-4000-8000-000000000001
name: failed_login
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventName: ConsoleLogin
    responseElements.ConsoleLogin: Failure
  condition: sel
---
title: Console sign-in
name: good_login
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventName: ConsoleLogin
    responseElements.ConsoleLogin: Success
  condition: sel
---
title: IAM user created
name: create_user
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: CreateUser}
  condition: sel
---
title: Access key created
name: create_key
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: CreateAccessKey}
  condition: sel
---
title: Policy attached
name: attach_policy
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: AttachUserPolicy}
  condition: sel
`

// finding is a row of a correlation's SQL, as text.
func findingRows(t *testing.T, rows [][]any, groups int) []string {
	var out []string
	for _, row := range rows {
		var parts []string
		for i := range groups {
			parts = append(parts, fmt.Sprint(row[i]))
		}
		first, last := row[groups].(time.Time), row[groups+1].(time.Time)
		var ids []string
		if err := json.Unmarshal(row[groups+3].(json.RawMessage), &ids); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, first.UTC().Format("15:04:05"), last.UTC().Format("15:04:05"), fmt.Sprint(row[groups+2]), strings.Join(ids, ","))
		for _, v := range row[groups+4:] {
			if raw, ok := v.(json.RawMessage); ok {
				v = string(raw)
			}
			parts = append(parts, fmt.Sprint(v))
		}
		out = append(out, strings.Join(parts, " "))
	}
	return out
}

func TestCorrelations(t *testing.T) {
	st := openStore(t, writeRecords(t, corrRecords()))
	for _, c := range []struct {
		name, rule string
		want       []string // group values, first and last time, event count, event IDs, then value_count and values
	}{
		{"event_count over the threshold, per group, one finding per burst", `
title: Brute force
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [userIdentity.userName]
  timespan: 5m
  condition: {gte: 5}
level: high`, []string{
			"alice 10:00:00 10:04:00 5 alice-01,alice-02,alice-03,alice-04,alice-05",
			"dave 10:08:00 10:12:00 5 dave-19,dave-20,dave-21,dave-22,dave-23",
			"alice 11:00:00 11:02:00 5 alice-06,alice-07,alice-08,alice-09,alice-10",
		}},
		{"event_count by the rule's id", `
title: Brute force
correlation:
  type: event_count
  rules: [0f5c1f0a-0000-4000-8000-000000000001]
  group-by: [userIdentity.userName]
  timespan: 5m
  condition: {gt: 4}`, []string{
			"alice 10:00:00 10:04:00 5 alice-01,alice-02,alice-03,alice-04,alice-05",
			"dave 10:08:00 10:12:00 5 dave-19,dave-20,dave-21,dave-22,dave-23",
			"alice 11:00:00 11:02:00 5 alice-06,alice-07,alice-08,alice-09,alice-10",
		}},
		{"under the threshold: nothing", `
title: Brute force
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [userIdentity.userName]
  timespan: 5m
  condition: {gte: 6}`, nil},
		{"a burst longer than the timespan is one finding", `
title: Brute force
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [userIdentity.userName]
  timespan: 2m
  condition: {gte: 3}`, []string{
			"alice 10:00:00 10:04:00 5 alice-01,alice-02,alice-03,alice-04,alice-05",
			"bob 10:00:00 10:02:00 3 bob-11,bob-12,bob-13",
			"dave 10:08:00 10:12:00 5 dave-19,dave-20,dave-21,dave-22,dave-23",
			"alice 11:00:00 11:02:00 5 alice-06,alice-07,alice-08,alice-09,alice-10",
			"erin 13:00:00 13:02:00 3 erin-32,erin-33,erin-34",
			"frank 13:01:00 13:03:00 3 frank-37,frank-38,frank-39",
		}},
		{"without group-by: all events", `
title: Failure storm
correlation:
  type: event_count
  rules: [failed_login]
  timespan: 1m
  condition: {gte: 4}`, []string{
			"10:00:00 10:02:00 7 alice-01,bob-11,carol-14,alice-02,bob-12,alice-03,bob-13",
			"13:01:00 13:02:00 4 erin-33,frank-37,erin-34,frank-38",
		}},
		{"value_count: one address, many users", `
title: Password spraying
correlation:
  type: value_count
  rules: [failed_login]
  group-by: [sourceIPAddress]
  timespan: 10m
  condition: {field: userIdentity.userName, gte: 4}`, []string{
			`203.0.113.9 12:00:00 12:06:00 4 u1-24,u2-26,u3-28,u4-30 4 ["u1","u2","u3","u4"]`,
		}},
		{"temporal: all rules by one person in the timespan", `
title: Backdoor user
correlation:
  type: temporal
  rules: [create_user, create_key, attach_policy]
  group-by: [userIdentity.userName]
  timespan: 10m`, []string{
			"gina 14:00:00 14:04:00 3 gina-40,gina-43,gina-46",
		}},
		{"temporal with a condition of rule names", `
title: User and key
correlation:
  type: temporal
  rules: [create_user, create_key, attach_policy]
  group-by: [userIdentity.userName]
  timespan: 10m
  condition: create_user and create_key`, []string{
			"gina 14:00:00 14:04:00 3 gina-40,gina-43,gina-46",
			"hank 14:00:00 14:02:00 2 hank-41,hank-44",
		}},
		{"temporal with a count of rules", `
title: Two of three
correlation:
  type: temporal
  rules: [create_user, create_key, attach_policy]
  group-by: [userIdentity.userName]
  timespan: 10m
  condition: {gte: 2}`, []string{
			"gina 14:00:00 14:04:00 3 gina-40,gina-43,gina-46",
			"hank 14:00:00 14:02:00 2 hank-41,hank-44",
		}},
		{"temporal_ordered over a correlation: failures, then a sign-in", `
title: Many failed logins
name: many_failed
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [userIdentity.userName]
  timespan: 5m
  condition: {gte: 3}
---
title: Sign-in after failures
correlation:
  type: temporal_ordered
  rules: [many_failed, good_login]
  group-by: [userIdentity.userName]
  timespan: 10m`, []string{
			"erin 13:02:00 13:05:00 2 erin-34,erin-35",
		}},
		{"aliases: a key made for someone who then signs in", `
title: Key for another, then their sign-in
correlation:
  type: temporal_ordered
  rules: [create_key, good_login]
  group-by: [user]
  timespan: 1h
  aliases:
    user:
      create_key: requestParameters.userName
      good_login: userIdentity.userName`, []string{
			"mallory 14:02:00 14:30:00 2 gina-43,mallory-48",
		}},
		{"lt: a fixed window (tumbling) with few events", `
title: Lone IAM call
correlation:
  type: event_count
  rules: [create_user, create_key, attach_policy]
  group-by: [userIdentity.userName]
  timespan: 1h
  condition: {lt: 2}`, []string{
			"ivan 14:00:00 14:00:00 1 ivan-42",
			"ivan 15:00:00 15:00:00 1 ivan-45",
			"ivan 16:00:00 16:00:00 1 ivan-47",
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			set := Compile([]File{{Name: "base.yml", Data: []byte(corrBase)}, {Name: "corr.yml", Data: []byte(c.rule)}}, Options{})
			if len(set.Problems) > 0 {
				t.Fatalf("%v", set.Problems)
			}
			r := set.Rules[len(set.Rules)-1]
			if r.Kind != Correlation || !r.Standalone {
				t.Fatalf("kind %s, standalone %v", r.Kind, r.Standalone)
			}
			got := findingRows(t, run(t, st, r.SQL), len(r.Correlation.GroupBy))
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s\n%s", diff, r.SQL)
			}
		})
	}
}

func TestCorrelationRule(t *testing.T) {
	set := Compile([]File{{Name: "base.yml", Data: []byte(corrBase)}, {Name: "corr.yml", Data: []byte(`
title: Brute force
id: 6b2a0c9e-0000-4000-8000-000000000002
author: Someone
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [userIdentity.userName, sourceIPAddress]
  timespan: 90m
  condition: {gte: 5, lte: 50}
level: high
tags: [attack.credential-access, attack.t1110.001]
`)}}, Options{License: "DRL-1.1"})
	if len(set.Problems) > 0 {
		t.Fatal(set.Problems)
	}
	r := set.Rule("6b2a0c9e-0000-4000-8000-000000000002")
	c := r.Correlation
	if got, want := strings.TrimSpace(fmt.Sprintln(c.Type, c.RuleIDs, c.GroupColumns, c.Timespan, c.Conditions, c.Window, r.Techniques, r.Tactics, r.License)),
		"event_count [0f5c1f0a-0000-4000-8000-000000000001] [useridentity_username sourceipaddress] 1h30m0s [gte 5 lte 50] tumbling [T1110.001] [credential-access] DRL-1.1"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// The rules a correlation uses are not findings of their own; the others are.
	for _, b := range set.Rules {
		if want := b.Name != "failed_login"; b.Standalone != want {
			t.Errorf("%s: standalone %v, want %v", b.Title, b.Standalone, want)
		}
	}
	// Thresholds are parameters: WithThreshold rebuilds the SQL and refuses what makes no sense.
	st := openStore(t, writeRecords(t, corrRecords()))
	for _, c := range []struct {
		span  time.Duration
		conds []Threshold
		want  int
		err   string
	}{
		{5 * time.Minute, []Threshold{{"gte", 5}}, 3, ""},
		{5 * time.Minute, []Threshold{{"gte", 10}}, 0, ""},
		{2 * time.Hour, []Threshold{{"gte", 10}}, 1, ""},
		{0, []Threshold{{"gte", 5}}, 0, "a timespan of 0s makes no sense"},
		{time.Minute, []Threshold{{"gte", 0}}, 0, "a threshold of 0 (gte 0) makes no sense"},
		{time.Minute, []Threshold{{"gt", -1}}, 0, "a negative threshold (gt -1) makes no sense"},
		{time.Minute, []Threshold{{"gt", 5}, {"lt", 3}}, 0, "the condition gt 5 and lt 3 holds for no count"},
	} {
		r2, err := r.WithThreshold(c.span, c.conds)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s %v: error %v, want %q", c.span, c.conds, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := len(run(t, st, r2.SQL)); got != c.want {
			t.Errorf("%s %v: %d findings, want %d", c.span, c.conds, got, c.want)
		}
	}
	if r.Correlation.Timespan != 90*time.Minute || !strings.Contains(r.SQL, "5400") {
		t.Errorf("WithThreshold changed the rule it was called on")
	}
}

// TestGenerate: with generate: true, the rules a correlation uses are findings of their own too.
func TestGenerate(t *testing.T) {
	for _, generate := range []bool{false, true} {
		set := Compile([]File{{Name: "base.yml", Data: []byte(corrBase)}, {Name: "corr.yml", Data: []byte(fmt.Sprintf(`
title: Brute force
correlation:
  type: event_count
  rules: [failed_login]
  timespan: 5m
  condition: {gte: 5}
  generate: %v
`, generate))}}, Options{})
		if len(set.Problems) > 0 {
			t.Fatal(set.Problems)
		}
		if r := set.Rule("0f5c1f0a-0000-4000-8000-000000000001"); r.Standalone != generate {
			t.Errorf("generate %v: the rule it uses stands alone: %v", generate, r.Standalone)
		}
	}
}
