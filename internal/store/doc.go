// Package store keeps CloudTrail events in a DuckDB file shaped like Athena's CloudTrail table, with a manifest of
// the log objects loaded, and answers SQL over it. It is the only package that imports DuckDB.
package store
