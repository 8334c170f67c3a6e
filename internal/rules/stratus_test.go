package rules_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/trailq/trailq/internal/sigma"
)

const stratusFile = "stratus-red-team__detonation-logs.json"

// stratusTechniques maps the eventIDs of the Stratus Red Team detonation logs to the technique whose detonation
// logged them, and lists the techniques.
func stratusTechniques(t *testing.T) (map[string]string, []string) {
	t.Helper()
	data, err := os.ReadFile("testdata/real/" + stratusFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Records []struct{ EventID string } }
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("testdata/stratus-red-team__detonation-logs.provenance.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	var techniques []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var p struct {
			Index int
			Path  string
		}
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		tech := strings.TrimSuffix(strings.TrimPrefix(path.Base(p.Path), "aws."), ".json")
		if !slices.Contains(techniques, tech) {
			techniques = append(techniques, tech)
		}
		id := doc.Records[p.Index].EventID
		if out[id] != "" && out[id] != tech {
			t.Fatalf("eventID %s is in %s and %s", id, out[id], tech)
		}
		out[id] = tech
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(techniques)
	return out, techniques
}

// stratusTargets: the built-in rule each Stratus Red Team technique is meant to trip.
var stratusTargets = map[string]string{
	"credential-access.ec2-get-password-data":                 "secrets_harvesting",
	"credential-access.secretsmanager-batch-retrieve-secrets": "secrets_harvesting",
	"credential-access.secretsmanager-retrieve-secrets":       "secrets_harvesting",
	"credential-access.ssm-retrieve-securestring-parameters":  "secrets_harvesting",
	"defense-evasion.cloudtrail-delete":                       "cloudtrail_tampering",
	"defense-evasion.cloudtrail-event-selectors":              "cloudtrail_tampering",
	"defense-evasion.cloudtrail-stop":                         "cloudtrail_tampering",
	"defense-evasion.dns-delete-logs":                         "dns_query_logging_deleted",
	"defense-evasion.organizations-leave":                     "organization_leave",
	"defense-evasion.vpc-remove-flow-logs":                    "vpc_flow_logs_deleted",
	"discovery.ec2-download-user-data":                        "access_denied_storm",
	"execution.ec2-launch-unusual-instances":                  "ec2_gpu_instances_launched",
	"execution.ec2-user-data":                                 "ec2_user_data_changed",
	"exfiltration.ec2-security-group-open-port-22-ingress":    "ec2_security_group_open_to_world",
	"exfiltration.ec2-share-ami":                              "ec2_snapshot_or_ami_shared",
	"exfiltration.ec2-share-ebs-snapshot":                     "ec2_snapshot_or_ami_shared",
	"exfiltration.rds-share-snapshot":                         "rds_snapshot_shared_or_public_restore",
	"impact.bedrock-invoke-model":                             "bedrock_model_access_enabled",
	"initial-access.console-login-without-mfa":                "console_login_without_mfa",
	"lateral-movement.ec2-instance-connect":                   "ec2_instance_connect_key_pushed",
	"lateral-movement.ec2-serial-console-send-ssh-public-key": "ec2_instance_connect_key_pushed",
	"persistence.iam-backdoor-role":                           "iam_role_trust_policy_changed",
	"persistence.iam-backdoor-user":                           "iam_credentials_for_other_user",
	"persistence.iam-create-admin-user":                       "iam_admin_policy_attached",
	"persistence.iam-create-backdoor-role":                    "iam_admin_policy_attached",
	"persistence.iam-create-user-login-profile":               "iam_credentials_for_other_user",
	"persistence.lambda-backdoor-function":                    "lambda_backdoor",
	"persistence.lambda-layer-extension":                      "lambda_backdoor",
	"persistence.rolesanywhere-create-trust-anchor":           "rolesanywhere_trust_anchor_created",
	"persistence.sts-federation-token":                        "sts_federation_token",
	"privilege-escalation.iam-update-user-login-profile":      "iam_credentials_for_other_user",
}

// stratusUncovered: techniques no built-in rule is meant for, and why (docs/DETECTIONS.md says the same).
var stratusUncovered = map[string]string{
	"credential-access.ec2-steal-instance-credentials": "instance credentials used outside the instance: CloudTrail does not say where the instance is",
	"execution.ssm-send-command":                       "SSM commands are everyday administration; SigmaHQ's rule covers it",
	"execution.ssm-start-session":                      "SSM sessions are everyday administration",
	"persistence.lambda-overwrite-code":                "a code update is every deployment",
}

// reviewedBenign: the findings of the built-in rules on the records that are not attacks (AWS documentation
// examples, Cloud Custodian's captured events, StreamAlert's Insights record), each reviewed in
// docs/DETECTIONS.md: the documented event is what the rule is for.
var reviewedBenign = []string{
	"config_recorder_stopped on awsdocs__aws-config-developer-guide.json",
	"console_login_without_mfa on awsdocs__cloudtrail-user-guide.json",
	"console_login_without_mfa on awsdocs__cloudtrail-user-guide__console-sign-in-events.json",
	"console_session_second_ip on awsdocs__athena-user-guide.json",
	"iam_user_created on awsdocs__cloudtrail-user-guide.json",
	"kms_key_deletion_or_disable on awsdocs__aws-kms-developer-guide.json",
	"root_activity on awsdocs__aws-lambda-developer-guide.json",
	"root_activity on awsdocs__cloudtrail-user-guide__console-sign-in-events.json",
	"root_activity on cloud-custodian__tests-data-cwe.json",
	"root_console_login on awsdocs__cloudtrail-user-guide__console-sign-in-events.json",
}

