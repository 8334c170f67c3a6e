package athena

import "strings"

// trinoReserved are Trino's reserved words: Athena rejects them as bare aliases too, so they are left alone.
var trinoReserved = map[string]bool{
	"alter": true, "and": true, "as": true, "between": true, "by": true, "case": true, "cast": true,
	"constraint": true, "create": true, "cross": true, "cube": true, "current_catalog": true, "current_date": true,
	"current_path": true, "current_role": true, "current_schema": true, "current_time": true,
	"current_timestamp": true, "current_user": true, "deallocate": true, "delete": true, "describe": true,
	"distinct": true, "drop": true, "else": true, "end": true, "escape": true, "except": true, "execute": true,
	"exists": true, "extract": true, "false": true, "for": true, "from": true, "full": true, "group": true,
	"grouping": true, "having": true, "in": true, "inner": true, "insert": true, "intersect": true, "into": true,
	"is": true, "join": true, "left": true, "like": true, "listagg": true, "localtime": true, "localtimestamp": true,
	"natural": true, "normalize": true, "not": true, "null": true, "on": true, "or": true, "order": true,
	"outer": true, "prepare": true, "recursive": true, "right": true, "rollup": true, "select": true, "skip": true,
	"table": true, "then": true, "trim": true, "true": true, "uescape": true, "union": true, "unnest": true,
	"using": true, "values": true, "when": true, "where": true, "with": true,
}

// quoteImplicitAliases turns a bare column alias that is a DuckDB keyword (SELECT min(eventtime) first, …) into
// AS "first": Trino takes such words as aliases, DuckDB's parser does not. Only aliases in a SELECT list that are
// followed by a comma, FROM, a closing parenthesis or the end are touched, so nothing else can be mistaken for one.
func quoteImplicitAliases(toks []Token) []Token {
	var out []Token
	selectList := []bool{false} // per parenthesis depth: inside a SELECT list
	for i, t := range toks {
		depth := len(selectList) - 1
		switch {
		case t.Text == "(":
			selectList = append(selectList, false)
		case t.Text == ")" && depth > 0:
			selectList = selectList[:depth]
		case t.IsKeyword("SELECT"):
			selectList[depth] = true
		case t.IsKeyword("FROM"):
			selectList[depth] = false
		}
		if t.Kind == TokIdent && selectList[depth] && isBareAlias(toks, i) {
			name := strings.ToLower(t.Text)
			out = append(out, Token{Kind: TokIdent, Text: "AS", Pos: t.Pos}, Token{Kind: TokSpace, Text: " ", Pos: t.Pos},
				Token{Kind: TokQuoted, Text: quote(name), Pos: t.Pos})
			continue
		}
		out = append(out, t)
	}
	return out
}

func isBareAlias(toks []Token, i int) bool {
	name := strings.ToLower(toks[i].Text)
	if !duckKeywords[name] || trinoReserved[name] {
		return false
	}
	next := nextSignificant(toks, i+1)
	if next >= 0 && toks[next].Text != "," && toks[next].Text != ")" && !toks[next].IsKeyword("FROM") {
		return false
	}
	p := prevSignificant(toks, i-1)
	if p < 0 {
		return false
	}
	prev := toks[p]
	switch prev.Kind {
	case TokNumber, TokString:
		// INTERVAL '7' DAY: the unit of an interval, not an alias.
		pp := prevSignificant(toks, p-1)
		return pp < 0 || !toks[pp].IsKeyword("INTERVAL")
	case TokQuoted:
		return true
	case TokOp:
		return prev.Text == ")" || prev.Text == "]"
	case TokIdent:
		// A column name (or a field after a dot) ends an expression; a keyword other than END does not.
		if pp := prevSignificant(toks, p-1); pp >= 0 && toks[pp].Text == "." {
			return true
		}
		pname := strings.ToLower(prev.Text)
		return pname == "end" || !duckKeywords[pname] && !trinoReserved[pname]
	}
	return false
}
