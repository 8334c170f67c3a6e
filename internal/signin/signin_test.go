package signin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/signin"
	"github.com/trailq/trailq/internal/source/local"
	"github.com/trailq/trailq/internal/store"
)

const realDir = "../../testdata/cloudtrail/real"

// The files that hold the public sign-in examples.
const (
	fConsole = "awsdocs__cloudtrail-user-guide__console-sign-in-events.json"
	fIAM     = "awsdocs__iam-user-guide.json"
	fIDC     = "awsdocs__iam-identity-center-user-guide.json"
	fPanther = "panther-analysis__aws_console_signin.json"
	fStratus = "stratus-red-team__detonation-logs.json"
)

// want is the classification of one record, written from the AWS CloudTrail "AWS console sign-in events"
// reference, the IAM user guide's CloudTrail page and the IAM Identity Center "Understanding sign-in events"
// page: result from responseElements (serviceEventDetails for Identity Center), reason from errorMessage,
// principal per identity type, MFA from additionalEventData (federated sign-ins: IdP/unknown).
type want struct {
	Event        string
	Result       string
	Reason       string
	IdentityType string
	Principal    string
	Masked       bool
	MFA          string
	MFAType      string
	// Attempt is true for the events listed by default (sign-in attempts).
	Attempt bool
}

const (
	failedAuth  = "Failed authentication"
	noUser      = "No username found in supplied account"
	idcUser     = "user1 (Identity Center)"
	pantherRoot = "root (493859302102)"
)

