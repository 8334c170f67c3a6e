// Package tracetest plants sessions with known calls in CloudTrail logs, for the tests of trailq trace: a
// console session with role chaining across accounts, a decoy session of the same principal at another time,
// a role session name used again by someone else, long-term key calls. Each planted event says which session
// it belongs to, so a test computes what a trace must return from the plan, not from the store.
package tracetest
