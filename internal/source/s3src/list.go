package s3src

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/trailq/trailq/internal/source"
)

// listEntry is one object of a listing page, its key decoded.
type listEntry struct {
	key     string
	size    int64
	etag    string
	modTime time.Time
}

// listPage is one answer of ListObjectsV2, its keys and prefixes decoded.
type listPage struct {
	objects   []listEntry
	prefixes  []string
	truncated bool
	next      string
	// unlisted names the keys that could not be decoded (an escape that is not one).
	unlisted []*fs.PathError
}

// listPages lists the objects (and, with a delimiter, the common prefixes) below the full prefix, page by page,
// calling fn for each. It asks for URL-encoded keys (encoding-type=url) so that a key with a character XML 1.0
// cannot carry (a control character) does not make the whole page unreadable, and reads a page that has one anyway
// (from a server that ignores encoding-type) leniently. It stops with an error when the server hands out a
// continuation token it gave before, says the listing goes on without a token, or goes back to names it listed
// already: each would make the listing go on for ever.
func (s *Source) listPages(ctx context.Context, full, delimiter string, fn func(*listPage) error) error {
	return s.listPagesAfter(ctx, full, delimiter, "", fn)
}

// listPagesAfter is listPages from the first key after startAfter (a full key; "" from the start).
func (s *Source) listPagesAfter(ctx context.Context, full, delimiter, startAfter string, fn func(*listPage) error) error {
	where := "s3://" + s.bucket + "/" + full
	seen := map[string]bool{}
	token, last := "", ""
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.lists.Add(1)
		p, err := s.listPage(ctx, full, delimiter, startAfter, token)
		if err != nil {
			return err
		}
		first, end := p.bounds()
		if n > 1 && first != "" && first <= last {
			return &Error{Op: "list", URL: where, Fix: serverFault,
				Err: fmt.Errorf("page %d went back to %q after page %d ended at %q: the server lists names it listed already", n, first, n-1, last)}
		}
		if end != "" {
			last = end
		}
		if err := fn(p); err != nil {
			return err
		}
		if !p.truncated {
			return nil
		}
		switch {
		case p.next == "":
			return &Error{Op: "list", URL: where, Fix: serverFault,
				Err: fmt.Errorf("page %d says the listing goes on (IsTruncated) but gives no continuation token", n)}
		case seen[p.next] || p.next == token:
			return &Error{Op: "list", URL: where, Fix: serverFault,
				Err: fmt.Errorf("page %d returned continuation token %q, which the server already gave: the listing would never end (stopped after %d requests)", n, p.next, n)}
		}
		seen[p.next] = true
		token = p.next
	}
}

