package ingest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/partfile"
	"github.com/trailq/trailq/internal/source"
	"github.com/trailq/trailq/internal/store"
)

// PreviewOptions say where Preview writes and what it keeps.
type PreviewOptions struct {
	// Dir is the folder the files are written to; it is created.
	Dir string
	// Stored are the content hashes the store holds, sorted: records with one of them are left out, as a load
	// leaves them out.
	Stored []uint64
	// Projection says which fields the question reads: the others are not decoded, nor written.
	Projection cloudtrail.Projection
	// Keep, when set, says which records the question can read (the conditions of its WHERE clause that are
	// checked here); the others are not written. It must keep every record the question's WHERE clause keeps.
	Keep func(*cloudtrail.Record) bool
}

// PreviewReport says what Preview read and wrote.
type PreviewReport struct {
	Files      []string // the Parquet files written, in PreviewOptions.Dir
	Objects    int      // objects read
	Records    int      // records read
	Rows       int      // records written: the rest were already stored, read twice, or not kept
	Duplicates int      // records already stored, or read twice
	Left       int      // records Keep left out
	Elapsed    time.Duration
}

// Preview reads what the plan says as Load would (same objects, same decoding, identical records left out the
// same way), but writes only the projected fields of the records, into Parquet files of the store's part format
// (one per worker), and changes nothing in the store. A question that reads only those fields can then be
// answered over the store's parts and these files before the load that keeps every field; it costs about half
// a load (decoding without the store's encoding, DuckDB's appends and commits).
func Preview(ctx context.Context, src source.Source, p *Plan, opts Options, po PreviewOptions) (*PreviewReport, error) {
	start := time.Now()
	opts.defaults()
	rep := &PreviewReport{}
	if err := os.MkdirAll(po.Dir, 0o700); err != nil {
		return rep, fmt.Errorf("preview: create %s: %w", po.Dir, err)
	}
	opts.Progress.Total.Store(int64(len(p.jobs)))
	seen := &claimSet{stored: po.Stored, claimed: map[uint64]struct{}{}}
	var nextID atomic.Int64 // preview rows get negative object ids: no stored object has one

	g, gctx := errgroup.WithContext(ctx)
	mem := newBudget(gctx, opts.RecordMemory)
	work := make(chan job)
	g.Go(func() error {
		defer close(work)
		for _, j := range p.jobs {
			select {
			case work <- j:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	writers := make([]*partfile.Writer, opts.Workers)
	var mu sync.Mutex // guards rep's counts
	for w := range opts.Workers {
		g.Go(func() error {
			dec := cloudtrail.NewDecoder()
			dec.Limit(opts.MaxRecord, mem)
			dec.Project(po.Projection)
			dec.Recycle() // each file's records are written (copied) or dropped before the next file is read
			var keep []bool
			var wanted []*cloudtrail.Record
			for j := range work {
				obj := partfile.NewObject(-nextID.Add(1), j.key, location(src, j.obj.Key))
				records, rows, left := 0, 0, 0
				err := readFile(gctx, src, j, dec, opts, func(f *store.File, held int64) error {
					defer mem.Release(held) // the records are written (copied) or dropped
					records += len(f.Records)
					wanted = wanted[:0]
					for _, r := range f.Records {
						if po.Keep == nil || po.Keep(r) {
							wanted = append(wanted, r)
						}
					}
					left += len(f.Records) - len(wanted)
					f.Records = wanted
					keep = seen.claim(f.Records, keep)
					for i, r := range f.Records {
						if !keep[i] {
							continue
						}
						if writers[w] == nil {
							pw, err := partfile.Create(po.Dir, "preview-"+strconv.Itoa(w)+".parquet")
							if err != nil {
								return fmt.Errorf("preview: %w", err)
							}
							writers[w] = pw
						}
						po.Projection.Apply(r)
						if err := writers[w].Add(r, obj); err != nil {
							return fmt.Errorf("preview: %w", err)
						}
						rows++
					}
					return nil
				})
				if err != nil {
					return err
				}
				mu.Lock()
				rep.Objects++
				rep.Records += records
				rep.Rows += rows
				rep.Left += left
				mu.Unlock()
			}
			return nil
		})
	}
	err := g.Wait()
	for _, pw := range writers {
		if pw == nil {
			continue
		}
		if err != nil {
			pw.Discard()
			continue
		}
		if ferr := pw.Finish(); ferr != nil {
			err = fmt.Errorf("preview: %w", ferr)
			continue
		}
		rep.Files = append(rep.Files, pw.Name())
	}
	if err != nil {
		for _, n := range rep.Files {
			os.Remove(filepath.Join(po.Dir, n))
		}
		rep.Files = nil
	}
	slices.Sort(rep.Files)
	rep.Duplicates = rep.Records - rep.Left - rep.Rows
	rep.Elapsed = time.Since(start)
	return rep, err
}

// claimSet keeps the first of identical records, as a load does: a record is written unless its content hash is
// stored or was claimed by a record read before it.
type claimSet struct {
	stored  []uint64 // sorted
	mu      sync.Mutex
	claimed map[uint64]struct{}
}

// claim returns keep (reused) with keep[i] set for the records to write, and claims their hashes.
func (s *claimSet) claim(records []*cloudtrail.Record, keep []bool) []bool {
	keep = slices.Grow(keep[:0], len(records))[:len(records)]
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range records {
		keep[i] = false
		if _, found := slices.BinarySearch(s.stored, r.Hash); found {
			continue
		}
		if _, dup := s.claimed[r.Hash]; dup {
			continue
		}
		s.claimed[r.Hash] = struct{}{}
		keep[i] = true
	}
	return keep
}
