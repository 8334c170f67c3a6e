package signin

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Columns are the columns of the sign-in list, in order (CSV, TSV, JSON). identity_type_recorded, the
// userIdentity.type AWS logged, is last so that the others keep their places.
var Columns = []string{
	"time", "time_utc", "account", "region", "event", "result", "failure_reason", "identity_type", "principal",
	"arn", "user_name_masked", "source_ip", "user_agent", "browser", "os", "mfa", "mfa_type", "login_to",
	"saml_provider", "event_id", "identity_type_recorded", "auth_workflow_id", "credential_type", "details",
}

// TableColumns are the columns of the sign-in list on a terminal.
var TableColumns = []string{
	"time", "account", "region", "event", "result", "principal", "identity_type", "source_ip", "client", "mfa",
	"failure_reason",
}

// FormatTime shows t in loc with its offset, as RFC 3339 (2024-09-01T09:00:00+09:00), with the fraction of a
// second the record has (2024-09-01T09:00:00.123+09:00).
func FormatTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(time.RFC3339Nano)
}

// Row returns e's values for Columns, times shown in loc.
func (e *Event) Row(loc *time.Location) []any {
	return []any{
		FormatTime(e.Time, loc), FormatTime(e.Time, time.UTC), e.Account, e.Region, e.Name, e.Result, e.Reason,
		e.IdentityType, e.Principal, e.ARN, e.MaskedUser, e.SourceIP, e.UserAgent, e.Browser, e.OS, e.MFA,
		e.MFAType, e.LoginTo, e.SAMLProvider, e.EventID, e.RecordedIdentityType, e.AuthWorkflowID, e.CredentialType,
		e.Details,
	}
}

// TableRow returns e's values for TableColumns.
func (e *Event) TableRow(loc *time.Location) []any {
	client := strings.TrimSpace(e.Browser + " " + e.OS)
	if e.Browser != "" && e.OS != "" {
		client = e.Browser + " on " + e.OS
	}
	if client == "" {
		client = e.UserAgent
	}
	mfa := e.MFA
	if mfa == "" && e.Result == Success && strings.EqualFold(e.Name, "CheckMfa") {
		mfa = "required" // CheckMfa: the user must give an MFA code; the ConsoleLogin says whether it was used
	}
	if e.MFAType != "" && mfa != "" {
		mfa += " (" + e.MFAType + ")"
	}
	return []any{
		tableTime(e.Time, loc), e.Account, e.Region, e.Name, e.Result, e.Principal,
		e.IdentityType, e.SourceIP, client, mfa, e.Reason,
	}
}

// SummaryColumns are the columns of the per-principal summary.
var SummaryColumns = []string{
	"account", "principal", "identity_type", "sign_ins", "failures", "last_success", "first_seen", "last_seen",
	"source_ips", "user_agents", "with_mfa",
}

// Summary is one principal's sign-ins.
type Summary struct {
	Account, Principal, IdentityType string
	SignIns, Failures                int
	LastSuccess, FirstSeen, LastSeen time.Time
	SourceIPs, UserAgents            int
	// MFAYes and MFAKnown count successful sign-ins with MFA "Yes", and with MFA "Yes" or "No";
	// MFAAtIdP counts successful sign-ins whose MFA is up to the identity provider.
	MFAYes, MFAKnown, MFAAtIdP int
}

// Summarize groups events by account and principal. Events with a masked user name (unknown user names:
// people typing a password into the user-name box) are grouped by source IP instead, unless another step of the
// same IAM Identity Center sign-in (the same AuthWorkflowID) names the user: a chain is one person.
func Summarize(events []Event) []Summary {
	type acc struct {
		Summary
		ips, uas map[string]bool
	}
	groups := map[[2]string]*acc{}
	var order [][2]string
	flows := workflows(events)
	for i := range events {
		e := &events[i]
		p := e.Principal
		flow := flows[e.AuthWorkflowID]
		if e.MaskedUser && flow.principal != "" {
			p = flow.principal
		} else if e.MaskedUser {
			p = "(hidden user name) from " + e.SourceIP
		}
		k := [2]string{e.Account, p}
		g := groups[k]
		if g == nil {
			g = &acc{Summary: Summary{Account: e.Account, Principal: p, IdentityType: e.IdentityType},
				ips: map[string]bool{}, uas: map[string]bool{}}
			groups[k] = g
			order = append(order, k)
		}
		g.SignIns++
		if e.Result == Failure {
			g.Failures++
		}
		if e.Result == Success {
			if e.Time.After(g.LastSuccess) {
				g.LastSuccess = e.Time
			}
			switch e.MFA {
			case MFAYes:
				g.MFAYes++
				g.MFAKnown++
			case MFANo:
				g.MFAKnown++
			case MFAAtIdP:
				g.MFAAtIdP++
			}
		}
		if g.FirstSeen.IsZero() || e.Time.Before(g.FirstSeen) {
			g.FirstSeen = e.Time
		}
		if e.Time.After(g.LastSeen) {
			g.LastSeen = e.Time
		}
		if e.SourceIP != "" {
			g.ips[e.SourceIP] = true
		}
		if e.UserAgent != "" {
			g.uas[e.UserAgent] = true
		}
		if g.IdentityType != e.IdentityType && !strings.Contains(g.IdentityType, e.IdentityType) {
			g.IdentityType += "," + e.IdentityType
		}
	}
	sort.Slice(order, func(i, j int) bool {
		if order[i][0] != order[j][0] {
			return order[i][0] < order[j][0]
		}
		return order[i][1] < order[j][1]
	})
	out := make([]Summary, 0, len(order))
	for _, k := range order {
		g := groups[k]
		g.SourceIPs, g.UserAgents = len(g.ips), len(g.uas)
		out = append(out, g.Summary)
	}
	return out
}

// MFAShare describes the share of successful sign-ins that used MFA: "2/3 (67%)", "IdP/unknown", or "".
func (s *Summary) MFAShare() string {
	switch {
	case s.MFAKnown > 0:
		str := fmt.Sprintf("%d/%d (%d%%)", s.MFAYes, s.MFAKnown, (s.MFAYes*100+s.MFAKnown/2)/s.MFAKnown)
		if s.MFAAtIdP > 0 {
			str += fmt.Sprintf(", %d IdP/unknown", s.MFAAtIdP)
		}
		return str
	case s.MFAAtIdP > 0:
		return MFAAtIdP
	}
	return ""
}

// Row returns s's values for SummaryColumns, times shown in loc.
func (s *Summary) Row(loc *time.Location) []any {
	return []any{
		s.Account, s.Principal, s.IdentityType, int64(s.SignIns), int64(s.Failures), FormatTime(s.LastSuccess, loc),
		FormatTime(s.FirstSeen, loc), FormatTime(s.LastSeen, loc), int64(s.SourceIPs), int64(s.UserAgents), s.MFAShare(),
	}
}

func tableTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("2006-01-02 15:04:05.999999999 -07:00")
}

// workflow is what the steps of one IAM Identity Center sign-in say together.
type workflow struct {
	principal string // the principal a step names (not masked)
}

// workflows reads the IAM Identity Center sign-ins among events, by AuthWorkflowID.
func workflows(events []Event) map[string]workflow {
	out := map[string]workflow{}
	for i := range events {
		e := &events[i]
		if e.AuthWorkflowID == "" {
			continue
		}
		w := out[e.AuthWorkflowID]
		if !e.MaskedUser && w.principal == "" {
			w.principal = e.Principal
		}
		out[e.AuthWorkflowID] = w
	}
	return out
}
