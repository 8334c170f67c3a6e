package signin

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Result values.
const (
	Success = "Success"
	Failure = "Failure"
)

// MFA values.
const (
	MFAYes = "Yes"
	MFANo  = "No"
	// MFAAtIdP is shown for federated sign-ins (SAML, IAM Identity Center role sessions): AWS logs MFAUsed "No"
	// for them even when the identity provider enforced MFA.
	MFAAtIdP = "IdP/unknown"
)

// IdentityCenterUser is the identity type of IAM Identity Center users.
const IdentityCenterUser = "IdentityCenterUser"

// Masked is the user name AWS logs when the name typed in did not exist (it may be a password).
const Masked = "HIDDEN_DUE_TO_SECURITY_REASONS"

// Event is one sign-in event, normalized.
type Event struct {
	Time    time.Time // eventTime, UTC
	Account string    // recipientAccountId, else userIdentity.accountId
	Region  string    // awsRegion
	Source  string    // eventSource
	Name    string    // eventName: ConsoleLogin, CheckMfa, UserAuthentication, …
	Type    string    // eventType as recorded
	// Result is Success or Failure, from responseElements (or serviceEventDetails for IAM Identity Center), or
	// "" when the record does not say.
	Result string
	// Reason is why it failed: errorMessage, else errorCode.
	Reason string
	// IdentityType is userIdentity.type, except for IAM Identity Center sign-in steps, which AWS logs with type
	// "Unknown" or none: IdentityCenterUser (see identityType).
	IdentityType string
	// RecordedIdentityType is userIdentity.type as recorded.
	RecordedIdentityType string
	Principal            string // readable: "root (111122223333)", "anaya", "tester@domain.tld (role okta)", …
	ARN                  string
	UserName             string // userIdentity.userName as recorded
	// UserID is userIdentity.onBehalfOf.userId: the IAM Identity Center user, which names a person better than a
	// user name does.
	UserID string
	// MaskedUser is true when AWS hid the user name (HIDDEN_DUE_TO_SECURITY_REASONS): an unknown user name.
	MaskedUser   bool
	SourceIP     string
	UserAgent    string
	Browser, OS  string
	MFA          string // Yes, No, IdP/unknown, or "" when the event does not say
	MFAType      string // MfaType, the kind of MFAIdentifier, or an Identity Center credential type
	LoginTo      string
	SAMLProvider string
	EventID      string
	// AuthWorkflowID ties the steps of one IAM Identity Center sign-in together.
	AuthWorkflowID string
	CredentialType string
	// Details are what else the step's record says (details): the role a SwitchRole switched from and the page
	// it led to, who renewed a RenewRole session, a sign-in from the mobile console app.
	Details string
}

// Failed reports whether the event is a failure.
func (e *Event) Failed() bool { return e.Result == Failure }

// identity holds the fields of the useridentity struct that a sign-in needs; the query selects each as a column
// (empty when NULL, or when a struct on its path is).
type identity struct {
	Type, PrincipalID, ARN, AccountID, InvokedBy, UserName string
	// OnBehalfOf is useridentity.onbehalfof (IAM Identity Center users).
	OnBehalfOf struct{ UserID, IdentityStoreARN string }
	// MFAAuthenticated is useridentity.sessioncontext.attributes.mfaauthenticated.
	MFAAuthenticated string
	// IssuerUserName is useridentity.sessioncontext.sessionissuer.username (the role of an assumed-role session).
	IssuerUserName string
}

// raw is one row of the sign-in query, before normalization.
type raw struct {
	EventTime           string
	EventSource         string
	EventName           string
	EventType           string
	AWSRegion           string
	RecipientAccountID  string
	UserIdentity        identity
	SourceIPAddress     string
	UserAgent           string
	ErrorCode           string
	ErrorMessage        string
	ResponseElements    map[string]any
	AdditionalEventData map[string]any
	ServiceEventDetails map[string]any
	EventID             string
}

