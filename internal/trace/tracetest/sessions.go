package tracetest

import (
	"time"
)

// identity is a planted caller.
type identity struct {
	fields  map[string]any
	account string
	key     string
	ip      string
	console bool
}

// user is an IAM user calling with key (none for a sign-in); created, when set, makes it a console session.
func user(name, account, key, ip string, created time.Time) identity {
	id := map[string]any{"type": "IAMUser", "principalId": "AIDA" + name, "accountId": account,
		"arn": "arn:aws:iam::" + account + ":user/" + name, "userName": name}
	if key != "" {
		id["accessKeyId"] = key
	}
	if !created.IsZero() {
		id["sessionContext"] = map[string]any{"sessionIssuer": map[string]any{},
			"attributes": map[string]any{"creationDate": created.UTC().Format(time.RFC3339), "mfaAuthenticated": "true"}}
	}
	return identity{fields: id, account: account, key: key, ip: ip, console: !created.IsZero() && key != ""}
}

// role is a session of a role, opened at created.
func role(roleARN, roleName, account, sessionName, sourceIdentity, key, ip string, created time.Time) identity {
	ctx := map[string]any{
		"sessionIssuer": map[string]any{"type": "Role", "principalId": "AROA" + roleName, "arn": roleARN,
			"accountId": account, "userName": roleName},
		"attributes": map[string]any{"creationDate": created.UTC().Format(time.RFC3339), "mfaAuthenticated": "false"},
	}
	if sourceIdentity != "" {
		ctx["sourceIdentity"] = sourceIdentity
	}
	id := map[string]any{"type": "AssumedRole", "principalId": "AROA" + roleName + ":" + sessionName,
		"arn": "arn:aws:sts::" + account + ":assumed-role/" + roleName + "/" + sessionName, "accountId": account,
		"accessKeyId": key, "sessionContext": ctx}
	return identity{fields: id, account: account, key: key, ip: ip}
}

// record plants one event of session by caller.
func (pl *planter) record(session string, t time.Time, caller identity, c call, region string) *Event {
	e := Event{ID: pl.uuid(), Session: session, Time: t, Name: c.name, IP: caller.ip, Account: caller.account, AccessKey: caller.key}
	r := map[string]any{"eventVersion": "1.09", "userIdentity": caller.fields, "eventTime": t.UTC().Format(time.RFC3339),
		"eventSource": c.source, "eventName": c.name, "awsRegion": region, "sourceIPAddress": caller.ip,
		"userAgent": "aws-cli/2.17.0 Python/3.11 planted", "requestID": pl.uuid(), "eventID": e.ID,
		"readOnly": c.readOnly, "eventType": "AwsApiCall", "managementEvent": true,
		"recipientAccountId": caller.account, "eventCategory": "Management", "requestParameters": c.req,
		"responseElements": c.resp}
	if c.errorCode != "" {
		r["errorCode"], r["errorMessage"] = c.errorCode, "User is not authorized to perform this operation"
		r["responseElements"] = nil
	}
	if caller.console {
		r["sessionCredentialFromConsole"] = "true"
	}
	if c.resource != "" {
		r["resources"] = []map[string]any{{"ARN": c.resource, "accountId": caller.account}}
		e.Resources = []string{c.resource}
	}
	if c.name == "ConsoleLogin" {
		r["eventType"] = "AwsConsoleSignIn"
		r["additionalEventData"] = map[string]any{"MFAUsed": "Yes", "MobileVersion": "No", "LoginTo": "https://console.aws.amazon.com/console/home"}
		delete(r, "readOnly")
	}
	key := fileKey(caller.account, region, t)
	pl.records[key] = append(pl.records[key], r)
	pl.p.Events = append(pl.p.Events, e)
	return &pl.p.Events[len(pl.p.Events)-1]
}

