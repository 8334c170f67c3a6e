package partfile

import (
	"cmp"
	"slices"
	"time"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/schema"
)

// shred adds the record r of object o to the columns: a value or a NULL (with its definition level) to every
// leaf column, and as many entries as the resources list and the attributes map have to theirs. Athena's
// columns are shredded by shredAthena, which TestShredderIsGenerated writes from internal/schema.
func (p *Writer) shred(r *cloudtrail.Record, o *Origin) {
	p.shredAthena(r)
	p.partition(r, o)
	c := &p.b.cols
	c[internalCol+schema.FileID].int(o.ID)
	c[internalCol+schema.Hash].int(int64(r.Hash))
}

// nulls adds a NULL defined down to level d to the columns first to last.
func (p *Writer) nulls(first, last int, d uint8) {
	for i := first; i <= last; i++ {
		p.b.cols[i].null(d)
	}
}

// kvMap adds a MAP, whose key is the leaf col and value the leaf after it, and whose NULL is defined down to
// def: NULL when kvs is nil, else its entries sorted by key, the last of equal keys kept (as a Go map of them has
// it).
func (p *Writer) kvMap(kvs []cloudtrail.KV, col int, def uint8) {
	key, val := &p.b.cols[col], &p.b.cols[col+1]
	// The map's definition level: def+1 is present, def+2 an entry (key and value are required).
	switch {
	case kvs == nil:
		key.nullAt(def, 0)
		val.nullAt(def, 0)
		return
	case len(kvs) == 0:
		key.nullAt(def+1, 0)
		val.nullAt(def+1, 0)
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

// emptyList adds an empty LIST to its leaves first to last, whose NULL is defined down to def (the list is
// present: def+1).
func (p *Writer) emptyList(first, last int, def uint8) {
	for i := first; i <= last; i++ {
		p.b.cols[i].nullAt(def+1, 0)
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
	c := &p.b.cols
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
