package partfile

import (
	"errors"
	"fmt"
	"hash/fnv"
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
// levels, whether its values are dictionary-encoded (low-cardinality columns), whether they are random
// identifiers (whose pages are compressed as literals only, see literals.go), and its pages' codec.
type leaf struct {
	path           string
	kind           leafKind
	maxDef, maxRep uint8
	dict           bool
	random         bool
	codec          format.CompressionCodec // of its pages: see codecOf
}

// rootName is the name of the schema's root (the Go type parquet-go named it after when it wrote part files).
const rootName = "pqRow"

// The file's layout, derived from schema.Events once: the leaf columns in the file's order, the first leaf of
// the partition and the internal columns (which the writer fills from the object), and the footer's schema.
var (
	leaves       []leaf
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
		l.field(c, nil, 0, 0)
	}
	partitionCol = len(l.leaves)
	l.fromObject(schema.Partition, partitionKinds[:])
	internalCol = len(l.leaves)
	l.fromObject(schema.Internal, internalKinds[:])
	root := format.SchemaElement{Name: rootName, NumChildren: thrift.New(int32(len(schema.Events())))}
	leaves, elements = l.leaves, append([]format.SchemaElement{root}, l.elems...)
	if len(leaves) != numLeaves || fingerprint(leaves) != layoutFingerprint {
		// Not a panic: the test that writes shred_gen.go again must run.
		errStaleShredder = errors.New("partfile: shred_gen.go was written for other columns than internal/schema declares: go test ./internal/partfile -run TestShredderIsGenerated -update")
	}
}

// errStaleShredder is the error of Create when the generated shredder does not match the layout.
var errStaleShredder error

// fingerprint returns the FNV-1a hash of the leaves' paths, kinds and levels: what the generated shredder
// depends on.
func fingerprint(ls []leaf) uint64 {
	h := fnv.New64a()
	for _, l := range ls {
		fmt.Fprintf(h, "%s %d %d %d\n", l.path, l.kind, l.maxDef, l.maxRep)
	}
	return h.Sum64()
}

// layout accumulates the leaves and the schema elements of the columns as they are walked.
type layout struct {
	leaves []leaf
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

// field lays out the column or struct field c in the groups path, whose maximum definition and repetition
// levels are def and rep.
func (l *layout) field(c schema.Column, path []string, def, rep uint8) {
	switch c.Type.Kind {
	case schema.String:
		if c.NotNull {
			panic("partfile: column " + dotted(path, c.Name) + ": a String of Athena's columns may be NULL")
		}
		l.leaf(c.Name, c, path, def+1, rep)
	case schema.Struct:
		l.group(c.Name, format.Optional, len(c.Type.Fields), nil)
		for _, f := range c.Type.Fields {
			l.field(f, append(path, c.Name), def+1, rep)
		}
	case schema.List:
		l.list(c, path, def, rep)
	case schema.Map:
		l.kvMap(c, path, def, rep)
	default:
		panic("partfile: column " + dotted(path, c.Name) + ": no part-file form for its type")
	}
}

// list lays out a LIST of structs of Strings.
func (l *layout) list(c schema.Column, path []string, def, rep uint8) {
	e := c.Type.Elem
	if e.Kind != schema.Struct {
		panic("partfile: column " + dotted(path, c.Name) + ": a list's elements must be structs")
	}
	l.group(c.Name, format.Optional, 1, &format.ListType{})
	l.group("list", format.Repeated, 1, nil)
	l.group("element", format.Required, len(e.Fields), nil)
	inner := append(path, c.Name, "list", "element")
	for _, f := range e.Fields {
		if f.Type.Kind != schema.String {
			panic("partfile: column " + dotted(path, c.Name) + ": a list's elements must be structs of Strings")
		}
		l.leaf(f.Name, f, inner, def+3, rep+1)
	}
}

// kvMap lays out a MAP of Strings to Strings.
func (l *layout) kvMap(c schema.Column, path []string, def, rep uint8) {
	if c.Type.Key.Kind != schema.String || c.Type.Value.Kind != schema.String {
		panic("partfile: column " + dotted(path, c.Name) + ": a map must be of Strings to Strings")
	}
	l.group(c.Name, format.Optional, 1, &format.MapType{})
	l.group("key_value", format.Repeated, 2, nil)
	inner := append(path, c.Name, "key_value")
	required := schema.Column{Type: schema.TypeString, NotNull: true}
	for _, name := range []string{"key", "value"} {
		required.Name = name
		l.leaf(name, required, inner, def+2, rep+1)
	}
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
		dict: c.Dict, random: c.Random, codec: codecOf(c)})
	l.elems = append(l.elems, leafElement(name, kind, r))
}

// codecOf returns the codec of the column c's pages: zstd for the JSON documents (which it shrinks about 10×)
// and the random identifiers (zstd frames of literals), Snappy for the rest, which most queries read: DuckDB
// decompresses Snappy about twice as fast, and on these narrow or dictionary-encoded columns zstd saves little.
func codecOf(c schema.Column) format.CompressionCodec {
	if c.Document || c.Random {
		return format.Zstd
	}
	return format.Snappy
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
