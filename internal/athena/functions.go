package athena

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// rewrite turns the translated arguments of a Trino function call into DuckDB SQL; pos is the call's position.
type rewrite func(c *converter, pos int, args [][]node) []node

// functions are the Trino functions that DuckDB lacks or has with other semantics. Functions not listed are passed
// through unchanged (DuckDB has most of them: lower, substr, coalesce, count, sum, date_trunc, …).
var functions map[string]rewrite

func init() {
	functions = map[string]rewrite{
		// JSON
		"json_extract_scalar":          jsonPathCall("athena_json_extract_scalar"),
		"json_extract":                 jsonPathCall("athena_json_extract"),
		"json_parse":                   rename("athena_json_parse", 1),
		"json_format":                  rename("athena_json_format", 1),
		"json_array_contains":          rename("athena_json_array_contains", 2),
		"json_array_length":            rename("athena_json_array_length", 1),
		"json_array_get":               rename("athena_json_array_get", 2),
		"json_size":                    jsonPathCall("athena_json_size"),
		"is_json_scalar":               rename("athena_is_json_scalar", 1),
		"from_iso8601_date":            rename("athena_from_iso8601_date", 1),
		"from_iso8601_timestamp":       rename("athena_from_iso8601_timestamp", 1),
		"from_iso8601_timestamp_nanos": rename("athena_from_iso8601_timestamp", 1),
		"to_iso8601":                   rename("athena_to_iso8601", 1),
		"date_parse":                   dateParse,
		"date_format":                  dateFormat,
		"parse_datetime":               parseDatetime,
		"format_datetime":              formatDatetime,
		"date_add":                     dateAdd,
		"date_diff":                    rename("athena_date_diff", 3),
		"from_unixtime":                fromUnixtime,
		"to_unixtime":                  rename("epoch", 1),
		"with_timezone":                swap("timezone"),
		"date":                         castTo("DATE"),
		"day_of_week":                  rename("isodow", 1),
		"dow":                          rename("isodow", 1),
		"day_of_year":                  rename("dayofyear", 1),
		"doy":                          rename("dayofyear", 1),
		"week_of_year":                 rename("week", 1),
		"year_of_week":                 rename("isoyear", 1),
		"yow":                          rename("isoyear", 1),
		"last_day_of_month":            rename("last_day", 1),
		// Regular expressions
		"regexp_like":    rename("regexp_matches", 2),
		"regexp_extract": regexpExtract,
		"regexp_replace": regexpReplace,
		"regexp_split":   rename("regexp_split_to_array", 2),
		"regexp_count":   rename("athena_regexp_count", 2),
		// Aggregates
		"approx_distinct":   approxDistinct,
		"approx_percentile": approxPercentile,
		"arbitrary":         rename("any_value", 1),
		// Arrays and maps
		"cardinality":     cardinalityCall,
		"element_at":      elementAt,
		"array_join":      arrayJoin,
		"contains":        containsCall,
		"array_distinct":  rename("athena_array_distinct", 1),
		"array_sort":      rename("list_sort", 1),
		"array_max":       rename("list_max", 1),
		"array_min":       rename("list_min", 1),
		"array_position":  rename("athena_array_position", 2),
		"array_remove":    rename("athena_array_remove", 2),
		"array_intersect": rename("list_intersect", 2),
		"array_union":     rename("athena_array_union", 2),
		"array_except":    rename("athena_array_except", 2),
		"arrays_overlap":  rename("list_has_any", 2),
		"slice":           rename("athena_slice", 3),
		"sequence":        rename("generate_series", -1),
		"transform":       rename("list_transform", 2),
		"filter":          rename("list_filter", 2),
		"any_match":       matchCall("> 0"),
		"all_match":       matchCall("= len"),
		"none_match":      matchCall("= 0"),
		"split":           rename("string_split", 2),
		"split_part":      rename("athena_split_part", 3),
		// URLs
		"url_extract_host":      rename("athena_url_extract_host", 1),
		"url_extract_path":      rename("athena_url_extract_path", 1),
		"url_extract_port":      rename("athena_url_extract_port", 1),
		"url_extract_protocol":  rename("athena_url_extract_protocol", 1),
		"url_extract_query":     rename("athena_url_extract_query", 1),
		"url_extract_fragment":  rename("athena_url_extract_fragment", 1),
		"url_extract_parameter": rename("athena_url_extract_parameter", 2),
		// Strings and other
		"levenshtein_distance": rename("levenshtein", 2),
		"to_utf8":              rename("encode", 1),
		"from_utf8":            rename("decode", 1),
		"codepoint":            rename("unicode", 1),
		"is_subnet_of":         cidrCall,
		// Hashes return bytes in Trino (DuckDB: hex text); to_hex prints bytes as upper-case hex.
		"md5":          hashCall("md5"),
		"sha1":         hashCall("sha1"),
		"sha256":       hashCall("sha256"),
		"to_hex":       rename("hex", 1),
		"from_hex":     rename("unhex", 1),
		"millisecond":  rename("athena_millisecond", 1),
		"day_of_month": rename("dayofmonth", 1),
		"is_nan":       rename("isnan", 1),
		"is_finite":    rename("isfinite", 1),
		"is_infinite":  rename("isinf", 1),
		"truncate":     rename("trunc", 1),
		"rand":         rename("random", 0),
		"current_timezone": func(c *converter, pos int, args [][]node) []node {
			return call(pos, "current_setting", gen(pos, "'TimeZone'"))
		},
		"split_to_map":     rename("athena_split_to_map", 3),
		"if":               ifCall,
		"concat":           concatCall,
		"strpos":           strposCall,
		"replace":          replaceCall,
		"hamming_distance": rename("hamming", 2),
		"at_timezone":      swap("timezone"),
		"greatest":         nullIfAnyNull("greatest"),
		"least":            nullIfAnyNull("least"),
	}
}

