// Package schema declares the columns of trailq's CloudTrail events table once: Athena's CloudTrail columns in
// Athena's order, then the partition columns and the internal ones, each with its name, its type (a tree of
// strings, integers, structs, lists and maps), how a part file stores it, and how a cloudtrail.Record supplies
// its value.
//
// The store's DDL and the sign-in table's rows (internal/store), the Athena DDL of an export, and the part files'
// Parquet schema and shredder (internal/partfile, whose shredder is generated: go test ./internal/partfile -run
// TestShredderIsGenerated -update) are derived from these declarations; the types they give are the store's
// format (see SchemaVersion in internal/store), so a change here is a change of format.
package schema
