// Package s3src implements a Source over the CloudTrail logs in an S3 bucket (or an S3-compatible store).
package s3src
