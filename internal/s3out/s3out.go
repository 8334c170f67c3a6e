package s3out

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"
)

// Defaults of Options.
const (
	DefaultPartSize    = 16 << 20 // S3 wants parts of 5 MiB at least (the last excepted)
	DefaultConcurrency = 8
)

// checksumKey is the user metadata (x-amz-meta-trailq-sha256) that holds an uploaded file's SHA-256, which a
// later run compares when the ETag cannot tell (a multipart upload of another part size, SSE-KMS).
const checksumKey = "trailq-sha256"

// Options configure an Uploader. The zero value uses the defaults.
type Options struct {
	// PartSize is the size of a multipart upload's parts; a file of up to PartSize bytes is one PUT.
	PartSize int64
	// Concurrency is the number of files uploaded at once.
	Concurrency int
	// Uploaded, when set, is called after each file is in place (from the uploading goroutines, one at a time).
	Uploaded func(key string, size int64)
	// Remove says whether a remote file the local folder lacks is deleted; nil deletes none.
	Remove func(rel string) bool
}

// Uploader writes files below s3://bucket/prefix.
type Uploader struct {
	client *s3.Client
	bucket string
	prefix string // "" or ending in "/"
	opts   Options
}

// Result says what Sync did.
type Result struct {
	Uploaded, Skipped, Deleted int
	Bytes                      int64 // uploaded
}

// New returns an Uploader to s3://bucket/prefix through client.
func New(client *s3.Client, bucket, prefix string, opts Options) *Uploader {
	if opts.PartSize <= 0 {
		opts.PartSize = DefaultPartSize
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return &Uploader{client: client, bucket: bucket, prefix: prefix, opts: opts}
}

// URL is the s3:// address of the files' folder.
func (u *Uploader) URL() string { return "s3://" + u.bucket + "/" + u.prefix }

// remote is what a listing says of an object.
type remote struct {
	size int64
	etag string
}

// local is a file to upload.
type local struct {
	rel, path string
	size      int64
}

// Sync uploads the files under dir (but those in folders whose names start with a dot) to the prefix, keyed by
// their slash path relative to dir, skipping each that the prefix holds with the same size and checksum. The
// files named in last are uploaded after all the others are in place (the DDL after the data). Then the remote
// files that dir lacks and Options.Remove accepts are deleted.
func (u *Uploader) Sync(ctx context.Context, dir string, last []string) (Result, error) {
	var res Result
	files, err := walk(dir)
	if err != nil {
		return res, fmt.Errorf("read export folder %s: %w", dir, err)
	}
	have, err := u.list(ctx)
	if err != nil {
		return res, err
	}
	var first, final []local
	for _, f := range files {
		if slices.Contains(last, f.rel) {
			final = append(final, f)
		} else {
			first = append(first, f)
		}
	}
	for _, batch := range [][]local{first, final} {
		if err := u.upload(ctx, batch, have, &res); err != nil {
			return res, err
		}
	}
	return res, u.removeStale(ctx, files, have, &res)
}

// walk lists the files under dir, relative slash paths in lexical order, leaving out dot folders (an
// unfinished export's staging folder).
func walk(dir string) ([]local, error) {
	var files []local
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != dir && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		files = append(files, local{rel: filepath.ToSlash(rel), path: path, size: fi.Size()})
		return nil
	})
	return files, err
}

// list lists the objects below the prefix, keyed relative to it.
func (u *Uploader) list(ctx context.Context) (map[string]remote, error) {
	have := map[string]remote{}
	p := s3.NewListObjectsV2Paginator(u.client, &s3.ListObjectsV2Input{Bucket: aws.String(u.bucket), Prefix: aws.String(u.prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", u.URL(), err)
		}
		for _, o := range page.Contents {
			rel, ok := strings.CutPrefix(aws.ToString(o.Key), u.prefix)
			if ok && rel != "" {
				have[rel] = remote{size: aws.ToInt64(o.Size), etag: strings.Trim(aws.ToString(o.ETag), `"`)}
			}
		}
	}
	return have, nil
}

// upload uploads the files of batch that the prefix lacks, Concurrency at a time.
func (u *Uploader) upload(ctx context.Context, batch []local, have map[string]remote, res *Result) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(u.opts.Concurrency)
	results := make([]int64, len(batch)) // bytes uploaded, -1 for a file skipped
	for i, f := range batch {
		g.Go(func() error {
			n, err := u.one(gctx, f, have)
			results[i] = n
			return err
		})
	}
	err := g.Wait()
	for _, n := range results {
		switch {
		case n < 0:
			res.Skipped++
		case n > 0 || err == nil:
			res.Uploaded++
			res.Bytes += n
		}
	}
	return err
}

// one uploads f unless the prefix holds it already, and returns the bytes uploaded, or -1 when it did not.
func (u *Uploader) one(ctx context.Context, f local, have map[string]remote) (int64, error) {
	sha, etag, err := u.sums(f)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", f.path, err)
	}
	if r, ok := have[f.rel]; ok && r.size == f.size {
		same, err := u.same(ctx, f.rel, r, sha, etag)
		if err != nil {
			return 0, err
		}
		if same {
			return -1, nil
		}
	}
	if f.size > u.opts.PartSize {
		err = u.multipart(ctx, f, sha)
	} else {
		err = u.put(ctx, f, sha)
	}
	if err != nil {
		return 0, err
	}
	if u.opts.Uploaded != nil {
		u.opts.Uploaded(u.prefix+f.rel, f.size)
	}
	return f.size, nil
}

// same says whether the remote object at rel, of f's size, holds f: its ETag is the one S3 gives f's bytes
// uploaded as this package uploads them, or its trailq-sha256 metadata is f's SHA-256 (a HEAD request).
func (u *Uploader) same(ctx context.Context, rel string, r remote, sha, etag string) (bool, error) {
	if r.etag == etag {
		return true, nil
	}
	out, err := u.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(u.bucket), Key: aws.String(u.prefix + rel)})
	if err != nil {
		var nf *types.NotFound
		if errors.As(err, &nf) {
			return false, nil
		}
		return false, fmt.Errorf("head %s%s: %w", u.URL(), rel, err)
	}
	return out.Metadata[checksumKey] == sha, nil
}

// sums reads f and returns its SHA-256 and the ETag S3 gives it once uploaded by this package (the MD5 of a
// single PUT; of a multipart upload, the MD5 of its parts' MD5s and their count), both in hex.
func (u *Uploader) sums(f local) (sha, etag string, err error) {
	file, err := os.Open(f.path)
	if err != nil {
		return "", "", err
	}
	defer file.Close()
	whole := sha256.New()
	var partSums []byte
	parts := 0
	for {
		part := md5.New()
		n, err := io.CopyN(io.MultiWriter(whole, part), file, u.opts.PartSize)
		if n > 0 || parts == 0 {
			partSums = part.Sum(partSums)
			parts++
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", "", err
		}
	}
	sha = hex.EncodeToString(whole.Sum(nil))
	if f.size <= u.opts.PartSize {
		return sha, hex.EncodeToString(partSums), nil
	}
	all := md5.Sum(partSums)
	return sha, fmt.Sprintf("%s-%d", hex.EncodeToString(all[:]), parts), nil
}
