// Package pushdown works out, from a query's syntax tree, which part of the logs the query can read, so that a
// load before it reads only that part: the UTC days its eventtime bounds allow, and the key dates, regions and
// accounts its partition columns (year, month, day, "timestamp", region, account, …) allow.
//
// It is conservative: any shape it does not fully understand (joins, subqueries, CTEs, set operations, bounds
// under OR or NOT, bounds on expressions) means "everything".
package pushdown
