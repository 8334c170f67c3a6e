package trace

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// TimelineColumns are the columns of the timeline (CSV, TSV, JSON Lines).
var TimelineColumns = []string{"time", "session", "account", "region", "service", "event", "result", "error_message",
	"resources", "source_ip", "user_agent", "principal", "arn", "access_key", "readonly", "event_id"}

// TimelineTableColumns are the timeline's columns in the table format.
var TimelineTableColumns = []string{"time", "session", "account", "region", "service", "event", "result", "resources",
	"source_ip", "principal", "user_agent"}

// Row is the event's values for TimelineColumns, its time in loc.
func (e *Event) Row(loc *time.Location) []any {
	return []any{e.timeIn(loc), e.Session, e.Account, e.Region, e.Service, e.Name, e.Result(), e.ErrorMessage,
		strings.Join(e.Resources, " "), e.IP, e.UserAgent, e.Principal, e.ARN, e.AccessKey, e.ReadOnly, e.ID}
}

// TableRow is the event's values for TimelineTableColumns.
func (e *Event) TableRow(loc *time.Location) []any {
	return []any{e.timeIn(loc), e.Session, e.Account, e.Region, strings.TrimSuffix(e.Service, ".amazonaws.com"), e.Name,
		e.Result(), strings.Join(e.Resources, " "), e.IP, e.Principal, e.UserAgent}
}

// timeIn is the event's time in loc, or its eventtime as written when that is not a time.
func (e *Event) timeIn(loc *time.Location) any {
	if e.Time.IsZero() {
		return e.TimeText
	}
	return e.Time.In(loc)
}

// SessionColumns are the columns of the sessions (one row a session, the tree flattened).
var SessionColumns = []string{"session", "parent", "kind", "label", "access_key", "arn", "account", "role_arn",
	"session_name", "source_identity", "created", "opened_by", "opened_at", "opened_with", "calls", "denied",
	"from_console", "first_seen", "last_seen", "keys", "not_followed"}

// SessionRows are the tree's sessions, depth first, for SessionColumns.
func (s *Session) SessionRows(loc *time.Location) [][]any {
	var rows [][]any
	s.Walk(func(x *Session, _ int) {
		parent := ""
		if i := strings.LastIndexByte(x.ID, '.'); i > 0 {
			parent = x.ID[:i]
		}
		var by, with string
		var at any
		if x.Opener != nil {
			by, at, with = x.Opener.Name+" "+x.Opener.ID, x.Opener.timeIn(loc), x.Opener.AccessKey
		}
		rows = append(rows, []any{x.ID, parent, x.Kind, x.Label, x.AccessKey, x.ARN, x.Account, x.RoleARN,
			x.SessionName, x.SourceIdentity, timeOrNil(x.Created, loc), by, at, with, int64(x.Calls), int64(x.Denied),
			int64(x.FromConsole), timeOrNil(x.First, loc), timeOrNil(x.Last, loc), strings.Join(x.Keys, " "), int64(x.NotFollowed)})
	})
	return rows
}

func timeOrNil(t time.Time, loc *time.Location) any {
	if t.IsZero() {
		return nil
	}
	return t.In(loc)
}

// ProfileColumns are the columns of the profile (one row a value of a facet: an account, a region, …).
var ProfileColumns = []string{"facet", "value", "count", "first_seen", "last_seen"}

// Facets are the profile's lists, with the names its rows and JSON give them.
func (p *Profile) Facets() []Facet {
	return []Facet{{"account", p.Accounts}, {"region", p.Regions}, {"source_ip", p.IPs}, {"user_agent", p.UserAgents},
		{"service", p.Services}, {"event", p.EventNames}, {"principal", p.Principals}, {"access_key", p.AccessKeys},
		{"denied", p.DeniedCalls}}
}

// Facet is one list of a profile.
type Facet struct {
	Name   string
	Counts []Count
}

