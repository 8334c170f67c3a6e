package sigma

import (
	"strings"
	"testing"
)

const good = `title: Good
id: good
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: StopLogging}
  condition: sel
`

func rule(detection string) string {
	return "title: Bad\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n" + indent(detection) + "\n"
}

// TestProblems: a rule that does not parse, is not valid Sigma or that trailq cannot compile is named with its
// file, line, column and why; the other rules of the set still compile.
func TestProblems(t *testing.T) {
	for _, c := range []struct {
		name, rule, want string
		kind             ProblemKind
	}{
		{"YAML", "title: Bad\ndetection:\n  sel: [a\n", `bad.yml:2: parse YAML: did not find expected ',' or ']'`, Invalid},
		{"not a mapping", "- a\n- b\n", `bad.yml:1:1: a rule is a YAML mapping of attributes (title, logsource, detection, …)`, Invalid},
		{"unknown modifier", rule("sel:\n  eventName|contians: x\ncondition: sel"), `bad.yml:7:15: rule "Bad": unknown modifier "contians"`, Invalid},
		{"unknown modifier after another", rule("sel:\n  'eventName|contains|alll': [x, y]\ncondition: sel"), `bad.yml:7:25: rule "Bad": unknown modifier "alll"`, Invalid},
		{"unknown field", rule("sel:\n  eventNmae: x\ncondition: sel"), `bad.yml:7:5: rule "Bad": field eventNmae is not a field of CloudTrail records (nor a column of Athena's CloudTrail table): did you mean eventName?`, Invalid},
		{"unknown field of a structure", rule("sel:\n  userIdentity.sessionContext.sourceIdentity: x\ncondition: sel"), `bad.yml:7:5: rule "Bad": field userIdentity.sessionContext.sourceIdentity: userIdentity.sessionContext has no field sourceIdentity in Athena's CloudTrail table (its fields: attributes, ec2RoleDelivery, sessionIssuer, webIdFederationData)`, Invalid},
		{"a structure", rule("sel:\n  userIdentity: x\ncondition: sel"), `bad.yml:7:5: rule "Bad": field userIdentity is a structure: name one of its fields (accessKeyId, accountId, arn, invokedBy, onBehalfOf, principalId, sessionContext, type, userName)`, Invalid},
		{"a list", rule("sel:\n  resources.arn.x: x\ncondition: sel"), `bad.yml:7:5: rule "Bad": field resources.arn.x: name one field of the elements of resources (ARN, accountId, type)`, Invalid},
		{"undefined selection", rule("sel:\n  eventName: x\ncondition: sel and not filter"), `bad.yml:8:26: rule "Bad": the condition names filter, which the detection does not define (it has sel)`, Invalid},
		{"condition ends early", rule("sel:\n  eventName: x\ncondition: sel and"), `bad.yml:8:21: rule "Bad": the condition ends where a selection, ( or not was expected`, Invalid},
		{"missing )", rule("sel:\n  eventName: x\ncondition: '(sel or sel'"), `bad.yml:8:26: rule "Bad": missing ) for the ( at column 1 of the condition`, Invalid},
		{"pattern without a match", rule("sel:\n  eventName: x\ncondition: 1 of filter_*"), `bad.yml:8:19: rule "Bad": filter_* matches no selection (the detection has sel)`, Invalid},
		{"pattern without a quantifier", rule("sel:\n  eventName: x\ncondition: sel*"), `bad.yml:8:14: rule "Bad": a pattern (sel*) needs a quantifier: 1 of sel* or all of sel*`, Invalid},
		{"no condition", rule("sel:\n  eventName: x"), `bad.yml:6:3: rule "Bad": detection has no condition`, Invalid},
		{"empty list", rule("sel:\n  eventName: []\ncondition: sel"), `bad.yml:7:5: rule "Bad": eventName has an empty list of values`, Invalid},
		{"cidr", rule("sel:\n  sourceIPAddress|cidr: 10.0.0.0/33\ncondition: sel"), `bad.yml:7:27: rule "Bad": cidr takes a network like 10.0.0.0/8 or 2001:db8::/32, not "10.0.0.0/33"`, Invalid},
		{"exists", rule("sel:\n  errorCode|exists: maybe\ncondition: sel"), `bad.yml:7:23: rule "Bad": exists takes true or false, not "maybe"`, Invalid},
		{"modifiers that do not combine", rule("sel:\n  errorCode|contains|re: x\ncondition: sel"), `bad.yml:7:24: rule "Bad": modifier re cannot be combined with contains`, Invalid},
		{"utf16 alone", rule("sel:\n  errorCode|wide: x\ncondition: sel"), `bad.yml:7:5: rule "Bad": modifier utf16le gives bytes that CloudTrail's text never holds: use it before base64 or base64offset`, Invalid},
		{"level", good + "level: severe\n", `bad.yml:7:8: rule "Good": unknown level "severe": use informational, low, medium, high or critical`, Invalid},
		{"no detection", "title: Bad\nlogsource: {product: aws, service: cloudtrail}\n", `bad.yml:1:1: rule "Bad": the rule has no detection`, Invalid},
		{"not CloudTrail", "title: Bad\nlogsource: {product: windows, service: security}\ndetection: {sel: {EventID: 4625}, condition: sel}\n",
			`bad.yml:2:12: rule "Bad": not for CloudTrail: its logsource is product "windows", service "security" (trailq runs product aws, service cloudtrail)`, NotCloudTrail},
		{"keywords", rule("keywords:\n  - evil\ncondition: keywords"), `bad.yml:7:7: rule "Bad": selection keywords: keyword searches (values without a field) are not supported: CloudTrail has no message text; name the field`, Unsupported},
		{"placeholders", rule("sel:\n  sourceIPAddress|expand: '%ips%'\ncondition: sel"), `bad.yml:7:21: rule "Bad": modifier expand needs placeholder values (%name%), which trailq has no settings for: write the values in the rule`, Unsupported},
		{"near", rule("a:\n  eventName: x\nb:\n  eventName: y\ncondition: a | near b"), `bad.yml:10:14: rule "Bad": the near operator is not supported: write a temporal correlation rule`, Unsupported},
		{"look-ahead", rule("sel:\n  userAgent|re: 'a(?=b)'\ncondition: sel"), `bad.yml:7:19: rule "Bad": regular expression "a(?=b)": error parsing regexp: invalid or unsupported Perl syntax: ` + "`(?=`" + ` (trailq runs RE2: no look-around or back-references)`, Unsupported},
		{"count() without timeframe", rule("sel:\n  eventName: x\ncondition: sel | count() > 5"), `bad.yml:8:14: rule "Bad": count() without a timeframe counts over all time: give the detection a timeframe (or write a correlation rule)`, Unsupported},
		{"correlation: unknown rule", "title: C\ncorrelation:\n  type: event_count\n  rules: [nope]\n  timespan: 5m\n  condition: {gte: 3}\n",
			`bad.yml:4:10: rule "C": rule nope is not among the rules given (correlations name rules by id or name)`, Invalid},
		{"correlation: timespan 0", "title: C\ncorrelation:\n  type: event_count\n  rules: [good]\n  timespan: 0m\n  condition: {gte: 3}\n",
			`bad.yml:5:13: rule "C": a timespan of 0 makes no sense: events are counted within a timespan`, Invalid},
		{"correlation: negative timespan", "title: C\ncorrelation:\n  type: event_count\n  rules: [good]\n  timespan: -5m\n  condition: {gte: 3}\n",
			`bad.yml:5:13: rule "C": timespan "-5m": write a number and a unit, s, m, h, d or w (90m, 1h, 7d)`, Invalid},
		{"correlation: threshold 0", "title: C\ncorrelation:\n  type: event_count\n  rules: [good]\n  timespan: 5m\n  condition: {gte: 0}\n",
			`bad.yml:6:14: rule "C": a threshold of 0 (gte 0) makes no sense: every group has one event or more`, Invalid},
		{"correlation: unknown attribute", "title: C\ncorrelation:\n  type: event_count\n  rules: [good]\n  timespan: 5m\n  groupby: [x]\n  condition: {gte: 3}\n",
			`bad.yml:6:3: rule "C": unknown correlation attribute groupby (it has type, rules, group-by, timespan, condition, aliases, generate)`, Invalid},
		{"correlation: no field", "title: C\ncorrelation:\n  type: value_count\n  rules: [good]\n  timespan: 5m\n  condition: {gte: 3}\n",
			`bad.yml:2:1: rule "C": value_count needs the field whose values it counts (condition: field: …)`, Invalid},
		{"correlation: a rule that did not compile", "title: B\nid: b\nlogsource: {product: aws, service: cloudtrail}\ndetection: {sel: {status: x}, condition: sel}\n---\ntitle: C\ncorrelation:\n  type: event_count\n  rules: [b]\n  timespan: 5m\n  condition: {gte: 3}\n",
			`bad.yml:9:10: rule "C": it uses rule b, which was not compiled: field status is not a field of CloudTrail records (nor a column of Athena's CloudTrail table)`, Invalid},
		{"correlation: group-by a list", "title: C\ncorrelation:\n  type: event_count\n  rules: [good]\n  group-by: [resources.ARN]\n  timespan: 5m\n  condition: {gte: 3}\n",
			`bad.yml:5:3: rule "C": group-by resources.ARN: a field of a list cannot group`, Invalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			set := Compile([]File{{Name: "good.yml", Data: []byte(good)}, {Name: "bad.yml", Data: []byte(c.rule)}}, Options{})
			var msgs []string
			for _, p := range set.Problems {
				msgs = append(msgs, p.Error())
			}
			if len(set.Problems) == 0 || set.Problems[len(set.Problems)-1].Error() != c.want {
				t.Fatalf("problems:\n%s\nwant\n%s", strings.Join(msgs, "\n"), c.want)
			}
			if p := set.Problems[len(set.Problems)-1]; p.Kind != c.kind {
				t.Errorf("kind %s, want %s", p.Kind, c.kind)
			}
			if set.Rule("good") == nil {
				t.Errorf("the good rule did not compile beside the bad one")
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	set := Compile([]File{{Name: "w.yml", Data: []byte(good + "detecton: {}\nstatus: wip\n")}}, Options{})
	if len(set.Problems) > 0 || len(set.Rules) != 1 {
		t.Fatal(set.Problems)
	}
	got := strings.Join(set.Rules[0].Warnings, "\n")
	want := "line 8: unknown status \"wip\"\nline 7: attribute detecton is not Sigma's: ignored"
	if got != want {
		t.Errorf("warnings:\n%s\nwant\n%s", got, want)
	}
}
