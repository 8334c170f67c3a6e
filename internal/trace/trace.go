package trace

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Querier runs Athena SQL over cloudtrail_logs and calls fn with each row's values (reused by the next row):
// Events over all the stored events, SignIns over the store's sign-in events (the same columns, far fewer rows).
type Querier interface {
	Events(ctx context.Context, sql string, fn func(v []any) error) error
	SignIns(ctx context.Context, sql string, fn func(v []any) error) error
}

// Result is a trace: the tree of sessions, every event in time order (each with its session), the profile of
// them all and the sign-ins of their principals.
type Result struct {
	Query Query
	Root  *Session
	// Events are in time order; Event.Session names the session of Root each belongs to.
	Events  []Event
	Profile Profile
	// SignIns are the console sign-ins (ConsoleLogin, SwitchRole) of the principals of the events, in the period.
	SignIns []SignIn
	// Notes say how sessions were linked and what the records do not allow to follow.
	Notes []string
	// Queries are the statements run (Athena SQL over cloudtrail_logs), in order.
	Queries []string
}

// SignIn is a console sign-in of a traced principal.
type SignIn struct {
	Event
	MFA string // additionalEventData.MFAUsed
}

// keyBatch is how many access keys one query of the next level of sessions names.
const keyBatch = 500

type run struct {
	db   Querier
	q    Query
	res  *Result
	seen map[string]bool // events already in the trace, by eventid (and time and name)
	keys map[string]bool // access keys whose sessions are in the tree
}

// Run traces q over db. A start that matches no event gives a *NotFoundError with what does exist.
func Run(ctx context.Context, db Querier, q Query) (*Result, error) {
	if err := q.Check(); err != nil {
		return nil, err
	}
	r := &run{db: db, q: q, res: &Result{Query: q}, seen: map[string]bool{}, keys: map[string]bool{}}
	if err := r.start(ctx); err != nil {
		return nil, err
	}
	if len(r.res.Events) == 0 {
		return nil, r.notFound(ctx)
	}
	if err := r.follow(ctx, []*Session{r.res.Root}); err != nil {
		return nil, err
	}
	r.finish()
	if err := r.signIns(ctx); err != nil {
		return nil, err
	}
	return r.res, nil
}

// events runs an event query and hands each event to fn.
func (r *run) events(ctx context.Context, sql string, fn func(e *Event)) error {
	r.res.Queries = append(r.res.Queries, sql)
	err := r.db.Events(ctx, sql, func(v []any) error {
		e := readEvent(v)
		fn(&e)
		return nil
	})
	if err != nil {
		return fmt.Errorf("trace --%s %s: %w", r.q.Kind, r.q.Value, err)
	}
	return nil
}

// add puts e in the trace under s, once.
func (r *run) add(s *Session, e *Event) {
	id := e.ID + "\x00" + e.TimeText + "\x00" + e.Name
	if r.seen[id] {
		return
	}
	r.seen[id] = true
	e.Session = s.ID
	s.events = append(s.events, len(r.res.Events))
	r.res.Events = append(r.res.Events, *e)
}

// fill adds the events of cond in the period to s.
func (r *run) fill(ctx context.Context, s *Session, cond string) error {
	return r.events(ctx, eventsSQL(cond, r.q.Period), func(e *Event) { r.add(s, e) })
}

func (r *run) note(format string, args ...any) {
	r.res.Notes = append(r.res.Notes, fmt.Sprintf(format, args...))
}

// start makes the tree's root and its own events.
func (r *run) start(ctx context.Context) error {
	q := r.q
	root := &Session{ID: "1", Kind: string(q.Kind), Label: q.Value}
	r.res.Root = root
	switch q.Kind {
	case BySession:
		return r.startEvent(ctx, root)
	case ByAccessKey:
		root.Kind, root.AccessKey, root.Label = "key", q.Value, ""
		r.keys[q.Value] = true
		if err := r.opener(ctx, root); err != nil {
			return err
		}
		return r.fill(ctx, root, q.where())
	case ByRole:
		return r.startRole(ctx, root)
	}
	return r.fill(ctx, root, q.where())
}

