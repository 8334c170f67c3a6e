package signin

import "strings"

// PrincipalFields are the expressions, in Athena SQL over cloudtrail_logs, that Principal reads from any event
// (not only sign-ins), in its order: the useridentity fields a sign-in's principal is made of, then
// recipientaccountid, eventname, eventsource and additionaleventdata's UserName.
var PrincipalFields = append(strings.Split(strings.Join(strings.Fields(identityColumns), ""), ","),
	"recipientaccountid", "eventname", "eventsource", "json_extract_scalar(additionaleventdata, '$.UserName')")

// PrincipalColumns are PrincipalFields as a select list.
var PrincipalColumns = strings.Join(PrincipalFields, ", ")

// Principal returns the readable principal of an event ("root (111122223333)", "alice", "session (role r)", …,
// as trailq signins shows it) and its account (recipientaccountid, else useridentity.accountid), from the values
// of PrincipalFields: strings, or nil for NULL (v may be longer: the rest is not read).
func Principal(v []any) (name, account string) {
	if len(v) < len(PrincipalFields) {
		return "", ""
	}
	text := func(x any) string {
		s, _ := x.(string)
		return s
	}
	r := &raw{}
	id := &r.UserIdentity
	id.Type, id.PrincipalID, id.ARN, id.AccountID = text(v[0]), text(v[1]), text(v[2]), text(v[3])
	id.InvokedBy, id.UserName = text(v[4]), text(v[5])
	id.OnBehalfOf.UserID, id.OnBehalfOf.IdentityStoreARN = text(v[6]), text(v[7])
	id.MFAAuthenticated, id.IssuerUserName = text(v[8]), text(v[9])
	r.RecipientAccountID, r.EventName, r.EventSource = text(v[10]), text(v[11]), text(v[12])
	if u := text(v[13]); u != "" {
		r.AdditionalEventData = map[string]any{"UserName": u}
	}
	account = first(r.RecipientAccountID, id.AccountID)
	masked := strings.EqualFold(id.UserName, Masked) || strings.EqualFold(text(v[13]), Masked)
	return principal(r, identityType(r), account, masked), account
}