// expected lists every record of the five files that is a sign-in event, by file and index in its Records.
// Records not listed (IAM, STS, S3 calls; sso.amazonaws.com API calls such as CreateToken) must not be selected.
var expected = map[string]want{
	fConsole + "#0": {"ConsoleLogin", "Success", "", "IAMUser", "anaya", false, "No", "", true},
	fConsole + "#1": {"ConsoleLogin", "Success", "", "IAMUser", "anaya", false, "Yes", "U2F security key", true},
	// A failure record has no ARN; the result comes from responseElements.
	fConsole + "#2": {"ConsoleLogin", "Failure", failedAuth, "IAMUser", "anaya", false, "Yes", "", true},
	// CheckMfa says MFA is required, not that it was used (the ConsoleLogin says that).
	fConsole + "#3": {"CheckMfa", "Success", "", "IAMUser", "anaya", false, "", "U2F MFA", false},
	fConsole + "#4": {"CheckMfa", "Success", "", "IAMUser", "anaya", false, "", "Multiple MFA Devices", false},
	fConsole + "#5": {"ConsoleLogin", "Success", "", "Root", "root (111122223333)", false, "No", "", true},
	// MFAUsed "YES" in capitals.
	fConsole + "#6": {"ConsoleLogin", "Success", "", "Root", "root (111122223333)", false, "Yes", "MFA device", true},
	fConsole + "#7": {"ConsoleLogin", "Failure", failedAuth, "Root", "root (111122223333)", false, "No", "", true},
	fConsole + "#9": {"PasswordUpdated", "Success", "", "Root", "root (111122223333)", false, "", "", false},

	// No eventType at all: selected as a signin.amazonaws.com event.
	fIAM + "#5": {"ConsoleLogin", "Failure", failedAuth, "IAMUser", "JaneDoe", false, "No", "", true},
	// eventType spelled AwsConsoleSignin; unknown user name, masked.
	fIAM + "#6": {"ConsoleLogin", "Failure", noUser, "IAMUser", "(hidden user name)", true, "No", "", true},

	fIDC + "#0":  {"CredentialChallenge", "Success", "", "IdentityCenterUser", idcUser, false, "", "", false},
	fIDC + "#1":  {"CredentialVerification", "Success", "", "IdentityCenterUser", idcUser, false, "", "", false},
	fIDC + "#2":  {"UserAuthentication", "Success", "", "IdentityCenterUser", idcUser, false, "No", "", true},
	fIDC + "#3":  {"UserAuthentication", "Success", "", "IdentityCenterUser", idcUser, false, "IdP/unknown", "", true},
	fIDC + "#4":  {"CredentialChallenge", "Success", "", "IdentityCenterUser", idcUser, false, "", "", false},
	fIDC + "#5":  {"CredentialVerification", "Success", "", "IdentityCenterUser", idcUser, false, "", "", false},
	fIDC + "#6":  {"CredentialChallenge", "Success", "", "IdentityCenterUser", idcUser, false, "", "TOTP", false},
	fIDC + "#7":  {"CredentialVerification", "Success", "", "IdentityCenterUser", idcUser, false, "", "TOTP", false},
	fIDC + "#8":  {"UserAuthentication", "Success", "", "IdentityCenterUser", idcUser, false, "Yes", "TOTP", true},
	fIDC + "#9":  {"CredentialChallenge", "Success", "", "IdentityCenterUser", idcUser, false, "", "", false},
	fIDC + "#10": {"CredentialVerification", "Success", "", "IdentityCenterUser", idcUser, false, "", "", false},
	fIDC + "#11": {"UserAuthentication", "Success", "", "IdentityCenterUser", idcUser, false, "No", "", true},
	fIDC + "#12": {"CredentialChallenge", "Success", "", "IdentityCenterUser", idcUser, false, "", "", false},
	// A failed password: no UserAuthentication follows, so the failed verification is an attempt; its record has no
	// error message, and the reason is the credential it challenged.
	fIDC + "#13": {"CredentialVerification", "Failure", "wrong password", "IdentityCenterUser", idcUser, false, "", "", true},

	fPanther + "#0": {"ConsoleLogin", "Success", "", "IAMUser", "anaya", false, "Yes", "U2F security key", true},
	fPanther + "#1": {"ConsoleLogin", "Failure", failedAuth, "IAMUser", "anaya", false, "Yes", "", true},
	// GetSigninToken is an API call: no errorCode means it succeeded.
	fPanther + "#2": {"GetSigninToken", "Success", "", "AssumedRole", "session (role MyRole)", false, "", "", false},
	fPanther + "#3": {"GetSigninToken", "Success", "", "AssumedRole", "user@example.com (role AWSReservedSSO_Admin)", false, "", "", false},
	// No responseElements: the result is unknown, not a success.
	fPanther + "#4": {"ConsoleLogin", "", "", "IAMUser", "admin", false, "", "", true},
	// SAML federation: MFAUsed "No" says nothing about the IdP's MFA.
	fPanther + "#5":  {"ConsoleLogin", "Success", "", "AssumedRole", "tester@domain.tld (role okta)", false, "IdP/unknown", "", true},
	fPanther + "#6":  {"ConsoleLogin", "Success", "", "IAMUser", "tester", false, "Yes", "", true},
	fPanther + "#7":  {"ConsoleLogin", "Success", "", "Root", "root (123456789012)", false, "No", "", true},
	fPanther + "#8":  {"ConsoleLogin", "Failure", "", "Root", "root (123456789012)", false, "No", "", true},
	fPanther + "#9":  {"PasswordUpdated", "Success", "", "Root", "root (123456789012)", false, "", "", false},
	fPanther + "#10": {"PasswordUpdated", "Failure", "", "Root", "root (123456789012)", false, "", "", false},
	fPanther + "#11": {"ConsoleLogin", "Failure", "", "Root", pantherRoot, false, "No", "", true},
	fPanther + "#12": {"ConsoleLogin", "Failure", "", "Root", pantherRoot, false, "No", "", true},
	fPanther + "#13": {"ConsoleLogin", "Failure", "", "Root", pantherRoot, false, "No", "", true},
	fPanther + "#14": {"ConsoleLogin", "Success", "", "Root", pantherRoot, false, "No", "", true},
	fPanther + "#15": {"ConsoleLogin", "Success", "", "Root", pantherRoot, false, "No", "", true},
	// A billing-console call that the fixture labels eventType AwsConsoleSignIn: every such event is a step.
	fPanther + "#16": {"SetContactAddress", "", "", "Root", pantherRoot, false, "", "", false},
	fPanther + "#17": {"ConsoleLogin", "Success", "", "Root", pantherRoot, false, "No", "", true},
	fPanther + "#18": {"ConsoleLogin", "Success", "", "Root", pantherRoot, false, "No", "", true},
	fPanther + "#19": {"ConsoleLogin", "Failure", "", "Root", pantherRoot, false, "No", "", true},
	fPanther + "#20": {"ConsoleLogin", "Failure", "", "Root", pantherRoot, false, "No", "", true},
	fPanther + "#21": {"ConsoleLogin", "Failure", "", "Root", pantherRoot, false, "No", "", true},
	fPanther + "#22": {"ConsoleLogin", "Success", "", "Root", pantherRoot, false, "No", "", true},
	fPanther + "#23": {"ConsoleLogin", "Success", "", "Root", pantherRoot, false, "No", "", true},
	fPanther + "#24": {"SetContactAddress", "", "", "Root", pantherRoot, false, "", "", false},
	fPanther + "#25": {"ConsoleLogin", "Success", "", "Root", pantherRoot, false, "No", "", true},
	fPanther + "#26": {"ConsoleLogin", "Success", "", "Root", pantherRoot, false, "No", "", true},

	fStratus + "#284": {"ConsoleLogin", "Success", "", "IAMUser", "stratus-red-team-nmfalu-jfzdtsvchl", false, "No", "", true},
}

