// Package cloudtrail decodes CloudTrail log files and parses the S3 key names that CloudTrail delivers them under.
//
// It imports no other package of trailq.
package cloudtrail
