package ingest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/hashset"
	"github.com/trailq/trailq/internal/partfile"
	"github.com/trailq/trailq/internal/source"
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
	s := &previewSink{po: po, seen: hashset.New(po.Stored), readers: make([]previewReader, opts.Workers)}
	err := read(ctx, src, p.jobs, opts, s)
	for i := range s.readers {
		r := &s.readers[i]
		rep.Objects += r.objects
		rep.Records += r.records
		rep.Rows += r.rows
		rep.Left += r.left
		if r.w == nil {
			continue
		}
		if err != nil {
			r.w.Discard()
			continue
		}
		if ferr := r.w.Finish(); ferr != nil {
			err = fmt.Errorf("preview: %w", ferr)
			continue
		}
		rep.Files = append(rep.Files, r.w.Name())
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

// previewSink is Preview's sink: each reader writes the records it reads, those kept and not stored or read
// before (the first of identical records is kept, as a load keeps it), into a Parquet file of its own.
type previewSink struct {
	po      PreviewOptions
	seen    *hashset.Set // the stored hashes, and those of the records written
	nextID  atomic.Int64 // preview rows get negative object ids: no stored object has one
	readers []previewReader
}

// previewReader is what one reader of a preview writes to, and its counts; only its reader's goroutine uses it.
type previewReader struct {
	w      *partfile.Writer // nil until it has a row
	obj    *partfile.Origin // the file being read; nil between files
	wanted []*cloudtrail.Record
	hashes []uint64
	keep   []bool
	// objects, records, rows and left are PreviewReport's counts of this reader.
	objects, records, rows, left int
}

func (s *previewSink) setup(dec *cloudtrail.Decoder) {
	dec.Project(s.po.Projection)
	dec.Recycle() // each file's records are written (copied) or dropped before the next file is read
}

func (s *previewSink) put(_ context.Context, reader int, c chunk) error {
	defer c.release() // the records are written (copied) or dropped
	r, f := &s.readers[reader], c.f
	if r.obj == nil {
		r.obj = partfile.NewOrigin(-s.nextID.Add(1), f.Parsed, f.Path)
	}
	obj := r.obj
	if f.Final {
		r.objects++
		r.obj = nil
	}
	r.records += len(f.Records)
	r.wanted, r.hashes = r.wanted[:0], r.hashes[:0]
	for _, rec := range f.Records {
		if s.po.Keep == nil || s.po.Keep(rec) {
			r.wanted = append(r.wanted, rec)
			r.hashes = append(r.hashes, rec.Hash)
		}
	}
	r.left += len(f.Records) - len(r.wanted)
	r.keep = slices.Grow(r.keep[:0], len(r.hashes))[:len(r.hashes)]
	s.seen.Claim(r.hashes, r.keep)
	for i, rec := range r.wanted {
		if !r.keep[i] {
			continue
		}
		if r.w == nil {
			pw, err := partfile.Create(s.po.Dir, "preview-"+strconv.Itoa(reader)+".parquet")
			if err != nil {
				return fmt.Errorf("preview: %w", err)
			}
			r.w = pw
		}
		s.po.Projection.Apply(rec)
		if err := r.w.Add(rec, obj); err != nil {
			return fmt.Errorf("preview: %w", err)
		}
		r.rows++
	}
	return nil
}

func (s *previewSink) drain(context.Context) error { return nil }

func (s *previewSink) readersDone() {}