// opener finds the call that issued a key session's key (at any time: it may be before the period).
func (r *run) opener(ctx context.Context, s *Session) error {
	return r.events(ctx, eventsSQL(keyOpenerWhere(s.AccessKey), Query{}.Period), func(e *Event) {
		if s.Opener == nil && e.opens() {
			opener := *e
			s.Opener = &opener
			s.ARN, s.RoleARN, s.SessionName, s.SourceIdentity = e.AssumedARN, e.RoleARN, e.SessionName, e.SourceIdentity
			s.Account = arnAccount(e.AssumedARN)
		}
	})
}

// startEvent starts from the event q names: the session it opened, or the one it was made in.
func (r *run) startEvent(ctx context.Context, root *Session) error {
	var ev *Event
	err := r.events(ctx, eventsSQL("eventid = "+quote(r.q.Value), Query{}.Period), func(e *Event) {
		if ev == nil {
			c := *e
			ev = &c
		}
	})
	if err != nil || ev == nil {
		return err
	}
	switch {
	case (ev.Name == "ConsoleLogin" || ev.Name == "SwitchRole") && ev.ARN != "" && !ev.failed():
		created := parseCreated(ev.Created)
		if created.IsZero() {
			created = ev.Time
		}
		root.Kind, root.Label, root.ARN, root.Account, root.Opener, root.Created = "console", "", ev.ARN, ev.Account, ev, created
		r.note("The console session's calls are those of %s whose session was created at %s (sessionContext.attributes.creationDate, to the second), as the sign-in.",
			ev.ARN, created.UTC().Format(time.RFC3339))
		return r.fill(ctx, root, consoleWhere(ev.ARN, created, ev.ID))
	case ev.Name == "UserAuthentication" || ev.Name == "CredentialVerification" || ev.Name == "CredentialChallenge":
		return r.startIdentityCenter(ctx, root, ev)
	case slices.Contains(issuing, ev.Name) && ev.opens():
		root.Kind, root.Label, root.AccessKey, root.Opener = "key", "", ev.NewKey, ev
		root.ARN, root.RoleARN, root.SessionName, root.SourceIdentity = ev.AssumedARN, ev.RoleARN, ev.SessionName, ev.SourceIdentity
		root.Account = arnAccount(ev.AssumedARN)
		r.keys[ev.NewKey] = true
		r.add(root, ev)
		return r.fill(ctx, root, keyWhere([]string{ev.NewKey}))
	case ev.failed() && (slices.Contains(issuing, ev.Name) || ev.Name == "ConsoleLogin" || ev.Name == "SwitchRole"):
		root.Kind, root.Label, root.Opener = "event", ev.ID, ev
		r.add(root, ev)
		r.note("%s %s failed (%s): it opened no session.", ev.Name, ev.ID, ev.Result())
		return nil
	case ev.AccessKey != "":
		root.Kind, root.Label, root.AccessKey = "key", "", ev.AccessKey
		r.keys[ev.AccessKey] = true
		r.note("%s %s opened no session: it is a call made with access key %s, whose session is traced.", ev.Name, ev.ID, ev.AccessKey)
		if err := r.opener(ctx, root); err != nil {
			return err
		}
		return r.fill(ctx, root, keyWhere([]string{ev.AccessKey}))
	}
	root.Kind, root.Label = "event", ev.ID
	r.add(root, ev)
	r.note("%s %s opened no session and carries no access key: there is nothing to follow from it.", ev.Name, ev.ID)
	return nil
}

