package athena

// The Athena CloudTrail table keeps requestparameters, responseelements, additionaleventdata and
// serviceeventdetails as JSON text; CloudTrail Lake's table has them as maps, and its published queries write
// element_at(requestParameters, 'bucketName') or requestParameters['bucketName']. Athena rejects those on its
// table; trailq reads them as CloudTrail Lake means them: the member's value as text (a nested object or array
// as its JSON text), NULL when the member is absent.

// jsonTextColumns are the columns of the table that hold JSON text.
var jsonTextColumns = map[string]bool{
	"requestparameters":   true,
	"responseelements":    true,
	"additionaleventdata": true,
	"serviceeventdetails": true,
}

// jsonTextColumn reports whether expr is a reference to one of the JSON text columns (bare or qualified).
func jsonTextColumn(expr []node) bool {
	expr = trimSpace(expr)
	if len(expr) == 1 && expr[0].isName() {
		return jsonTextColumns[expr[0].tok.Name()]
	}
	name, ok := nameChain(expr)
	return ok && jsonTextColumns[name]
}

// jsonMember reads member key of the JSON text col: athena_json_to_varchar(athena_json_extract(col, path)). A
// literal key makes a literal path; any other key expression builds the path when the query runs.
func jsonMember(pos int, col, key []node) []node {
	var path []node
	if k, ok := stringLit(key); ok {
		path = gen(pos, sqlString(`$."`+jsonPathEscape(k)+`"`))
	} else {
		path = append(gen(pos, `'$."'`, " ", "||", " ", "replace", "("), trimSpace(key)...)
		path = append(path, gen(pos, ",", " ", `'"'`, ",", " ", `'\"'`, ")", " ", "||", " ", `'"'`)...)
	}
	inner := call(pos, "athena_json_extract", []node{group(pos, trimSpace(col))}, path)
	return call(pos, "athena_json_to_varchar", inner)
}

// jsonPathEscape escapes a member name for a quoted JSONPath step ("…").
func jsonPathEscape(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// jsonSubscript rewrites col['key'] when nodes[i] is the "[" right after a JSON text column at the end of out.
// It returns out with the rewrite and the index of the closing "]", or ok false.
func (c *converter) jsonSubscript(out, nodes []node, i int) ([]node, int, bool) {
	start := chainStart(out)
	if start < 0 || !jsonTextColumn(out[start:]) {
		return nil, 0, false
	}
	end, depth := -1, 0
	for j := i; j < len(nodes) && end < 0; j++ {
		switch {
		case nodes[j].isOp("["):
			depth++
		case nodes[j].isOp("]"):
			if depth--; depth == 0 {
				end = j
			}
		}
	}
	if end < 0 {
		return nil, 0, false
	}
	key := c.list(nodes[i+1 : end])
	col := append([]node{}, out[start:]...)
	return append(out[:start], jsonMember(nodes[i].pos(), col, key)...), end, true
}

// chainStart returns where the name or a.b.c chain that ends out begins, or -1 when out does not end in one.
func chainStart(out []node) int {
	i := len(out) - 1
	if i < 0 || !out[i].isName() {
		return -1
	}
	for i >= 2 && out[i-1].isOp(".") && out[i-2].isName() {
		i -= 2
	}
	return i
}
