// Package export writes a store's events as Hive-partitioned Parquet (account=…/region=…/year=…/month=…/day=…),
// the layout Athena, Trino and Spark read as one table, durably and so that a stopped export is finished by the
// next, and gives the Athena DDL of that table.
package export
