package cloudtrail

import (
	"encoding/binary"
	"math/bits"

	"github.com/zeebo/xxh3"
)

// A record's keys come from a small vocabulary, almost always spelled the same way. A fieldTable finds a key
// spelled as CloudTrail spells it from its first eight bytes, without scanning it as a string, folding it or
// hashing it; any other key (another case, escapes, unknown) is scanned and matched case-insensitively, as
// Athena's JSON SerDe matches keys.

// fieldTable knows the members of one kind of object.
type fieldTable struct {
	slots  [256]uint8 // by hash of the first eight bytes: 1 + index in fields of the first of a chain, or 0
	fields []tableField
	byName map[string]int // lower-case name -> id
}

type tableField struct {
	name string // as CloudTrail spells it
	id   int
	word uint64 // the first eight bytes of name (all of a shorter one, zero-padded), little-endian
	hash uint64 // of name as a key
	next uint8  // 1 + index in fields of the next field of the same slot, or 0
}

// fieldName is a member name and the id a walker switches on; 0 is for members it skips (known only so that
// they are found quickly).
type fieldName struct {
	name string
	id   int
}

const slotMagic = 0x9E3779B97F4A7C15

func newFieldTable(names ...fieldName) *fieldTable {
	t := &fieldTable{byName: map[string]int{}}
	if len(names) > 255 {
		panic("cloudtrail: too many fields for a fieldTable")
	}
	for _, n := range names {
		var w [8]byte
		copy(w[:], n.name)
		f := tableField{name: n.name, id: n.id, word: binary.LittleEndian.Uint64(w[:]), hash: xxh3.HashString(n.name)}
		slot := f.word * slotMagic >> 56
		f.next = t.slots[slot]
		t.fields = append(t.fields, f)
		t.slots[slot] = uint8(len(t.fields))
		lower := string(lowerKey(nil, []byte(n.name)))
		if id, dup := t.byName[lower]; dup && id != n.id {
			panic("cloudtrail: " + n.name + " has two ids")
		}
		if n.id != 0 {
			t.byName[lower] = n.id
		}
	}
	return t
}

// name returns the name of the field of id, as CloudTrail spells it.
func (t *fieldTable) name(id int) string {
	for _, f := range t.fields {
		if f.id == id {
			return f.name
		}
	}
	return ""
}

// member reads the key of the next member of o and the colon after it: it returns the id t gives the key (0 for a
// member t does not know), the key's hash and where the value starts. It ends the walk when the JSON is invalid.
func (r *recordReader) member(o *objectWalk, t *fieldTable) (id int, kh uint64, v int) {
	if f, kend := r.spelled(o.i, t); f != nil {
		b := r.b
		i := r.skipWS(kend)
		if i >= len(b) || b[i] != ':' {
			o.fail()
			return 0, 0, i
		}
		return f.id, f.hash, r.skipWS(i + 1)
	}
	key, kh, v := r.key(o)
	if o.done {
		return 0, 0, v
	}
	return t.byName[string(r.fold(key))], kh, v
}

// spelled returns the field of t whose name is the key that starts at b[i] == '"', spelled exactly so, and the
// index after the key; or nil.
func (r *recordReader) spelled(i int, t *fieldTable) (f *tableField, end int) {
	b := r.b
	if i+9 > len(b) || b[i] != '"' {
		return nil, 0
	}
	word, n := binary.LittleEndian.Uint64(b[i+1:]), 8 // n: how many bytes of word are the key's
	if m := stringSpecial(word); m != 0 {
		n = bits.TrailingZeros64(m) >> 3
		if b[i+1+n] != '"' {
			return nil, 0 // an escape or a control character
		}
		word &= 1<<(8*n) - 1
	}
	for k := t.slots[word*slotMagic>>56]; k != 0; k = f.next {
		f = &t.fields[k-1]
		if f.word != word {
			continue
		}
		if n < 8 {
			if len(f.name) == n {
				return f, i + 2 + n
			}
			continue
		}
		// The key is at least eight bytes long: the rest of the name and the closing quote must follow.
		if e := i + 1 + len(f.name); len(f.name) >= 8 && e < len(b) && b[e] == '"' && string(b[i+9:e]) == f.name[8:] {
			return f, e + 1
		}
	}
	return nil, 0
}