// ProfileRows are the profile's rows: the totals (facet "total": events, read, write, …), then each facet's
// values, most first.
func (p *Profile) ProfileRows(loc *time.Location) [][]any {
	first, last := timeOrNil(p.First, loc), timeOrNil(p.Last, loc)
	rows := [][]any{{"total", "events", int64(p.Events), first, last}, {"total", "read", int64(p.Read), nil, nil},
		{"total", "write", int64(p.Write), nil, nil}, {"total", "readonly unknown", int64(p.Unknown), nil, nil},
		{"total", "denied", int64(p.Denied), nil, nil}, {"total", "failed", int64(p.Failed), nil, nil}}
	for _, f := range p.Facets() {
		for _, c := range f.Counts {
			rows = append(rows, []any{f.Name, c.Value, int64(c.Count), timeOrNil(c.First, loc), timeOrNil(c.Last, loc)})
		}
	}
	return rows
}

// WriteTree draws the tree of sessions, indented, one line a session.
func (s *Session) WriteTree(w io.Writer, loc *time.Location) error {
	var err error
	var walk func(x *Session, prefix, branch string)
	walk = func(x *Session, prefix, branch string) {
		if _, e := fmt.Fprintf(w, "%s%s%s  %s\n", prefix, branch, x.ID, x.describe(loc)); e != nil && err == nil {
			err = e
		}
		next := prefix
		switch branch {
		case "├─ ":
			next += "│  "
		case "└─ ":
			next += "   "
		}
		for i, c := range x.Children {
			b := "├─ "
			if i == len(x.Children)-1 {
				b = "└─ "
			}
			walk(c, next, b)
		}
	}
	walk(s, "", "")
	return err
}

// describe says in one line what the session is, how it was opened and what it did.
func (s *Session) describe(loc *time.Location) string {
	var b strings.Builder
	switch s.Kind {
	case "console":
		fmt.Fprintf(&b, "console session of %s", s.ARN)
	case "key":
		if s.RoleARN != "" {
			fmt.Fprintf(&b, "role %s", s.RoleARN)
			if s.SessionName != "" {
				fmt.Fprintf(&b, " as %s", s.SessionName)
			}
		} else if s.ARN != "" {
			fmt.Fprintf(&b, "session of %s", s.ARN)
		} else {
			b.WriteString("session")
		}
		fmt.Fprintf(&b, ", key %s", s.AccessKey)
	case "identity-center":
		fmt.Fprintf(&b, "IAM Identity Center user %s", s.Label)
	default:
		fmt.Fprintf(&b, "%s %s", s.Kind, s.Label)
	}
	if s.SourceIdentity != "" {
		fmt.Fprintf(&b, ", source identity %s", s.SourceIdentity)
	}
	if s.Opener != nil {
		o := s.Opener
		fmt.Fprintf(&b, "; %s %s at %s", o.Name, o.ID, formatTime(o.Time, loc))
		if o.IP != "" {
			fmt.Fprintf(&b, " from %s", o.IP)
		}
	} else if s.Kind == "key" {
		b.WriteString("; opened before the logs (no call that issued it is stored)")
	}
	fmt.Fprintf(&b, ": %d call%s", s.Calls, plural(s.Calls))
	if s.Denied > 0 {
		fmt.Fprintf(&b, " (%d denied)", s.Denied)
	}
	if s.Calls > 0 {
		fmt.Fprintf(&b, ", %s to %s", formatTime(s.First, loc), formatTime(s.Last, loc))
	}
	if s.Kind == "console" && len(s.Keys) > 0 {
		fmt.Fprintf(&b, ", keys %s", strings.Join(s.Keys, " "))
	}
	if s.NotFollowed > 0 {
		fmt.Fprintf(&b, "; %d session%s opened from it not followed (depth limit)", s.NotFollowed, plural(s.NotFollowed))
	}
	return b.String()
}

// formatTime shows t in loc to the second, with the zone.
func formatTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "?"
	}
	return t.In(loc).Format("2006-01-02 15:04:05 MST")
}
