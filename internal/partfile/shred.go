package partfile

import (
	"cmp"
	"slices"
	"time"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/schema"
)

// group shreds a struct of Athena's columns, or the record itself (program), by the accessors of the
// columns' declarations (schema.Column): its String fields, its structs (a NULL of every leaf of one that is
// absent), its lists and maps. Leaf columns are independent, so a group fills them in any order; a loop over the
// Strings with no switch keeps the cost of a leaf near the hand-written shredder's.
type group struct {
	has         func(*cloudtrail.Record) bool // nil for the record
	first, last int                           // its leaves
	def         uint8                         // the definition level of its NULL
	strs        []stringField
	groups      []group
	lists       []listField
	maps        []mapField
}

// stringField is a String leaf outside a list.
type stringField struct {
	col int
	get func(*cloudtrail.Record) *cloudtrail.String
}

// listField is a LIST of structs of Strings: its leaves first to last, one for each of items.
type listField struct {
	first, last int
	def         uint8 // the definition level of its NULL
	len         func(*cloudtrail.Record) int
	items       []func(*cloudtrail.Record, int) *cloudtrail.String
}

// mapField is a MAP of Strings to Strings: its key leaf, and its value leaf after it.
type mapField struct {
	col int
	def uint8 // the definition level of its NULL
	kvs func(*cloudtrail.Record) []cloudtrail.KV
}

// shred adds the record r of object o to the columns: a value or a NULL (with its definition level) to every
// leaf column, and as many entries as the resources list and the attributes map have to theirs.
func (p *Writer) shred(r *cloudtrail.Record, o *Origin) {
	p.fill(&program, r)
	p.partition(r, o)
	c := p.b.cols
	c[internalCol+schema.FileID].int(o.ID)
	c[internalCol+schema.Hash].int(int64(r.Hash))
}

// fill adds the leaves of the group g, which r has.
func (p *Writer) fill(g *group, r *cloudtrail.Record) {
	c := p.b.cols
	for _, f := range g.strs {
		c[f.col].str(f.get(r))
	}
	for i := range g.groups {
		s := &g.groups[i]
		if !s.has(r) {
			p.nulls(s.first, s.last, s.def)
			continue
		}
		p.fill(s, r)
	}
	for i := range g.lists {
		p.list(r, &g.lists[i])
	}
	for i := range g.maps {
		p.kvMap(g.maps[i].kvs(r), &g.maps[i])
	}
}

// nulls adds a NULL defined down to level d to the columns first to last.
func (p *Writer) nulls(first, last int, d uint8) {
	for i := first; i <= last; i++ {
		p.b.cols[i].null(d)
	}
}

// kvMap adds a MAP: NULL when nil, else its entries sorted by key, the last of equal keys kept (as a Go map of
// them has it).
func (p *Writer) kvMap(kvs []cloudtrail.KV, m *mapField) {
	key, val := &p.b.cols[m.col], &p.b.cols[m.col+1]
	// The map's definition level: m.def+1 is present, m.def+2 an entry (key and value are required).
	switch {
	case kvs == nil:
		key.nullAt(m.def, 0)
		val.nullAt(m.def, 0)
		return
	case len(kvs) == 0:
		key.nullAt(m.def+1, 0)
		val.nullAt(m.def+1, 0)
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
func (p *Writer) list(r *cloudtrail.Record, l *listField) {
	c := p.b.cols
	// The list's definition level: l.def+1 is present, l.def+2 an element (which is required), l.def+3 its
	// field.
	n := l.len(r)
	switch {
	case n < 0:
		p.nulls(l.first, l.last, l.def)
		return
	case n == 0:
		for i := l.first; i <= l.last; i++ {
			c[i].nullAt(l.def+1, 0)
		}
		return
	}
	var rep uint8
	for e := range n {
		for j, item := range l.items {
			c[l.first+j].strAt(item(r, e), rep)
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
