// Package sigma reads SigmaHQ-format detection and correlation rules for CloudTrail and compiles them to the
// Athena SQL that trailq runs over the cloudtrail_logs table.
package sigma
