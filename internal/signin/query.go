package signin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	fastjson "github.com/goccy/go-json"

	"github.com/trailq/trailq/internal/store"
	"github.com/trailq/trailq/internal/timewin"
)

// EventNames are the sign-in events trailq knows, as the AWS CloudTrail and IAM Identity Center sign-in
// references name them. Every event with eventType AwsConsoleSignIn and every event of signin.amazonaws.com is
// selected too, whatever its name.
var EventNames = []string{
	"ConsoleLogin", "CheckMfa", "SwitchRole", "ExitRole", "RenewRole", "GetSigninToken",
	"ExternalIdPDirectoryLogin", "PasswordRecoveryRequested", "PasswordRecoveryCompleted", "PasswordUpdated",
	"CredentialChallenge", "CredentialVerification", "UserAuthentication",
}

// DefaultKinds are the events shown without --kind or --all: sign-in attempts. CredentialVerification is kept
// only when it failed (a failed IAM Identity Center sign-in has no UserAuthentication).
var DefaultKinds = []string{"ConsoleLogin", "UserAuthentication", "CredentialVerification"}

// Query selects sign-in events. The fields down to Root are SQL conditions; the rest are applied to the
// normalized events (they need the Success/Failure, MFA and principal logic).
type Query struct {
	// Period is the instants the events are in (timewin.ParseSince/ParseUntil give whole seconds). An end
	// after the year 9999 is open: eventtime's text cannot write it.
	Period timewin.Period
	// Kinds are event names (case-insensitive); nil means DefaultKinds, unless All.
	Kinds []string
	// All selects every sign-in step (CheckMfa, SwitchRole, CredentialChallenge, …).
	All      bool
	Accounts []string
	Regions  []string
	// Root keeps root sign-ins only.
	Root bool

	// Users are globs (* and ?, case-insensitive) matched against the user name, the readable principal, the
	// ARN, the role and the session name, and the IAM Identity Center user ID.
	Users []string
	// IPs are addresses or CIDR prefixes.
	IPs []netip.Prefix
	// Failed keeps failures only; NoMFA keeps successful sign-ins whose MFA is "No" (failures too with Failed).
	Failed, NoMFA bool
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quote(s)
	}
	return strings.Join(q, ", ")
}

// sqlTime renders a period bound as the first 19 characters of an eventtime (2024-09-01T00:00:00), to the second.
func sqlTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05") }

// eventSecond is the eventtime to the second, as text that compares in time order with sqlTime's. Comparing
// whole eventtimes is wrong at the bounds: '2024-09-01T00:00:00.5Z' < '2024-09-01T00:00:00Z' ('.' sorts before
// 'Z'), a space-separated '2024-09-01 12:00:00' sorts before every time of that day written with 'T', and a
// lower-case 't' after them all. To the second, t >= start and t < end are exact for whole-second bounds
// (timewin.ParseSince and ParseUntil give only those) and any fraction of a second in eventtime. Athena (Trino) and trailq query run it
// alike.
const eventSecond = "upper(replace(substr(eventtime, 1, 19), ' ', 'T'))"

// hasOffset is true for an eventtime written with an offset other than Z (2024-09-01T08:30:00+09:00): its text
// is not UTC's, so the period's text comparison does not hold for it. (Plain LIKE: the classified table's query
// runs it in DuckDB untranslated.)
const hasOffset = "(substr(eventtime, 20) LIKE '%+%' OR substr(eventtime, 20) LIKE '%-%')"

// maxOffset bounds how far an eventtime's text with an offset is from its instant in UTC (RFC 3339 offsets are
// less than a day).
const maxOffset = 24 * time.Hour

// textRange reports whether t can be written as sqlTime's four-digit-year text.
func textRange(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 1 && y <= 9999
}

