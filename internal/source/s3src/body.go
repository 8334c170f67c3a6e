package s3src

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// maxResumes bounds how many times one object's body is fetched again after its connection broke.
const maxResumes = 3

// retryNextLoad is the fix of an object whose download failed: a transport fault, not a broken file.
const retryNextLoad = "the download failed, not the file: the next load reads it again"

// resumingBody reads an object's body. The SDK retries a request only up to its response headers; when the body
// breaks off (a reset), stalls (no byte for IdleTimeout) or ends before its Content-Length, resumingBody asks for
// the rest with a ranged GET of the same version (If-Match on its ETag), and reads it only when the answer is
// that rest: 206 with a Content-Range from the offset asked, or a 200 with the whole object (a server that
// ignores ranges), whose first bytes are skipped — and the same ETag either way. Anything else would splice two
// objects (or two versions of one) into a file that exists nowhere, so it fails the read instead.
type resumingBody struct {
	ctx     context.Context
	s       *Source
	key     string
	etag    string // of the first answer, as S3 sends it (quoted)
	meta    map[string]string
	size    int64 // of the object, -1 when the first answer did not say
	off     int64 // bytes read
	resumes int
	cur     *getAttempt
	err     error // once the read failed for good
}

// getAttempt is one GET's body, with the watchdog that gives it up when no byte comes for IdleTimeout.
type getAttempt struct {
	body    io.ReadCloser
	cancel  context.CancelFunc
	timer   *time.Timer
	stalled atomic.Bool
	skip    int64 // bytes to drop first (a 200 answering a ranged GET)
}

// get sends one GET, under a context of its own that the watchdog cancels, and makes it the current attempt.
func (b *resumingBody) get(in *s3.GetObjectInput) (*s3.GetObjectOutput, error) {
	ctx, cancel := context.WithCancel(b.ctx)
	b.s.gets.Add(1)
	out, err := b.s.client.GetObject(ctx, in)
	if err != nil {
		cancel()
		return nil, err
	}
	a := &getAttempt{body: out.Body, cancel: cancel}
	a.timer = time.AfterFunc(b.s.opts.IdleTimeout, func() {
		a.stalled.Store(true)
		cancel()
	})
	a.timer.Stop() // armed only while a Read waits
	b.cur = a
	return out, nil
}

func (a *getAttempt) close() {
	a.timer.Stop()
	a.cancel()
	a.body.Close()
}

// read reads from the current attempt, its watchdog armed.
func (b *resumingBody) read(p []byte) (int, error) {
	a := b.cur
	idle := b.s.opts.IdleTimeout
	for a.skip > 0 {
		a.timer.Reset(idle)
		n, err := a.body.Read(p[:min(int64(len(p)), a.skip)])
		a.timer.Stop()
		a.skip -= int64(n)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, b.stallErr(a, err)
		}
	}
	a.timer.Reset(idle)
	n, err := a.body.Read(p)
	a.timer.Stop()
	if err != nil && !errors.Is(err, io.EOF) {
		err = b.stallErr(a, err)
	}
	return n, err
}

func (b *resumingBody) stallErr(a *getAttempt, err error) error {
	if a.stalled.Load() && b.ctx.Err() == nil {
		return fmt.Errorf("no data for %s (the connection stalled)", b.s.opts.IdleTimeout)
	}
	return err
}

func (b *resumingBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := b.read(p)
		b.off += int64(n)
		if err == nil {
			return n, nil
		}
		if errors.Is(err, io.EOF) {
			if b.size < 0 || b.off >= b.size {
				return n, io.EOF
			}
			err = fmt.Errorf("the body ended after %d of its %d bytes", b.off, b.size)
		}
		if cerr := b.ctx.Err(); cerr != nil {
			return n, cerr
		}
		if b.etag == "" {
			b.err = b.fail(err, "")
			return n, b.err
		}
		if b.resumes >= maxResumes {
			b.err = b.fail(err, fmt.Sprintf(" (at byte %d of %d, after %d resumed GETs)", b.off, b.size, b.resumes))
			return n, b.err
		}
		if rerr := b.resume(err); rerr != nil {
			b.err = rerr
			return n, rerr
		}
		if n > 0 {
			return n, nil
		}
	}
}

