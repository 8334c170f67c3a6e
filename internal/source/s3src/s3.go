package s3src

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailq/trailq/internal/source"
)

var (
	_ source.Source       = (*Source)(nil)
	_ source.DirLister    = (*Source)(nil)
	_ source.UserMetadata = (*resumingBody)(nil)
)

// DefaultConcurrency is the number of objects fetched at once when the user does not say. CloudTrail writes
// many small objects (a few KB each), so a load waits on request latency, not bandwidth: at 20–80 ms to the
// first byte (in the region, or from a laptop) 64 requests in flight keep 800–3,000 objects/s coming, about what
// two cores decode, while a worker holds at most one object's records.
const DefaultConcurrency = 64

// DefaultIdleTimeout is the default of Options.IdleTimeout.
const DefaultIdleTimeout = time.Minute

// Options configure how the bucket is reached. The zero value uses the AWS SDK's default credential chain
// (environment, shared config and credentials files, SSO, web identity, container and instance roles).
type Options struct {
	// Profile is a profile of the shared AWS config files (--profile); "" uses AWS_PROFILE or "default".
	Profile string
	// Region is where the first request goes (--region); "" uses the configured region, else us-east-1.
	// The bucket's own region is then found out and used.
	Region string
	// EndpointURL is the address of an S3-compatible store (--endpoint-url), e.g. http://127.0.0.1:9000.
	// Requests then use path-style addressing (http://host/bucket/key).
	EndpointURL string
	// Concurrency sizes the connection pool: the number of requests expected at once. 0 means DefaultConcurrency.
	Concurrency int
	// Credentials, when set, replaces the default credential chain.
	Credentials aws.CredentialsProvider
	// MaxAttempts bounds the attempts of one request (throttling and transient errors are retried with
	// exponential backoff and jitter); 0 means 10.
	MaxAttempts int
	// MaxBackoff caps the wait between attempts; 0 means 20 s.
	MaxBackoff time.Duration
	// IdleTimeout is how long a request may wait for its answer, and a download for its next bytes, before it is
	// given up and sent again (a stalled connection); 0 means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// Log receives debug messages; nil discards them.
	Log *slog.Logger
}

// Source reads the objects below s3://bucket/prefix. Object keys are relative to the prefix, as a local
// source's keys are relative to its folder; Location gives the full s3:// address.
type Source struct {
	client *s3.Client
	cfg    aws.Config
	opts   Options
	bucket string
	prefix string // "" or ending in "/"
	region string

	lists, gets atomic.Int64
}

// Requests counts the requests a Source made (after retries: one per call).
type Requests struct {
	List int64 // ListObjectsV2 pages (object and folder listings)
	Get  int64 // GetObject
}

