package partfile

import (
	"fmt"
	"strings"

	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/trailq/trailq/internal/schema"
)

// A part file has the columns of the store's events table (schema.Events), in order: a String is an optional
// BYTE_ARRAY annotated String, a NotNull integer a required INT64, a struct an optional group, the list a LIST
// (an optional group of a repeated group "list" of a required group "element") and the map a MAP (an optional
// group of a repeated group "key_value" of a required "key" and "value"). DuckDB reads them as the events table's
// types: VARCHAR, BIGINT and UBIGINT, STRUCTs, a LIST of STRUCTs and a MAP.

// leafKind is the physical and logical type of a leaf column.
type leafKind uint8

const (
	kindString leafKind = iota // BYTE_ARRAY, String
	kindInt64                  // INT64, signed 64-bit Integer
	kindUint64                 // INT64, unsigned 64-bit Integer
)

// leaf describes one leaf column: its dotted path in the schema, its type, its maximum definition and repetition
// levels, whether its values are dictionary-encoded (low-cardinality columns), and whether they are random
// identifiers (whose pages are compressed as literals only, see literals.go).
type leaf struct {
	path           string
	kind           leafKind
	maxDef, maxRep uint8
	dict           bool
	random         bool
}

// rootName is the name of the schema's root (the Go type parquet-go named it after when it wrote part files).
const rootName = "pqRow"

// The file's layout, derived from schema.Events once: the leaf columns in the file's order, the shredding
// program of Athena's columns (the record's group, see shred.go), the first leaf of the partition and the
// internal columns (which the writer fills from the object), and the footer's schema.
var (
	leaves       []leaf
	program      group
	partitionCol int
	internalCol  int
	elements     []format.SchemaElement
)

// The kinds of the values the writer gives the partition and internal columns (partition and shred).
var (
	partitionKinds = [...]leafKind{schema.Region: kindString, schema.Year: kindString, schema.Month: kindString,
		schema.Day: kindString}
	internalKinds = [...]leafKind{schema.Account: kindString, schema.Path: kindString, schema.FileID: kindInt64,
		schema.Hash: kindUint64}
)

func init() {
	var l layout
	for _, c := range schema.Athena {
		l.field(c, &l.record, nil, 0, 0)
	}
	l.record.last = len(l.leaves) - 1
	partitionCol = len(l.leaves)
	l.fromObject(schema.Partition, partitionKinds[:])
	internalCol = len(l.leaves)
	l.fromObject(schema.Internal, internalKinds[:])
	root := format.SchemaElement{Name: rootName, NumChildren: thrift.New(int32(len(schema.Events())))}
	leaves, program, elements = l.leaves, l.record, append([]format.SchemaElement{root}, l.elems...)
}

// layout accumulates the leaves, the program and the schema elements of the columns as they are walked.
type layout struct {
	leaves []leaf
	record group
	elems  []format.SchemaElement
}

// fromObject lays out the partition or internal columns cols, whose values the writer takes from the object:
// top-level, of the kinds it gives them, Strings that may be NULL and integers that may not.
func (l *layout) fromObject(cols []schema.Column, kinds []leafKind) {
	if len(cols) != len(kinds) {
		panic(fmt.Sprintf("partfile: the writer gives %d of the columns %v", len(kinds), schema.Names(cols)))
	}
	for i, c := range cols {
		kind, ok := leafKinds[c.Type.Kind]
		if !ok || kind != kinds[i] || (kind == kindString) == c.NotNull {
			panic(fmt.Sprintf("partfile: column %s: the writer gives it values of another kind", c.Name))
		}
		var def uint8
		if !c.NotNull {
			def = 1
		}
		l.leaf(c.Name, c, nil, def, 0)
	}
}

var leafKinds = map[schema.Kind]leafKind{schema.String: kindString, schema.Int64: kindInt64, schema.Uint64: kindUint64}

// field lays out the column or struct field c of the group g, in the groups path, whose maximum definition
// and repetition levels are def and rep, and adds what shreds it to g. A NULL of c is defined down to def.
func (l *layout) field(c schema.Column, g *group, path []string, def, rep uint8) {
	first := len(l.leaves)
	switch c.Type.Kind {
	case schema.String:
		if c.Str == nil || c.NotNull {
			panic("partfile: column " + dotted(path, c.Name) + ": a String needs Str and may be NULL")
		}
		g.strs = append(g.strs, stringField{col: first, get: c.Str})
		l.leaf(c.Name, c, path, def+1, rep)
	case schema.Struct:
		if c.Has == nil {
			panic("partfile: column " + dotted(path, c.Name) + ": a struct needs Has")
		}
		s := group{has: c.Has, first: first, def: def}
		l.group(c.Name, format.Optional, len(c.Type.Fields), nil)
		for _, f := range c.Type.Fields {
			l.field(f, &s, append(path, c.Name), def+1, rep)
		}
		s.last = len(l.leaves) - 1
		g.groups = append(g.groups, s)
	case schema.List:
		g.lists = append(g.lists, l.list(c, path, def, rep))
	case schema.Map:
		g.maps = append(g.maps, l.kvMap(c, path, def, rep))
	default:
		panic("partfile: column " + dotted(path, c.Name) + ": no part-file form for its type")
	}
}

