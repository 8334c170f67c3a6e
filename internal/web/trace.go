package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/signin"
	"github.com/trailq/trailq/internal/timewin"
	"github.com/trailq/trailq/internal/trace"
)

// The entity pages use internal/trace, as trailq trace does: the same starts, sessions, profile and timeline.

// maxTraceEvents bounds the events GET /api/trace lists (the profile, the sessions and the chart count them all).
const maxTraceEvents = 10_000

// TraceEvent is one event of an entity page's timeline; the fields are trailq trace's timeline columns.
type TraceEvent struct {
	Time         string   `json:"time"`     // RFC 3339 in the requested zone
	TimeUTC      string   `json:"time_utc"` // RFC 3339 in UTC
	Local        string   `json:"local"`    // "2006-01-02 15:04:05[.fraction]" in the requested zone, for display
	Session      string   `json:"session"`  // the ID of its session in the tree ("1", "1.2", …)
	Account      string   `json:"account"`
	Region       string   `json:"region"`
	Service      string   `json:"service"`
	Event        string   `json:"event"`
	Result       string   `json:"result"` // OK, the error code, or Failure (a failed sign-in)
	Denied       bool     `json:"denied"` // refused for want of permission
	ErrorMessage string   `json:"error_message"`
	Resources    []string `json:"resources"`
	SourceIP     string   `json:"source_ip"`
	UserAgent    string   `json:"user_agent"`
	Principal    string   `json:"principal"`
	ARN          string   `json:"arn"`
	AccessKey    string   `json:"access_key"`
	ReadOnly     string   `json:"readonly"`
	EventID      string   `json:"event_id"`
	IssuedKey    string   `json:"issued_key"` // the access key a credential-issuing call handed out
	MFA          string   `json:"mfa,omitempty"`
}

// TraceSession is a node of the tree of sessions.
type TraceSession struct {
	ID             string          `json:"id"`
	Kind           string          `json:"kind"` // console, key, identity-center, or the kind of start
	Label          string          `json:"label"`
	AccessKey      string          `json:"access_key"`
	Keys           []string        `json:"keys"`
	ARN            string          `json:"arn"`
	Account        string          `json:"account"`
	RoleARN        string          `json:"role_arn"`
	SessionName    string          `json:"session_name"`
	SourceIdentity string          `json:"source_identity"`
	Created        string          `json:"created"`   // RFC 3339 in the zone, "" when unknown
	OpenedBy       *TraceEvent     `json:"opened_by"` // the call that opened it, when the logs hold it
	Calls          int             `json:"calls"`
	Denied         int             `json:"denied"`
	FromConsole    int             `json:"from_console"`
	First          string          `json:"first_seen"`
	Last           string          `json:"last_seen"`
	NotFollowed    int             `json:"not_followed"`
	Children       []*TraceSession `json:"children"`
}

// TraceCount is one value of a profile's list.
type TraceCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
	First string `json:"first_seen"`
	Last  string `json:"last_seen"`
}

// TraceProfile sums up the traced events.
type TraceProfile struct {
	First   string `json:"first_seen"`
	Last    string `json:"last_seen"`
	Events  int    `json:"events"`
	Read    int    `json:"read"`
	Write   int    `json:"write"`
	Unknown int    `json:"readonly_unknown"`
	Denied  int    `json:"denied"`
	Failed  int    `json:"failed"`
	// Facets are the lists of trailq trace's profile (account, region, source_ip, user_agent, service, event,
	// principal, access_key, denied) and arn: the callers' ARNs, which the pages link to.
	Facets map[string][]TraceCount `json:"facets"`
}

// TraceBucket is one bar of the timeline chart: the events of an hour, day or month by result.
type TraceBucket struct {
	Start  string `json:"start"` // RFC 3339 in the requested zone
	Label  string `json:"label"`
	OK     int    `json:"ok"`
	Denied int    `json:"denied"`
	Failed int    `json:"failed"` // another error (or a failed sign-in)
}

// TraceReport is the body of GET /api/trace.
type TraceReport struct {
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	Depth  int    `json:"depth"`
	From   string `json:"from"` // first date, in the zone
	To     string `json:"to"`   // last date (inclusive), in the zone
	TZ     string `json:"tz"`
	Start  string `json:"start"` // the period as RFC 3339 instants [start, end)
	End    string `json:"end"`
	Bucket string `json:"bucket"` // hour, day or month

	Sessions *TraceSession `json:"sessions"`
	Profile  TraceProfile  `json:"profile"`
	Series   []TraceBucket `json:"series"`
	SignIns  []TraceEvent  `json:"sign_ins"`
	// Events are in time order; Count is how many there are, Truncated when Events holds only the first 10,000.
	Events    []TraceEvent `json:"events"`
	Count     int          `json:"count"`
	Truncated bool         `json:"truncated"`
	Notes     []string     `json:"notes"`
}