// assume plants an AssumeRole call by caller for roleARN; failed ones are denied. It returns the new key.
func (pl *planter) assume(session string, t time.Time, caller identity, roleARN, roleName, account, sessionName, sourceIdentity string, failed bool) (string, string) {
	c := call{source: "sts.amazonaws.com", name: "AssumeRole", readOnly: true, resource: roleARN,
		req: map[string]any{"roleArn": roleARN, "roleSessionName": sessionName, "durationSeconds": 3600}}
	if sourceIdentity != "" {
		c.req["sourceIdentity"] = sourceIdentity
	}
	key := ""
	if failed {
		c.errorCode = "AccessDenied"
	} else {
		key = pl.key("ASIA")
		c.resp = map[string]any{
			"credentials":     map[string]any{"accessKeyId": key, "sessionToken": "planted", "expiration": t.Add(time.Hour).UTC().Format("Jan 2, 2006, 3:04:05 PM")},
			"assumedRoleUser": map[string]any{"assumedRoleId": "AROA" + roleName + ":" + sessionName, "arn": "arn:aws:sts::" + account + ":assumed-role/" + roleName + "/" + sessionName},
		}
		if sourceIdentity != "" {
			c.resp["sourceIdentity"] = sourceIdentity
		}
	}
	e := pl.record(session, t, caller, c, "us-east-1")
	e.NewKey = key
	return key, e.ID
}

// plain plants n ordinary calls of session by caller from t on, every step.
func (pl *planter) plain(session string, t time.Time, step time.Duration, callers []identity, region string) time.Time {
	for i, c := range pl.calls(pl.n(), "arn:aws:s3:::"+Bucket) {
		t = t.Add(step)
		pl.record(session, t, callers[i%len(callers)], c, region)
	}
	return t
}

// console plants a sign-in of Alice at t and her console session's calls (two console keys); the Console
// session also opens the deploy role in account B, which opens the audit role back in account A.
func (pl *planter) console(t time.Time, session string) {
	login := pl.record(session, t, user(Alice, AccountA, "", AliceIP, time.Time{}),
		call{source: "signin.amazonaws.com", name: "ConsoleLogin", resp: map[string]any{"ConsoleLogin": "Success"}}, "us-east-1")
	keys := []identity{user(Alice, AccountA, pl.key("ASIA"), AliceIP, t), user(Alice, AccountA, pl.key("ASIA"), AliceIP, t)}
	end := pl.plain(session, t, 41*time.Second, keys, "eu-west-1")
	if session != Console {
		pl.p.DecoyLogin = login.ID
		return
	}
	pl.p.ConsoleLogin = login.ID
	pl.assume(session, end.Add(time.Minute), keys[1], "arn:aws:iam::"+AccountB+":role/admin", "admin", AccountB, "alice-admin", Alice, true)
	t1 := end.Add(2 * time.Minute)
	pl.p.DeployKey, pl.p.AssumeDeploy = pl.assume(session, t1, keys[0], pl.p.DeployRoleARN, DeployRole, AccountB, SessionName, Alice, false)
	deploy := role(pl.p.DeployRoleARN, DeployRole, AccountB, SessionName, Alice, pl.p.DeployKey, AliceIP, t1)
	end = pl.plain(Deploy, t1, 23*time.Second, []identity{deploy}, "us-west-2")
	t2 := end.Add(30 * time.Second)
	auditARN := "arn:aws:iam::" + AccountA + ":role/" + AuditRole
	pl.p.AuditKey, pl.p.AssumeAudit = pl.assume(Deploy, t2, deploy, auditARN, AuditRole, AccountA, "alice-audit", Alice, false)
	audit := role(auditARN, AuditRole, AccountA, "alice-audit", Alice, pl.p.AuditKey, AliceIP, t2)
	pl.plain(Audit, t2, 17*time.Second, []identity{audit}, "us-east-1")
}

// aliceCLI plants Alice's calls with her long-term key.
func (pl *planter) aliceCLI(t time.Time) {
	pl.plain(AliceKey, t, 3*time.Minute, []identity{user(Alice, AccountA, pl.p.AliceLongKey, AliceCLIIP, time.Time{})}, "eu-west-1")
}

// bob plants Bob's calls with his long-term key and the deploy role session he opens with Alice's session name.
func (pl *planter) bob(t time.Time) {
	bob := user(Bob, AccountA, pl.key("AKIA"), BobIP, time.Time{})
	end := pl.plain(BobKey, t, time.Minute, []identity{bob}, "us-east-1")
	t1 := end.Add(time.Minute)
	pl.p.BobDeployKey, pl.p.BobAssume = pl.assume(BobKey, t1, bob, pl.p.DeployRoleARN, DeployRole, AccountB, SessionName, "", false)
	pl.plain(BobDeploy, t1, 29*time.Second, []identity{role(pl.p.DeployRoleARN, DeployRole, AccountB, SessionName, "", pl.p.BobDeployKey, BobIP, t1)}, "us-west-2")
}
