// Package digest checks CloudTrail log file integrity as AWS documents it: it parses digest files, verifies
// their SHA256withRSA signatures with CloudTrail's public keys, follows each trail's previousDigestSignature
// chain and compares every listed log file's SHA-256 with the object in a source.
package digest
