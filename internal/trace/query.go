package trace

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"time"

	"github.com/trailq/trailq/internal/timewin"
)

// Kind is what a trace starts from.
type Kind string

// The kinds of start.
const (
	BySession   Kind = "session"    // an event ID: a sign-in or a credential-issuing call, or any call
	ByAccessKey Kind = "access-key" // AKIA… or ASIA…
	ByPrincipal Kind = "principal"  // an ARN, a user or session name, or root
	ByIP        Kind = "ip"         // an address or a CIDR prefix
	ByRole      Kind = "role"       // a role's ARN or name
	ByResource  Kind = "resource"   // an ARN or a name (bucket, instance ID, …)
)

// Kinds are the kinds of start, in the order of the command's flags.
var Kinds = []Kind{BySession, ByAccessKey, ByPrincipal, ByIP, ByRole, ByResource}

// DefaultDepth is how many levels of sessions opened from sessions a trace follows unless told.
const DefaultDepth = 5

// Query says what to trace.
type Query struct {
	Kind  Kind
	Value string
	// Period limits the events, by eventtime as an instant (zero bounds are open).
	Period timewin.Period
	// Depth is how many levels of sessions opened from the traced events are followed (0: none).
	Depth int

	prefix netip.Prefix // ByIP: the address or prefix
}

// Check reads the value of the query's kind and says what is wrong with it.
func (q *Query) Check() error {
	q.Value = strings.TrimSpace(q.Value)
	if q.Value == "" {
		return fmt.Errorf("--%s: give a value", q.Kind)
	}
	if q.Depth < 0 {
		return fmt.Errorf("--depth %d: give how many levels of role chaining to follow (0: none)", q.Depth)
	}
	switch q.Kind {
	case BySession, ByAccessKey, ByPrincipal, ByRole, ByResource:
	case ByIP:
		p, err := parseIP(q.Value)
		if err != nil {
			return err
		}
		q.prefix = p
	default:
		return fmt.Errorf("unknown kind of trace %q", q.Kind)
	}
	return nil
}

// parseIP reads an address (a prefix of its full length) or a CIDR prefix.
func parseIP(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, fmt.Errorf("--ip %q: %w", s, err)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		// Source IPs are also service names (ec2.amazonaws.com) and anonymised texts: matched as written.
		return netip.Prefix{}, nil
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func quoteList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = quote(v)
	}
	return strings.Join(q, ", ")
}

// periodWhere is the condition of the period on eventtime as an instant, or "" for none. The text bounds, a day
// wider than the period (an eventtime may carry an offset), let the store skip the row groups outside it.
func periodWhere(p timewin.Period) string {
	var conds []string
	if !p.Start.IsZero() {
		conds = append(conds, "eventtime >= "+quote(p.Start.UTC().AddDate(0, 0, -1).Format(time.DateOnly)),
			"try(from_iso8601_timestamp(eventtime)) >= from_iso8601_timestamp("+quote(p.Start.UTC().Format(time.RFC3339Nano))+")")
	}
	if !p.End.IsZero() {
		conds = append(conds, "eventtime < "+quote(p.End.UTC().AddDate(0, 0, 2).Format(time.DateOnly)),
			"try(from_iso8601_timestamp(eventtime)) < from_iso8601_timestamp("+quote(p.End.UTC().Format(time.RFC3339Nano))+")")
	}
	return strings.Join(conds, " AND ")
}

// eventsSQL selects the trace's columns of the events where cond holds, in the period unless whole.
func eventsSQL(cond string, p timewin.Period) string {
	if pw := periodWhere(p); pw != "" {
		cond = "(" + cond + ") AND " + pw
	}
	return "SELECT " + selectList() + " FROM cloudtrail_logs WHERE " + cond + " ORDER BY eventtime, eventid"
}

// keyWhere holds for the calls made with any of keys.
func keyWhere(keys []string) string {
	return "useridentity.accesskeyid IN (" + quoteList(keys) + ")"
}

