// Package digesttest generates CloudTrail trails with signed digest files for tests: log files, digests chained
// as CloudTrail chains them and signed with a test RSA key, and the list-public-keys JSON of that key.
package digesttest
