// Package athena translates Amazon Athena (Trino) SQL written for the CloudTrail table into DuckDB SQL over the
// trailq store.
package athena
