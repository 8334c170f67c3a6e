package cloudtrail

import (
	"strings"
	"testing"
)

// TestFieldTables checks that a key is found whether or not it is spelled as CloudTrail spells it, that a key
// that only looks like a known one is not, and that an escaped key is never matched (as before the tables: keys
// were folded as written, escapes and all).
func TestFieldTables(t *testing.T) {
	tables := []*fieldTable{recordFields, userIdentityFields, onBehalfOfFields, sessionContextFields,
		sessionAttributesFields, sessionIssuerFields, webIDFederationDataFields, resourceMembers, addendumFields,
		tlsDetailsFields}
	lookup := func(tb *fieldTable, key string) (id int, fast bool) {
		doc := `{"` + key + `":1,"padding":2}`
		r := &recordReader{scanner: scanner{b: []byte(doc)}}
		o := r.openObject(0)
		f, _ := r.spelled(o.i, tb)
		id, _, v := r.member(&o, tb)
		if o.done || doc[v] != '1' {
			t.Fatalf("member(%s) did not read the key and colon", doc)
		}
		return id, f != nil
	}
	known := map[string]bool{}
	for _, tb := range tables {
		for _, f := range tb.fields {
			known[strings.ToLower(f.name)] = true
		}
	}
	for _, tb := range tables {
		for _, f := range tb.fields {
			if id, fast := lookup(tb, f.name); id != f.id || !fast {
				t.Errorf("%s: id %d (found by its spelling: %v), want %d found by its spelling", f.name, id, fast, f.id)
			}
			for _, k := range []string{strings.ToUpper(f.name), strings.ToLower(f.name), strings.ToUpper(f.name[:1]) + f.name[1:]} {
				if id, _ := lookup(tb, k); id != f.id {
					t.Errorf("%s: id %d, want %d", k, id, f.id)
				}
			}
			for _, k := range []string{f.name + "x", f.name[:len(f.name)-1], "x" + f.name, `\u00` + hex2(f.name[0]) + f.name[1:]} {
				if known[strings.ToLower(k)] {
					continue
				}
				if id, _ := lookup(tb, k); id != 0 {
					t.Errorf("%s: id %d, want 0 (unknown)", k, id)
				}
			}
		}
	}
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}
