package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/trailq/trailq/internal/store"
)

// signInQuery selects the console sign-ins (ConsoleLogin events) of a UTC period.
const signInQuery = `SELECT eventid, eventtime, useridentity, sourceipaddress, useragent, responseelements,
	additionaleventdata, errormessage, recipientaccountid, awsregion
FROM ` + store.LogsView + `
WHERE eventtype = 'AwsConsoleSignIn' AND eventname = 'ConsoleLogin' AND eventtime >= ? AND eventtime < ?
ORDER BY eventtime, eventid`

// SignIn is one console sign-in as the dashboard lists it.
type SignIn struct {
	EventID   string `json:"eventid"`
	Time      string `json:"time"`  // eventTime as logged (UTC)
	Local     string `json:"local"` // the same instant in the requested zone, "2006-01-02 15:04:05"
	Account   string `json:"account"`
	Region    string `json:"region"`
	User      string `json:"user"` // a readable name: root, the IAM user name, role/session, …
	ARN       string `json:"arn"`
	Type      string `json:"type"` // userIdentity.type: Root, IAMUser, AssumedRole, …
	IP        string `json:"ip"`
	UserAgent string `json:"useragent"`
	Result    string `json:"result"` // Success, Failure, or "" when the event does not say
	MFA       string `json:"mfa"`    // additionalEventData.MFAUsed: Yes, No or ""
	Error     string `json:"error"`  // errorMessage of a failure
	at        time.Time
}

// SignInSummary holds the dashboard's headline numbers.
type SignInSummary struct {
	SignIns   int `json:"signins"`
	Successes int `json:"successes"`
	Failures  int `json:"failures"`
	Root      int `json:"root"`   // sign-ins (successful or not) as the root user
	NoMFA     int `json:"no_mfa"` // successful sign-ins without MFA
	Users     int `json:"users"`  // distinct principals
	IPs       int `json:"ips"`    // distinct source addresses
}

// Bucket is one bar of the sign-ins-over-time chart.
type Bucket struct {
	Start   string `json:"start"` // RFC 3339 in the requested zone
	Label   string `json:"label"`
	Success int    `json:"success"`
	Failure int    `json:"failure"`
	Other   int    `json:"other"` // neither success nor failure recorded
}

// Principal summarises one principal's sign-ins in the period.
type Principal struct {
	User     string `json:"user"`
	ARN      string `json:"arn"`
	Type     string `json:"type"`
	Account  string `json:"account"`
	SignIns  int    `json:"signins"`
	Failures int    `json:"failures"`
	NoMFA    int    `json:"no_mfa"`
	IPs      int    `json:"ips"`
	Last     string `json:"last"` // local time of the last sign-in
	ips      map[string]bool
}

// SignInReport is the body of GET /api/signins.
type SignInReport struct {
	From       string        `json:"from"` // first date, in the zone
	To         string        `json:"to"`   // last date (inclusive), in the zone
	TZ         string        `json:"tz"`
	Start      string        `json:"start"` // the period as RFC 3339 instants [start, end)
	End        string        `json:"end"`
	Bucket     string        `json:"bucket"` // hour, day, week or month
	Summary    SignInSummary `json:"summary"`
	Series     []Bucket      `json:"series"`
	Principals []Principal   `json:"principals"`
	Rows       []SignIn      `json:"rows"`
	Truncated  bool          `json:"truncated"` // more sign-ins than the table lists (the numbers count them all)
}

const dateLayout = "2006-01-02"