// periodSQL returns the period's condition on eventtime, or "". An eventtime in UTC (Z, or no zone) is compared
// to the second; one with an offset is kept when its text is within a day of the period, and Match keeps it
// only when its instant is in the period.
func (q *Query) periodSQL() string {
	var exact, wide []string
	if w := q.Period; !w.Start.IsZero() && textRange(w.Start) {
		// A bound within a second (not from timewin) is widened to the whole second (sqlTime drops a start's
		// fraction): the query never leaves out an event of the period, and Match drops the rest.
		exact = append(exact, eventSecond+" >= "+quote(sqlTime(w.Start)))
		if s := w.Start.Add(-maxOffset); textRange(s) {
			wide = append(wide, eventSecond+" >= "+quote(sqlTime(s)))
		}
	}
	if w := q.Period; !w.End.IsZero() && textRange(w.End) {
		end := w.End
		if end.Nanosecond() != 0 {
			end = end.Truncate(time.Second).Add(time.Second)
		}
		exact = append(exact, eventSecond+" < "+quote(sqlTime(end)))
		if e := end.Add(maxOffset); textRange(e) {
			wide = append(wide, eventSecond+" < "+quote(sqlTime(e)))
		}
	}
	if len(exact) == 0 {
		return ""
	}
	return "(" + strings.Join(exact, " AND ") + "\n    OR " + strings.Join(append([]string{hasOffset}, wide...), " AND ") + ")"
}

// SQL returns the query over cloudtrail_logs, written for Athena (and run as is by trailq query).
func (q *Query) SQL() string {
	return `SELECT eventtime, eventsource, eventname, eventtype, awsregion, recipientaccountid, useridentity,
  sourceipaddress, useragent, errorcode, errormessage, responseelements, additionaleventdata,
  serviceeventdetails, eventid
FROM cloudtrail_logs
` + q.where() + "\nORDER BY eventtime, eventid"
}

// where returns the query's WHERE clause. It names only eventtime, eventsource, eventname, eventtype, awsregion,
// recipientaccountid, useridentity.type and useridentity.accountid, which the classified table has too.
func (q *Query) where() string {
	var b strings.Builder
	b.WriteString(`WHERE (lower(eventtype) = 'awsconsolesignin'
    OR eventsource = 'signin.amazonaws.com'
    OR eventsource = 'sso.amazonaws.com' AND eventname IN (` + quoteList(EventNames) + `))`)
	if c := q.periodSQL(); c != "" {
		b.WriteString("\n  AND " + c)
	}
	if kinds := q.kinds(); kinds != nil {
		lower := make([]string, len(kinds))
		for i, k := range kinds {
			lower[i] = strings.ToLower(k)
		}
		b.WriteString("\n  AND lower(eventname) IN (" + quoteList(lower) + ")")
	}
	if len(q.Accounts) > 0 {
		b.WriteString("\n  AND coalesce(recipientaccountid, useridentity.accountid) IN (" + quoteList(q.Accounts) + ")")
	}
	if len(q.Regions) > 0 {
		b.WriteString("\n  AND awsregion IN (" + quoteList(q.Regions) + ")")
	}
	if q.Root {
		b.WriteString("\n  AND useridentity.type = 'Root'")
	}
	return b.String()
}

// Notes lists what trailq does to the rows after the SQL, as SQL comments for --sql.
func (q *Query) Notes() []string {
	var n []string
	if q.Kinds == nil && !q.All {
		n = append(n, "CredentialVerification rows are kept only when serviceeventdetails says Failure")
	}
	if len(q.Users) > 0 {
		n = append(n, "--user "+strings.Join(q.Users, ",")+": matched against user name, principal, ARN, role and session, Identity Center user ID")
	}
	if len(q.IPs) > 0 {
		var s []string
		for _, p := range q.IPs {
			s = append(s, p.String())
		}
		n = append(n, "--ip "+strings.Join(s, ",")+": sourceipaddress in these prefixes")
	}
	if !q.Period.Start.IsZero() || !q.Period.End.IsZero() {
		n = append(n, "the period is applied to eventtime as an instant: an eventtime with an offset (2024-09-01T08:30:00+09:00) is kept only when its UTC time is in the period")
	}
	if q.Failed {
		n = append(n, "--failed: the result (responseelements / serviceeventdetails) is Failure")
	}
	if q.NoMFA {
		n = append(n, "--no-mfa: additionaleventdata.MFAUsed is No (federated sign-ins are IdP/unknown, not No), and the sign-in succeeded (unless --failed)")
	}
	return n
}