// normalize builds the Event of a raw row.
func normalize(r *raw) Event {
	t := parseEventTime(r.EventTime)
	id := &r.UserIdentity
	e := Event{
		Time:         t,
		Account:      first(r.RecipientAccountID, id.AccountID),
		Region:       r.AWSRegion,
		Source:       r.EventSource,
		Name:         r.EventName,
		Type:         r.EventType,
		Reason:       first(r.ErrorMessage, r.ErrorCode),
		IdentityType: identityType(r),
		ARN:          id.ARN,
		UserName:     id.UserName,
		SourceIP:     r.SourceIPAddress,
		UserAgent:    r.UserAgent,
		LoginTo:      str(r.AdditionalEventData["LoginTo"]),
		SAMLProvider: str(r.AdditionalEventData["SamlProviderArn"]),
		EventID:      r.EventID,

		AuthWorkflowID: str(r.AdditionalEventData["AuthWorkflowID"]),
		CredentialType: str(r.AdditionalEventData["CredentialType"]),
		Details:        details(r.AdditionalEventData),

		RecordedIdentityType: id.Type,
	}
	e.UserID = id.OnBehalfOf.UserID
	e.Result = result(r)
	e.MaskedUser = strings.EqualFold(id.UserName, Masked) || strings.EqualFold(str(r.AdditionalEventData["UserName"]), Masked)
	if e.Reason == "" && e.Result == Failure && identityCenterSteps[strings.ToLower(e.Name)] {
		e.Reason = identityCenterFailure(e.CredentialType, e.MaskedUser)
	}
	e.Principal = principal(r, e.IdentityType, e.Account, e.MaskedUser)
	e.MFA, e.MFAType = mfa(r)
	return e
}

// eventTimeLayouts are the forms eventTime takes: ISO-8601 UTC, and in some exported or hand-made logs a
// space-separated form without a zone, which is UTC.
var eventTimeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05Z07:00"}

// parseEventTime reads eventTime, to the nanosecond and with any offset (RFC 3339 allows a lower-case t and z
// too); an unreadable one gives the zero time (the event is still listed).
func parseEventTime(s string) time.Time {
	s = strings.ToUpper(s) // the only letters of a valid eventTime are T and Z
	for _, layout := range eventTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// result reads Success/Failure: responseElements.<eventName> (ConsoleLogin, CheckMfa, SwitchRole, …), else
// serviceEventDetails.<eventName> (IAM Identity Center), else, for API calls, whether there is an error code.
func result(r *raw) string {
	for _, m := range []map[string]any{r.ResponseElements, r.ServiceEventDetails} {
		if v, ok := lookupFold(m, r.EventName); ok {
			if s := canonResult(str(v)); s != "" {
				return s
			}
		}
	}
	// A response with a single Success/Failure under another name (seen in the wild: eventName AssumeRole with
	// {"ConsoleLogin":"Success"}).
	for _, m := range []map[string]any{r.ResponseElements, r.ServiceEventDetails} {
		if len(m) == 1 {
			for _, v := range m {
				if s := canonResult(str(v)); s != "" {
					return s
				}
			}
		}
	}
	if strings.EqualFold(r.EventType, "AwsApiCall") {
		if r.ErrorCode != "" {
			return Failure
		}
		return Success
	}
	if r.ErrorCode != "" || r.ErrorMessage != "" {
		return Failure
	}
	return ""
}

func canonResult(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "success":
		return Success
	case "failure", "failed", "fail":
		return Failure
	}
	return ""
}

// identityCenterSteps are the sign-in events of IAM Identity Center's sign-in flow.
var identityCenterSteps = map[string]bool{"credentialchallenge": true, "credentialverification": true, "userauthentication": true}

