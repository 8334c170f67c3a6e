// Package db is the store's handle, shared by the store's jobs and reachable from internal/store only: the DuckDB
// connection pool of an open store file with how it was opened (Handle, Connect: the sandbox's settings), where
// its part files are, its catalogue (the tables' names and DDL, the events view over the listed part files), the
// meta table, and small helpers for the SQL those jobs run.
package db
