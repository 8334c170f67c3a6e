package s3src

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// maxResumes bounds how many times one object's body is fetched again after its connection broke.
const maxResumes = 3

// resumingBody reads an object's body and, when the connection breaks off in the middle (a reset, a timeout),
// asks for the rest with a ranged GET of the same version (If-Match on its ETag), as the SDK retries only up to
// the response headers.
type resumingBody struct {
	ctx     context.Context
	s       *Source
	key     string
	etag    string
	body    io.ReadCloser
	off     int64
	resumes int
}

func (b *resumingBody) Read(p []byte) (int, error) {
	for {
		n, err := b.body.Read(p)
		b.off += int64(n)
		if err == nil || errors.Is(err, io.EOF) || b.ctx.Err() != nil || b.resumes >= maxResumes || b.etag == "" {
			return n, err
		}
		b.resumes++
		b.body.Close()
		b.s.opts.Log.Debug("resume object", "key", b.key, "offset", b.off, "after", err)
		b.s.gets.Add(1)
		out, gerr := b.s.client.GetObject(b.ctx, &s3.GetObjectInput{
			Bucket:  aws.String(b.s.bucket),
			Key:     aws.String(b.s.prefix + b.key),
			Range:   aws.String(fmt.Sprintf("bytes=%d-", b.off)),
			IfMatch: aws.String(b.etag),
		})
		if gerr != nil {
			b.body = io.NopCloser(errReader{err})
			return n, err
		}
		b.body = out.Body
		if n > 0 {
			return n, nil
		}
	}
}

func (b *resumingBody) Close() error { return b.body.Close() }

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
