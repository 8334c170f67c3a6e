package gen

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"
	"golang.org/x/sync/errgroup"
)

// span is one record's place in a file's arena, with its event time for ordering.
type span struct {
	t        int64
	off, end int
}

// fileGen builds one log file. Its random source depends only on the seed and the file's index, so files can
// be built in any order, in parallel, and still come out the same.
type fileGen struct {
	plan   *Plan
	a      *Account
	region string
	f      *File
	rng    *rand.Rand
	c      rc
	arena  []byte
	recs   []span
	limit  int // when > 0, finish drops records past this count
}

func (g *fileGen) start(t time.Time) *rc {
	// A sign-in flow's later steps come seconds after its start; none may come after the file's delivery.
	if last := g.f.Delivered.Add(-time.Second); t.After(last) {
		t = last
	}
	g.c.reset(t)
	return &g.c
}

// finish appends the record; it returns false when the file's sign-in budget is used up.
func (g *fileGen) finish(c *rc) bool {
	if g.limit > 0 && len(g.recs) >= g.limit {
		return false
	}
	off := len(g.arena)
	g.arena = c.write(g.arena)
	g.recs = append(g.recs, span{c.t.Unix(), off, len(g.arena)})
	return true
}

// eventTime is when a record of the file happened: CloudTrail delivers within about 15 minutes, mostly within 5.
func (g *fileGen) eventTime() time.Time {
	delay := 45*time.Second + time.Duration(g.rng.ExpFloat64()*float64(3*time.Minute))
	delay = min(delay, 15*time.Minute)
	return g.f.Delivered.Add(-delay).Truncate(time.Second)
}

// build returns the JSON document of file i and the number of sign-in records in it.
func (p *Plan) build(i int, g *fileGen) ([]byte, int) {
	f := &p.Files[i]
	g.plan, g.f = p, f
	g.a, g.region = p.Accounts[f.Account], regions[f.Region].name
	g.rng = rand.New(rand.NewPCG(p.Options.Seed, uint64(i)+1))
	g.c.rng, g.c.a, g.c.region = g.rng, g.a, g.region
	g.arena, g.recs, g.limit = g.arena[:0], g.recs[:0], 0

	budget := 0
	if share := p.signinShare[f.Account][f.Region]; share > 0 {
		// A burst of failed sign-ins takes up to the whole file; other sign-ins come as small patterns.
		g.limit = f.Records
		for range poisson(g.rng, share*burstShare*float64(f.Records)/burstLen) {
			failureBurst(g, g.eventTime())
		}
		g.limit = 0
		for range f.Records {
			if g.rng.Float64() < share*(1-burstShare) {
				budget++
			}
		}
	}
	g.signins(budget)
	signins := len(g.recs)
	quiet := p.quietShare[f.Account][f.Region]
	for len(g.recs) < f.Records {
		c := g.start(g.eventTime())
		c.apiCall(g.rng.Float64() < quiet)
		g.finish(c)
	}
	sort.SliceStable(g.recs, func(a, b int) bool { return g.recs[a].t < g.recs[b].t })
	out := make([]byte, 0, len(g.arena)+len(g.recs)+16)
	out = append(out, `{"Records":[`...)
	for k, s := range g.recs {
		if k > 0 {
			out = append(out, ',')
		}
		out = append(out, g.arena[s.off:s.end]...)
	}
	out = append(out, "]}"...)
	return out, signins
}

// Document returns the uncompressed JSON of file i of the plan (for tests and benchmarks).
func (p *Plan) Document(i int) []byte {
	b, _ := p.build(i, &fileGen{})
	return b
}

// Summary says what Generate wrote.
type Summary struct {
	Objects      int
	Records      int
	Signins      int   // console sign-in records (eventSource signin.amazonaws.com)
	Bytes        int64 // compressed
	Uncompressed int64
	Elapsed      time.Duration
}

// Generate writes the plan's files under dir (dir/AWSLogs/…), with bounded parallelism. progress, when set, is
// called with the number of files written so far (from several goroutines).
func Generate(ctx context.Context, p *Plan, dir string, progress func(done int)) (*Summary, error) {
	start := time.Now()
	workers := p.Options.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var done, records, signins atomic.Int64
	var size, raw atomic.Int64
	next := atomic.Int64{}
	g, ctx := errgroup.WithContext(ctx)
	for range workers {
		g.Go(func() error {
			fg := &fileGen{}
			var buf bytes.Buffer
			// Level 1: about 6× smaller, like real CloudTrail files (6–8×), and three times faster than the default level.
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
			made := map[string]bool{}
			for {
				i := int(next.Add(1) - 1)
				if i >= len(p.Files) {
					return nil
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				doc, n := p.build(i, fg)
				buf.Reset()
				zw.Reset(&buf) // a zero header: no name, no modification time, so the bytes depend on the content only
				if _, err := zw.Write(doc); err != nil {
					return err
				}
				if err := zw.Close(); err != nil {
					return err
				}
				f := &p.Files[i]
				path := filepath.Join(dir, filepath.FromSlash(f.Key))
				if d := filepath.Dir(path); !made[d] {
					if err := os.MkdirAll(d, 0o755); err != nil {
						return fmt.Errorf("create %s: %w", d, err)
					}
					made[d] = true
				}
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					return fmt.Errorf("write %s: %w", path, err)
				}
				// S3's LastModified is about the delivery time.
				mtime := f.Delivered.Add(20 * time.Second)
				if err := os.Chtimes(path, mtime, mtime); err != nil {
					return fmt.Errorf("set time of %s: %w", path, err)
				}
				records.Add(int64(f.Records))
				signins.Add(int64(n))
				size.Add(int64(buf.Len()))
				raw.Add(int64(len(doc)))
				d := done.Add(1)
				if progress != nil {
					progress(int(d))
				}
			}
		})
	}
	err := g.Wait()
	return &Summary{
		Objects: int(done.Load()), Records: int(records.Load()), Signins: int(signins.Load()),
		Bytes: size.Load(), Uncompressed: raw.Load(), Elapsed: time.Since(start),
	}, err
}
