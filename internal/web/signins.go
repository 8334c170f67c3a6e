package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/signin"
	"github.com/trailq/trailq/internal/timewin"
)

// The dashboard uses internal/signin, as trailq signins does: the same events, columns, filters and summary.

// SignIn is one sign-in event of the dashboard's table; the fields are trailq signins' columns.
type SignIn struct {
	Time           string `json:"time"`     // RFC 3339 in the requested zone
	TimeUTC        string `json:"time_utc"` // RFC 3339 in UTC
	Local          string `json:"local"`    // "2006-01-02 15:04:05[.fraction]" in the requested zone, for display
	Account        string `json:"account"`
	Region         string `json:"region"`
	Event          string `json:"event"`
	Result         string `json:"result"` // Success, Failure, or "" when the event does not say
	FailureReason  string `json:"failure_reason"`
	IdentityType   string `json:"identity_type"`
	Principal      string `json:"principal"`
	ARN            string `json:"arn"`
	UserNameMasked bool   `json:"user_name_masked"`
	SourceIP       string `json:"source_ip"`
	UserAgent      string `json:"user_agent"`
	Client         string `json:"client"` // browser and OS read from the user agent
	MFA            string `json:"mfa"`    // Yes, No, IdP/unknown or ""
	MFAType        string `json:"mfa_type"`
	LoginTo        string `json:"login_to"`
	SAMLProvider   string `json:"saml_provider"`
	EventID        string `json:"event_id"`
}

// SignInSummary holds the dashboard's headline numbers.
type SignInSummary struct {
	SignIns   int `json:"signins"`
	Successes int `json:"successes"`
	Failures  int `json:"failures"`
	Root      int `json:"root"`   // sign-ins (successful or not) as the root user
	NoMFA     int `json:"no_mfa"` // successful sign-ins whose MFA is "No" (federated ones are up to the IdP)
	Users     int `json:"users"`  // principals, as the per-principal summary groups them
	IPs       int `json:"ips"`    // distinct source addresses
}

// Bucket is one bar of the sign-ins-over-time chart.
type Bucket struct {
	Start   string `json:"start"` // RFC 3339 in the requested zone
	Label   string `json:"label"`
	Success int    `json:"success"`
	Failure int    `json:"failure"`
	Other   int    `json:"other"` // no result recorded
}

// Principal is one row of the per-principal summary (trailq signins --summary).
type Principal struct {
	Account      string `json:"account"`
	Principal    string `json:"principal"`
	IdentityType string `json:"identity_type"`
	SignIns      int    `json:"sign_ins"`
	Failures     int    `json:"failures"`
	LastSuccess  string `json:"last_success"`
	FirstSeen    string `json:"first_seen"`
	LastSeen     string `json:"last_seen"`
	SourceIPs    int    `json:"source_ips"`
	UserAgents   int    `json:"user_agents"`
	WithMFA      string `json:"with_mfa"`
}

// SignInReport is the body of GET /api/signins.
type SignInReport struct {
	From       string        `json:"from"` // first date, in the zone
	To         string        `json:"to"`   // last date (inclusive), in the zone
	TZ         string        `json:"tz"`
	Start      string        `json:"start"` // the period as RFC 3339 instants [start, end)
	End        string        `json:"end"`
	Bucket     string        `json:"bucket"` // hour, day or month
	Summary    SignInSummary `json:"summary"`
	Series     []Bucket      `json:"series"`
	Principals []Principal   `json:"principals"`
	Rows       []SignIn      `json:"rows"`      // newest first
	Truncated  bool          `json:"truncated"` // more sign-ins than the table lists (the numbers count them all)
}

const dateLayout = "2006-01-02"

// period reads from, to and tz: dates in the zone, to inclusive; by default the last 30 days.
func period(q url.Values, now time.Time) (from, to time.Time, loc *time.Location, err error) {
	get := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	loc = time.UTC
	if tz := get("tz"); tz != "" {
		if loc, err = timewin.ParseZone(tz); err != nil {
			return from, to, nil, err
		}
	}
	today := now.In(loc)
	to = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
	if s := get("to"); s != "" {
		if to, err = time.ParseInLocation(dateLayout, s, loc); err != nil {
			return from, to, nil, fmt.Errorf("to: want a date like 2024-09-30, got %q", s)
		}
	}
	from = to.AddDate(0, 0, -29)
	if s := get("from"); s != "" {
		if from, err = time.ParseInLocation(dateLayout, s, loc); err != nil {
			return from, to, nil, fmt.Errorf("from: want a date like 2024-09-01, got %q", s)
		}
	}
	if to.Before(from) {
		return from, to, nil, fmt.Errorf("the period ends (%s) before it starts (%s)", to.Format(dateLayout), from.Format(dateLayout))
	}
	if to.Sub(from) > 100*366*24*time.Hour {
		return from, to, nil, fmt.Errorf("the period is longer than 100 years")
	}
	return from, to, loc, nil
}

