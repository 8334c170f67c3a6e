package trace

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Session is a node of a trace's tree: what was traced (a console session, an access key's session, a
// principal, a role, an IP address, a resource) and the sessions opened from its calls.
type Session struct {
	// ID names the session in the timeline: "1" for the start, "1.2" for the second session opened from it, …
	ID string
	// Kind is "console", "key" (the session of an access key), or the kind of start it is (principal, role,
	// ip, resource, event).
	Kind string
	// Label says what was traced, for a start that is not a session (the principal, the role, the address).
	Label string
	// AccessKey is the key of a key session; Keys are the access keys its calls carry (a console session's
	// calls carry several).
	AccessKey string
	Keys      []string
	// ARN is the session's principal (the assumed-role ARN of a role session, the user of a console session).
	ARN     string
	Account string
	// Opener is the event that opened the session (ConsoleLogin, AssumeRole, …); nil when it is not in the logs.
	Opener *Event
	// RoleARN, SessionName and SourceIdentity are the opener's (AssumeRole's roleArn, roleSessionName and
	// sourceIdentity).
	RoleARN, SessionName, SourceIdentity string
	// Created is the session's creation time (sessionContext.attributes.creationDate of its calls; a console
	// session's is its sign-in's time).
	Created time.Time
	// Calls and Denied count the calls made in it (its opener is a call of its parent); First and Last are the
	// times of the first and last.
	Calls, Denied int
	First, Last   time.Time
	// FromConsole counts the calls marked sessionCredentialFromConsole.
	FromConsole int
	Children    []*Session
	// NotFollowed counts the sessions opened from this one that the depth limit left out.
	NotFollowed int

	depth  int   // levels of chaining below the start
	events []int // indexes into Result.Events
}

// child adds a session opened by e (a call of s) below s.
func (s *Session) child(e *Event) *Session {
	c := &Session{ID: s.ID + "." + strconv.Itoa(len(s.Children)+1), Kind: "key", AccessKey: e.NewKey,
		ARN: e.AssumedARN, RoleARN: e.RoleARN, SessionName: e.SessionName, SourceIdentity: e.SourceIdentity,
		depth: s.depth + 1}
	opener := *e
	c.Opener = &opener
	c.Account = arnAccount(c.ARN)
	if c.Account == "" {
		c.Account = arnAccount(c.RoleARN)
	}
	s.Children = append(s.Children, c)
	return c
}

// arnAccount returns the account ID of an ARN (its fifth field), or "".
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// arnName returns the last part of an ARN's resource (a user, role or session name), or s itself.
func arnName(s string) string {
	if i := strings.LastIndexAny(s, "/:"); i >= 0 && i < len(s)-1 {
		return s[i+1:]
	}
	return s
}

// summarize fills in the session's counts from its events.
func (s *Session) summarize(events []Event) {
	keys := map[string]bool{}
	for _, i := range s.events {
		e := &events[i]
		if s.Opener != nil && e.ID == s.Opener.ID && e.Name == s.Opener.Name {
			continue
		}
		s.Calls++
		if e.Denied() {
			s.Denied++
		}
		if e.FromConsole == "true" {
			s.FromConsole++
		}
		if s.First.IsZero() || e.Time.Before(s.First) {
			s.First = e.Time
		}
		if e.Time.After(s.Last) {
			s.Last = e.Time
		}
		if e.AccessKey != "" && !keys[e.AccessKey] {
			keys[e.AccessKey] = true
			s.Keys = append(s.Keys, e.AccessKey)
		}
		if s.ARN == "" && (s.Kind == "key" || s.Kind == "console") {
			s.ARN = e.ARN
		}
		if s.Account == "" && (s.Kind == "key" || s.Kind == "console") {
			s.Account = e.Account
		}
		if s.Created.IsZero() && (s.Kind == "key" || s.Kind == "console") {
			s.Created = parseCreated(e.Created)
		}
	}
	slices.Sort(s.Keys)
	for _, c := range s.Children {
		c.summarize(events)
	}
}

// parseCreated reads a creationDate in either of CloudTrail's spellings (2024-07-30T21:31:15Z,
// 20240730T213115Z); the zero time when it cannot.
func parseCreated(s string) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t
	}
	if t, err := time.Parse("20060102T150405Z", s); err == nil {
		return t
	}
	return time.Time{}
}

// Walk calls fn for s and every session below it, depth first, with its depth.
func (s *Session) Walk(fn func(s *Session, depth int)) { s.walk(fn, 0) }

func (s *Session) walk(fn func(*Session, int), depth int) {
	fn(s, depth)
	for _, c := range s.Children {
		c.walk(fn, depth+1)
	}
}
