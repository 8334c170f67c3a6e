// Package engine is trailq's workflow under every command: it opens a source's store, plans and runs the load
// of what is new (or answers a query first from a read of the new logs, then loads them), brings the derived
// tables up to date, and hands out the read-only, sandboxed handle every answer comes from. The command line
// and the web UI parse input and render what it returns; they do not reach the store, the reader or the SQL
// translator themselves.
package engine