// unsupported are Trino functions trailq does not translate and DuckDB lacks (or has with another meaning); the
// value adds a hint.
var unsupported = map[string]string{
	"json_value": " (use json_extract_scalar)", "json_query": " (use json_extract)", "json_exists": "",
	"reduce": "", "zip_with": "", "zip": "", "map_agg": "", "multimap_agg": "", "map_union": "", "map_filter": "",
	"transform_keys": "", "transform_values": "", "approx_set": "", "merge": "", "qdigest_agg": "", "tdigest_agg": "",
	"numeric_histogram": "", "approx_most_frequent": "", "hmac_sha256": "", "hmac_sha1": "", "hmac_md5": "",
	"hmac_sha512": "", "xxhash64": "", "spooky_hash_v2_32": "", "spooky_hash_v2_64": "", "murmur3": "",
	"ip_prefix": "", "ip_subnet_min": "", "ip_subnet_max": "", "ip_subnet_range": "",
	"timezone_hour": "", "timezone_minute": "", "parse_duration": "", "human_readable_seconds": "",
	"to_milliseconds": "", "format": " (use concat or ||)", "word_stem": "", "normalize": "", "luhn_check": "",
	"from_big_endian_32": "", "from_big_endian_64": "", "to_big_endian_32": "", "to_big_endian_64": "",
	"to_ieee754_32": "", "to_ieee754_64": "", "classify": "", "learn_classifier": "", "learn_regressor": "",
	"regress": "", "make_set_digest": "", "merge_set_digest": "", "jaccard_index": "", "geometry_from_hadoop_shape": "",
	"st_point": "", "st_geometryfromtext": "", "st_contains": "", "st_distance": "", "great_circle_distance": "",
	"from_geojson_geometry": "", "to_geojson_geometry": "", "bing_tile": "", "listagg": " (use array_join(array_agg(x), ','))",
	"sha512": "", "crc32": "",
	"to_base64url": "", "from_base64url": "",
}

