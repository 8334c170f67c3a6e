package trace

import (
	"cmp"
	"slices"
	"time"
)

// Count is how many of a trace's events have a value, and when the first and last were.
type Count struct {
	Value       string
	Count       int
	First, Last time.Time
}

// Profile sums up a trace's events.
type Profile struct {
	First, Last time.Time
	Events      int
	// Read, Write and Unknown count the calls by their readonly field (Unknown: the record has none).
	Read, Write, Unknown int
	// Denied counts the calls refused for want of permission (AccessDenied…, UnauthorizedOperation, …); Failed
	// every call with an error code (or a failed sign-in).
	Denied, Failed                                                                   int
	Accounts, Regions, IPs, UserAgents, Services, EventNames, Principals, AccessKeys []Count
	// DeniedCalls are the refused calls by event name and error code ("GetSecretValue: AccessDenied").
	DeniedCalls []Count
}

// profile sums up events.
func profile(events []Event) Profile {
	p := Profile{Events: len(events)}
	counts := make([]map[string]*Count, 9)
	for i := range counts {
		counts[i] = map[string]*Count{}
	}
	for i := range events {
		e := &events[i]
		if p.First.IsZero() || e.Time.Before(p.First) {
			p.First = e.Time
		}
		if e.Time.After(p.Last) {
			p.Last = e.Time
		}
		switch e.ReadOnly {
		case "true":
			p.Read++
		case "false":
			p.Write++
		default:
			p.Unknown++
		}
		if e.failed() {
			p.Failed++
		}
		denied := ""
		if e.Denied() {
			p.Denied++
			denied = e.Name + ": " + e.ErrorCode
		}
		for j, v := range []string{e.Account, e.Region, e.IP, e.UserAgent, e.Service, e.Name, e.Principal, e.AccessKey, denied} {
			if v == "" {
				continue
			}
			c := counts[j][v]
			if c == nil {
				c = &Count{Value: v, First: e.Time}
				counts[j][v] = c
			}
			c.Count++
			if e.Time.Before(c.First) {
				c.First = e.Time
			}
			if e.Time.After(c.Last) {
				c.Last = e.Time
			}
		}
	}
	lists := []*[]Count{&p.Accounts, &p.Regions, &p.IPs, &p.UserAgents, &p.Services, &p.EventNames, &p.Principals, &p.AccessKeys, &p.DeniedCalls}
	for j, l := range lists {
		*l = sorted(counts[j])
	}
	return p
}

// sorted returns the counts most first, then by value.
func sorted(m map[string]*Count) []Count {
	out := make([]Count, 0, len(m))
	for _, c := range m {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Count) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.Value, b.Value)
	})
	return out
}