func (q *Query) kinds() []string {
	switch {
	case q.Kinds != nil:
		return q.Kinds
	case q.All:
		return nil
	}
	return DefaultKinds
}

// Match applies the conditions that need the normalized event, and the period to its instant (the SQL compares
// text; an event whose time could not be read is kept as the SQL found it).
func (q *Query) Match(e *Event) bool {
	if !e.Time.IsZero() && !q.Period.Contains(e.Time) {
		return false
	}
	if q.Kinds == nil && !q.All && strings.EqualFold(e.Name, "CredentialVerification") && e.Result != Failure {
		return false
	}
	if q.Failed && e.Result != Failure {
		return false
	}
	// Without MFA is about sign-ins that succeeded (a failure gave no session), unless failures are asked for.
	if q.NoMFA && (e.MFA != MFANo || !q.Failed && e.Result != Success) {
		return false
	}
	if len(q.IPs) > 0 {
		addr, err := netip.ParseAddr(e.SourceIP)
		if err != nil || !slices.ContainsFunc(q.IPs, func(p netip.Prefix) bool { return p.Contains(addr.Unmap()) }) {
			return false
		}
	}
	if len(q.Users) > 0 && !q.matchUser(e) {
		return false
	}
	return true
}

func (q *Query) matchUser(e *Event) bool {
	cands := []string{e.UserName, e.Principal, e.ARN, e.UserID}
	// The principal as the table shows it, without what kind it is: "jane@example.com (Identity Center)",
	// "brokeruser (federated)", "root (111122223333)".
	if i := strings.LastIndex(e.Principal, " ("); i > 0 && strings.HasSuffix(e.Principal, ")") {
		cands = append(cands, e.Principal[:i])
	}
	if i := strings.Index(e.ARN, ":assumed-role/"); i >= 0 {
		cands = append(cands, strings.Split(e.ARN[i+len(":assumed-role/"):], "/")...)
	}
	for _, g := range q.Users {
		re := globRE(g)
		for _, c := range cands {
			if c != "" && re.MatchString(c) {
				return true
			}
		}
	}
	return false
}