// TestStratusAndBenign runs every built-in rule over the Stratus Red Team detonations and the benign real
// records (testdata/real) loaded into one store, and tables which rule fires on which technique and file
// (testdata/stratus.golden, for docs/DETECTIONS.md). Each technique must fire the rule it is meant to trip; what
// fires on the benign records must be the reviewed list.
func TestStratusAndBenign(t *testing.T) {
	st := openStore(t, "testdata/real", false)
	techniques, techList := stratusTechniques(t)
	paths := map[string][]string{} // eventid → the files it is in
	for _, row := range run(t, st, `SELECT eventid, "$path" FROM cloudtrail_logs_ext`) {
		id, p := fmt.Sprint(row[0]), path.Base(fmt.Sprint(row[1]))
		if !slices.Contains(paths[id], p) {
			paths[id] = append(paths[id], p)
		}
	}
	where := func(id string, p string) string {
		if p == stratusFile {
			return "stratus " + techniques[id]
		}
		return p
	}
	set, ext := compile(t, ""), compile(t, "cloudtrail_logs_ext")
	type hit struct{ findings, events int }
	fired := map[string]map[string]*hit{} // rule file → technique or file → hits
	var rulesOrder []string
	for i, r := range ext.Rules {
		if !r.Standalone {
			continue
		}
		name := strings.TrimSuffix(path.Base(r.File), ".yml")
		rulesOrder = append(rulesOrder, name)
		hits := map[string]*hit{}
		add := func(k string, findings, events int) {
			if hits[k] == nil {
				hits[k] = &hit{}
			}
			hits[k].findings += findings
			hits[k].events += events
		}
		var n int
		if r.Kind == sigma.Detection {
			rows := run(t, st, `SELECT eventid, "$path" FROM cloudtrail_logs_ext WHERE `+r.Where)
			for _, row := range rows {
				k := where(fmt.Sprint(row[0]), path.Base(fmt.Sprint(row[1])))
				add(k, 1, 1)
			}
			n = len(rows)
		} else {
			rows := run(t, st, r.SQL)
			for _, row := range rows {
				in := map[string]int{}
				for _, id := range evidence(t, r, row) {
					for _, p := range paths[id] {
						in[where(id, p)]++
					}
				}
				for k, events := range in {
					add(k, 1, events)
				}
			}
			n = len(rows)
		}
		// The rule's SQL over cloudtrail_logs, as detect runs it, gives as many rows.
		if got := len(run(t, st, set.Rules[i].SQL)); got != n {
			t.Errorf("%s: %d rows on cloudtrail_logs, %d on cloudtrail_logs_ext", name, got, n)
		}
		fired[name] = hits
	}

	var b strings.Builder
	b.WriteString("# The built-in rules over testdata/real: which fire on each Stratus Red Team technique's detonation\n" +
		"# (findings, and the events they hold or match), then on the benign records, by file.\n" +
		"# Written by TestStratusAndBenign (go test -update); docs/DETECTIONS.md is made from it.\n\n")
	for _, tech := range techList {
		fmt.Fprintf(&b, "%s", tech)
		if target := stratusTargets[tech]; target != "" {
			fmt.Fprintf(&b, " (target %s)", target)
		} else {
			fmt.Fprintf(&b, " (no target: %s)", stratusUncovered[tech])
		}
		b.WriteString("\n")
		any := false
		for _, rule := range rulesOrder {
			if h := fired[rule]["stratus "+tech]; h != nil {
				fmt.Fprintf(&b, "    %s: %d findings, %d events\n", rule, h.findings, h.events)
				any = true
			}
		}
		if !any {
			b.WriteString("    -\n")
		}
	}
	b.WriteString("\n# benign records\n")
	var benign []string
	for _, rule := range rulesOrder {
		var keys []string
		for k := range fired[rule] {
			if !strings.HasPrefix(k, "stratus ") {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			h := fired[rule][k]
			fmt.Fprintf(&b, "%s on %s: %d findings, %d events\n", rule, k, h.findings, h.events)
			benign = append(benign, rule+" on "+k)
		}
	}
	golden(t, "stratus.golden", b.String())

	for _, tech := range techList {
		target, ok := stratusTargets[tech]
		_, uncovered := stratusUncovered[tech]
		switch {
		case !ok && !uncovered:
			t.Errorf("technique %s has no target rule and is not listed as uncovered", tech)
		case ok && fired[target]["stratus "+tech] == nil:
			t.Errorf("%s did not fire on the Stratus technique %s it targets", target, tech)
		}
	}
	for tech, target := range stratusTargets {
		if !slices.Contains(techList, tech) {
			t.Errorf("stratusTargets names %s, which is not among the detonations", tech)
		}
		if fired[target] == nil {
			t.Errorf("stratusTargets names rule %s, which is not a built-in rule", target)
		}
	}
	sort.Strings(benign)
	if diff := cmp.Diff(reviewedBenign, benign); diff != "" {
		t.Errorf("built-in rules firing on the benign records (-reviewed +now):\n%s", diff)
	}
}
