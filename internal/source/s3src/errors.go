package s3src

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// Error is an S3 request that failed. Its message names the bucket and key or prefix and, when the cause is
// one the user can fix (access, a wrong name or region, credentials), what to do. It never holds credentials.
type Error struct {
	Op     string // "list", "get", "open bucket"
	URL    string // s3://bucket/key-or-prefix
	Status int    // HTTP status, 0 when there was no response
	Code   string // S3 error code, e.g. AccessDenied
	// Region is the bucket's region when S3 said it (x-amz-bucket-region), else "".
	Region string
	Fix    string
	Err    error
}

func (e *Error) Error() string {
	what := e.Code
	switch {
	case e.Status != 0 && e.Code != "":
		what = fmt.Sprintf("%s (HTTP %d)", e.Code, e.Status)
	case e.Status != 0:
		what = fmt.Sprintf("HTTP %d", e.Status)
	case e.Code != "" && e.Err != nil:
		what = fmt.Sprintf("%s (%v)", e.Code, e.Err)
	case e.Err != nil:
		what = e.Err.Error()
	}
	msg := fmt.Sprintf("%s %s: %s", e.Op, e.URL, what)
	if e.Fix != "" {
		msg += "; " + e.Fix
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes a missing object match fs.ErrNotExist.
func (e *Error) Is(target error) bool {
	return target == fs.ErrNotExist && (e.Code == "NoSuchKey" || e.Op == "get" && e.Status == http.StatusNotFound && e.Code != "NoSuchBucket")
}

// wrapErr turns an SDK error into an *Error with a fix for the common causes. ctx's error wins when ctx is done,
// so that a cancelled load says "cancelled" rather than naming a request.
func (s *Source) wrapErr(ctx context.Context, op, url string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	e := &Error{Op: op, URL: url, Err: err}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		e.Status = re.Response.StatusCode
		e.Region = re.Response.Header.Get("X-Amz-Bucket-Region")
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		e.Code = ae.ErrorCode()
	}
	who := "the credentials in use"
	if s.opts.Profile != "" {
		who = fmt.Sprintf("profile %q", s.opts.Profile)
	}
	msg := err.Error()
	switch {
	case e.Status == 0 && (strings.Contains(msg, "get credentials") || strings.Contains(msg, "get identity")):
		e.Code = "no credentials"
		e.Fix = "run 'aws sso login' or 'aws configure', set AWS_PROFILE, or pick a profile with --profile"
		if s.opts.Profile != "" {
			e.Fix = fmt.Sprintf("profile %q gave none (or expired ones): run 'aws sso login --profile %s', or check it in ~/.aws/config", s.opts.Profile, s.opts.Profile)
		}
	case e.Status == 0:
		e.Fix = "no answer from S3: check the network connection, a proxy (HTTPS_PROXY), or --endpoint-url"
	case e.Code == "NoSuchBucket":
		e.Fix = fmt.Sprintf("there is no bucket %q: check the name in --source s3://BUCKET/PREFIX", s.bucket)
	case e.Code == "NoSuchKey" || e.Status == http.StatusNotFound && op == "get":
		e.Fix = "the object is gone (deleted or moved by a lifecycle rule since it was listed)"
	case e.Status == http.StatusNotFound:
		e.Fix = fmt.Sprintf("there is no bucket %q (or no access to it): check the name in --source s3://BUCKET/PREFIX", s.bucket)
	case e.Code == "InvalidAccessKeyId" || e.Code == "SignatureDoesNotMatch" || e.Code == "ExpiredToken" || e.Code == "TokenRefreshRequired":
		e.Fix = fmt.Sprintf("%s were refused: renew them (aws sso login, new keys) or pick others with --profile", who)
	case e.Status == http.StatusMovedPermanently || e.Code == "PermanentRedirect" || e.Code == "AuthorizationHeaderMalformed" || e.Code == "IllegalLocationConstraintException":
		if e.Region != "" {
			e.Fix = fmt.Sprintf("the bucket is in %s, not %s: add --aws-region %s", e.Region, s.region, e.Region)
		} else {
			e.Fix = fmt.Sprintf("the bucket is not in %s: give its region with --aws-region", s.region)
		}
	case e.Status == http.StatusForbidden:
		switch op {
		case "list":
			e.Fix = fmt.Sprintf("%s may not list this bucket: they need s3:ListBucket on arn:aws:s3:::%s (check the bucket policy too), or use --profile", who, s.bucket)
		case "get":
			e.Fix = fmt.Sprintf("%s may not read this object: they need s3:GetObject on it, and kms:Decrypt when the trail encrypts its logs with SSE-KMS", who)
		default:
			e.Fix = fmt.Sprintf("%s were refused for bucket %s: check --profile and the bucket policy", who, s.bucket)
		}
	case e.Status == http.StatusServiceUnavailable || e.Code == "SlowDown":
		e.Fix = "S3 is throttling requests even after retries: try a lower --concurrency"
	}
	return e
}
