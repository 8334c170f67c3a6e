package hiveddl

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trailq/trailq/internal/schema"
)

// Type writes a column's type as Hive DDL writes it (STRING, STRUCT<a:STRING,…>, ARRAY<…>, MAP<…,…>).
func Type(t *schema.Type) string {
	switch t.Kind {
	case schema.String:
		return "STRING"
	case schema.Int64:
		return "BIGINT"
	case schema.Struct:
		fields := make([]string, len(t.Fields))
		for i, f := range t.Fields {
			fields[i] = f.Name + ":" + Type(f.Type)
		}
		return "STRUCT<" + strings.Join(fields, ",") + ">"
	case schema.List:
		return "ARRAY<" + Type(t.Elem) + ">"
	case schema.Map:
		return "MAP<" + Type(t.Key) + "," + Type(t.Value) + ">"
	}
	// Uint64, of the internal _hash only: Hive has no unsigned integers, and no table here has internal columns.
	panic(fmt.Sprintf("hiveddl: no Hive type for kind %d", t.Kind))
}

// columns writes the column list of Athena's CloudTrail table, one "  `name` TYPE" a line.
func columns(b *strings.Builder) {
	for i, c := range schema.Athena {
		b.WriteString("  `" + c.Name + "` " + Type(c.Type))
		if i < len(schema.Athena)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
}

// quote writes s as a Hive string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Ident quotes a table or database name with backticks.
func Ident(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }

// tableName is `db`.`table`, or `table` without a database.
func tableName(database, table string) string {
	if database == "" {
		return Ident(table)
	}
	return Ident(database) + "." + Ident(table)
}

// property is one TBLPROPERTIES entry.
type property struct{ key, value string }

// properties writes TBLPROPERTIES ( … ) and the statement's end.
func properties(b *strings.Builder, props []property) {
	b.WriteString("TBLPROPERTIES (\n")
	for i, p := range props {
		b.WriteString("  " + quote(p.key) + "=" + quote(p.value))
		if i < len(props)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString(");\n")
}

// enum is the projection of a partition column onto a list of values.
func enum(col string, values []string) []property {
	return []property{
		{"projection." + col + ".type", "enum"},
		{"projection." + col + ".values", strings.Join(values, ",")},
	}
}

// dir ends a location with a slash.
func dir(location string) string {
	if !strings.HasSuffix(location, "/") {
		location += "/"
	}
	return location
}

// sorted returns the distinct values of vs, sorted.
func sorted(vs []string) []string {
	out := slices.Clone(vs)
	slices.Sort(out)
	return slices.Compact(out)
}

// Day is a UTC date written as yyyy/MM/dd, the form of CloudTrail's day folders and of a date projection's range.
func Day(t time.Time) string { return t.UTC().Format("2006/01/02") }