// list lays out a LIST of structs of Strings.
func (l *layout) list(c schema.Column, path []string, def, rep uint8) listField {
	e := c.Type.Elem
	if e.Kind != schema.Struct || c.Len == nil {
		panic("partfile: column " + dotted(path, c.Name) + ": a list needs Len, and structs for elements")
	}
	o := listField{first: len(l.leaves), def: def, len: c.Len}
	l.group(c.Name, format.Optional, 1, &format.ListType{})
	l.group("list", format.Repeated, 1, nil)
	l.group("element", format.Required, len(e.Fields), nil)
	inner := append(path, c.Name, "list", "element")
	for _, f := range e.Fields {
		if f.Type.Kind != schema.String || f.Item == nil {
			panic("partfile: column " + dotted(path, c.Name) + ": a list's elements must be structs of Strings with Item")
		}
		o.items = append(o.items, f.Item)
		l.leaf(f.Name, f, inner, def+3, rep+1)
	}
	o.last = len(l.leaves) - 1
	return o
}

// kvMap lays out a MAP of Strings to Strings.
func (l *layout) kvMap(c schema.Column, path []string, def, rep uint8) mapField {
	if c.Type.Key.Kind != schema.String || c.Type.Value.Kind != schema.String || c.KVs == nil {
		panic("partfile: column " + dotted(path, c.Name) + ": a map needs KVs, and Strings for keys and values")
	}
	m := mapField{col: len(l.leaves), def: def, kvs: c.KVs}
	l.group(c.Name, format.Optional, 1, &format.MapType{})
	l.group("key_value", format.Repeated, 2, nil)
	inner := append(path, c.Name, "key_value")
	required := schema.Column{Type: schema.TypeString, NotNull: true}
	for _, name := range []string{"key", "value"} {
		required.Name = name
		l.leaf(name, required, inner, def+2, rep+1)
	}
	return m
}

// group adds the schema element of a group of n fields; a LIST or MAP group has its logical type.
func (l *layout) group(name string, r format.FieldRepetitionType, n int, logical format.LogicalTypeValue) {
	g := format.SchemaElement{Name: name, RepetitionType: thrift.New(r), NumChildren: thrift.New(int32(n))}
	switch t := logical.(type) {
	case *format.ListType:
		g.LogicalType.Value, g.ConvertedType = t, thrift.New(deprecated.List)
	case *format.MapType:
		g.LogicalType.Value, g.ConvertedType = t, thrift.New(deprecated.Map)
	}
	l.elems = append(l.elems, g)
}

// leaf adds the leaf column c, named name in the groups path, with its maximum levels: optional, or required
// when NotNull.
func (l *layout) leaf(name string, c schema.Column, path []string, maxDef, maxRep uint8) {
	kind := leafKinds[c.Type.Kind]
	r := format.Optional
	if c.NotNull {
		r = format.Required
	}
	l.leaves = append(l.leaves, leaf{path: dotted(path, name), kind: kind, maxDef: maxDef, maxRep: maxRep,
		dict: c.Dict, random: c.Random})
	l.elems = append(l.elems, leafElement(name, kind, r))
}

// dotted returns the path of name in the groups path.
func dotted(path []string, name string) string {
	return strings.Join(append(path[:len(path):len(path)], name), ".")
}

// schemaElements returns the file's schema as the footer lists it: depth first, each group followed by its fields.
func schemaElements() []format.SchemaElement { return elements }

// leafElement returns the schema element of a leaf column.
func leafElement(name string, kind leafKind, rep format.FieldRepetitionType) format.SchemaElement {
	e := format.SchemaElement{Name: name, RepetitionType: thrift.New(rep)}
	switch kind {
	case kindString:
		e.Type = thrift.New(format.ByteArray)
		e.ConvertedType = thrift.New(deprecated.UTF8)
		e.LogicalType.Value = &format.StringType{}
	case kindInt64, kindUint64:
		signed := kind == kindInt64
		e.Type = thrift.New(format.Int64)
		e.TypeLength = thrift.New(int32(64))
		e.ConvertedType = thrift.New(deprecated.Uint64)
		if signed {
			e.ConvertedType = thrift.New(deprecated.Int64)
		}
		e.LogicalType.Value = &format.IntType{BitWidth: 64, IsSigned: signed}
	}
	return e
}
