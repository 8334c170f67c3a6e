// Package sqlguard judges users' SQL before a sandboxed store runs it, from DuckDB's own reading of it, never
// from the text: exactly one statement, of the SELECT kind (DuckDB's prepared statement type) or EXPLAIN
// [ANALYZE] of one, whose syntax tree (json_serialize_sql) calls no table function but those that compute rows,
// reads no file as a table and calls no function with an effect. Parse does it without a store, so that a
// command refuses before it loads anything; Check does it on the connection that runs the query.
package sqlguard