// signInQuery reads the filters of trailq signins from the URL: kind, all, user, account, region, ip (each a
// comma-separated list where it takes several), failed, root and no_mfa (true or 1).
func signInQuery(q url.Values, p timewin.Period) (*signin.Query, error) {
	list := func(k string) []string {
		var out []string
		for _, v := range q[k] {
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					out = append(out, s)
				}
			}
		}
		return out
	}
	flag := func(k string) (bool, error) {
		v := q.Get(k)
		if v == "" {
			return false, nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, fmt.Errorf("%s: want true or false, got %q", k, v)
		}
		return b, nil
	}
	sq := &signin.Query{Period: p, Kinds: list("kind"), Users: list("user"), Accounts: list("account"), Regions: list("region")}
	var err error
	for k, p := range map[string]*bool{"all": &sq.All, "failed": &sq.Failed, "root": &sq.Root, "no_mfa": &sq.NoMFA} {
		if *p, err = flag(k); err != nil {
			return nil, err
		}
	}
	for _, s := range list("ip") {
		p, err := signin.ParseIP(s)
		if err != nil {
			return nil, err
		}
		sq.IPs = append(sq.IPs, p)
	}
	return sq, nil
}

func (s *Server) handleSignIns(w http.ResponseWriter, r *http.Request) {
	from, to, loc, err := period(r.URL.Query(), s.opts.Now())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	sq, err := signInQuery(r.URL.Query(), timewin.Period{Start: from, End: to.AddDate(0, 0, 1)})
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx, st, done, ok := s.reading(w, r)
	if !ok {
		return
	}
	defer done()
	rep, err := signIns(ctx, st, sq, from, to, loc)
	if err != nil {
		s.opts.Log.Warn("sign-ins", "err", err)
		writeError(w, statusOf(ctx, err, http.StatusInternalServerError), "read sign-ins: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// signIns builds the dashboard for the dates from..to (inclusive) in loc.
func signIns(ctx context.Context, st *engine.Store, sq *signin.Query, from, to time.Time, loc *time.Location) (*SignInReport, error) {
	events, err := engine.SignIns(ctx, st, sq)
	if err != nil {
		return nil, err
	}
	end := to.AddDate(0, 0, 1)
	rep := &SignInReport{
		From: from.Format(dateLayout), To: to.Format(dateLayout), TZ: loc.String(),
		Start: from.Format(time.RFC3339), End: end.Format(time.RFC3339),
		Series: []Bucket{}, Principals: []Principal{}, Rows: []SignIn{},
	}
	step, buckets := signin.Buckets(events, sq.Period, loc)
	rep.Bucket = step
	for _, b := range buckets {
		rep.Series = append(rep.Series, Bucket{Start: b.Start.Format(time.RFC3339), Label: bucketLabel(b.Start, step),
			Success: b.Success, Failure: b.Failure, Other: b.Unknown})
	}
	ips := map[string]bool{}
	sm := &rep.Summary
	for i := range events {
		e := &events[i]
		sm.SignIns++
		switch e.Result {
		case signin.Success:
			sm.Successes++
			if e.MFA == signin.MFANo {
				sm.NoMFA++
			}
		case signin.Failure:
			sm.Failures++
		}
		if strings.EqualFold(e.IdentityType, "Root") {
			sm.Root++
		}
		if e.SourceIP != "" {
			ips[e.SourceIP] = true
		}
	}
	sm.IPs = len(ips)
	sums := signin.Summarize(events)
	sm.Users = len(sums)
	for i := range sums {
		p := &sums[i]
		rep.Principals = append(rep.Principals, Principal{Account: p.Account, Principal: p.Principal, IdentityType: p.IdentityType,
			SignIns: p.SignIns, Failures: p.Failures, LastSuccess: localTime(p.LastSuccess, loc), FirstSeen: localTime(p.FirstSeen, loc),
			LastSeen: localTime(p.LastSeen, loc), SourceIPs: p.SourceIPs, UserAgents: p.UserAgents, WithMFA: p.MFAShare()})
	}
	sort.SliceStable(rep.Principals, func(i, j int) bool { return rep.Principals[i].SignIns > rep.Principals[j].SignIns })
	// Newest first in the table.
	for i := len(events) - 1; i >= 0; i-- {
		if len(rep.Rows) == maxSignInRows {
			rep.Truncated = true
			break
		}
		rep.Rows = append(rep.Rows, signInRow(&events[i], loc))
	}
	return rep, nil
}

func signInRow(e *signin.Event, loc *time.Location) SignIn {
	client := strings.TrimSpace(e.Browser + " " + e.OS)
	if e.Browser != "" && e.OS != "" {
		client = e.Browser + " on " + e.OS
	}
	return SignIn{
		Time: signin.FormatTime(e.Time, loc), TimeUTC: signin.FormatTime(e.Time, time.UTC), Local: localTime(e.Time, loc),
		Account: e.Account, Region: e.Region, Event: e.Name, Result: e.Result, FailureReason: e.Reason,
		IdentityType: e.IdentityType, Principal: e.Principal, ARN: e.ARN, UserNameMasked: e.MaskedUser,
		SourceIP: e.SourceIP, UserAgent: e.UserAgent, Client: client, MFA: e.MFA, MFAType: e.MFAType,
		LoginTo: e.LoginTo, SAMLProvider: e.SAMLProvider, EventID: e.EventID,
	}
}

// localTime shows t in loc for display, with the fraction of a second the record has.
func localTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("2006-01-02 15:04:05.999999999")
}

func bucketLabel(t time.Time, step string) string {
	switch step {
	case "hour":
		return t.Format("2006-01-02 15:00")
	case "month":
		return t.Format("2006-01")
	}
	return t.Format(dateLayout)
}

// statusOf maps a query error to a status: 504 when the deadline passed, else fallback.
func statusOf(ctx context.Context, err error, fallback int) int {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return http.StatusGatewayTimeout
	}
	return fallback
}
