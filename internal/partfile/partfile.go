package partfile

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/parquet-go/parquet-go/format"

	"github.com/trailq/trailq/internal/cloudtrail"
)

// RowGroup is the row-group size of part files: DuckDB scans a file's row groups in parallel and skips those
// whose statistics rule a filter out.
const RowGroup = 122_880

// rowGroupRows is the row-group size Create uses: RowGroup, smaller in tests.
var rowGroupRows = RowGroup

// Limits are the sizes at which a Writer ends a row group, encodes a page and gives up a column chunk's
// dictionary for plain values. A zero field is the store's size. Tests of a reader make them small, to get files
// of many row groups, pages and dropped dictionaries from a few records.
type Limits struct {
	RowGroupRows int // rows of a row group: RowGroup
	PageBytes    int // bytes of a page's byte-array values: 1 MiB
	DictValues   int // distinct values of a chunk's dictionary: 65,536
}

// Origin is what the rows of one log object share: its id in the store's manifest, and the partition and path
// columns its key gives.
type Origin struct {
	ID                                      int64
	region, year, month, day, account, path *string
	fromKey                                 bool // the key gave the date; else it comes from each record
}

// NewOrigin returns the shared values of the object with manifest id, key and path (Athena's "$path").
func NewOrigin(id int64, key cloudtrail.Key, path string) *Origin {
	region, year, month, day := key.Partition()
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	return &Origin{ID: id, region: opt(region), year: opt(year), month: opt(month), day: opt(day),
		account: opt(key.Account), path: &path,
		fromKey: key.Kind == cloudtrail.KindLog && !key.Date.IsZero()}
}

// Writer writes one part file. It fills each column's buffers straight from the records, encodes a column's page
// when it is full, and writes a row group's column chunks when the row group is.
type Writer struct {
	name string // file name in the parts folder
	path string
	f    *os.File
	off  int64 // bytes written to f
	rows int64
	ids  map[int64]bool // objects with rows in the file
	last *Origin        // the object of the last row (its id is in ids)

	b         *buffers // nil once finished or discarded
	err       error    // the first error of Add or Finish: the file is broken
	groupRows int      // rows in the open row group
	limits    Limits
	groups    []format.RowGroup
	dates     dateCache
	kvs       []cloudtrail.KV // scratch for a map's sorted entries
}

// Create starts the part file name in dir; it must not exist.
func Create(dir, name string) (*Writer, error) { return CreateWith(dir, name, Limits{}) }

// CreateWith is Create with the limits l.
func CreateWith(dir, name string, l Limits) (*Writer, error) {
	if errStaleShredder != nil {
		return nil, errStaleShredder
	}
	if l.RowGroupRows <= 0 {
		l.RowGroupRows = rowGroupRows
	}
	if l.PageBytes <= 0 {
		l.PageBytes = pageBytes
	}
	if l.DictValues <= 0 {
		l.DictValues = maxDictValues
	}
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create part file: %w", err)
	}
	b := getBuffers()
	for i := range b.cols {
		b.cols[i].pageBytes, b.cols[i].maxDictValues = l.PageBytes, l.DictValues
	}
	return &Writer{name: name, path: path, f: f, ids: map[int64]bool{}, b: b, limits: l}, nil
}

// Name returns the file's name.
func (p *Writer) Name() string { return p.name }

// Rows returns how many rows were added.
func (p *Writer) Rows() int64 { return p.rows }

// Objects returns the ids of the objects with rows in the file, in order.
func (p *Writer) Objects() []int64 { return slices.Sorted(maps.Keys(p.ids)) }

// Add adds r, which came from the object o, as a row of the file. The writer copies what it needs: r may change
// once Add returns.
func (p *Writer) Add(r *cloudtrail.Record, o *Origin) error {
	if err := p.usable(); err != nil {
		return err
	}
	if o != p.last {
		p.ids[o.ID] = true
		p.last = o
	}
	p.shred(r, o)
	p.rows++
	p.groupRows++
	if p.groupRows >= p.limits.RowGroupRows {
		return p.fail(p.writeRowGroup())
	}
	for i := range p.b.cols {
		if c := &p.b.cols[i]; len(c.data) >= p.limits.PageBytes {
			if err := c.flushPage(&p.b.enc); err != nil {
				return p.fail(fmt.Errorf("write part file %s: %w", p.name, err))
			}
		}
	}
	return nil
}

// usable returns an error if the file is finished, discarded or broken.
func (p *Writer) usable() error {
	if p.err != nil {
		return p.err
	}
	if p.b == nil {
		return fmt.Errorf("write part file %s: already finished", p.name)
	}
	return nil
}

// fail keeps err, if any, as the file's error.
func (p *Writer) fail(err error) error {
	if err != nil && p.err == nil {
		p.err = err
	}
	return err
}

// Finish writes the last row group and the file's footer, and syncs the file to disk.
func (p *Writer) Finish() error {
	if err := p.usable(); err != nil {
		return err
	}
	if p.groupRows > 0 {
		if err := p.writeRowGroup(); err != nil {
			return p.fail(err)
		}
	}
	if err := p.writeFooter(); err != nil {
		return p.fail(err)
	}
	putBuffers(p.b)
	p.b = nil
	if err := p.f.Sync(); err != nil {
		return p.fail(fmt.Errorf("sync part file %s: %w", p.name, err))
	}
	err := p.f.Close()
	p.f = nil
	if err != nil {
		return p.fail(fmt.Errorf("write part file %s: %w", p.name, err))
	}
	return nil
}

// Discard removes an unfinished or uncommitted part file.
func (p *Writer) Discard() {
	if p.f != nil {
		p.f.Close()
		p.f = nil
	}
	if p.b != nil {
		putBuffers(p.b)
		p.b = nil
	}
	os.Remove(p.path)
}

// begin writes the magic that starts the file, once: with the first row group (or the footer of a file without
// rows), so that a full disk shows when rows are written, not when the file is made.
func (p *Writer) begin() error {
	if p.off > 0 {
		return nil
	}
	return p.write([]byte(magic))
}

// write appends b to the file.
func (p *Writer) write(b []byte) error {
	n, err := p.f.Write(b)
	p.off += int64(n)
	if err != nil {
		return fmt.Errorf("write part file %s: %w", p.name, err)
	}
	return nil
}