// fail names the object in a read error that ends the download.
func (b *resumingBody) fail(err error, where string) error {
	if cerr := b.ctx.Err(); cerr != nil {
		return cerr
	}
	return &Error{Op: "read", URL: b.s.Location(b.key), Err: fmt.Errorf("%w%s", err, where), Fix: retryNextLoad}
}

// resume asks for the rest of the object after the current attempt broke off with cause.
func (b *resumingBody) resume(cause error) error {
	b.resumes++
	b.cur.close()
	b.s.opts.Log.Debug("resume object", "key", b.key, "offset", b.off, "after", cause)
	wait := min(b.s.opts.MaxBackoff, time.Duration(50<<b.resumes)*time.Millisecond)
	select {
	case <-time.After(wait):
	case <-b.ctx.Done():
		return b.ctx.Err()
	}
	out, err := b.get(&s3.GetObjectInput{
		Bucket:  aws.String(b.s.bucket),
		Key:     aws.String(b.s.prefix + b.key),
		Range:   aws.String(fmt.Sprintf("bytes=%d-", b.off)),
		IfMatch: aws.String(b.etag),
	})
	if err != nil {
		werr := b.s.wrapErr(b.ctx, "get", b.s.Location(b.key), err)
		if e := (*Error)(nil); errors.As(werr, &e) && e.Status == http.StatusPreconditionFailed {
			return b.fail(fmt.Errorf("the object changed while it was read (it is no longer ETag %s)", b.etag), "")
		}
		return b.fail(fmt.Errorf("%v; resuming at byte %d: %v", cause, b.off, werr), "")
	}
	if got := aws.ToString(out.ETag); got != b.etag {
		b.cur.close()
		return b.fail(fmt.Errorf("the object changed while it was read (ETag %s, then %s)", b.etag, got), "")
	}
	cr := aws.ToString(out.ContentRange)
	if cr == "" {
		// No Content-Range: a 200 with the whole object. Read it from the offset, when it is the whole object.
		if n := aws.ToInt64(out.ContentLength); out.ContentLength == nil || b.size >= 0 && n != b.size {
			b.cur.close()
			return b.fail(fmt.Errorf("the server answered the range bytes=%d- without a Content-Range and with %d bytes (of %d): it was not resumed", b.off, n, b.size), "")
		}
		b.cur.skip = b.off
		return nil
	}
	start, total, ok := parseContentRange(cr)
	if !ok || start != b.off || b.size >= 0 && total != b.size {
		b.cur.close()
		return b.fail(fmt.Errorf("the server answered the range bytes=%d- with Content-Range %q: it was not resumed", b.off, cr), "")
	}
	return nil
}

// parseContentRange reads "bytes START-END/TOTAL" (TOTAL may be "*": -1).
func parseContentRange(s string) (start, total int64, ok bool) {
	rest, ok := strings.CutPrefix(s, "bytes ")
	if !ok {
		return 0, 0, false
	}
	rng, tot, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, 0, false
	}
	first, _, ok := strings.Cut(rng, "-")
	if !ok {
		return 0, 0, false
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	total = -1
	if tot != "*" {
		if total, err = strconv.ParseInt(tot, 10, 64); err != nil {
			return 0, 0, false
		}
	}
	return start, total, true
}

// Version returns the version of the object that was read: its ETag (unquoted, as listings give it), which is
// not the listed one when the object was rewritten between the listing and the GET.
func (b *resumingBody) Version() string { return strings.Trim(b.etag, `"`) }

// UserMetadata returns the object's x-amz-meta-* headers of the first answer (source.UserMetadata), names in
// lower case without the prefix.
func (b *resumingBody) UserMetadata() map[string]string {
	m := make(map[string]string, len(b.meta))
	for k, v := range b.meta {
		m[strings.ToLower(k)] = v
	}
	return m
}

func (b *resumingBody) Close() error {
	if b.cur != nil {
		b.cur.close()
	}
	return nil
}
