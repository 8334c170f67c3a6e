// Package source defines where CloudTrail log objects come from: the Source interface that the local folder and
// S3 implementations satisfy.
package source
