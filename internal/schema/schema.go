package schema

import "github.com/trailq/trailq/internal/cloudtrail"

// Kind is what a Type is.
type Kind uint8

// The kinds of type. The writers of the store support the shapes the table has: strings at any depth, 64-bit
// integers at the top level, lists of structs of strings, and maps of strings to strings.
const (
	String Kind = iota // text: DuckDB VARCHAR, Hive STRING, Parquet BYTE_ARRAY annotated String
	Int64              // DuckDB BIGINT, Hive BIGINT, Parquet INT64 annotated Int(64, signed)
	Uint64             // DuckDB UBIGINT, Parquet INT64 annotated Int(64, unsigned)
	Struct             // named fields
	List               // elements of one type
	Map                // keys and values of one type each
)

// Type is the type of a column or of a struct's field.
type Type struct {
	Kind       Kind
	Fields     []Column // of a Struct, in order
	Elem       *Type    // of a List
	Key, Value *Type    // of a Map
}

// The scalar types.
var (
	TypeString = &Type{Kind: String}
	TypeInt64  = &Type{Kind: Int64}
	TypeUint64 = &Type{Kind: Uint64}
)

// Column is a column of the table or a field of a struct: its name (lower case, as Athena names it), its type,
// how a part file stores it, and how a record supplies its value.
//
// The accessors are set by the column's type and place: Str for a String, Has for a Struct, Len for a List and
// Item for each String field of the List's elements, KVs for a Map. Each is called only when the structs around
// the column are present (their Has said so), Item only for i below what Len said. The partition and internal
// columns have none: their values come from where the record was read. An accessor reaches the field of the
// record whose Go name is the column's name in lower case (the tests hold every accessor to it): the part
// files' shredder, generated from these declarations, reaches the fields by that name.
type Column struct {
	Name string
	Type *Type

	// How a part file stores a String or an integer: dictionary-encoded (Dict: a column of few distinct values),
	// its pages compressed as literals only (Random: random identifiers, which no compressor shrinks), with zstd
	// (Document: JSON text, which zstd shrinks about 10×; every other column's pages are Snappy, which DuckDB
	// reads about twice as fast), as a required field (NotNull: the value is never NULL). The DDL says none of
	// these.
	Dict, Random, Document, NotNull bool

	Str  func(*cloudtrail.Record) *cloudtrail.String      // a String: the record's value; not Valid is NULL
	Has  func(*cloudtrail.Record) bool                    // a Struct: false is NULL
	Len  func(*cloudtrail.Record) int                     // a List: how many elements, -1 for NULL
	Item func(*cloudtrail.Record, int) *cloudtrail.String // a String field of a List's element i
	KVs  func(*cloudtrail.Record) []cloudtrail.KV         // a Map: its entries in the log's order, nil for NULL
}

// Names returns the names of the columns, in order.
func Names(cols []Column) []string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return names
}

// Events returns the columns of the events table in order: Athena's, the partition columns, the internal ones.
func Events() []Column {
	return append(append(append([]Column(nil), Athena...), Partition...), Internal...)
}