// period reads from, to and tz: dates in the zone, to inclusive; by default the last 30 days.
func period(q map[string][]string, now time.Time) (from, to time.Time, loc *time.Location, err error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	loc = time.UTC
	if tz := get("tz"); tz != "" {
		if loc, err = time.LoadLocation(tz); err != nil {
			return from, to, nil, fmt.Errorf("unknown time zone %q", tz)
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

func (s *Server) handleSignIns(w http.ResponseWriter, r *http.Request) {
	from, to, loc, err := period(r.URL.Query(), s.opts.Now())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	st, release, err := s.db.acquire()
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	defer release()
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.QueryTimeout)
	defer cancel()
	rep, err := signIns(ctx, st, from, to, loc)
	if err != nil {
		s.opts.Log.Warn("sign-ins", "err", err)
		writeError(w, statusOf(ctx, err, http.StatusInternalServerError), "read sign-ins: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// signIns builds the dashboard for the dates from..to (inclusive) in loc.
func signIns(ctx context.Context, st *store.Store, from, to time.Time, loc *time.Location) (*SignInReport, error) {
	end := to.AddDate(0, 0, 1)
	rep := &SignInReport{
		From: from.Format(dateLayout), To: to.Format(dateLayout), TZ: loc.String(),
		Start: from.Format(time.RFC3339), End: end.Format(time.RFC3339),
		Series: []Bucket{}, Principals: []Principal{}, Rows: []SignIn{},
	}
	const utcLayout = "2006-01-02T15:04:05Z"
	rows, err := st.Query(ctx, signInQuery, from.UTC().Format(utcLayout), end.UTC().Format(utcLayout))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var all []SignIn
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			return nil, err
		}
		all = append(all, signInOf(v, loc))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}

	bucket, step := bucketFor(from, end)
	rep.Bucket = bucket
	index := map[int64]int{}
	for b := bucketStart(from, bucket); b.Before(end); b = step(b) {
		index[b.Unix()] = len(rep.Series)
		rep.Series = append(rep.Series, Bucket{Start: b.Format(time.RFC3339), Label: bucketLabel(b, bucket)})
	}
	users, ips := map[string]bool{}, map[string]bool{}
	principals := map[string]*Principal{}
	sm := &rep.Summary
	for _, si := range all {
		sm.SignIns++
		key := si.ARN
		if key == "" {
			key = si.Type + ":" + si.User
		}
		users[key] = true
		if si.IP != "" {
			ips[si.IP] = true
		}
		p := principals[key]
		if p == nil {
			p = &Principal{User: si.User, ARN: si.ARN, Type: si.Type, Account: si.Account, ips: map[string]bool{}}
			principals[key] = p
		}
		p.SignIns++
		p.Last = si.Local
		if si.IP != "" {
			p.ips[si.IP] = true
		}
		if si.Type == "Root" {
			sm.Root++
		}
		i, ok := index[bucketStart(si.at.In(loc), bucket).Unix()]
		switch si.Result {
		case "Success":
			sm.Successes++
			if si.MFA == "No" {
				sm.NoMFA++
				p.NoMFA++
			}
			if ok {
				rep.Series[i].Success++
			}
		case "Failure":
			sm.Failures++
			p.Failures++
			if ok {
				rep.Series[i].Failure++
			}
		default:
			if ok {
				rep.Series[i].Other++
			}
		}
	}
	sm.Users, sm.IPs = len(users), len(ips)
	for _, p := range principals {
		p.IPs = len(p.ips)
		rep.Principals = append(rep.Principals, *p)
	}
	sort.Slice(rep.Principals, func(i, j int) bool {
		a, b := rep.Principals[i], rep.Principals[j]
		if a.SignIns != b.SignIns {
			return a.SignIns > b.SignIns
		}
		return a.User+a.ARN < b.User+b.ARN
	})
	// Newest first in the table.
	for i := len(all) - 1; i >= 0; i-- {
		if len(rep.Rows) == maxSignInRows {
			rep.Truncated = true
			break
		}
		rep.Rows = append(rep.Rows, all[i])
	}
	return rep, nil
}

type identity struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalid"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountid"`
	UserName    string `json:"username"`
}

func signInOf(v []any, loc *time.Location) SignIn {
	str := func(i int) string {
		s, _ := v[i].(string)
		return s
	}
	si := SignIn{EventID: str(0), Time: str(1), IP: str(3), UserAgent: str(4), Error: str(7), Account: str(8), Region: str(9)}
	if t, err := time.Parse(time.RFC3339Nano, si.Time); err == nil {
		si.at = t
		si.Local = t.In(loc).Format("2006-01-02 15:04:05")
	} else {
		si.Local = si.Time
	}
	var id identity
	if raw, ok := v[2].(json.RawMessage); ok {
		json.Unmarshal(raw, &id)
	}
	si.Type, si.ARN = id.Type, id.ARN
	if si.Account == "" {
		si.Account = id.AccountID
	}
	si.User = displayName(id)
	var resp struct {
		ConsoleLogin string `json:"ConsoleLogin"`
	}
	json.Unmarshal([]byte(str(5)), &resp)
	si.Result = resp.ConsoleLogin
	var extra struct {
		MFAUsed string `json:"MFAUsed"`
	}
	json.Unmarshal([]byte(str(6)), &extra)
	si.MFA = extra.MFAUsed
	return si
}

// displayName is a short readable name for a principal.
func displayName(id identity) string {
	switch {
	case id.Type == "Root":
		return "root"
	case id.UserName != "":
		return id.UserName
	case id.ARN != "":
		// arn:aws:sts::123:assumed-role/Role/session -> Role/session
		if i := strings.Index(id.ARN, ":assumed-role/"); i >= 0 {
			return id.ARN[i+len(":assumed-role/"):]
		}
		if i := strings.LastIndexByte(id.ARN, ':'); i >= 0 {
			return id.ARN[i+1:]
		}
		return id.ARN
	case id.PrincipalID != "":
		return id.PrincipalID
	}
	return id.Type
}

// bucketFor picks the chart's bar width for a period so that it has at most a few hundred bars.
func bucketFor(from, end time.Time) (string, func(time.Time) time.Time) {
	d := end.Sub(from)
	switch {
	case d <= 3*24*time.Hour:
		return "hour", func(t time.Time) time.Time { return t.Add(time.Hour) }
	case d <= 190*24*time.Hour:
		return "day", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }
	case d <= 4*366*24*time.Hour:
		return "week", func(t time.Time) time.Time { return t.AddDate(0, 0, 7) }
	}
	return "month", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }
}

// bucketStart returns the start of the bucket holding t (weeks start on Monday).
func bucketStart(t time.Time, bucket string) time.Time {
	y, m, d := t.Date()
	switch bucket {
	case "hour":
		return time.Date(y, m, d, t.Hour(), 0, 0, 0, t.Location())
	case "week":
		day := time.Date(y, m, d, 0, 0, 0, 0, t.Location())
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	case "month":
		return time.Date(y, m, 1, 0, 0, 0, 0, t.Location())
	}
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

func bucketLabel(t time.Time, bucket string) string {
	switch bucket {
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
