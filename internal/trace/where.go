package trace

import "fmt"

// Where returns the condition (Athena SQL over cloudtrail_logs) that a start by access key, principal, IP, role
// or resource puts on the events, for a package that reads those events another way (internal/baseline). A
// session start has none: its events depend on the event it names.
func (q Query) Where() (string, error) {
	if q.Kind == BySession {
		return "", fmt.Errorf("--%s names an event, not a set of calls: give --principal, --access-key or --role", q.Kind)
	}
	if err := q.Check(); err != nil {
		return "", err
	}
	return q.where(), nil
}