// startRole starts from a role: its sessions (one per access key of the calls made in them, each with the
// AssumeRole call that opened it when the logs hold it) are the root's children.
func (r *run) startRole(ctx context.Context, root *Session) error {
	bykey := map[string]*Session{}
	session := func(key string) *Session {
		if s := bykey[key]; s != nil {
			return s
		}
		s := &Session{ID: root.ID + "." + fmt.Sprint(len(root.Children)+1), Kind: "key", AccessKey: key}
		root.Children = append(root.Children, s)
		bykey[key] = s
		r.keys[key] = true
		return s
	}
	var calls []Event
	if err := r.events(ctx, eventsSQL(r.q.where(), r.q.Period), func(e *Event) { calls = append(calls, *e) }); err != nil {
		return err
	}
	inPeriod := func(e *Event) bool {
		p := r.q.Period
		return (p.Start.IsZero() || !e.Time.Before(p.Start)) && (p.End.IsZero() || e.Time.Before(p.End))
	}
	used := map[string]bool{}
	for i := range calls {
		used[calls[i].AccessKey] = true
	}
	// The openers, at any time: a session of the period may have been opened before it.
	err := r.events(ctx, eventsSQL(roleOpenersWhere(r.q.Value), Query{}.Period), func(e *Event) {
		if !e.opens() || bykey[e.NewKey] != nil || !inPeriod(e) && !used[e.NewKey] {
			return
		}
		s := session(e.NewKey)
		opener := *e
		s.Opener = &opener
		s.ARN, s.RoleARN, s.SessionName, s.SourceIdentity = e.AssumedARN, e.RoleARN, e.SessionName, e.SourceIdentity
		s.Account = arnAccount(e.AssumedARN)
	})
	if err != nil {
		return err
	}
	for i := range calls {
		r.add(session(calls[i].AccessKey), &calls[i])
	}
	if len(r.res.Events) == 0 && len(root.Children) > 0 {
		// Sessions opened and never used: their openers are the trace.
		for _, s := range root.Children {
			r.add(s, s.Opener)
		}
	}
	return nil
}

// follow adds, level by level, the sessions opened by the calls of the frontier's sessions, and their calls,
// down to the depth limit.
func (r *run) follow(ctx context.Context, frontier []*Session) error {
	for len(frontier) > 0 {
		var next []*Session
		bykey := map[string]*Session{}
		for _, s := range frontier {
			// A role's sessions are the start itself, not opened from it: follow from them.
			if s.Kind == string(ByRole) {
				next = append(next, s.Children...)
				continue
			}
			for _, i := range s.events {
				e := &r.res.Events[i]
				if !e.opens() || r.keys[e.NewKey] {
					continue
				}
				if s.depth >= r.q.Depth {
					s.NotFollowed++
					continue
				}
				c := s.child(e)
				r.keys[e.NewKey] = true
				bykey[e.NewKey] = c
				next = append(next, c)
			}
		}
		keys := make([]string, 0, len(bykey))
		for k := range bykey {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for len(keys) > 0 {
			n := min(len(keys), keyBatch)
			err := r.events(ctx, eventsSQL(keyWhere(keys[:n]), r.q.Period), func(e *Event) {
				if s := bykey[e.AccessKey]; s != nil {
					r.add(s, e)
				}
			})
			if err != nil {
				return err
			}
			keys = keys[n:]
		}
		frontier = next
	}
	return nil
}

// finish orders the events and counts what each session holds.
func (r *run) finish() {
	ev := r.res.Events
	order := make([]int, len(ev))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if c := ev[a].Time.Compare(ev[b].Time); c != 0 {
			return c
		}
		return strings.Compare(ev[a].ID, ev[b].ID)
	})
	sorted := make([]Event, len(ev))
	where := make([]int, len(ev))
	for to, from := range order {
		sorted[to] = ev[from]
		where[from] = to
	}
	r.res.Root.Walk(func(s *Session, _ int) {
		for i, j := range s.events {
			s.events[i] = where[j]
		}
	})
	r.res.Events = sorted
	r.res.Root.summarize(sorted)
	r.res.Profile = profile(sorted)
	if n := countNotFollowed(r.res.Root); n > 0 {
		r.note("%d session%s opened at the depth limit (--depth %d) %s not followed.", n, plural(n), r.q.Depth, were(n))
	}
}

func countNotFollowed(s *Session) int {
	n := 0
	s.Walk(func(s *Session, _ int) { n += s.NotFollowed })
	return n
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func were(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}