// realSigninStore loads every record of the five files into a new store, each with eventID "file#index" so that
// rows can be told apart (several examples share an eventID).
func realSigninStore(t *testing.T) *store.Store {
	t.Helper()
	var recs []map[string]any
	for _, name := range []string{fConsole, fIAM, fIDC, fPanther, fStratus} {
		b, err := os.ReadFile(filepath.Join(realDir, name))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ Records []map[string]any }
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i, r := range doc.Records {
			r["eventID"] = fmt.Sprintf("%s#%d", name, i)
			recs = append(recs, r)
		}
	}
	dir := t.TempDir()
	b, err := json.Marshal(map[string]any{"Records": recs})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "records.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	st, _ := loadStore(t, dir, ingest.Options{})
	return st
}

// loadStore loads the folder src into a new store.
func loadStore(t *testing.T, src string, opts ingest.Options) (*store.Store, *ingest.Report) {
	t.Helper()
	ctx := context.Background()
	s, err := local.New(src)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "store.duckdb"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rep, err := ingest.Run(ctx, s, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Files) > 0 {
		t.Fatalf("load problems: %+v", rep.Files)
	}
	return st, rep
}

func fetch(t *testing.T, st *store.Store, q *signin.Query) []signin.Event {
	t.Helper()
	events, err := signin.Fetch(context.Background(), st, q.SQL(), q)
	if err != nil {
		t.Fatalf("%v\n%s", err, q.SQL())
	}
	return events
}

func TestClassifyRealRecords(t *testing.T) {
	st := realSigninStore(t)
	events := fetch(t, st, &signin.Query{All: true})
	got := map[string]want{}
	for _, e := range events {
		if _, dup := got[e.EventID]; dup {
			t.Errorf("event %s listed twice", e.EventID)
		}
		got[e.EventID] = want{e.Name, e.Result, e.Reason, e.IdentityType, e.Principal, e.MaskedUser, e.MFA, e.MFAType, false}
	}
	wantAll := map[string]want{}
	for id, w := range expected {
		w.Attempt = false
		wantAll[id] = w
	}
	if diff := cmp.Diff(wantAll, got); diff != "" {
		t.Errorf("classification with --all (-want +got):\n%s", diff)
	}

	// By default: sign-in attempts only.
	var gotIDs, wantIDs []string
	for _, e := range fetch(t, st, &signin.Query{}) {
		gotIDs = append(gotIDs, e.EventID)
	}
	for id, w := range expected {
		if w.Attempt {
			wantIDs = append(wantIDs, id)
		}
	}
	sort.Strings(gotIDs)
	sort.Strings(wantIDs)
	if diff := cmp.Diff(wantIDs, gotIDs); diff != "" {
		t.Errorf("default selection (-want +got):\n%s", diff)
	}
}

