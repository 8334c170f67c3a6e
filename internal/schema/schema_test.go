package schema

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/trailq/trailq/internal/cloudtrail"
)

// Every Athena column and field names a field of cloudtrail.Record (its Go name in lower case), and its accessor
// reaches exactly that field: the String's address, the struct's presence, the list's length and elements, the
// map's entries. Every field of the record (but the content hash, the _hash column) is declared.
func TestAccessorsReachTheirFields(t *testing.T) {
	r := &cloudtrail.Record{}
	checkFields(t, r, "", reflect.ValueOf(r).Elem(), Athena, nil)
}

// checkFields compares the struct v (reached from r through present) with the columns cols.
func checkFields(t *testing.T, r *cloudtrail.Record, path string, v reflect.Value, cols []Column, item func(*cloudtrail.Record, int) reflect.Value) {
	t.Helper()
	byName := map[string]reflect.Value{}
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if path == "" && f.Name == "Hash" {
			continue
		}
		byName[strings.ToLower(f.Name)] = v.Field(i)
	}
	for _, c := range cols {
		p := strings.TrimPrefix(path+"."+c.Name, ".")
		f, ok := byName[c.Name]
		if !ok {
			t.Errorf("%s: no field of %s has this name", p, v.Type())
			continue
		}
		delete(byName, c.Name)
		if item != nil {
			checkItem(t, r, p, c, item)
			continue
		}
		switch c.Type.Kind {
		case String:
			if c.Str == nil || c.Has != nil || c.Len != nil || c.Item != nil || c.KVs != nil {
				t.Errorf("%s: a String needs Str and nothing else", p)
				continue
			}
			if got, want := c.Str(r), f.Addr().Interface(); any(got) != want {
				t.Errorf("%s: Str gives %p, want the field at %p", p, got, want)
			}
		case Struct:
			if c.Has == nil || c.Str != nil || c.Len != nil || c.Item != nil || c.KVs != nil {
				t.Errorf("%s: a Struct needs Has and nothing else", p)
				continue
			}
			if c.Has(r) {
				t.Errorf("%s: Has is true for a nil %s", p, f.Type())
			}
			f.Set(reflect.New(f.Type().Elem()))
			if !c.Has(r) {
				t.Errorf("%s: Has is false for a %s", p, f.Type())
			}
			checkFields(t, r, p, f.Elem(), c.Type.Fields, nil)
		case List:
			if c.Len == nil || c.Str != nil || c.Has != nil || c.Item != nil || c.KVs != nil || c.Type.Elem.Kind != Struct {
				t.Errorf("%s: a List of Structs needs Len and nothing else", p)
				continue
			}
			if got := c.Len(r); got != -1 {
				t.Errorf("%s: Len of a nil slice = %d, want -1", p, got)
			}
			f.Set(reflect.MakeSlice(f.Type(), 0, 0))
			if got := c.Len(r); got != 0 {
				t.Errorf("%s: Len of an empty slice = %d, want 0", p, got)
			}
			f.Set(reflect.MakeSlice(f.Type(), 3, 3))
			if got := c.Len(r); got != 3 {
				t.Errorf("%s: Len = %d, want 3", p, got)
			}
			checkFields(t, r, p, reflect.New(f.Type().Elem()).Elem(), c.Type.Elem.Fields,
				func(r *cloudtrail.Record, i int) reflect.Value { return f.Index(i) })
		case Map:
			if c.KVs == nil || c.Str != nil || c.Has != nil || c.Len != nil || c.Item != nil {
				t.Errorf("%s: a Map needs KVs and nothing else", p)
				continue
			}
			if c.KVs(r) != nil {
				t.Errorf("%s: KVs of a nil slice is not nil", p)
			}
			kvs := []cloudtrail.KV{{K: "k", V: "v"}}
			f.Set(reflect.ValueOf(kvs))
			if got := c.KVs(r); len(got) != 1 || &got[0] != &kvs[0] {
				t.Errorf("%s: KVs = %v, not the field's entries", p, got)
			}
		default:
			t.Errorf("%s: a %v in Athena's columns", p, c.Type.Kind)
		}
	}
	for name := range byName {
		t.Errorf("%s: field %s of %s is not declared", path, name, v.Type())
	}
}

// checkItem checks the accessor of a String field of a List's elements.
func checkItem(t *testing.T, r *cloudtrail.Record, p string, c Column, elem func(*cloudtrail.Record, int) reflect.Value) {
	t.Helper()
	if c.Type.Kind != String || c.Item == nil || c.Str != nil || c.Has != nil || c.Len != nil || c.KVs != nil {
		t.Errorf("%s: a field of a List's elements is a String with Item and nothing else", p)
		return
	}
	for i := range 3 {
		f := elem(r, i).FieldByNameFunc(func(n string) bool { return strings.ToLower(n) == c.Name })
		if got, want := c.Item(r, i), f.Addr().Interface(); any(got) != want {
			t.Errorf("%s: Item(%d) gives %p, want the field at %p", p, i, got, want)
		}
	}
}

// Names are lower-case identifiers (DuckDB, Hive and Parquet take them unquoted), unique within the table and
// within each struct; the partition and internal columns have no accessors (their values come from the object).
func TestNames(t *testing.T) {
	ident := regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	var check func(path string, cols []Column)
	check = func(path string, cols []Column) {
		seen := map[string]bool{}
		for _, c := range cols {
			p := strings.TrimPrefix(path+"."+c.Name, ".")
			if !ident.MatchString(c.Name) {
				t.Errorf("%s: not a lower-case identifier", p)
			}
			if seen[c.Name] {
				t.Errorf("%s: declared twice", p)
			}
			seen[c.Name] = true
			switch c.Type.Kind {
			case Struct:
				check(p, c.Type.Fields)
			case List:
				check(p, c.Type.Elem.Fields)
			}
		}
	}
	check("", Events())
	for _, c := range append(slices.Clone(Partition), Internal...) {
		if c.Str != nil || c.Has != nil || c.Len != nil || c.Item != nil || c.KVs != nil {
			t.Errorf("%s: a partition or internal column has an accessor", c.Name)
		}
	}
}

// The decoder's projection knows Athena's columns by the same names (its order puts readonly before resources,
// as the record's members are).
func TestProjectionNames(t *testing.T) {
	names := Names(Athena)
	got := cloudtrail.NewProjection(names).Columns()
	slices.Sort(got)
	slices.Sort(names)
	if !slices.Equal(got, names) {
		t.Errorf("the decoder's columns:\n%v\nthe declared columns:\n%v", got, names)
	}
}