// TraceNotFound is the body of a 404 from GET /api/trace: what the start matched, and what does exist.
type TraceNotFound struct {
	Error string `json:"error"`
	Hint  string `json:"hint"`
	// Outside counts the start's events outside the period; Period is a period that holds them.
	Outside *TraceSpan `json:"outside,omitempty"`
	// Suggestions are values of the same kind the store holds, nearest first, each with the request that
	// traces it (Href, the same period).
	Suggestions []TraceSuggestion `json:"suggestions"`
	// Store is what the store holds, when nothing near was found.
	Store *TraceSpan `json:"store,omitempty"`
}

// TraceSpan is a count of events and the first and last eventtime (as written).
type TraceSpan struct {
	Events int64  `json:"events"`
	First  string `json:"first"`
	Last   string `json:"last"`
	Href   string `json:"href,omitempty"` // the request over a period that holds them
}

// TraceSuggestion is a value near what was asked.
type TraceSuggestion struct {
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	Events int64  `json:"events"`
	First  string `json:"first"`
	Last   string `json:"last"`
	Href   string `json:"href"`
}

// traceQuery reads kind, id and depth (the kind's default when absent) of GET /api/trace.
func traceQuery(q url.Values, p timewin.Period) (trace.Query, error) {
	tq := trace.Query{Kind: trace.Kind(strings.TrimSpace(q.Get("kind"))), Value: q.Get("id"), Period: p, Depth: trace.DefaultDepth}
	known := false
	for _, k := range trace.Kinds {
		known = known || k == tq.Kind
	}
	if !known {
		return tq, fmt.Errorf("kind: want session, access-key, principal, ip, role or resource, got %q", tq.Kind)
	}
	if tq.Kind == trace.ByIP || tq.Kind == trace.ByResource {
		tq.Depth = 0
	}
	if s := strings.TrimSpace(q.Get("depth")); s != "" {
		d, err := strconv.Atoi(s)
		if err != nil || d < 0 || d > 20 {
			return tq, fmt.Errorf("depth: want how many levels of role chaining to follow, 0 to 20, got %q", s)
		}
		tq.Depth = d
	}
	if strings.TrimSpace(tq.Value) == "" {
		return tq, fmt.Errorf("id: give the %s to trace", tq.Kind)
	}
	return tq, tq.Check()
}