// identityType is userIdentity.type, or IdentityCenterUser for the steps of an IAM Identity Center sign-in
// (CredentialChallenge, CredentialVerification, UserAuthentication of signin.amazonaws.com or sso.amazonaws.com),
// which AWS logs with type "Unknown" or none and the user in userIdentity.onBehalfOf (userId, identityStoreArn),
// additionalEventData.UserName or, in older logs, userIdentity.userName.
func identityType(r *raw) string {
	id := &r.UserIdentity
	if id.Type != "" && !strings.EqualFold(id.Type, "Unknown") {
		return id.Type
	}
	if !identityCenterSteps[strings.ToLower(r.EventName)] || !identityCenterSource(r.EventSource) {
		return id.Type
	}
	if id.OnBehalfOf.UserID != "" || id.OnBehalfOf.IdentityStoreARN != "" ||
		str(r.AdditionalEventData["UserName"]) != "" || id.UserName != "" {
		return IdentityCenterUser
	}
	return id.Type
}

// identityCenterSource reports whether an event source is one IAM Identity Center sign-ins are logged under:
// signin.amazonaws.com, sso.amazonaws.com or a regional or portal form of them.
func identityCenterSource(s string) bool {
	s = strings.ToLower(s)
	for _, src := range []string{"signin.amazonaws.com", "sso.amazonaws.com"} {
		if s == src || strings.HasSuffix(s, "."+src) {
			return true
		}
	}
	return false
}

// principal names who signed in, per identity type (typ: the Event's IdentityType).
func principal(r *raw, typ, account string, masked bool) string {
	id := &r.UserIdentity
	if masked {
		return "(hidden user name)"
	}
	arnTail := func(kind string) []string {
		i := strings.Index(id.ARN, ":"+kind+"/")
		if i < 0 {
			return nil
		}
		return strings.Split(id.ARN[i+len(kind)+2:], "/")
	}
	switch strings.ToLower(typ) {
	case "root":
		return "root (" + first(id.AccountID, account) + ")"
	case "iamuser":
		if id.UserName != "" {
			return id.UserName
		}
		if p := arnTail("user"); len(p) > 0 {
			return p[len(p)-1]
		}
		return id.PrincipalID
	case "assumedrole":
		role, session := "", ""
		if p := arnTail("assumed-role"); len(p) >= 2 {
			role, session = p[0], p[len(p)-1]
		}
		if id.IssuerUserName != "" {
			role = id.IssuerUserName
		}
		if session == "" {
			session = first(id.UserName, afterColon(id.PrincipalID))
		}
		switch {
		case role != "" && session != "":
			return session + " (role " + role + ")"
		case role != "":
			return "(role " + role + ")"
		}
		return session
	case "federateduser":
		if p := arnTail("federated-user"); len(p) > 0 {
			return p[len(p)-1] + " (federated)"
		}
		return first(id.UserName, afterColon(id.PrincipalID)) + " (federated)"
	case "samluser":
		// userName is the assertion's saml:sub; principalId is saml:namequalifier:saml:sub.
		_, sub, _ := strings.Cut(id.PrincipalID, ":")
		return first(id.UserName, sub, id.PrincipalID) + " (SAML)"
	case "webidentityuser":
		// userName is the provider's user ID; principalId is issuer:application ID:user ID.
		return first(id.UserName, afterColon(id.PrincipalID)) + " (web identity)"
	case "identitycenteruser":
		name := first(id.UserName, str(r.AdditionalEventData["UserName"]))
		if name == "" {
			name = id.OnBehalfOf.UserID
		}
		if name == "" && !identityCenterSteps[strings.ToLower(r.EventName)] {
			// The sign-in steps log the account ID as principalId: it does not name the user.
			name = id.PrincipalID
		}
		return first(name, "(unknown)") + " (Identity Center)"
	case "awsservice":
		return first(id.InvokedBy, id.PrincipalID)
	case "awsaccount":
		return "account " + first(id.AccountID, id.PrincipalID)
	}
	return first(id.UserName, id.ARN, id.PrincipalID)
}