// consoleWhere holds for the calls of the console session of principal arn created at created (to the
// second, in either of CloudTrail's spellings: 2024-07-30T21:31:15Z, 20240730T213115Z), and for the sign-in
// event itself.
func consoleWhere(arn string, created time.Time, signinID string) string {
	return "(useridentity.arn = " + quote(arn) +
		" AND substr(regexp_replace(useridentity.sessioncontext.attributes.creationdate, '[-:]', ''), 1, 15) = " +
		quote(created.UTC().Format("20060102T150405")) + ") OR eventid = " + quote(signinID)
}

// nameEnd is a regular expression for a name at the end of an ARN's path.
func nameEnd(name string) string { return quote("[/:]" + regexp.QuoteMeta(name) + "$") }

// principalWhere holds for the calls of a principal: an ARN as written, root, or a user or session name (the
// last part of the caller's ARN, or its user name).
func principalWhere(v string) string {
	switch {
	case strings.HasPrefix(v, "arn:"):
		return "useridentity.arn = " + quote(v)
	case strings.EqualFold(v, "root"):
		return "useridentity.type = 'Root'"
	}
	return "(useridentity.username = " + quote(v) + " OR regexp_like(useridentity.arn, " + nameEnd(v) + "))"
}

// roleWhere holds for the calls made in the sessions of a role, by ARN or name.
func roleWhere(v string) string {
	if strings.HasPrefix(v, "arn:") {
		return "useridentity.sessioncontext.sessionissuer.arn = " + quote(v)
	}
	return "(useridentity.sessioncontext.sessionissuer.type = 'Role' AND useridentity.sessioncontext.sessionissuer.username = " + quote(v) + ")"
}

// roleOpenersWhere holds for the AssumeRole calls that asked for the role (by ARN or name).
func roleOpenersWhere(v string) string {
	arn := "json_extract_scalar(requestparameters, '$.roleArn')"
	cond := arn + " = " + quote(v)
	if !strings.HasPrefix(v, "arn:") {
		cond = "regexp_like(" + arn + ", " + quote(":role/(.*/)?"+regexp.QuoteMeta(v)+"$") + ")"
	}
	return "eventname IN ('AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity') AND " + cond
}

// keyOpenerWhere holds for the call that issued an access key.
func keyOpenerWhere(key string) string {
	return "eventname IN (" + quoteList(issuing) + ") AND strpos(responseelements, " + quote(key) + ") > 0" +
		" AND json_extract_scalar(responseelements, '$.credentials.accessKeyId') = " + quote(key)
}

// ipWhere holds for the calls from an address or prefix (or a source written otherwise, as written).
func ipWhere(v string, p netip.Prefix) string {
	switch {
	case !p.IsValid():
		return "sourceipaddress = " + quote(v)
	case p.IsSingleIP():
		return "sourceipaddress = " + quote(p.Addr().String())
	}
	return "coalesce(try(is_subnet_of(" + quote(p.String()) + ", sourceipaddress)), false)"
}

// resourceWhere holds for the calls that name a resource: in resources (an ARN exactly, a name as the end of
// an ARN), or as a whole string value of requestParameters.
func resourceWhere(v string) string {
	inParams := "strpos(requestparameters, " + quote(`"`+strings.ReplaceAll(v, `"`, `\"`)+`"`) + ") > 0"
	if strings.HasPrefix(v, "arn:") {
		return "(any_match(resources, r -> r.arn = " + quote(v) + ") OR " + inParams + ")"
	}
	return "(any_match(resources, r -> regexp_like(r.arn, " + nameEnd(v) + ")) OR " + inParams + ")"
}

// where is the condition of the query's own events (before any session is followed); "" for BySession, whose
// events depend on the event it names.
func (q *Query) where() string {
	switch q.Kind {
	case ByAccessKey:
		return keyWhere([]string{q.Value})
	case ByPrincipal:
		return principalWhere(q.Value)
	case ByIP:
		return ipWhere(q.Value, q.prefix)
	case ByRole:
		return roleWhere(q.Value)
	case ByResource:
		return resourceWhere(q.Value)
	}
	return ""
}