// rename calls another function with the same arguments; n is the expected argument count (-1: any).
func rename(to string, n int) rewrite {
	return func(c *converter, pos int, args [][]node) []node {
		if n >= 0 && len(args) != n {
			c.fail(pos, "%s takes %d argument%s, got %d", strings.TrimPrefix(to, "athena_"), n, plural(n), len(args))
			return nil
		}
		return call(pos, to, args...)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// swap calls to with the two arguments reversed.
func swap(to string) rewrite {
	return func(c *converter, pos int, args [][]node) []node {
		if len(args) != 2 {
			c.fail(pos, "expected 2 arguments, got %d", len(args))
			return nil
		}
		return call(pos, to, args[1], args[0])
	}
}

func castTo(typ string) rewrite {
	return func(c *converter, pos int, args [][]node) []node {
		if len(args) != 1 {
			c.fail(pos, "expected 1 argument, got %d", len(args))
			return nil
		}
		kids := append(append([]node{}, args[0]...), gen(pos, " ", "AS", " ", typ)...)
		return append(gen(pos, "CAST"), group(pos, kids))
	}
}

// jsonPathCall converts a constant Trino JSONPath ($["a b"], $['x']) into DuckDB's ($."a b").
func jsonPathCall(to string) rewrite {
	return func(c *converter, pos int, args [][]node) []node {
		if len(args) != 2 {
			c.fail(pos, "%s takes 2 arguments, got %d", strings.TrimPrefix(to, "athena_"), len(args))
			return nil
		}
		if p, ok := stringLit(args[1]); ok {
			conv, err := convertJSONPath(p)
			if err != nil {
				c.fail(args[1][0].pos(), "%v", err)
				return nil
			}
			args[1] = gen(args[1][0].pos(), sqlString(conv))
		}
		return call(pos, to, args...)
	}
}

var bracketKey = regexp.MustCompile(`\[\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*\]`)

// convertJSONPath rewrites Trino's bracketed keys into DuckDB's quoted keys.
func convertJSONPath(p string) (string, error) {
	if !strings.HasPrefix(strings.TrimSpace(p), "$") {
		return "", fmt.Errorf("invalid JSON path %q: it must start with $", p)
	}
	p = strings.TrimSpace(p)
	return bracketKey.ReplaceAllStringFunc(p, func(m string) string {
		k := strings.TrimSpace(m[1 : len(m)-1])
		k = k[1 : len(k)-1]
		return `."` + strings.ReplaceAll(k, `"`, `\"`) + `"`
	}), nil
}

// withFormat translates name(value, format): a constant format is converted by conv and handed to build, which
// makes DuckDB's call; any other format goes to the athena_<name> macro, which converts it at run time.
func withFormat(name string, conv func(string) (string, error), build func(c *converter, pos int, value []node, format string) []node) func(c *converter, pos int, args [][]node) []node {
	return func(c *converter, pos int, args [][]node) []node {
		if len(args) != 2 {
			c.fail(pos, "%s takes 2 arguments, got %d", name, len(args))
			return nil
		}
		f, ok := stringLit(args[1])
		if !ok {
			return call(pos, "athena_"+name, args...)
		}
		format, err := conv(f)
		if err != nil {
			c.fail(args[1][0].pos(), "%v", err)
			return nil
		}
		return build(c, pos, args[0], format)
	}
}

func mysqlParse(f string) (string, error)  { return mysqlToStrftime(f, true) }
func mysqlFormat(f string) (string, error) { return mysqlToStrftime(f, false) }

var (
	dateParse = withFormat("date_parse", mysqlParse, func(_ *converter, pos int, value []node, format string) []node {
		if !strings.Contains(format, "%Y") && !strings.Contains(format, "%y") {
			// Trino's dates default to 1970-01-01, DuckDB's to 1900-01-01.
			s := append(gen(pos, "'1970 '", " ", "||", " "), group(pos, value))
			return call(pos, "strptime", s, gen(pos, sqlString("%Y "+format)))
		}
		return call(pos, "strptime", value, gen(pos, sqlString(format)))
	})
	dateFormat     = withFormat("date_format", mysqlFormat, strftimeCall)
	formatDatetime = withFormat("format_datetime", javaToStrftime, zonedFormat)
	parseDatetime  = withFormat("parse_datetime", javaToStrptime, func(c *converter, pos int, value []node, format string) []node {
		parsed := call(pos, "strptime", value, gen(pos, sqlString(format)))
		return castTo("TIMESTAMPTZ")(c, pos, [][]node{parsed})
	})
)

func strftimeCall(_ *converter, pos int, value []node, format string) []node {
	return call(pos, "strftime", value, gen(pos, sqlString(format)))
}

// dateAdd keeps dates dates when the unit is a day or longer (DuckDB would make a timestamp).
func dateAdd(c *converter, pos int, args [][]node) []node {
	if len(args) != 3 {
		c.fail(pos, "date_add takes 3 arguments, got %d", len(args))
		return nil
	}
	if u, ok := stringLit(args[0]); ok {
		if _, known := timeUnits[strings.ToLower(u)]; !known {
			c.fail(args[0][0].pos(), "unknown unit %q for date_add (use millisecond, second, minute, hour, day, week, month, quarter or year)", u)
			return nil
		}
	}
	out := call(pos, "athena_date_add", args...)
	if u, ok := stringLit(args[0]); ok && dateUnits[strings.ToLower(u)] && isDateExpr(args[2]) {
		return castTo("DATE")(c, pos, [][]node{out})
	}
	return out
}

var timeUnits = map[string]bool{"millisecond": true, "second": true, "minute": true, "hour": true, "day": true,
	"week": true, "month": true, "quarter": true, "year": true}

// isDateExpr reports whether an expression is obviously a DATE: current_date, DATE '…', CAST(… AS DATE).
func isDateExpr(e []node) bool {
	var sig []node
	for _, n := range e {
		if !n.isSpace() {
			sig = append(sig, n)
		}
	}
	e = sig
	if len(e) == 0 {
		return false
	}
	if len(e) == 1 && e[0].isKeyword("current_date") {
		return true
	}
	if len(e) == 2 && e[0].isKeyword("DATE") && !e[1].group && e[1].tok.Kind == TokString {
		return true
	}
	if len(e) == 2 && e[0].isKeyword("athena_from_iso8601_date") && e[1].group {
		return true
	}
	if len(e) == 2 && e[0].isKeyword("CAST") && e[1].group {
		k := trimSpace(e[1].kids)
		return len(k) > 0 && k[len(k)-1].isKeyword("DATE")
	}
	return false
}

func fromUnixtime(c *converter, pos int, args [][]node) []node {
	switch len(args) {
	case 1:
		return call(pos, "to_timestamp", args[0])
	case 2:
		return call(pos, "timezone", args[1], call(pos, "to_timestamp", args[0]))
	}
	c.fail(pos, "from_unixtime with %d arguments is not supported by trailq", len(args))
	return nil
}

func regexpExtract(c *converter, pos int, args [][]node) []node {
	switch len(args) {
	case 2:
		return call(pos, "athena_regexp_extract", args[0], args[1], gen(pos, "0"))
	case 3:
		return call(pos, "athena_regexp_extract", args...)
	}
	c.fail(pos, "regexp_extract takes 2 or 3 arguments, got %d", len(args))
	return nil
}

var dollarGroup = regexp.MustCompile(`\$(\d)`)

func regexpReplace(c *converter, pos int, args [][]node) []node {
	switch len(args) {
	case 2:
		return call(pos, "regexp_replace", args[0], args[1], gen(pos, "''"), gen(pos, "'g'"))
	case 3:
		if r, ok := stringLit(args[2]); ok {
			// Trino writes groups as $1; RE2 as \1.
			r = strings.ReplaceAll(r, `\`, `\\`)
			r = dollarGroup.ReplaceAllString(r, `\$1`)
			return call(pos, "regexp_replace", args[0], args[1], gen(pos, sqlString(r)), gen(pos, "'g'"))
		}
		return call(pos, "athena_regexp_replace", args...)
	}
	c.fail(pos, "regexp_replace with %d arguments is not supported by trailq", len(args))
	return nil
}

func approxDistinct(c *converter, pos int, args [][]node) []node {
	if len(args) != 1 && len(args) != 2 {
		c.fail(pos, "approx_distinct takes 1 or 2 arguments, got %d", len(args))
		return nil
	}
	// Exact: on the data sizes trailq holds, the exact answer is within any error bound the user gave.
	return append(gen(pos, "count"), group(pos, append(gen(pos, "DISTINCT", " "), args[0]...)))
}

func approxPercentile(c *converter, pos int, args [][]node) []node {
	if len(args) != 2 {
		c.fail(pos, "approx_percentile with %d arguments (weights or accuracy) is not supported by trailq", len(args))
		return nil
	}
	return call(pos, "quantile_disc", args...)
}

func elementAt(c *converter, pos int, args [][]node) []node {
	if len(args) != 2 {
		c.fail(pos, "element_at takes 2 arguments, got %d", len(args))
		return nil
	}
	if jsonTextColumn(args[0]) {
		return jsonMember(pos, args[0], args[1])
	}
	out := []node{group(pos, args[0])}
	out = append(out, gen(pos, "[")...)
	out = append(out, args[1]...)
	return append(out, gen(pos, "]")...)
}

func arrayJoin(c *converter, pos int, args [][]node) []node {
	switch len(args) {
	case 2:
		return call(pos, "array_to_string", args...)
	case 3:
		return call(pos, "athena_array_join", args...)
	}
	c.fail(pos, "array_join takes 2 or 3 arguments, got %d", len(args))
	return nil
}

// containsCall is Trino's contains(array, x), or contains('10.0.0.0/8', ip) for a CIDR test.
func containsCall(c *converter, pos int, args [][]node) []node {
	if len(args) != 2 {
		c.fail(pos, "contains takes 2 arguments, got %d", len(args))
		return nil
	}
	if s, ok := stringLit(args[0]); ok && strings.Contains(s, "/") {
		return cidrCall(c, pos, args)
	}
	if isIPPrefixExpr(args[0]) {
		return cidrCall(c, pos, args)
	}
	return call(pos, "list_contains", args...)
}

func isIPPrefixExpr(e []node) bool {
	e = trimSpace(e)
	return len(e) == 2 && e[0].isKeyword("athena_ipprefix")
}

func cidrCall(c *converter, pos int, args [][]node) []node {
	if len(args) != 2 {
		c.fail(pos, "expected 2 arguments, got %d", len(args))
		return nil
	}
	if s, ok := stringLit(args[0]); ok {
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			c.fail(args[0][0].pos(), "invalid CIDR %q", s)
			return nil
		}
		args[0] = gen(args[0][0].pos(), sqlString(p.String()))
	}
	return call(pos, "athena_cidr_contains", args...)
}

// cast translates CAST(x AS type) and TRY_CAST(x AS type).
func (c *converter) cast(kw Token, g node) []node {
	kids := c.list(g.kids)
	as := -1
	for i, n := range kids {
		if n.isKeyword("AS") {
			as = i
		}
	}
	if as < 0 {
		c.fail(kw.Pos, "%s needs AS type", strings.ToUpper(kw.Text))
		return nil
	}
	expr := trimSpace(kids[:as])
	typeNodes := trimSpace(kids[as+1:])
	typ, err := duckType(typeNodes)
	if err != nil {
		p := kw.Pos
		if len(typeNodes) > 0 {
			p = typeNodes[0].pos()
		}
		c.fail(p, "%v", err)
		return nil
	}
	try := strings.EqualFold(kw.Text, "try_cast")
	pos := kw.Pos
	switch typ {
	case "IPADDRESS":
		if try {
			return call(pos, "athena_try_ipaddress", expr)
		}
		return call(pos, "athena_ipaddress", expr)
	case "IPPREFIX":
		return call(pos, "athena_ipprefix", expr)
	case "JSON":
		if isJSONExpr(expr) {
			return expr
		}
		return call(pos, "to_json", expr)
	case "VARCHAR":
		if isJSONExpr(expr) {
			return call(pos, "athena_json_to_varchar", expr)
		}
	}
	inner := append(append([]node{}, expr...), gen(pos, " ", "AS", " ", typ)...)
	return append([]node{{tok: kw}}, group(g.open.Pos, inner))
}

// isJSONExpr reports whether a translated expression is a call that returns JSON.
func isJSONExpr(e []node) bool {
	e = trimSpace(e)
	if len(e) != 2 || e[0].group || !e[1].group {
		return false
	}
	switch strings.ToLower(e[0].tok.Text) {
	case "json_extract", "athena_json_extract", "athena_json_parse", "athena_json_array_get", "to_json":
		return true
	}
	return false
}

var simpleTypes = map[string]string{
	"varchar": "VARCHAR", "char": "VARCHAR", "string": "VARCHAR", "bigint": "BIGINT", "integer": "INTEGER",
	"int": "INTEGER", "smallint": "SMALLINT", "tinyint": "TINYINT", "double": "DOUBLE", "real": "FLOAT",
	"boolean": "BOOLEAN", "date": "DATE", "varbinary": "BLOB", "json": "JSON", "uuid": "UUID", "time": "TIME",
	"ipaddress": "IPADDRESS", "ipprefix": "IPPREFIX", "float": "DOUBLE",
}

// duckType translates a Trino type: varchar(10), timestamp(3) with time zone, array(varchar), map(varchar, bigint),
// row(a varchar, b bigint), decimal(10, 2).
func duckType(nodes []node) (string, error) {
	nodes = trimSpace(nodes)
	if len(nodes) == 0 || !nodes[0].isName() {
		return "", fmt.Errorf("expected a type")
	}
	name := strings.ToLower(nodes[0].tok.Name())
	rest := nodes[1:]
	var params node
	hasParams := false
	if k := nextNode(rest, 0); k >= 0 && rest[k].group {
		params, hasParams = rest[k], true
		rest = rest[k+1:]
	}
	words := strings.ToLower(strings.Join(strings.Fields(Join(flatten(rest))), " "))
	switch name {
	case "timestamp":
		switch words {
		case "":
			return "TIMESTAMP", nil
		case "with time zone":
			return "TIMESTAMPTZ", nil
		case "without time zone":
			return "TIMESTAMP", nil
		}
	case "decimal", "numeric":
		if words == "" {
			if hasParams {
				return "DECIMAL(" + strings.TrimSpace(Join(flatten(params.kids))) + ")", nil
			}
			return "DECIMAL(38, 0)", nil
		}
	case "array":
		if words == "" && hasParams {
			t, err := duckType(params.kids)
			if err != nil {
				return "", err
			}
			return t + "[]", nil
		}
	case "map":
		parts := splitTop(params.kids)
		if words == "" && hasParams && len(parts) == 2 {
			k, err := duckType(parts[0])
			if err != nil {
				return "", err
			}
			v, err := duckType(parts[1])
			if err != nil {
				return "", err
			}
			return "MAP(" + k + ", " + v + ")", nil
		}
	case "row":
		if words == "" && hasParams {
			var fields []string
			for _, f := range splitTop(params.kids) {
				f = trimSpace(f)
				if len(f) < 2 || !f[0].isName() {
					return "", fmt.Errorf("ROW fields need names in trailq: row(name type, …)")
				}
				t, err := duckType(f[1:])
				if err != nil {
					return "", err
				}
				fields = append(fields, quote(f[0].tok.Name())+" "+t)
			}
			return "STRUCT(" + strings.Join(fields, ", ") + ")", nil
		}
	default:
		if t, ok := simpleTypes[name]; ok && words == "" {
			return t, nil
		}
	}
	return "", fmt.Errorf("type %s is not supported by trailq", strings.TrimSpace(Join(flatten(nodes))))
}

// typedLiteral translates TYPE 'literal'.
func (c *converter) typedLiteral(name string, kw, lit Token) ([]node, bool) {
	val := strings.ReplaceAll(lit.Text[1:len(lit.Text)-1], "''", "'")
	switch name {
	case "ipaddress":
		a, err := netip.ParseAddr(strings.TrimSpace(val))
		if err != nil {
			c.fail(lit.Pos, "invalid IP address %s", lit.Text)
			return nil, true
		}
		// A call, so that comparisons with other addresses can be recognised (see ipComparisons).
		return call(kw.Pos, "athena_ipaddress", gen(kw.Pos, sqlString(a.Unmap().String()))), true
	case "ipprefix":
		p, err := netip.ParsePrefix(strings.TrimSpace(val))
		if err != nil {
			c.fail(lit.Pos, "invalid IP prefix %s", lit.Text)
			return nil, true
		}
		return gen(kw.Pos, sqlString(p.Masked().String())), true
	case "timestamp":
		if zoned.MatchString(val) {
			return gen(kw.Pos, "TIMESTAMPTZ", " ", lit.Text), true
		}
		return []node{{tok: kw}, {tok: Token{Kind: TokSpace, Text: " ", Pos: kw.Pos}}, {tok: lit}}, true
	case "date":
		return []node{{tok: kw}, {tok: Token{Kind: TokSpace, Text: " ", Pos: kw.Pos}}, {tok: lit}}, true
	}
	return nil, false
}

// zoned matches timestamp literals that carry a zone: '2024-01-01 00:00:00 UTC', '… +02:00', '…Z'.
var zoned = regexp.MustCompile(`\d(\s*[A-Za-z][A-Za-z_/+\-0-9]*|\s*[+-]\d\d(:?\d\d)?)\s*$`)

// matchCall builds any_match/all_match/none_match(array, lambda) from list_filter.
func matchCall(cmp string) rewrite {
	return func(c *converter, pos int, args [][]node) []node {
		if len(args) != 2 {
			c.fail(pos, "expected 2 arguments, got %d", len(args))
			return nil
		}
		kids := call(pos, "len", call(pos, "list_filter", args...))
		op, rest, _ := strings.Cut(cmp, " ")
		kids = append(kids, gen(pos, " ", op, " ")...)
		if rest == "len" {
			kids = append(kids, call(pos, "len", args[0])...)
		} else {
			kids = append(kids, gen(pos, rest)...)
		}
		return []node{group(pos, kids)}
	}
}

// hashCall turns DuckDB's hex digest back into bytes, as Trino's md5/sha1/sha256 return.
func hashCall(name string) rewrite {
	return func(c *converter, pos int, args [][]node) []node {
		if len(args) != 1 {
			c.fail(pos, "%s takes 1 argument, got %d", name, len(args))
			return nil
		}
		return call(pos, "unhex", call(pos, name, args[0]))
	}
}

// ifCall adds the NULL Trino's two-argument if(condition, value) implies.
func ifCall(c *converter, pos int, args [][]node) []node {
	switch len(args) {
	case 2:
		return call(pos, "if", args[0], args[1], gen(pos, "NULL"))
	case 3:
		return call(pos, "if", args...)
	}
	c.fail(pos, "if takes 2 or 3 arguments, got %d", len(args))
	return nil
}

// concatCall is a || b || …: NULL when any part is NULL, as in Trino (DuckDB's concat skips NULLs); arrays too.
func concatCall(c *converter, pos int, args [][]node) []node {
	if len(args) == 0 {
		c.fail(pos, "concat needs arguments")
		return nil
	}
	var kids []node
	for i, a := range args {
		if i > 0 {
			kids = append(kids, gen(pos, " ", "||", " ")...)
		}
		kids = append(kids, group(pos, a))
	}
	return []node{group(pos, kids)}
}

func strposCall(c *converter, pos int, args [][]node) []node {
	switch len(args) {
	case 2:
		return call(pos, "strpos", args...)
	case 3:
		return call(pos, "athena_strpos", args...)
	}
	c.fail(pos, "strpos takes 2 or 3 arguments, got %d", len(args))
	return nil
}

// replaceCall: Trino's replace(s, search) removes search.
func replaceCall(c *converter, pos int, args [][]node) []node {
	switch len(args) {
	case 2:
		return call(pos, "replace", args[0], args[1], gen(pos, "''"))
	case 3:
		return call(pos, "replace", args...)
	}
	c.fail(pos, "replace takes 2 or 3 arguments, got %d", len(args))
	return nil
}

// nullIfAnyNull gives Trino's greatest/least, which are NULL when any argument is (DuckDB's skip NULLs).
func nullIfAnyNull(name string) rewrite {
	return func(c *converter, pos int, args [][]node) []node {
		if len(args) == 0 {
			c.fail(pos, "%s needs arguments", name)
			return nil
		}
		kids := gen(pos, "CASE", " ", "WHEN", " ")
		for i, a := range args {
			if i > 0 {
				kids = append(kids, gen(pos, " ", "OR", " ")...)
			}
			kids = append(kids, group(pos, a))
			kids = append(kids, gen(pos, " ", "IS", " ", "NULL")...)
		}
		kids = append(kids, gen(pos, " ", "THEN", " ", "NULL", " ", "ELSE", " ")...)
		kids = append(kids, call(pos, name, args...)...)
		kids = append(kids, gen(pos, " ", "END")...)
		return []node{group(pos, kids)}
	}
}

// cardinalityCall is len(list) for arrays and cardinality(map) for maps: DuckDB has no function for both, so maps
// are recognised by their expression (a MAP constructor, map functions, the attributes map of the CloudTrail table).
func cardinalityCall(c *converter, pos int, args [][]node) []node {
	if len(args) != 1 {
		c.fail(pos, "cardinality takes 1 argument, got %d", len(args))
		return nil
	}
	if isMapExpr(args[0]) {
		return call(pos, "cardinality", args[0])
	}
	return call(pos, "len", args[0])
}

func isMapExpr(e []node) bool {
	e = trimSpace(e)
	if len(e) == 0 {
		return false
	}
	last := e[len(e)-1]
	if last.isName() && strings.EqualFold(last.tok.Name(), "attributes") {
		p := prevNode(e, len(e)-2)
		q := prevNode(e, p-1)
		return p > 0 && e[p].isOp(".") && q >= 0 && e[q].isName() && strings.EqualFold(e[q].tok.Name(), "webidfederationdata")
	}
	if len(e) == 2 && !e[0].group && e[1].group {
		switch strings.ToLower(e[0].tok.Text) {
		case "map", "map_from_entries", "map_concat", "histogram", "athena_split_to_map", "map_filter":
			return true
		}
	}
	return false
}
