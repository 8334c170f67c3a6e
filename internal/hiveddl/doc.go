// Package hiveddl writes the Athena (Hive DDL) CREATE EXTERNAL TABLE statements of trailq's two CloudTrail
// tables, from the columns internal/schema declares: the table over an export's Hive-partitioned Parquet, and the
// table over a bucket's raw CloudTrail logs as the CloudTrail console makes it, both with partition projection.
package hiveddl
