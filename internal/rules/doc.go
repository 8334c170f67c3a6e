// Package rules holds trailq's built-in detection rules: Sigma rules for CloudTrail, one file each, embedded in
// the program and compiled by internal/sigma like any other rule.
package rules
