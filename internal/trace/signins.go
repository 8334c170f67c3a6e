package trace

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// signIns reads the console sign-ins of the principals of the trace's events (IAM users, root, role sessions),
// in the period, from the store's sign-in events.
func (r *run) signIns(ctx context.Context) error {
	arns := map[string]bool{}
	for i := range r.res.Events {
		e := &r.res.Events[i]
		if e.ARN != "" && (e.IdentityType == "IAMUser" || e.IdentityType == "Root" || e.IdentityType == "AssumedRole") {
			arns[e.ARN] = true
		}
	}
	if len(arns) == 0 {
		return nil
	}
	list := make([]string, 0, len(arns))
	for a := range arns {
		list = append(list, a)
	}
	slices.Sort(list)
	for len(list) > 0 {
		n := min(len(list), keyBatch)
		cond := "eventname IN ('ConsoleLogin', 'SwitchRole') AND useridentity.arn IN (" + quoteList(list[:n]) + ")"
		if pw := periodWhere(r.q.Period); pw != "" {
			cond += " AND " + pw
		}
		sql := "SELECT " + selectList() + ", json_extract_scalar(additionaleventdata, '$.MFAUsed') FROM cloudtrail_logs WHERE " +
			cond + " ORDER BY eventtime, eventid"
		r.res.Queries = append(r.res.Queries, sql)
		err := r.db.SignIns(ctx, sql, func(v []any) error {
			mfa, _ := v[len(v)-1].(string)
			r.res.SignIns = append(r.res.SignIns, SignIn{Event: readEvent(v[:len(v)-1]), MFA: mfa})
			return nil
		})
		if err != nil {
			return fmt.Errorf("trace --%s %s: read the sign-ins: %w", r.q.Kind, r.q.Value, err)
		}
		list = list[n:]
	}
	return nil
}

// identityCenterWindow is how long after an IAM Identity Center sign-in its portal's calls and the role
// sessions it opened are looked for (the portal's session lasts 8 hours by default).
const identityCenterWindow = 12 * time.Hour

// startIdentityCenter starts from an IAM Identity Center sign-in. The records carry no key from the sign-in to
// the portal's calls (Federate, GetRoleCredentials, ListAccounts, …) nor from those to the role sessions they
// open (AWSReservedSSO_<permission set>_…/<user>): they are linked by the user name and time, and the trace says
// so.
func (r *run) startIdentityCenter(ctx context.Context, root *Session, ev *Event) error {
	user := ev.UserName
	root.Kind, root.Label, root.Opener = "identity-center", user, ev
	r.add(root, ev)
	if ev.Name != "UserAuthentication" || user == "" {
		r.note("%s %s is a step of an IAM Identity Center sign-in, not its end (UserAuthentication): it opened no session.", ev.Name, ev.ID)
		return nil
	}
	from, to := ev.Time, ev.Time.Add(identityCenterWindow)
	window := "eventtime >= " + quote(from.UTC().Add(-time.Second).Format(time.RFC3339)) + " AND eventtime <= " + quote(to.UTC().Format(time.RFC3339))
	portal := "eventsource IN ('sso.amazonaws.com', 'signin.amazonaws.com') AND eventname <> 'UserAuthentication' AND useridentity.username = " +
		quote(user) + " AND " + window
	if err := r.fill(ctx, root, portal); err != nil {
		return err
	}
	created := "try(from_iso8601_timestamp(useridentity.sessioncontext.attributes.creationdate))"
	roles := "regexp_like(useridentity.arn, " + quote(`:assumed-role/AWSReservedSSO_[^/]+/`+regexp.QuoteMeta(user)+`$`) + ") AND " +
		created + " >= from_iso8601_timestamp(" + quote(from.UTC().Format(time.RFC3339)) + ") AND " +
		created + " <= from_iso8601_timestamp(" + quote(to.UTC().Format(time.RFC3339)) + ")"
	bysession := map[string]*Session{}
	err := r.events(ctx, eventsSQL(roles, r.q.Period), func(e *Event) {
		k := e.ARN + "\x00" + e.Created
		s := bysession[k]
		if s == nil {
			s = &Session{ID: fmt.Sprintf("%s.%d", root.ID, len(root.Children)+1), Kind: "console", ARN: e.ARN,
				Account: e.Account, Created: parseCreated(e.Created), depth: 1}
			if i := strings.Index(e.ARN, ":assumed-role/"); i >= 0 {
				s.RoleARN = "arn:aws:iam::" + arnAccount(e.ARN) + ":role/" + strings.Split(e.ARN[i+len(":assumed-role/"):], "/")[0]
			}
			s.SessionName = arnName(e.ARN)
			root.Children = append(root.Children, s)
			bysession[k] = s
		}
		r.add(s, e)
	})
	if err != nil {
		return err
	}
	r.note("IAM Identity Center: CloudTrail ties neither the portal's calls nor the AWSReservedSSO role sessions to the sign-in by a key; they are %s's, from the sign-in to %s after it (portal calls by user name; role sessions by the session name %s and their creation time).",
		user, identityCenterWindow, user)
	return nil
}
