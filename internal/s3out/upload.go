package s3out

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// contentType is what a file is served as.
func contentType(rel string) string {
	switch path.Ext(rel) {
	case ".parquet":
		return "application/vnd.apache.parquet"
	case ".sql":
		return "application/sql"
	}
	return "application/octet-stream"
}

// put uploads f in one PutObject.
func (u *Uploader) put(ctx context.Context, f local, sha string) error {
	file, err := os.Open(f.path)
	if err != nil {
		return fmt.Errorf("upload %s: %w", f.path, err)
	}
	defer file.Close()
	_, err = u.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(u.bucket),
		Key:           aws.String(u.prefix + f.rel),
		Body:          file,
		ContentLength: aws.Int64(f.size),
		ContentType:   aws.String(contentType(f.rel)),
		Metadata:      map[string]string{checksumKey: sha},
	})
	if err != nil {
		return fmt.Errorf("upload %s to %s%s: %w", f.path, u.URL(), f.rel, err)
	}
	return nil
}

// multipart uploads f in parts of PartSize. An upload that fails is aborted, so that the bucket keeps no parts
// of it (and bills none); the file is then not there, and the next run uploads it whole.
func (u *Uploader) multipart(ctx context.Context, f local, sha string) (err error) {
	key := u.prefix + f.rel
	file, err := os.Open(f.path)
	if err != nil {
		return fmt.Errorf("upload %s: %w", f.path, err)
	}
	defer file.Close()
	created, err := u.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket:      aws.String(u.bucket),
		Key:         aws.String(key),
		ContentType: aws.String(contentType(f.rel)),
		Metadata:    map[string]string{checksumKey: sha},
	})
	if err != nil {
		return fmt.Errorf("start the upload of %s to %s: %w", f.path, u.URL()+f.rel, err)
	}
	defer func() {
		if err == nil {
			return
		}
		// Aborted even when ctx was cancelled: the abort is what leaves the bucket clean.
		_, aerr := u.client.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{
			Bucket: aws.String(u.bucket), Key: aws.String(key), UploadId: created.UploadId,
		})
		if aerr != nil {
			err = fmt.Errorf("%w (and abort the upload %s: %v: delete it with aws s3api abort-multipart-upload)", err, aws.ToString(created.UploadId), aerr)
		}
	}()
	var done []types.CompletedPart
	for off, n := int64(0), int32(1); off < f.size; off, n = off+u.opts.PartSize, n+1 {
		size := min(u.opts.PartSize, f.size-off)
		out, err := u.client.UploadPart(ctx, &s3.UploadPartInput{
			Bucket:        aws.String(u.bucket),
			Key:           aws.String(key),
			UploadId:      created.UploadId,
			PartNumber:    aws.Int32(n),
			Body:          io.NewSectionReader(file, off, size),
			ContentLength: aws.Int64(size),
		})
		if err != nil {
			return fmt.Errorf("upload part %d of %s to %s: %w", n, f.path, u.URL()+f.rel, err)
		}
		done = append(done, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)})
	}
	_, err = u.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket:          aws.String(u.bucket),
		Key:             aws.String(key),
		UploadId:        created.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done},
	})
	if err != nil {
		return fmt.Errorf("finish the upload of %s to %s: %w", f.path, u.URL()+f.rel, err)
	}
	return nil
}

// removeStale deletes the remote files that the local folder lacks and Options.Remove accepts, 1,000 a request.
func (u *Uploader) removeStale(ctx context.Context, files []local, have map[string]remote, res *Result) error {
	if u.opts.Remove == nil {
		return nil
	}
	keep := make(map[string]bool, len(files))
	for _, f := range files {
		keep[f.rel] = true
	}
	var stale []types.ObjectIdentifier
	for rel := range have {
		if !keep[rel] && u.opts.Remove(rel) {
			stale = append(stale, types.ObjectIdentifier{Key: aws.String(u.prefix + rel)})
		}
	}
	for len(stale) > 0 {
		n := min(len(stale), 1000)
		out, err := u.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(u.bucket), Delete: &types.Delete{Objects: stale[:n], Quiet: aws.Bool(true)},
		})
		if err != nil {
			return fmt.Errorf("delete %d old export files under %s: %w", n, u.URL(), err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return fmt.Errorf("delete old export files under %s: %s: %s", u.URL(), aws.ToString(e.Key), strings.TrimSpace(aws.ToString(e.Message)))
		}
		res.Deleted += n
		stale = stale[n:]
	}
	return nil
}