// ParseSpec splits "s3://bucket/prefix" into the bucket and the prefix, which is "" or ends in "/".
func ParseSpec(spec string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(spec, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%q is not an s3://bucket/prefix address", spec)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("%q names no bucket: use s3://bucket or s3://bucket/prefix", spec)
	}
	if strings.ContainsAny(bucket, " \\?#") {
		return "", "", fmt.Errorf("%q: %q is not a bucket name", spec, bucket)
	}
	prefix = strings.TrimLeft(prefix, "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return bucket, prefix, nil
}

// New opens the bucket of spec (s3://bucket/prefix): it loads the AWS configuration, finds the bucket's region
// (a HeadBucket request; S3 answers with the region even when it refuses the request) and checks that the
// bucket exists.
func New(ctx context.Context, spec string, opts Options) (*Source, error) {
	bucket, prefix, err := ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 10
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = retry.DefaultMaxBackoff
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = 2 * opts.Concurrency
		t.MaxIdleConnsPerHost = 2 * opts.Concurrency
		// A request that gets no answer is retried rather than waited on for ever.
		t.ResponseHeaderTimeout = opts.IdleTimeout
	})
	loadOpts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(httpClient),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = opts.MaxAttempts
				o.MaxBackoff = opts.MaxBackoff
				// No client-side retry quota: with dozens of requests in flight, a burst of 503 SlowDown would
				// use it up and fail requests that the next attempt would have served.
				o.RateLimiter = ratelimit.None
			})
		}),
	}
	if opts.Profile != "" {
		loadOpts = append(loadOpts, config.WithSharedConfigProfile(opts.Profile))
	}
	if opts.Region != "" {
		loadOpts = append(loadOpts, config.WithRegion(opts.Region))
	}
	if opts.Credentials != nil {
		loadOpts = append(loadOpts, config.WithCredentialsProvider(opts.Credentials))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	s := &Source{cfg: cfg, opts: opts, bucket: bucket, prefix: prefix}
	s.setRegion(cfg.Region)
	if err := s.findRegion(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Source) setRegion(region string) {
	s.region = region
	s.client = s3.NewFromConfig(s.cfg, func(o *s3.Options) {
		o.Region = region
		if s.opts.EndpointURL != "" {
			o.BaseEndpoint = aws.String(s.opts.EndpointURL)
			o.UsePathStyle = true
		}
		// Checksums only where S3 requires them: S3-compatible stores often do not implement the newer ones.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
}

// findRegion sends HeadBucket and moves the client to the region S3 names in x-amz-bucket-region, which it
// sends on success, on 301 (wrong region) and on 403 alike.
func (s *Source) findRegion(ctx context.Context) error {
	url := "s3://" + s.bucket
	for attempt := 0; ; attempt++ {
		// Few attempts: a wrong --endpoint-url or no network should say so in seconds, not after minutes of backoff.
		out, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(s.bucket)}, func(o *s3.Options) {
			o.RetryMaxAttempts = min(3, s.opts.MaxAttempts)
		})
		region := ""
		if err == nil && out.BucketRegion != nil {
			region = *out.BucketRegion
		}
		var e *Error
		if err != nil {
			werr := s.wrapErr(ctx, "open bucket", url, err)
			if !errors.As(werr, &e) {
				return werr
			}
			region = e.Region
		}
		if region != "" && region != s.region && attempt == 0 {
			s.opts.Log.Debug("bucket region", "bucket", s.bucket, "region", region, "was", s.region)
			s.setRegion(region)
			continue
		}
		switch {
		case err == nil:
			return nil
		case e.Status == http.StatusForbidden:
			// HeadBucket needs s3:ListBucket on the whole bucket; a policy may still allow listing the prefix.
			// Go on: a listing that is refused too will say so.
			s.opts.Log.Debug("HeadBucket refused; going on", "bucket", s.bucket, "region", s.region)
			return nil
		}
		return e
	}
}

// String returns s3://bucket/prefix.
func (s *Source) String() string { return "s3://" + s.bucket + "/" + s.prefix }

// Identity names the source for choosing its store: the same bucket name on another S3-compatible endpoint is
// another source.
func (s *Source) Identity() string {
	if s.opts.EndpointURL == "" {
		return s.String()
	}
	return s.opts.EndpointURL + " " + s.String()
}

// Bucket returns the bucket name.
func (s *Source) Bucket() string { return s.bucket }

// Region returns the region requests go to (the bucket's, once found).
func (s *Source) Region() string { return s.region }

// Location returns the s3:// address of the object at key (Athena's "$path").
func (s *Source) Location(key string) string { return "s3://" + s.bucket + "/" + s.prefix + key }

// Requests returns the number of requests made so far.
func (s *Source) Requests() Requests {
	return Requests{List: s.lists.Load(), Get: s.gets.Load()}
}

// List lists the objects below prefix (relative to the source's prefix) in key order, a page of up to 1,000
// keys per request. A name it cannot decode is left out and named in the *IncompleteError it returns after the
// others were listed.
func (s *Source) List(ctx context.Context, prefix string, fn func(source.Object) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	full := s.prefix + prefix
	var unlisted []*fs.PathError
	err := s.listPages(ctx, full, "", func(p *listPage) error {
		for _, pe := range p.unlisted {
			pe.Path = strings.TrimPrefix(pe.Path, s.prefix)
			unlisted = append(unlisted, pe)
		}
		for _, o := range p.objects {
			rel, ok := strings.CutPrefix(o.key, s.prefix)
			if !ok || rel == "" {
				continue
			}
			if err := fn(source.Object{Key: rel, Size: o.size, ETag: strings.Trim(o.etag, `"`), ModTime: o.modTime}); err != nil {
				return err
			}
		}
		return ctx.Err()
	})
	if err == nil && len(unlisted) > 0 {
		return &IncompleteError{URL: "s3://" + s.bucket + "/" + full, Unlisted: unlisted}
	}
	return err
}

// ListDirs lists the common prefixes right below prefix with a delimiter listing: one request per 1,000
// folders, whatever the number of objects below them.
func (s *Source) ListDirs(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	full := s.prefix + prefix
	var dirs []string
	err := s.listPages(ctx, full, "/", func(p *listPage) error {
		for _, cp := range p.prefixes {
			name := strings.TrimSuffix(strings.TrimPrefix(cp, full), "/")
			if name != "" && !strings.Contains(name, "/") {
				dirs = append(dirs, name)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return dirs, nil
}

// Open starts a GET of the object at key and returns its body as it arrives (see resumingBody: a body that
// breaks off, stalls for IdleTimeout or ends short is asked for again from where it stopped, up to 3 times). A
// missing key gives an error matching fs.ErrNotExist. The reader's Version is the ETag of what was fetched.
func (s *Source) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b := &resumingBody{ctx: ctx, s: s, key: key, size: -1}
	out, err := b.get(&s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + key)})
	if err != nil {
		return nil, s.wrapErr(ctx, "get", s.Location(key), err)
	}
	b.etag = aws.ToString(out.ETag)
	b.meta = out.Metadata
	if out.ContentLength != nil && *out.ContentLength >= 0 {
		b.size = *out.ContentLength
	}
	return b, nil
}

// Client returns the S3 client the source uses (the bucket's region, the endpoint, retries and credentials it
// was opened with), for writers to the same bucket (trailq export --out s3://).
func (s *Source) Client() *s3.Client { return s.client }

// Prefix returns the source's key prefix: "" or ending in "/".
func (s *Source) Prefix() string { return s.prefix }

// AWSConfig returns the AWS configuration the source was opened with (profile, credentials, retries), for
// clients of other services that must use the same (CloudTrail's ListPublicKeys).
func (s *Source) AWSConfig() aws.Config { return s.cfg.Copy() }