func TestFilters(t *testing.T) {
	st := realSigninStore(t)
	ids := func(q *signin.Query) []string {
		var out []string
		for _, e := range fetch(t, st, q) {
			out = append(out, e.EventID)
		}
		sort.Strings(out)
		return out
	}
	tests := []struct {
		name string
		q    *signin.Query
		want []string
	}{
		{"user by name", &signin.Query{Users: []string{"janedoe"}}, []string{fIAM + "#5"}},
		// As the principal column names them, without the kind: "root (111122223333)" is --user root; an Identity
		// Center user logged by additionalEventData.UserName, in any case.
		{"user as the table shows it", &signin.Query{Users: []string{"ROOT"}, Accounts: []string{"111122223333"}}, []string{fConsole + "#5", fConsole + "#6", fConsole + "#7"}},
		{"identity center user", &signin.Query{Users: []string{"USER1"}}, []string{fIDC + "#11", fIDC + "#13", fIDC + "#2", fIDC + "#3", fIDC + "#8"}},
		{"user glob on ARN", &signin.Query{Users: []string{"arn:aws:iam::*:user/stratus-*"}}, []string{fStratus + "#284"}},
		{"user role glob", &signin.Query{Users: []string{"okta"}}, []string{fPanther + "#5"}},
		{"account and failed", &signin.Query{Accounts: []string{"111122223333"}, Failed: true},
			[]string{fConsole + "#2", fConsole + "#7", fIDC + "#13", fIAM + "#5", fPanther + "#1"}},
		{"region", &signin.Query{Regions: []string{"us-east-2"}}, []string{fConsole + "#0", fIAM + "#5", fIAM + "#6"}},
		{"root without MFA, failed", &signin.Query{Root: true, NoMFA: true, Failed: true, Accounts: []string{"111122223333"}},
			[]string{fConsole + "#7"}},
		{"no MFA leaves federated out", &signin.Query{NoMFA: true, Users: []string{"*tester*"}}, nil},
		// A failed sign-in without MFA opened no session: --no-mfa alone is about successes.
		{"no MFA is successes only", &signin.Query{NoMFA: true, Accounts: []string{"111122223333"}, Root: true}, []string{fConsole + "#5"}},
		{"kind", &signin.Query{Kinds: []string{"checkmfa"}}, []string{fConsole + "#3", fConsole + "#4"}},
		{"ip cidr", &signin.Query{IPs: []netip.Prefix{mustPrefix(t, "192.0.2.100/31")}}, []string{fIAM + "#5", fIAM + "#6"}},
		// Stratus logs the address "225.01.00.16", which is not an IP address: it never matches.
		{"unreadable source IP", &signin.Query{IPs: []netip.Prefix{mustPrefix(t, "225.1.0.16")}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ids(tt.q)); diff != "" {
				t.Errorf("(-want +got):\n%s\nSQL:\n%s", diff, tt.q.SQL())
			}
		})
	}
}

