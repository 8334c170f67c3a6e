package source

import (
	"context"
	"io"
	"strconv"
	"time"
)

// Object is one log object of a source.
type Object struct {
	// Key is the object's key: the slash-separated path relative to the source's root (for S3, the object key).
	Key string
	// Size in bytes.
	Size int64
	// ModTime is the last modification time, when the source knows it.
	ModTime time.Time
	// ETag is the S3 ETag, or "" for sources that have none.
	ETag string
}

// Version is the part of Object that says whether it changed since it was loaded.
func (o Object) Version() string {
	if o.ETag != "" {
		return o.ETag
	}
	return o.ModTime.UTC().Format(time.RFC3339Nano) + " " + strconv.FormatInt(o.Size, 10)
}

// Versioned is implemented by the readers Open returns that know the version of what they read (for S3, the
// ETag of the answer). That version is the one to record: the object may have been rewritten since it was listed.
type Versioned interface {
	Version() string
}

// Source is a place holding CloudTrail log objects.
//
// Error contract, checked for every implementation by package sourcetest:
//   - List calls fn for every object whose key starts with prefix (all objects for ""), in the caller's goroutine,
//     in lexical key order, and returns fn's first error unchanged. A missing prefix lists nothing and is no error.
//   - Open returns the object's bytes as stored (still gzipped). A missing key gives an error matching
//     fs.ErrNotExist (errors.Is).
//   - Both return ctx.Err() (possibly wrapped) once ctx is cancelled.
type Source interface {
	List(ctx context.Context, prefix string, fn func(Object) error) error
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// String names the source for messages and as the identity of its store, e.g. "/data/AWSLogs" or "s3://bucket/prefix".
	String() string
}

// DirLister is implemented by sources that can list the "folders" right below a prefix (S3: a delimiter
// listing's common prefixes). It lets a load with a time window list only the day folders it needs.
type DirLister interface {
	// ListDirs returns the names (without slashes) of the folders directly below prefix, which is "" or ends in
	// "/", in lexical order. A missing prefix gives none and no error.
	ListDirs(ctx context.Context, prefix string) ([]string, error)
}

// LocalLister is implemented by sources on a local disk, where listing everything costs little: a load with a
// time window then lists them whole and filters by key instead of listing day folders, so that log files outside
// the trail folders (an Event history download next to AWSLogs/) are read too.
type LocalLister interface {
	ListsLocally() bool
}

// Identifier is implemented by sources whose String() does not tell them apart from every other source (an S3
// bucket name on another endpoint). Identity is used to choose the source's store.
type Identifier interface {
	Identity() string
}

// UserMetadata is implemented by the readers Open returns for sources that keep the user metadata stored with an
// object (S3's x-amz-meta-* headers, which hold, for instance, a CloudTrail digest file's signature). A folder
// copy of a bucket keeps none: its readers do not implement it.
type UserMetadata interface {
	// UserMetadata returns the object's user metadata: names in lower case without "x-amz-meta-"; empty when
	// the object has none.
	UserMetadata() map[string]string
}

// AfterLister is implemented by sources that can start a listing after a key (S3's ListObjectsV2 StartAfter).
// CloudTrail's keys sort by delivery time within a day folder, so a follower polling a day folder lists only
// what was delivered since its last poll: one request, whatever the day already holds.
type AfterLister interface {
	// ListAfter is List of the objects under prefix whose keys sort after after (a key relative to the
	// source's root; "" lists them all), with List's error contract.
	ListAfter(ctx context.Context, prefix, after string, fn func(Object) error) error
}
