package trace

import (
	"encoding/json"
	"io"
	"time"
)

// The trace as one JSON document (trailq trace --format json): times in the zone given, with their offset.
type (
	jsonDoc struct {
		Query    jsonQuery    `json:"query"`
		Zone     string       `json:"zone"`
		Sessions *jsonSession `json:"sessions"`
		Profile  jsonProfile  `json:"profile"`
		SignIns  []jsonSignIn `json:"sign_ins"`
		Events   []jsonEvent  `json:"events"`
		Notes    []string     `json:"notes"`
	}
	jsonQuery struct {
		Kind  Kind    `json:"kind"`
		Value string  `json:"value"`
		Since *string `json:"since"`
		Until *string `json:"until"`
		Depth int     `json:"depth"`
	}
	jsonSession struct {
		ID             string         `json:"id"`
		Kind           string         `json:"kind"`
		Label          string         `json:"label,omitempty"`
		AccessKey      string         `json:"access_key,omitempty"`
		Keys           []string       `json:"keys"`
		ARN            string         `json:"arn,omitempty"`
		Account        string         `json:"account,omitempty"`
		RoleARN        string         `json:"role_arn,omitempty"`
		SessionName    string         `json:"session_name,omitempty"`
		SourceIdentity string         `json:"source_identity,omitempty"`
		Created        *string        `json:"created"`
		OpenedBy       *jsonEvent     `json:"opened_by"`
		Calls          int            `json:"calls"`
		Denied         int            `json:"denied"`
		FromConsole    int            `json:"from_console"`
		First          *string        `json:"first_seen"`
		Last           *string        `json:"last_seen"`
		NotFollowed    int            `json:"not_followed"`
		Children       []*jsonSession `json:"children"`
	}
	jsonProfile struct {
		First   *string              `json:"first_seen"`
		Last    *string              `json:"last_seen"`
		Events  int                  `json:"events"`
		Read    int                  `json:"read"`
		Write   int                  `json:"write"`
		Unknown int                  `json:"readonly_unknown"`
		Denied  int                  `json:"denied"`
		Failed  int                  `json:"failed"`
		Facets  map[string][]jsonCnt `json:"facets"`
	}
	jsonCnt struct {
		Value string  `json:"value"`
		Count int     `json:"count"`
		First *string `json:"first_seen"`
		Last  *string `json:"last_seen"`
	}
	jsonEvent struct {
		Time         string   `json:"time"`
		Session      string   `json:"session,omitempty"`
		Account      string   `json:"account"`
		Region       string   `json:"region"`
		Service      string   `json:"service"`
		Event        string   `json:"event"`
		Result       string   `json:"result"`
		ErrorMessage string   `json:"error_message,omitempty"`
		Resources    []string `json:"resources"`
		IP           string   `json:"source_ip"`
		UserAgent    string   `json:"user_agent"`
		Principal    string   `json:"principal"`
		ARN          string   `json:"arn"`
		AccessKey    string   `json:"access_key"`
		ReadOnly     string   `json:"readonly"`
		ID           string   `json:"event_id"`
		NewKey       string   `json:"issued_key,omitempty"`
	}
	jsonSignIn struct {
		jsonEvent
		MFA string `json:"mfa_used"`
	}
)

func jsonTime(t time.Time, loc *time.Location) *string {
	if t.IsZero() {
		return nil
	}
	s := t.In(loc).Format(time.RFC3339Nano)
	return &s
}

func (e *Event) json(loc *time.Location) jsonEvent {
	t := e.TimeText
	if !e.Time.IsZero() {
		t = e.Time.In(loc).Format(time.RFC3339Nano)
	}
	res := e.Resources
	if res == nil {
		res = []string{}
	}
	return jsonEvent{Time: t, Session: e.Session, Account: e.Account, Region: e.Region, Service: e.Service, Event: e.Name,
		Result: e.Result(), ErrorMessage: e.ErrorMessage, Resources: res, IP: e.IP, UserAgent: e.UserAgent,
		Principal: e.Principal, ARN: e.ARN, AccessKey: e.AccessKey, ReadOnly: e.ReadOnly, ID: e.ID, NewKey: e.NewKey}
}

func (s *Session) json(loc *time.Location) *jsonSession {
	j := &jsonSession{ID: s.ID, Kind: s.Kind, Label: s.Label, AccessKey: s.AccessKey, Keys: s.Keys, ARN: s.ARN,
		Account: s.Account, RoleARN: s.RoleARN, SessionName: s.SessionName, SourceIdentity: s.SourceIdentity,
		Created: jsonTime(s.Created, loc), Calls: s.Calls, Denied: s.Denied, FromConsole: s.FromConsole,
		First: jsonTime(s.First, loc), Last: jsonTime(s.Last, loc), NotFollowed: s.NotFollowed, Children: []*jsonSession{}}
	if j.Keys == nil {
		j.Keys = []string{}
	}
	if s.Opener != nil {
		o := s.Opener.json(loc)
		o.Session = ""
		j.OpenedBy = &o
	}
	for _, c := range s.Children {
		j.Children = append(j.Children, c.json(loc))
	}
	return j
}

// WriteJSON writes the trace as one JSON document, times in loc: the query, the sessions nested as they were
// opened, the profile, the sign-ins, the events and the notes.
func (r *Result) WriteJSON(w io.Writer, loc *time.Location) error {
	p := &r.Profile
	doc := jsonDoc{
		Query: jsonQuery{Kind: r.Query.Kind, Value: r.Query.Value, Since: jsonTime(r.Query.Period.Start, loc),
			Until: jsonTime(r.Query.Period.End, loc), Depth: r.Query.Depth},
		Zone: loc.String(), Sessions: r.Root.json(loc),
		Profile: jsonProfile{First: jsonTime(p.First, loc), Last: jsonTime(p.Last, loc), Events: p.Events, Read: p.Read,
			Write: p.Write, Unknown: p.Unknown, Denied: p.Denied, Failed: p.Failed, Facets: map[string][]jsonCnt{}},
		SignIns: []jsonSignIn{}, Events: make([]jsonEvent, len(r.Events)), Notes: r.Notes,
	}
	if doc.Notes == nil {
		doc.Notes = []string{}
	}
	for _, f := range p.Facets() {
		l := make([]jsonCnt, len(f.Counts))
		for i, c := range f.Counts {
			l[i] = jsonCnt{Value: c.Value, Count: c.Count, First: jsonTime(c.First, loc), Last: jsonTime(c.Last, loc)}
		}
		doc.Profile.Facets[f.Name] = l
	}
	for i := range r.SignIns {
		s := &r.SignIns[i]
		doc.SignIns = append(doc.SignIns, jsonSignIn{jsonEvent: s.json(loc), MFA: s.MFA})
	}
	for i := range r.Events {
		doc.Events[i] = r.Events[i].json(loc)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
