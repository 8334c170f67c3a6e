package signin_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/signin"
)

// TestSummaryIdentityCenterChains: a chain of IAM Identity Center sign-in steps (one AuthWorkflowID) is one
// person: a masked step of a chain whose other steps name the user counts for that user, not for "(hidden user
// name)"; a chain that names nobody is grouped by address.
func TestSummaryIdentityCenterChains(t *testing.T) {
	at := time.Date(2024, 9, 1, 9, 0, 0, 0, time.UTC)
	jane := "jane (Identity Center)"
	step := func(min int, flow, name, result, principal string, masked bool) signin.Event {
		return signin.Event{Time: at.Add(time.Duration(min) * time.Minute), Account: "111122223333", Name: name,
			Result: result, Principal: principal, MaskedUser: masked, IdentityType: "IdentityCenterUser",
			AuthWorkflowID: flow, SourceIP: "203.0.113.5"}
	}
	events := []signin.Event{
		// wf-1: a wrong password, then the right one.
		step(0, "wf-1", "CredentialVerification", signin.Failure, jane, false),
		step(1, "wf-1", "CredentialVerification", signin.Success, jane, false),
		step(1, "wf-1", "UserAuthentication", signin.Success, jane, false),
		// wf-2: two wrong passwords and no UserAuthentication; its first step is masked, the second names jane.
		step(10, "wf-2", "CredentialVerification", signin.Failure, "(hidden user name)", true),
		step(11, "wf-2", "CredentialVerification", signin.Failure, jane, false),
		// wf-3: an unknown user name only: grouped by address.
		step(20, "wf-3", "CredentialVerification", signin.Failure, "(hidden user name)", true),
		// A console sign-in without a workflow counts on its own.
		{Time: at, Account: "111122223333", Name: "ConsoleLogin", Result: signin.Failure, Principal: "bob", IdentityType: "IAMUser"},
		{Time: at, Account: "111122223333", Name: "ConsoleLogin", Result: signin.Failure, Principal: "bob", IdentityType: "IAMUser"},
	}
	got := map[string]string{}
	for _, s := range signin.Summarize(events) {
		got[s.Principal] = fmt.Sprintf("%d sign-ins, %d failed", s.SignIns, s.Failures)
	}
	want := map[string]string{
		jane:                                  "5 sign-ins, 3 failed",
		"(hidden user name) from 203.0.113.5": "1 sign-ins, 1 failed",
		"bob":                                 "2 sign-ins, 2 failed",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("summary %v, want %v", got, want)
	}
}
