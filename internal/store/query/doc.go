// Package query runs SQL on an open store and reads its answers: on a sandboxed store only what sqlguard allows,
// on a connection of its own; each value comes as a plain Go value, or as JSON text for structs, lists, maps and
// JSON, with struct fields in their declared order (read from DuckDB's type names).
package query
