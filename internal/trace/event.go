package trace

import (
	"strings"
	"time"

	"github.com/trailq/trailq/internal/signin"
)

// Event is one CloudTrail event as a trace shows it.
type Event struct {
	ID       string
	Time     time.Time
	TimeText string // eventtime as written
	Account  string // recipientaccountid
	Region   string
	Service  string // eventsource
	Name     string // eventname
	// ErrorCode and ErrorMessage are empty for a call that worked.
	ErrorCode, ErrorMessage string
	IP, UserAgent           string
	// ReadOnly is the record's readonly: "true", "false" or "" when it has none.
	ReadOnly string
	// IdentityType, ARN, AccessKey, PrincipalID, UserName: the caller's userIdentity.
	IdentityType, ARN, AccessKey, PrincipalID, UserName string
	// Issuer is sessionContext.sessionIssuer.arn, Created sessionContext.attributes.creationDate.
	Issuer, Created string
	// FromConsole is sessionCredentialFromConsole ("true" for a console session's calls).
	FromConsole string
	Resources   []string
	// Principal is the caller as trailq signins shows it ("alice", "session (role r)", "root (111…)").
	Principal string

	// NewKey is the access key of the session a credential-issuing call (AssumeRole, GetSessionToken, …) opened.
	NewKey string
	// RoleARN, SessionName and SourceIdentity are what an AssumeRole call asked for (and got).
	RoleARN, SessionName, SourceIdentity string
	// AssumedARN is the ARN of the session opened (assumedRoleUser.arn, federatedUser.arn).
	AssumedARN string
	// SignInResult is a sign-in's responseElements result (ConsoleLogin, SwitchRole: Success or Failure).
	SignInResult string
	// Session is the ID of the session of the trace the event belongs to ("1", "1.2", …).
	Session string
}

// Denied reports whether the call was refused for want of permission.
func (e *Event) Denied() bool { return Denied(e.ErrorCode) }

// Denied reports whether an errorCode says the call was refused for want of permission: AccessDenied and its
// kinds (AccessDeniedException, …), UnauthorizedOperation, Client.UnauthorizedOperation, Forbidden, …
func Denied(code string) bool {
	c := strings.ToLower(strings.TrimPrefix(code, "Client."))
	for _, p := range []string{"accessdenied", "unauthorized", "forbidden", "notauthorized"} {
		if strings.HasPrefix(c, p) {
			return true
		}
	}
	return false
}

// Result is the call's outcome: the error code, else "OK" (a sign-in's Failure is its result).
func (e *Event) Result() string {
	switch {
	case e.ErrorCode != "":
		return e.ErrorCode
	case strings.EqualFold(e.SignInResult, "Failure"):
		return "Failure"
	}
	return "OK"
}

// failed reports whether the event did not do what it asked (an error code or a failed sign-in).
func (e *Event) failed() bool { return e.Result() != "OK" }

// issuing are the calls whose response holds the credentials of a new session.
var issuing = []string{"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity", "AssumeRoot",
	"GetSessionToken", "GetFederationToken"}

// eventColumns are what a trace reads of each event, in Athena SQL over cloudtrail_logs; readEvent reads them
// back in this order. The credential fields are read from the calls that issue credentials only.
var eventColumns = []string{
	"eventid", "eventtime", "recipientaccountid", "awsregion", "eventsource", "eventname", "errorcode",
	"errormessage", "sourceipaddress", "useragent", "readonly",
	"useridentity.type", "useridentity.arn", "useridentity.accesskeyid", "useridentity.principalid",
	"useridentity.username", "useridentity.sessioncontext.sessionissuer.arn",
	"useridentity.sessioncontext.attributes.creationdate", "sessioncredentialfromconsole",
	"array_join(transform(resources, r -> r.arn), ' ')",
	ifIssuing("json_extract_scalar(responseelements, '$.credentials.accessKeyId')"),
	ifIssuing("json_extract_scalar(requestparameters, '$.roleArn')"),
	ifIssuing("json_extract_scalar(requestparameters, '$.roleSessionName')"),
	ifIssuing("coalesce(json_extract_scalar(responseelements, '$.sourceIdentity'), json_extract_scalar(requestparameters, '$.sourceIdentity'))"),
	ifIssuing("coalesce(json_extract_scalar(responseelements, '$.assumedRoleUser.arn'), json_extract_scalar(responseelements, '$.federatedUser.arn'))"),
	"CASE WHEN eventname = 'ConsoleLogin' THEN json_extract_scalar(responseelements, '$.ConsoleLogin') " +
		"WHEN eventname = 'SwitchRole' THEN json_extract_scalar(responseelements, '$.SwitchRole') END",
}

func ifIssuing(expr string) string {
	return "CASE WHEN eventname IN (" + quoteList(issuing) + ") THEN " + expr + " END"
}

// selectList is the select list of a trace's event queries.
func selectList() string {
	return strings.Join(eventColumns, ", ") + ", " + signin.PrincipalColumns
}

// readEvent reads a row of selectList.
func readEvent(v []any) Event {
	s := func(i int) string {
		x, _ := v[i].(string)
		return x
	}
	e := Event{ID: s(0), TimeText: s(1), Account: s(2), Region: s(3), Service: s(4), Name: s(5),
		ErrorCode: s(6), ErrorMessage: s(7), IP: s(8), UserAgent: s(9), ReadOnly: s(10),
		IdentityType: s(11), ARN: s(12), AccessKey: s(13), PrincipalID: s(14), UserName: s(15),
		Issuer: s(16), Created: s(17), FromConsole: s(18),
		NewKey: s(20), RoleARN: s(21), SessionName: s(22), SourceIdentity: s(23), AssumedARN: s(24),
		SignInResult: s(25)}
	if r := s(19); r != "" {
		e.Resources = strings.Fields(r)
	}
	e.Time = parseTime(e.TimeText)
	e.Principal, _ = signin.Principal(v[len(eventColumns):])
	return e
}

// parseTime reads an eventtime (RFC 3339); the zero time when it cannot.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// opens reports whether e opened a session the trace can follow: a credential-issuing call that worked and
// whose response names the new key.
func (e *Event) opens() bool { return e.NewKey != "" && e.ErrorCode == "" }
