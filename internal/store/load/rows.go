package load

import (
	"database/sql/driver"
	"fmt"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/schema"
)

func s(v cloudtrail.String) driver.Value { return v.Value() }

// rowBuffer builds rows of the events table for the sign-in table's appender, by the columns' declarations
// (internal/schema). One row and its nested values (STRUCTs are maps for the appender, LISTs slices, MAPs
// OrderedMaps) are reused from record to record: AppendRow copies the values into DuckDB's vectors before it
// returns.
type rowBuffer struct {
	row    []driver.Value
	athena []valueOf // of each Athena column
	file   *openFile // whose per-file values are in fileVals
	// fileVals are the values of the partition and internal columns that the object gives, in the table's order.
	fileVals         []driver.Value
	partitionFromKey bool
}

func newRowBuffer() *rowBuffer {
	b := &rowBuffer{
		row:      make([]driver.Value, 0, len(schema.Athena)+len(schema.Partition)+len(schema.Internal)),
		athena:   make([]valueOf, len(schema.Athena)),
		fileVals: make([]driver.Value, len(schema.Partition)+len(schema.Internal)),
	}
	for i := range schema.Athena {
		b.athena[i] = newValueOf(&schema.Athena[i])
	}
	return b
}

// values returns the row of the events table for r, which came from the object of. The row is valid until the
// next call.
func (b *rowBuffer) values(r *cloudtrail.Record, of *openFile) []driver.Value {
	if b.file != of {
		// Values that are the same for every record of the object, boxed once.
		f := of.f
		b.file = of
		region, year, month, day := f.Parsed.Partition()
		b.partitionFromKey = f.Parsed.Kind == cloudtrail.KindLog && !f.Parsed.Date.IsZero()
		p, in := b.fileVals[:len(schema.Partition)], b.fileVals[len(schema.Partition):]
		p[schema.Region], p[schema.Year], p[schema.Month], p[schema.Day] =
			nullIfEmpty(region), nullIfEmpty(year), nullIfEmpty(month), nullIfEmpty(day)
		in[schema.Account], in[schema.Path], in[schema.FileID] = nullIfEmpty(f.Parsed.Account), f.Path, of.id
	}
	v := b.row[:0]
	for i := range b.athena {
		v = append(v, b.athena[i].value(r))
	}
	v = append(v, b.fileVals...)
	p, in := v[len(schema.Athena):len(schema.Athena)+len(schema.Partition)], v[len(schema.Athena)+len(schema.Partition):]
	if !b.partitionFromKey {
		// A file not named as CloudTrail names them: take the partition values from the record itself.
		p[schema.Region] = nullIfEmpty(r.AWSRegion.S)
		if t, ok := r.Time(); ok {
			p[schema.Year], p[schema.Month], p[schema.Day] = t.Format("2006"), t.Format("01"), t.Format("02")
		} else {
			p[schema.Year], p[schema.Month], p[schema.Day] = nil, nil, nil
		}
	}
	if in[schema.Account] == nil {
		in[schema.Account] = nullIfEmpty(r.RecipientAccountID.S)
	}
	in[schema.Hash] = r.Hash
	b.row = v
	return v
}

func nullIfEmpty(v string) driver.Value {
	if v == "" {
		return nil
	}
	return v
}

// valueOf builds the appender's value of a column or struct field from a record, through the declaration's
// accessors.
type valueOf struct {
	col    *schema.Column
	fields []valueOf        // of a Struct, or of a List's elements
	m      map[string]any   // a Struct's value
	elems  []map[string]any // a List's elements' values
	list   []any            // a List's value
}

func newValueOf(c *schema.Column) valueOf {
	v := valueOf{col: c}
	fields := c.Type.Fields
	switch c.Type.Kind {
	case schema.Struct:
		v.m = map[string]any{}
	case schema.List:
		fields = c.Type.Elem.Fields
	}
	for i := range fields {
		v.fields = append(v.fields, newValueOf(&fields[i]))
	}
	return v
}

// value returns the value of the column in r: nil for NULL, a string, a map of a STRUCT's fields, a slice of a
// LIST's elements, or an OrderedMap of a MAP's entries.
func (v *valueOf) value(r *cloudtrail.Record) driver.Value {
	c := v.col
	switch c.Type.Kind {
	case schema.String:
		return s(*c.Str(r))
	case schema.Struct:
		if !c.Has(r) {
			return nil
		}
		for i := range v.fields {
			f := &v.fields[i]
			v.m[f.col.Name] = f.value(r)
		}
		return v.m
	case schema.List:
		n := c.Len(r)
		if n < 0 {
			return nil
		}
		for len(v.elems) < n {
			v.elems = append(v.elems, map[string]any{})
		}
		out := v.list[:0]
		for i := range n {
			m := v.elems[i]
			for _, f := range v.fields {
				m[f.col.Name] = s(*f.col.Item(r, i))
			}
			out = append(out, m)
		}
		if out == nil {
			out = []any{} // an empty list, not NULL
		}
		v.list = out
		return out
	case schema.Map:
		kvs := c.KVs(r)
		if kvs == nil {
			return nil
		}
		om := duckdb.OrderedMap{}
		for _, kv := range kvs {
			om.Set(kv.K, kv.V)
		}
		return om
	}
	panic(fmt.Sprintf("load: column %s: no appender value for kind %d", c.Name, c.Type.Kind))
}