// mfa says whether MFA was used and how.
func mfa(r *raw) (used, kind string) {
	ad := r.AdditionalEventData
	id := &r.UserIdentity
	kind = str(ad["MfaType"])
	if dev := str(ad["MFAIdentifier"]); dev != "" && kind == "" {
		switch {
		case strings.Contains(dev, ":u2f/"):
			kind = "U2F security key"
		case strings.Contains(dev, ":mfa/"):
			kind = "MFA device"
		}
	}
	if strings.EqualFold(r.EventName, "CheckMfa") {
		// CheckMfa says whether the user must give an MFA code (AWS: "checks whether MFA is required"), not that
		// one was given: the ConsoleLogin that follows says whether MFA was used.
		return "", kind
	}
	if identityCenterSteps[strings.ToLower(r.EventName)] {
		return identityCenterMFA(r.EventName, str(ad["CredentialType"]))
	}
	v, ok := lookupFold(ad, "MFAUsed")
	if !ok {
		if strings.EqualFold(id.MFAAuthenticated, "true") {
			return MFAYes, kind
		}
		return "", kind
	}
	switch strings.ToLower(strings.TrimSpace(str(v))) {
	case "yes", "true":
		return MFAYes, kind
	case "no", "false":
		if federated(r) {
			return MFAAtIdP, kind
		}
		return MFANo, kind
	}
	return "", kind
}

// federated reports whether the sign-in came through an identity provider, which does the MFA (if any) itself.
func federated(r *raw) bool {
	id := &r.UserIdentity
	if str(r.AdditionalEventData["SamlProviderArn"]) != "" || strings.Contains(id.ARN, "AWSReservedSSO") {
		return true
	}
	switch strings.ToLower(id.Type) {
	case "assumedrole", "federateduser", "samluser", "webidentityuser", "identitycenteruser":
		return true
	}
	return false
}

// identityCenterMFA reads CredentialType (PASSWORD, TOTP, EMAIL_OTP, WEBAUTHN, EXTERNAL_IDP, "PASSWORD,TOTP"…).
// UserAuthentication lists every credential the sign-in used; challenge and verification steps name one.
func identityCenterMFA(event, ct string) (used, kind string) {
	var factors []string
	idp := false
	for _, c := range strings.Split(ct, ",") {
		c = strings.TrimSpace(c)
		switch strings.ToUpper(c) {
		case "":
		case "PASSWORD":
		case "EXTERNAL_IDP":
			idp = true
		default:
			factors = append(factors, c)
		}
	}
	kind = strings.Join(factors, ",")
	if !strings.EqualFold(event, "UserAuthentication") {
		return "", kind
	}
	switch {
	case len(factors) > 0:
		return MFAYes, kind
	case idp:
		return MFAAtIdP, kind
	case ct != "":
		return MFANo, kind
	}
	return "", kind
}

func lookupFold(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// str renders a JSON value as text ("" for null and missing).
func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool, float64, json.Number:
		return fmt.Sprint(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func first(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func afterColon(s string) string {
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// identityCenterFailure words why an IAM Identity Center sign-in step failed, which its record says only through
// the credential it challenged (errorMessage is empty): the user name was not known (masked), or that credential
// was rejected.
func identityCenterFailure(credentialType string, masked bool) string {
	if masked {
		return "unknown user name"
	}
	switch strings.ToUpper(strings.TrimSpace(credentialType)) {
	case "PASSWORD":
		return "wrong password"
	case "TOTP", "RESYNC_TOTP":
		return "authenticator app code rejected"
	case "EMAIL_OTP":
		return "emailed code rejected"
	case "WEBAUTHN":
		return "security key or passkey rejected"
	case "EXTERNAL_IDP":
		return "external identity provider sign-in failed"
	case "":
		return "credential rejected"
	}
	return credentialType + " credential rejected"
}

// details words what additionalEventData says beyond the columns: SwitchRole's SwitchFrom and RedirectTo,
// RenewRole's RenewedBy, MobileVersion "Yes" (the console's mobile app).
func details(ad map[string]any) string {
	var parts []string
	for _, f := range []struct{ key, words string }{
		{"SwitchFrom", "switched from "}, {"RenewedBy", "renewed by "}, {"RedirectTo", "to "},
	} {
		if v := str(ad[f.key]); v != "" {
			parts = append(parts, f.words+v)
		}
	}
	if strings.EqualFold(str(ad["MobileVersion"]), "yes") {
		parts = append(parts, "mobile app")
	}
	return strings.Join(parts, "; ")
}
