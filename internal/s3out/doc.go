// Package s3out copies a finished local export folder to s3://bucket/prefix with the AWS SDK: each file in one
// PUT or, past a part size, a multipart upload, and only the files the prefix does not already hold with the
// same size and checksum, so that a re-run uploads only new or changed partitions and finishes a stopped upload.
package s3out