// ListAfter lists the objects below prefix whose keys sort after after (both relative to the source's prefix),
// in key order, as List does (source.AfterLister): S3 starts the listing there (StartAfter), so a day folder's
// new deliveries cost one request.
func (s *Source) ListAfter(ctx context.Context, prefix, after string, fn func(source.Object) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	full, startAfter := s.prefix+prefix, ""
	if after != "" {
		startAfter = s.prefix + after
	}
	var unlisted []*fs.PathError
	err := s.listPagesAfter(ctx, full, "", startAfter, func(p *listPage) error {
		for _, pe := range p.unlisted {
			pe.Path = strings.TrimPrefix(pe.Path, s.prefix)
			unlisted = append(unlisted, pe)
		}
		for _, o := range p.objects {
			rel, ok := strings.CutPrefix(o.key, s.prefix)
			if !ok || rel == "" || after != "" && rel <= after {
				continue // a server that ignores StartAfter lists them anyway
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

var _ source.AfterLister = (*Source)(nil)

// serverFault is the fix of a listing the server answered wrongly.
const serverFault = "the S3 server (or a proxy in front of it) answered the listing wrongly; trailq stopped rather than list for ever: check --endpoint-url and the proxy, or report it to the server's maintainers"

// bounds returns the first and the last name of the page (keys and common prefixes together), "" for none.
func (p *listPage) bounds() (first, last string) {
	names := make([]string, 0, 4)
	if len(p.objects) > 0 {
		names = append(names, p.objects[0].key, p.objects[len(p.objects)-1].key)
	}
	if len(p.prefixes) > 0 {
		names = append(names, p.prefixes[0], p.prefixes[len(p.prefixes)-1])
	}
	for _, n := range names {
		if first == "" || n < first {
			first = n
		}
		if n > last {
			last = n
		}
	}
	return first, last
}

// listPage sends one ListObjectsV2 request.
func (s *Source) listPage(ctx context.Context, full, delimiter, startAfter, token string) (*listPage, error) {
	in := &s3.ListObjectsV2Input{
		Bucket:       aws.String(s.bucket),
		Prefix:       aws.String(full),
		EncodingType: types.EncodingTypeUrl,
	}
	if startAfter != "" {
		// S3 ignores it once a continuation token is given; sent on every page all the same, as the SDK's
		// paginator does.
		in.StartAfter = aws.String(startAfter)
	}
	if delimiter != "" {
		in.Delimiter = aws.String(delimiter)
	}
	if token != "" {
		in.ContinuationToken = aws.String(token)
	}
	var raw []byte
	out, err := s.client.ListObjectsV2(ctx, in, func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Deserialize.Insert(&keepBody{body: &raw}, "OperationDeserializer", middleware.After)
		})
	})
	where := "s3://" + s.bucket + "/" + full
	var de *smithy.DeserializationError
	if err != nil && errors.As(err, &de) && raw != nil && ctx.Err() == nil {
		// The answer came (HTTP 200) but is not XML the SDK reads: most often a key with a control character from a
		// server that ignores encoding-type=url. Read it leniently.
		p, perr := lenientPage(raw)
		if perr != nil {
			return nil, &Error{Op: "list", URL: where, Err: fmt.Errorf("the answer is not a listing that can be read: %v", perr),
				Fix: "a key there may hold a character XML cannot carry, from a server that ignores encoding-type=url; rename that key, or list with a server that supports encoding-type=url"}
		}
		return p, nil
	}
	if err != nil {
		return nil, s.wrapErr(ctx, "list", where, err)
	}
	return pageOf(out), nil
}

// pageOf decodes an SDK answer: keys and prefixes are URL-encoded when the server says so.
func pageOf(out *s3.ListObjectsV2Output) *listPage {
	p := &listPage{truncated: aws.ToBool(out.IsTruncated), next: aws.ToString(out.NextContinuationToken)}
	encoded := out.EncodingType == types.EncodingTypeUrl
	decode := func(s string) (string, error) {
		if !encoded {
			return s, nil
		}
		return url.QueryUnescape(s)
	}
	for _, o := range out.Contents {
		key, err := decode(aws.ToString(o.Key))
		if err != nil {
			p.unlisted = append(p.unlisted, &fs.PathError{Op: "decode key", Path: bestEffortUnescape(aws.ToString(o.Key)), Err: err})
			continue
		}
		e := listEntry{key: key, size: aws.ToInt64(o.Size), etag: aws.ToString(o.ETag)}
		if o.LastModified != nil {
			e.modTime = *o.LastModified
		}
		p.objects = append(p.objects, e)
	}
	for _, cp := range out.CommonPrefixes {
		prefix, err := decode(aws.ToString(cp.Prefix))
		if err != nil {
			p.unlisted = append(p.unlisted, &fs.PathError{Op: "decode folder", Path: bestEffortUnescape(aws.ToString(cp.Prefix)), Err: err})
			continue
		}
		p.prefixes = append(p.prefixes, prefix)
	}
	return p
}

// bestEffortUnescape decodes the escapes of a URL-encoded name that are escapes and keeps the rest as it is, to
// name a key that cannot be decoded as closely as it can be.
func bestEffortUnescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b.WriteByte(' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			v, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b.WriteByte(byte(v))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// keepBody reads a listing's answer whole and keeps it, so that a page the SDK cannot decode can be read
// leniently. It sits right below the operation's deserializer, once per attempt.
type keepBody struct{ body *[]byte }

func (*keepBody) ID() string { return "trailqKeepListingBody" }

func (k *keepBody) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleDeserialize(ctx, in)
	*k.body = nil
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if err != nil || !ok || resp.Body == nil || resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return out, md, err
	}
	b, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	if rerr != nil {
		return out, md, rerr // a broken connection: the retryer decides
	}
	*k.body = b
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return out, md, nil
}

// xmlListing is the part of a ListObjectsV2 answer that a listing needs.
type xmlListing struct {
	IsTruncated           bool
	NextContinuationToken string
	EncodingType          string
	Contents              []struct {
		Key          string
		Size         int64
		ETag         string
		LastModified string
	}
	CommonPrefixes []struct{ Prefix string }
}

// privateBase is where lenientPage puts the characters XML 1.0 cannot carry (U+0000–U+001F become
// U+E000–U+E01F, private use) while the answer is parsed.
const privateBase = 0xE000

// lenientPage reads a listing answer whose keys may hold characters XML 1.0 cannot carry, raw or as character
// references (what S3 itself sends for such a key without encoding-type=url), which encoding/xml rejects: each is
// parsed as a private-use character and turned back.
func lenientPage(b []byte) (*listPage, error) {
	// The answer may hold those private-use characters of its own: they could not be told from the moved ones.
	for r := rune(privateBase); r < privateBase+0x20; r++ {
		if bytes.ContainsRune(b, r) {
			return nil, fmt.Errorf("it holds U+%04X and characters XML cannot carry", r)
		}
	}
	var fixed bytes.Buffer
	fixed.Grow(len(b) + 64)
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < 0x20 && c != '\t' && c != '\n' {
			fmt.Fprintf(&fixed, "&#x%X;", privateBase+int(c)) // a raw CR too: XML would read it as LF
			continue
		}
		if c == '&' && i+2 < len(b) && b[i+1] == '#' {
			if end := bytes.IndexByte(b[i:min(len(b), i+12)], ';'); end > 0 {
				ref := string(b[i+2 : i+end])
				var n uint64
				var err error
				if strings.HasPrefix(ref, "x") || strings.HasPrefix(ref, "X") {
					n, err = strconv.ParseUint(ref[1:], 16, 32)
				} else {
					n, err = strconv.ParseUint(ref, 10, 32)
				}
				if err == nil && n < 0x20 && n != '\t' && n != '\n' && n != '\r' {
					fmt.Fprintf(&fixed, "&#x%X;", privateBase+int(n))
					i += end
					continue
				}
				if err == nil && n >= privateBase && n < privateBase+0x20 {
					return nil, fmt.Errorf("it holds U+%04X and characters XML cannot carry", n)
				}
			}
		}
		fixed.WriteByte(c)
	}
	var x xmlListing
	if err := xml.Unmarshal(fixed.Bytes(), &x); err != nil {
		return nil, err
	}
	back := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= privateBase && r < privateBase+0x20 {
				return r - privateBase
			}
			return r
		}, s)
	}
	p := &listPage{truncated: x.IsTruncated, next: back(x.NextContinuationToken)}
	encoded := x.EncodingType == "url"
	decode := func(s string) (string, error) {
		s = back(s)
		if !encoded {
			return s, nil
		}
		return url.QueryUnescape(s)
	}
	for _, o := range x.Contents {
		key, err := decode(o.Key)
		if err != nil || !utf8.ValidString(key) {
			if err == nil {
				err = errors.New("not UTF-8")
			}
			p.unlisted = append(p.unlisted, &fs.PathError{Op: "decode key", Path: bestEffortUnescape(back(o.Key)), Err: err})
			continue
		}
		e := listEntry{key: key, size: o.Size, etag: o.ETag}
		if t, err := time.Parse(time.RFC3339Nano, o.LastModified); err == nil {
			e.modTime = t
		}
		p.objects = append(p.objects, e)
	}
	for _, cp := range x.CommonPrefixes {
		prefix, err := decode(cp.Prefix)
		if err != nil {
			p.unlisted = append(p.unlisted, &fs.PathError{Op: "decode folder", Path: bestEffortUnescape(back(cp.Prefix)), Err: err})
			continue
		}
		p.prefixes = append(p.prefixes, prefix)
	}
	return p, nil
}

// IncompleteError is the error of a listing that went on past names it could not decode: the other objects were
// listed. Unlisted has an *fs.PathError for each, its Path the name as the server sent it.
type IncompleteError struct {
	URL      string
	Unlisted []*fs.PathError
}

func (e *IncompleteError) Error() string {
	msg := fmt.Sprintf("list %s: %d names could not be decoded", e.URL, len(e.Unlisted))
	if len(e.Unlisted) == 1 {
		msg = fmt.Sprintf("list %s: a name could not be decoded", e.URL)
	}
	return msg + ": " + e.Unlisted[0].Error()
}

// Incomplete returns the names not listed, for the load's report.
func (e *IncompleteError) Incomplete() []error {
	out := make([]error, len(e.Unlisted))
	for i, pe := range e.Unlisted {
		out[i] = pe
	}
	return out
}
