// Package gen writes realistic, deterministic CloudTrail log trees (S3 key layout, file-size mix, API calls,
// errors and console sign-ins) for benchmarks, tests and demos.
package gen