func globRE(g string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?i)^")
	for _, r := range g {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// ParseIP reads an --ip value: an address (a /32 or /128) or a CIDR prefix.
func ParseIP(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("read --ip %q: %w", s, err)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("read --ip %q: %w", s, err)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// sortFound orders events by time, fully: records may share eventTime and eventID (AWS examples, test fixtures).
func sortFound(found []*Event) {
	sort.SliceStable(found, func(i, j int) bool {
		a, b := found[i], found[j]
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		if a.EventID != b.EventID {
			return a.EventID < b.EventID
		}
		return fmt.Sprint(*a) < fmt.Sprint(*b)
	})
}

// fetchRaw runs sql and classifies each row as it comes.
func fetchRaw(ctx context.Context, st *store.Store, sql string, q *Query) ([]*Event, error) {
	// DuckDB hands over the fields of useridentity that a sign-in needs, each as a column: much cheaper than the
	// driver building a map per row, or JSON text to decode. (The SQL shown to users keeps Athena's plain column.)
	sql = strings.Replace(sql, "recipientaccountid, useridentity,", "recipientaccountid, "+identityColumns+",", 1)
	// The rows are ordered by Fetch, fully; DuckDB need not sort them first.
	sql = strings.TrimSuffix(strings.TrimSpace(sql), "\nORDER BY eventtime, eventid")
	rows, err := st.Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var found []*Event
	agents := userAgents{} // a few distinct user agents sign in many times
	for rows.Next() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		r, err := scan(vals)
		if err != nil {
			return nil, err
		}
		e := normalize(r)
		e.Browser, e.OS = agents.parse(r.UserAgent)
		if q.Match(&e) {
			found = append(found, &e)
		}
	}
	return found, rows.Err()
}

// Fetch runs sql (the Query's SQL, translated for the store) and returns the normalized events that q matches.
// When the store's classified table is current (Classify), it is read instead.
func Fetch(ctx context.Context, st *store.Store, sql string, q *Query) ([]Event, error) {
	var found []*Event // pointers: an Event is large, and growing or sorting a slice of them copies each
	var err error
	if classifiedCurrent(ctx, st) {
		found, err = fetchClassified(ctx, st, q)
	} else {
		found, err = fetchRaw(ctx, st, sql, q)
	}
	if err != nil {
		return nil, err
	}
	sortFound(found)
	if len(found) == 0 {
		return nil, nil
	}
	events := make([]Event, len(found))
	for i, e := range found {
		events[i] = *e
	}
	return events, nil
}

// FetchRows is Fetch from the rows of sql alone, never from the classified table: for a store answering with
// files it has not stored yet (a first read of new logs), which that table does not hold.
func FetchRows(ctx context.Context, st *store.Store, sql string, q *Query) ([]Event, error) {
	found, err := fetchRaw(ctx, st, sql, q)
	if err != nil {
		return nil, err
	}
	sortFound(found)
	events := make([]Event, len(found))
	for i, e := range found {
		events[i] = *e
	}
	return events, nil
}

// userAgents remembers ParseUserAgent's answers.
type userAgents map[string][2]string

func (m userAgents) parse(ua string) (browser, os string) {
	if v, ok := m[ua]; ok {
		return v[0], v[1]
	}
	browser, os = ParseUserAgent(ua)
	m[ua] = [2]string{browser, os}
	return browser, os
}

// identityColumns replace useridentity in the query that Fetch runs, in the order scan reads them.
const identityColumns = `useridentity.type, useridentity.principalid, useridentity.arn, useridentity.accountid,
  useridentity.invokedby, useridentity.username, useridentity.onbehalfof.userid,
  useridentity.onbehalfof.identitystorearn, useridentity.sessioncontext.attributes.mfaauthenticated,
  useridentity.sessioncontext.sessionissuer.username`

// scanColumns is how many columns Fetch's query has: the 15 of Query.SQL, useridentity as 10.
const scanColumns = 15 - 1 + 10

// scan reads one row of the columns of Fetch's query.
func scan(v []any) (*raw, error) {
	if len(v) != scanColumns {
		return nil, fmt.Errorf("read sign-in row: %d columns, want %d", len(v), scanColumns)
	}
	text := func(x any) string {
		switch s := x.(type) {
		case nil:
			return ""
		case string:
			return s
		case json.RawMessage:
			return string(s)
		}
		return fmt.Sprint(x)
	}
	obj := func(x any) map[string]any {
		s := text(x)
		if s == "" {
			return nil
		}
		var m map[string]any
		if fastjson.Unmarshal([]byte(s), &m) != nil {
			return nil
		}
		return m
	}
	r := &raw{
		EventTime:          text(v[0]),
		EventSource:        text(v[1]),
		EventName:          text(v[2]),
		EventType:          text(v[3]),
		AWSRegion:          text(v[4]),
		RecipientAccountID: text(v[5]),
	}
	id := &r.UserIdentity
	id.Type, id.PrincipalID, id.ARN, id.AccountID = text(v[6]), text(v[7]), text(v[8]), text(v[9])
	id.InvokedBy, id.UserName = text(v[10]), text(v[11])
	id.OnBehalfOf.UserID, id.OnBehalfOf.IdentityStoreARN = text(v[12]), text(v[13])
	id.MFAAuthenticated = text(v[14])
	id.IssuerUserName = text(v[15])
	v = v[16:]
	r.SourceIPAddress, r.UserAgent, r.ErrorCode, r.ErrorMessage = text(v[0]), text(v[1]), text(v[2]), text(v[3])
	r.ResponseElements, r.AdditionalEventData, r.ServiceEventDetails = obj(v[4]), obj(v[5]), obj(v[6])
	r.EventID = text(v[7])
	return r, nil
}