func (s *Server) handleTrace(w http.ResponseWriter, r *http.Request) {
	from, to, loc, err := period(r.URL.Query(), s.opts.Now())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	q, err := traceQuery(r.URL.Query(), timewin.Period{Start: from, End: to.AddDate(0, 0, 1)})
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx, st, done, ok := s.reading(w, r)
	if !ok {
		return
	}
	defer done()
	res, err := engine.TraceStore(ctx, st, q)
	var nf *trace.NotFoundError
	if errors.As(err, &nf) {
		writeJSON(w, http.StatusNotFound, notFound(nf, r.URL.Query(), q.Period, loc))
		return
	}
	if err != nil {
		s.opts.Log.Warn("trace", "err", err)
		writeError(w, statusOf(ctx, err, http.StatusInternalServerError), "trace: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, traceReport(res, from, to, loc))
}

// notFound builds the 404's body: the engine's error, hint and suggestions, each as a request over the
// period asked for, or over the suggestion's own dates when its events are outside it.
func notFound(nf *trace.NotFoundError, q url.Values, p timewin.Period, loc *time.Location) *TraceNotFound {
	href := func(kind, id string, q url.Values) string {
		v := url.Values{"kind": {kind}, "id": {id}}
		for _, k := range []string{"from", "to", "tz", "depth"} {
			if q.Get(k) != "" {
				v.Set(k, q.Get(k))
			}
		}
		return "/api/trace?" + v.Encode()
	}
	body := &TraceNotFound{Error: nf.Error(), Hint: nf.Hint(), Suggestions: []TraceSuggestion{}}
	if o := nf.Outside; o.Events > 0 {
		p := url.Values{"from": {spanDate(o.First, loc)}, "to": {spanDate(o.Last, loc)}, "tz": {loc.String()}, "depth": {q.Get("depth")}}
		body.Outside = &TraceSpan{Events: o.Events, First: o.First, Last: o.Last, Href: href(string(nf.Query.Kind), nf.Query.Value, p)}
	}
	for _, sg := range nf.Suggestions {
		sq := q
		if !within(sg.First, p) || !within(sg.Last, p) {
			sq = url.Values{"from": {spanDate(sg.First, loc)}, "to": {spanDate(sg.Last, loc)}, "tz": {loc.String()}, "depth": {q.Get("depth")}}
		}
		body.Suggestions = append(body.Suggestions, TraceSuggestion{Kind: sg.Flag, ID: sg.Value, Events: sg.Events,
			First: sg.First, Last: sg.Last, Href: href(sg.Flag, sg.Value, sq)})
	}
	if sp := nf.Store; sp.Events > 0 {
		body.Store = &TraceSpan{Events: sp.Events, First: sp.First, Last: sp.Last}
	}
	return body
}

// within reports whether an eventtime as written is in p (false when it is not a time).
func within(t string, p timewin.Period) bool {
	tm, err := time.Parse(time.RFC3339Nano, t)
	return err == nil && !tm.Before(p.Start) && tm.Before(p.End)
}

// spanDate is the date, in loc, of an eventtime as written (its first ten characters when it is not a time).
func spanDate(t string, loc *time.Location) string {
	if tm, err := time.Parse(time.RFC3339Nano, t); err == nil {
		return tm.In(loc).Format(dateLayout)
	}
	if len(t) >= 10 {
		return t[:10]
	}
	return t
}

// traceReport builds the answer for the dates from..to (inclusive) in loc.
func traceReport(res *trace.Result, from, to time.Time, loc *time.Location) *TraceReport {
	end := to.AddDate(0, 0, 1)
	rep := &TraceReport{Kind: string(res.Query.Kind), ID: res.Query.Value, Depth: res.Query.Depth,
		From: from.Format(dateLayout), To: to.Format(dateLayout), TZ: loc.String(),
		Start: from.Format(time.RFC3339), End: end.Format(time.RFC3339),
		Sessions: traceSession(res.Root, loc), Profile: traceProfile(res, loc),
		SignIns: []TraceEvent{}, Events: []TraceEvent{}, Count: len(res.Events), Notes: res.Notes}
	if rep.Notes == nil {
		rep.Notes = []string{}
	}
	rep.Bucket, rep.Series = traceSeries(res.Events, from, end, loc)
	for i := range res.SignIns {
		e := traceEvent(&res.SignIns[i].Event, loc)
		e.MFA = res.SignIns[i].MFA
		rep.SignIns = append(rep.SignIns, e)
	}
	for i := range res.Events {
		if i == maxTraceEvents {
			rep.Truncated = true
			break
		}
		rep.Events = append(rep.Events, traceEvent(&res.Events[i], loc))
	}
	return rep
}

func traceEvent(e *trace.Event, loc *time.Location) TraceEvent {
	res := e.Resources
	if res == nil {
		res = []string{}
	}
	out := TraceEvent{Time: e.TimeText, TimeUTC: e.TimeText, Local: e.TimeText, Session: e.Session, Account: e.Account,
		Region: e.Region, Service: e.Service, Event: e.Name, Result: e.Result(), Denied: e.Denied(),
		ErrorMessage: e.ErrorMessage, Resources: res, SourceIP: e.IP, UserAgent: e.UserAgent, Principal: e.Principal,
		ARN: e.ARN, AccessKey: e.AccessKey, ReadOnly: e.ReadOnly, EventID: e.ID, IssuedKey: e.NewKey}
	if !e.Time.IsZero() {
		out.Time, out.TimeUTC, out.Local = signin.FormatTime(e.Time, loc), signin.FormatTime(e.Time, time.UTC), localTime(e.Time, loc)
	}
	return out
}

func traceTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return signin.FormatTime(t, loc)
}

func traceSession(s *trace.Session, loc *time.Location) *TraceSession {
	out := &TraceSession{ID: s.ID, Kind: s.Kind, Label: s.Label, AccessKey: s.AccessKey, Keys: s.Keys, ARN: s.ARN,
		Account: s.Account, RoleARN: s.RoleARN, SessionName: s.SessionName, SourceIdentity: s.SourceIdentity,
		Created: traceTime(s.Created, loc), Calls: s.Calls, Denied: s.Denied, FromConsole: s.FromConsole,
		First: traceTime(s.First, loc), Last: traceTime(s.Last, loc), NotFollowed: s.NotFollowed,
		Children: []*TraceSession{}}
	if out.Keys == nil {
		out.Keys = []string{}
	}
	if s.Opener != nil {
		o := traceEvent(s.Opener, loc)
		out.OpenedBy = &o
	}
	for _, c := range s.Children {
		out.Children = append(out.Children, traceSession(c, loc))
	}
	return out
}

func traceProfile(res *trace.Result, loc *time.Location) TraceProfile {
	p := &res.Profile
	out := TraceProfile{First: traceTime(p.First, loc), Last: traceTime(p.Last, loc), Events: p.Events, Read: p.Read,
		Write: p.Write, Unknown: p.Unknown, Denied: p.Denied, Failed: p.Failed, Facets: map[string][]TraceCount{}}
	counts := func(cs []trace.Count) []TraceCount {
		l := make([]TraceCount, len(cs))
		for i, c := range cs {
			l[i] = TraceCount{Value: c.Value, Count: c.Count, First: traceTime(c.First, loc), Last: traceTime(c.Last, loc)}
		}
		return l
	}
	for _, f := range p.Facets() {
		out.Facets[f.Name] = counts(f.Counts)
	}
	out.Facets["arn"] = counts(arnCounts(res.Events))
	return out
}