func mustPrefix(t *testing.T, s string) netip.Prefix {
	t.Helper()
	p, err := signin.ParseIP(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Records as some exports and fixtures write them (panther-analysis__nonconforming.json): a space-separated
// eventTime without zone, a result under another name than the event's.
func TestOddRecords(t *testing.T) {
	recs := []map[string]any{
		{"eventTime": "2024-06-02 19:41:40.000000000", "eventSource": "signin.amazonaws.com", "eventName": "AssumeRole",
			"eventType": "AwsConsoleSignIn", "eventID": "odd-1", "recipientAccountId": "111122223333",
			"userIdentity":        map[string]any{"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/Admin/bob"},
			"responseElements":    map[string]any{"ConsoleLogin": "Success"},
			"additionalEventData": map[string]any{"MFAUsed": "No"}},
		{"eventTime": "2024-06-02T19:45:00Z", "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
			"eventType": "AwsConsoleSignIn", "eventID": "odd-2", "errorMessage": "Failed authentication",
			"userIdentity":        map[string]any{"type": "IAMUser", "userName": "carol", "accountId": "111122223333"},
			"additionalEventData": map[string]any{"MFAUsed": "no"}},
		// The role's name comes from sessionIssuer.userName, which may differ from the ARN's.
		{"eventTime": "2024-06-02T19:50:00Z", "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
			"eventType": "AwsConsoleSignIn", "eventID": "odd-3", "recipientAccountId": "111122223333",
			"userIdentity": map[string]any{"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/Admin-abc/dave",
				"sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "userName": "AdminRole"}}},
			"responseElements": map[string]any{"ConsoleLogin": "Success"}},
		// No MFAUsed: the session's mfaAuthenticated says it.
		{"eventTime": "2024-06-02T19:55:00Z", "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
			"eventType": "AwsConsoleSignIn", "eventID": "odd-4", "recipientAccountId": "111122223333",
			"userIdentity": map[string]any{"type": "IAMUser", "userName": "erin", "accountId": "111122223333",
				"sessionContext": map[string]any{"attributes": map[string]any{"mfaAuthenticated": "true"}}},
			"responseElements":    map[string]any{"ConsoleLogin": "Success"},
			"additionalEventData": map[string]any{"LoginTo": "https://console.aws.amazon.com/"}},
	}
	dir := t.TempDir()
	b, err := json.Marshal(map[string]any{"Records": recs})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "odd.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	st, _ := loadStoreLenient(t, dir)
	events := fetch(t, st, &signin.Query{All: true})
	type row struct{ ID, Time, Result, Reason, Principal, MFA string }
	var got []row
	for _, e := range events {
		got = append(got, row{e.EventID, signin.FormatTime(e.Time, time.UTC), e.Result, e.Reason, e.Principal, e.MFA})
	}
	want := []row{
		{"odd-1", "2024-06-02T19:41:40Z", "Success", "", "bob (role Admin)", "IdP/unknown"},
		// No responseElements, but an errorMessage: a failure.
		{"odd-2", "2024-06-02T19:45:00Z", "Failure", "Failed authentication", "carol", "No"},
		{"odd-3", "2024-06-02T19:50:00Z", "Success", "", "dave (role AdminRole)", ""},
		{"odd-4", "2024-06-02T19:55:00Z", "Success", "", "erin", "Yes"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// loadStoreLenient loads src, accepting files with reported problems.
func loadStoreLenient(t *testing.T, src string) (*store.Store, *ingest.Report) {
	t.Helper()
	s, err := local.New(src)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "store.duckdb"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rep, err := ingest.Run(context.Background(), s, st, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st, rep
}

// Identity types, from the CloudTrail userIdentity reference and the IAM Identity Center sign-in reference:
// Identity Center sign-in steps are logged with type "Unknown" or none and the user in onBehalfOf or
// additionalEventData.UserName; they are IdentityCenterUser, and the recorded type is kept. SAMLUser and
// WebIdentityUser (logged for AssumeRoleWithSAML / AssumeRoleWithWebIdentity, given to sign-in events here)
// are named by userName, else by the end of principalId; FederatedUser (GetFederationToken) by its ARN.
func TestIdentityTypes(t *testing.T) {
	const (
		userID = "906757e3-a0c1-70e4-2ba4-1a3b3c4d5e6f"
		store  = "arn:aws:identitystore::111122223333:identitystore/d-1234567890"
	)
	rec := func(id, source, name string, ui map[string]any, extra map[string]any) map[string]any {
		r := map[string]any{"eventVersion": "1.08", "eventTime": "2024-09-01T10:00:00Z", "eventSource": source,
			"eventName": name, "eventType": "AwsConsoleSignIn", "awsRegion": "us-east-1", "eventID": id,
			"recipientAccountId": "111122223333", "sourceIPAddress": "198.51.100.7", "userIdentity": ui}
		for k, v := range extra {
			r[k] = v
		}
		return r
	}
	ok := func(name string) map[string]any {
		return map[string]any{"serviceEventDetails": map[string]any{name: "Success"},
			"additionalEventData": map[string]any{"CredentialType": "PASSWORD"}}
	}
	recs := []map[string]any{
		// Newer Identity Center logs: no type at all, the user in onBehalfOf and additionalEventData.UserName.
		rec("idc-no-type", "signin.amazonaws.com", "UserAuthentication",
			map[string]any{"accountId": "111122223333", "onBehalfOf": map[string]any{"userId": userID, "identityStoreArn": store}},
			map[string]any{"serviceEventDetails": map[string]any{"UserAuthentication": "Success"},
				"additionalEventData": map[string]any{"UserName": "alice", "CredentialType": "PASSWORD,TOTP"}}),
		// Type "Unknown", only the user ID.
		rec("idc-user-id", "sso.amazonaws.com", "CredentialVerification",
			map[string]any{"type": "Unknown", "principalId": "111122223333", "accountId": "111122223333",
				"onBehalfOf": map[string]any{"userId": userID, "identityStoreArn": store}},
			map[string]any{"serviceEventDetails": map[string]any{"CredentialVerification": "Failure"},
				"additionalEventData": map[string]any{"CredentialType": "PASSWORD"}}),
		// Only the identity store.
		rec("idc-store", "signin.amazonaws.com", "CredentialChallenge",
			map[string]any{"type": "Unknown", "principalId": "111122223333", "onBehalfOf": map[string]any{"identityStoreArn": store}},
			ok("CredentialChallenge")),
		// An unknown user name, masked.
		rec("idc-masked", "signin.amazonaws.com", "CredentialVerification",
			map[string]any{"type": "Unknown", "principalId": "111122223333"},
			map[string]any{"serviceEventDetails": map[string]any{"CredentialVerification": "Failure"},
				"additionalEventData": map[string]any{"UserName": signin.Masked, "CredentialType": "PASSWORD"}}),
		// Recorded as IdentityCenterUser (requests made on behalf of a user).
		rec("idc-recorded", "signin.amazonaws.com", "UserAuthentication",
			map[string]any{"type": "IdentityCenterUser", "accountId": "111122223333",
				"onBehalfOf": map[string]any{"userId": userID, "identityStoreArn": store}}, ok("UserAuthentication")),
		// "Unknown" on another event, or with nothing naming a user: left as recorded.
		rec("unknown-console", "signin.amazonaws.com", "ConsoleLogin",
			map[string]any{"type": "Unknown", "userName": "bob"},
			map[string]any{"responseElements": map[string]any{"ConsoleLogin": "Failure"}}),
		rec("unknown-nobody", "signin.amazonaws.com", "CredentialChallenge",
			map[string]any{"type": "Unknown", "principalId": "111122223333"}, ok("CredentialChallenge")),
		rec("saml", "signin.amazonaws.com", "ConsoleLogin",
			map[string]any{"type": "SAMLUser", "principalId": "SampleUkh1i4+ExamplexL/jEvs=:SamlExample", "userName": "SamlExample"},
			map[string]any{"responseElements": map[string]any{"ConsoleLogin": "Success"}}),
		rec("saml-no-name", "signin.amazonaws.com", "ConsoleLogin",
			map[string]any{"type": "SAMLUser", "principalId": "SampleUkh1i4+ExamplexL/jEvs=:SamlExample"},
			map[string]any{"responseElements": map[string]any{"ConsoleLogin": "Success"}}),
		rec("web", "signin.amazonaws.com", "ConsoleLogin",
			map[string]any{"type": "WebIdentityUser", "principalId": "accounts.google.com:app.apps.googleusercontent.com:user-id"},
			map[string]any{"responseElements": map[string]any{"ConsoleLogin": "Success"}}),
		rec("federated", "signin.amazonaws.com", "ConsoleLogin",
			map[string]any{"type": "FederatedUser", "principalId": "111122223333:Bob", "accountId": "111122223333",
				"arn": "arn:aws:sts::111122223333:federated-user/Bob",
				"sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "IAMUser", "userName": "broker",
					"arn": "arn:aws:iam::111122223333:user/broker"}}},
			map[string]any{"responseElements": map[string]any{"ConsoleLogin": "Success"}}),
	}
	dir := t.TempDir()
	b, err := json.Marshal(map[string]any{"Records": recs})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "types.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	st, _ := loadStore(t, dir, ingest.Options{})
	type row struct {
		Type, Recorded, Principal, UserID, Result string
		Masked                                    bool
	}
	got := map[string]row{}
	for _, e := range fetch(t, st, &signin.Query{All: true}) {
		got[e.EventID] = row{e.IdentityType, e.RecordedIdentityType, e.Principal, e.UserID, e.Result, e.MaskedUser}
	}
	want := map[string]row{
		"idc-no-type":     {"IdentityCenterUser", "", "alice (Identity Center)", userID, "Success", false},
		"idc-user-id":     {"IdentityCenterUser", "Unknown", userID + " (Identity Center)", userID, "Failure", false},
		"idc-store":       {"IdentityCenterUser", "Unknown", "(unknown) (Identity Center)", "", "Success", false},
		"idc-masked":      {"IdentityCenterUser", "Unknown", "(hidden user name)", "", "Failure", true},
		"idc-recorded":    {"IdentityCenterUser", "IdentityCenterUser", userID + " (Identity Center)", userID, "Success", false},
		"unknown-console": {"Unknown", "Unknown", "bob", "", "Failure", false},
		"unknown-nobody":  {"Unknown", "Unknown", "111122223333", "", "Success", false},
		"saml":            {"SAMLUser", "SAMLUser", "SamlExample (SAML)", "", "Success", false},
		"saml-no-name":    {"SAMLUser", "SAMLUser", "SamlExample (SAML)", "", "Success", false},
		"web":             {"WebIdentityUser", "WebIdentityUser", "user-id (web identity)", "", "Success", false},
		"federated":       {"FederatedUser", "FederatedUser", "Bob (federated)", "", "Success", false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The Identity Center user ID finds the user's sign-ins.
	var ids []string
	for _, e := range fetch(t, st, &signin.Query{All: true, Users: []string{userID}}) {
		ids = append(ids, e.EventID)
	}
	sort.Strings(ids)
	if diff := cmp.Diff([]string{"idc-no-type", "idc-recorded", "idc-user-id"}, ids); diff != "" {
		t.Errorf("--user %s (-want +got):\n%s", userID, diff)
	}
}
