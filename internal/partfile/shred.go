package partfile

import (
	"cmp"
	"slices"
	"time"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/schema"
)

// opKind is what an op of the shredding program does.
type opKind uint8

const (
	opString opKind = iota // a String leaf: its value, or a NULL
	opStruct               // a struct: present, or a NULL of all its leaves and a jump past its fields' ops
	opList                 // a LIST of structs of Strings: every leaf of its elements
	opMap                  // a MAP of Strings to Strings: its key and value leaves
)

// op shreds one column, struct field or group of Athena's columns, by the accessors of its declaration
// (schema.Column): program has one op for each String outside a list, each struct, the list and the map, in the
// leaves' order.
type op struct {
	kind      opKind
	def       uint8 // the definition level of a NULL of the struct, list or map
	col, last int   // the first and last leaf it shreds
	next      int   // opStruct: the op after its fields'
	str       func(*cloudtrail.Record) *cloudtrail.String
	has       func(*cloudtrail.Record) bool
	len       func(*cloudtrail.Record) int
	items     []func(*cloudtrail.Record, int) *cloudtrail.String
	kvs       func(*cloudtrail.Record) []cloudtrail.KV
}

// shred adds the record r of object o to the columns: a value or a NULL (with its definition level) to every
// leaf column, and as many entries as the resources list and the attributes map have to theirs.
func (p *Writer) shred(r *cloudtrail.Record, o *Origin) {
	c := p.b.cols
	for i := 0; i < len(program); i++ {
		switch op := &program[i]; op.kind {
		case opString:
			c[op.col].str(op.str(r))
		case opStruct:
			if !op.has(r) {
				p.nulls(op.col, op.last, op.def)
				i = op.next - 1
			}
		case opList:
			p.list(r, op)
		case opMap:
			p.kvMap(op.kvs(r), op)
		}
	}
	p.partition(r, o)
	c[internalCol+schema.FileID].int(o.ID)
	c[internalCol+schema.Hash].int(int64(r.Hash))
}

// nulls adds a NULL defined down to level d to the columns first to last.
func (p *Writer) nulls(first, last int, d uint8) {
	for i := first; i <= last; i++ {
		p.b.cols[i].null(d)
	}
}

// kvMap adds a MAP: NULL when nil, else its entries sorted by key, the last of equal keys kept (as a Go map of
// them has it).
func (p *Writer) kvMap(kvs []cloudtrail.KV, op *op) {
	key, val := &p.b.cols[op.col], &p.b.cols[op.col+1]
	// The map's definition level: op.def+1 is present, op.def+2 an entry (key and value are required).
	switch {
	case kvs == nil:
		key.nullAt(op.def, 0)
		val.nullAt(op.def, 0)
		return
	case len(kvs) == 0:
		key.nullAt(op.def+1, 0)
		val.nullAt(op.def+1, 0)
		return
	}
	s := append(p.kvs[:0], kvs...)
	slices.SortStableFunc(s, func(a, b cloudtrail.KV) int { return cmp.Compare(a.K, b.K) })
	var rep uint8
	for i := range s {
		if i+1 < len(s) && s[i+1].K == s[i].K {
			continue
		}
		key.valAt(s[i].K, rep)
		val.valAt(s[i].V, rep)
		rep = 1
	}
	clear(s)
	p.kvs = s[:0]
}

// list adds a LIST of structs: NULL when Len is -1, an empty list when 0.
func (p *Writer) list(r *cloudtrail.Record, op *op) {
	c := p.b.cols
	// The list's definition level: op.def+1 is present, op.def+2 an element (which is required), op.def+3 its
	// field.
	n := op.len(r)
	switch {
	case n < 0:
		p.nulls(op.col, op.last, op.def)
		return
	case n == 0:
		for i := op.col; i <= op.last; i++ {
			c[i].nullAt(op.def+1, 0)
		}
		return
	}
	var rep uint8
	for e := range n {
		for j, item := range op.items {
			c[op.col+j].strAt(item(r, e), rep)
		}
		rep = 1
	}
}

// partition adds the partition columns and the path: from the object's key, or, for a file not named as
// CloudTrail names them, the region and date from the record itself.
func (p *Writer) partition(r *cloudtrail.Record, o *Origin) {
	region, year, month, day, account := o.region, o.year, o.month, o.day, o.account
	if !o.fromKey {
		region, year, month, day = nil, nil, nil, nil
		if r.AWSRegion.Valid && r.AWSRegion.S != "" {
			region = &r.AWSRegion.S
		}
		if t, ok := r.Time(); ok {
			year, month, day = p.dates.of(t)
		}
	}
	if account == nil && r.RecipientAccountID.S != "" {
		account = &r.RecipientAccountID.S
	}
	c := p.b.cols
	c[partitionCol+schema.Region].ptr(region)
	c[partitionCol+schema.Year].ptr(year)
	c[partitionCol+schema.Month].ptr(month)
	c[partitionCol+schema.Day].ptr(day)
	c[internalCol+schema.Account].ptr(account)
	c[internalCol+schema.Path].ptr(o.path)
}

// dateCache keeps the partition values of the last date taken from a record's time.
type dateCache struct {
	y                int
	m                time.Month
	d                int
	year, month, day string
}

// of returns the year, month and day partition values of t.
func (c *dateCache) of(t time.Time) (year, month, day *string) {
	y, m, d := t.Date()
	if c.year == "" || y != c.y || m != c.m || d != c.d {
		c.y, c.m, c.d = y, m, d
		c.year, c.month, c.day = t.Format("2006"), t.Format("01"), t.Format("02")
	}
	return &c.year, &c.month, &c.day
}
