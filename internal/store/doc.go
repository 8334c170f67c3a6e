// Package store keeps CloudTrail events in a DuckDB file shaped like Athena's CloudTrail table, with a manifest of
// the log objects loaded, and answers SQL over it. It is the facade of the store subtree, the only code that
// imports DuckDB: it opens the file (creating, checking, upgrading, repairing) and hands each job to its
// sub-package — load (load transactions), parts (the part files' lifecycle), verify (part checksums), query (SQL
// and its answers), preview (answering before a load), export (Parquet for Athena) — over the handle in
// internal/store/internal/db, which nothing outside internal/store can reach.
package store
