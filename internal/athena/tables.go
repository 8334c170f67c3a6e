package athena

import (
	"regexp"
	"strings"
)

// Tables names the store's relations that Athena table names resolve to.
type Tables struct {
	// Logs has Athena's CloudTrail columns and the partition columns region, year, month, day.
	Logs string
	// LogsExt adds "$path", "timestamp", account and the Security Analytics Bootstrap partition columns.
	LogsExt string
	// Defs are the user's own CloudTrail tables (ParseTableDDL): their names resolve to the store too, and their
	// partition columns read the store's.
	Defs []*TableDef
}

// isLogsTable reports whether a table name stands for the CloudTrail table.
func (t Tables) isLogsTable(name string) bool {
	if cloudtrailTable.MatchString(name) && name != "cloudtrail_events" {
		return true
	}
	for _, d := range t.Defs {
		if d.Name == name {
			return true
		}
	}
	return false
}

// cloudtrailTable matches the table names Athena users give their CloudTrail tables.
// (Our own events table is left alone.)
var cloudtrailTable = regexp.MustCompile(`(?i)^cloudtrail([_-].*)?$`)

// extColumns are the columns only LogsExt has.
var extColumns = map[string]bool{
	"$path": true, "timestamp": true, "account": true,
	"account_partition": true, "region_partition": true, "date_partition": true,
}

// ResolveTables rewrites every table reference whose last name part looks like a CloudTrail table
// (cloudtrail_logs, cloudtrail_logs_mybucket, default.cloudtrail_logs_x, "awsdatacatalog"."default"."cloudtrail")
// to the store's relation, keeping the name the user wrote as the alias so that qualified column references still
// work.
func ResolveTables(toks []Token, t Tables) []Token {
	target := t.Logs
	if usesExtColumns(toks) {
		target = t.LogsExt
	}
	var out []Token
	expectTable := false
	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		if tok.Kind == TokSpace {
			out = append(out, tok)
			continue
		}
		if tok.IsKeyword("FROM") || tok.IsKeyword("JOIN") {
			expectTable = true
			out = append(out, tok)
			continue
		}
		if expectTable && tok.Kind == TokOp && tok.Text == "," {
			out = append(out, tok) // FROM a x, b y: the next table follows
			continue
		}
		if expectTable && tok.Text == "(" && tok.Kind == TokOp {
			// FROM (cloudtrail_logs CROSS JOIN UNNEST(…) …): the table is inside the parentheses.
			out = append(out, tok)
			continue
		}
		if expectTable && (tok.IsKeyword("SELECT") || tok.IsKeyword("WITH") || tok.IsKeyword("VALUES")) {
			expectTable = false
			out = append(out, tok)
			continue
		}
		if !expectTable || (tok.Kind != TokIdent && tok.Kind != TokQuoted) {
			expectTable = false
			out = append(out, tok)
			continue
		}
		expectTable = false
		// Read the name chain a.b.c.
		end, parts := i, []Token{tok}
		for {
			j := nextSignificant(toks, end+1)
			if j < 0 || toks[j].Text != "." {
				break
			}
			k := nextSignificant(toks, j+1)
			if k < 0 || (toks[k].Kind != TokIdent && toks[k].Kind != TokQuoted) {
				break
			}
			parts = append(parts, toks[k])
			end = k
		}
		last := parts[len(parts)-1]
		if !t.isLogsTable(last.Name()) {
			out = append(out, toks[i:end+1]...)
			i = end
			expectTable = afterTable(toks, end, &out, &i)
			continue
		}
		out = append(out, Token{Kind: TokIdent, Text: target, Pos: tok.Pos})
		if !hasAlias(toks, end) {
			out = append(out, Token{Kind: TokSpace, Text: " ", Pos: last.Pos}, Token{Kind: TokIdent, Text: "AS", Pos: last.Pos},
				Token{Kind: TokSpace, Text: " ", Pos: last.Pos}, Token{Kind: TokQuoted, Text: quote(last.Name()), Pos: last.Pos})
		}
		i = end
		expectTable = afterTable(toks, end, &out, &i)
	}
	return out
}

// afterTable copies an optional alias after a table reference and reports whether a comma follows (another table).
func afterTable(toks []Token, end int, out *[]Token, i *int) bool {
	j := nextSignificant(toks, end+1)
	if j < 0 {
		return false
	}
	if toks[j].IsKeyword("AS") {
		j = nextSignificant(toks, j+1)
	}
	if j >= 0 && (toks[j].Kind == TokIdent && !isClauseKeyword(toks[j]) || toks[j].Kind == TokQuoted) {
		*out = append(*out, toks[end+1:j+1]...)
		*i = j
		j = nextSignificant(toks, j+1)
	}
	return j >= 0 && toks[j].Text == ","
}

func hasAlias(toks []Token, end int) bool {
	j := nextSignificant(toks, end+1)
	if j < 0 {
		return false
	}
	if toks[j].IsKeyword("AS") {
		return true
	}
	return toks[j].Kind == TokQuoted || toks[j].Kind == TokIdent && !isClauseKeyword(toks[j])
}

var clauseKeywords = map[string]bool{
	"where": true, "group": true, "order": true, "limit": true, "having": true, "union": true, "intersect": true,
	"except": true, "join": true, "inner": true, "left": true, "right": true, "full": true, "cross": true,
	"on": true, "using": true, "natural": true, "window": true, "offset": true, "fetch": true, "tablesample": true,
	"qualify": true, "lateral": true, "select": true, "from": true, "with": true,
}

func isClauseKeyword(t Token) bool {
	return t.Kind == TokIdent && clauseKeywords[strings.ToLower(t.Text)]
}

func nextSignificant(toks []Token, i int) int {
	for ; i < len(toks); i++ {
		if toks[i].Kind != TokSpace {
			return i
		}
	}
	return -1
}

func usesExtColumns(toks []Token) bool {
	for i, t := range toks {
		if t.Kind != TokIdent && t.Kind != TokQuoted {
			continue
		}
		name := t.Name()
		if !extColumns[name] {
			continue
		}
		if name == "timestamp" && t.Kind == TokIdent {
			// TIMESTAMP '2024-…' literals and CAST(x AS timestamp) are types, not the column.
			if j := nextSignificant(toks, i+1); j >= 0 && toks[j].Kind == TokString {
				continue
			}
			if p := prevSignificant(toks, i-1); p >= 0 && (toks[p].IsKeyword("AS") || toks[p].Text == "::") {
				continue
			}
			if j := nextSignificant(toks, i+1); j >= 0 && toks[j].IsKeyword("WITH") {
				continue // timestamp with time zone
			}
		}
		return true
	}
	return false
}

func prevSignificant(toks []Token, i int) int {
	for ; i >= 0; i-- {
		if toks[i].Kind != TokSpace {
			return i
		}
	}
	return -1
}

func quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// Join concatenates token texts back into SQL.
func Join(toks []Token) string {
	var b strings.Builder
	for _, t := range toks {
		b.WriteString(t.Text)
	}
	return b.String()
}

// describeStatement translates DESCRIBE t, SHOW COLUMNS FROM t and SHOW PARTITIONS t for a CloudTrail table name
// (DuckDB knows only its own names, and has no SHOW PARTITIONS). It reports false for other statements.
func describeStatement(toks []Token, t Tables) ([]Token, bool) {
	var sig []Token
	for _, tok := range toks {
		if tok.Kind != TokSpace && !(tok.Kind == TokOp && tok.Text == ";") {
			sig = append(sig, tok)
		}
	}
	if len(sig) < 2 {
		return nil, false
	}
	var rest []Token
	partitions := false
	switch {
	case sig[0].IsKeyword("DESCRIBE") || sig[0].IsKeyword("DESC"):
		rest = sig[1:]
	case len(sig) > 3 && sig[0].IsKeyword("SHOW") && sig[1].IsKeyword("COLUMNS") && (sig[2].IsKeyword("FROM") || sig[2].IsKeyword("IN")):
		rest = sig[3:]
	case len(sig) > 2 && sig[0].IsKeyword("SHOW") && sig[1].IsKeyword("PARTITIONS"):
		rest, partitions = sig[2:], true
	default:
		return nil, false
	}
	// A name chain a.b.c and nothing else.
	for i, tok := range rest {
		if i%2 == 0 && tok.Kind != TokIdent && tok.Kind != TokQuoted || i%2 == 1 && tok.Text != "." {
			return nil, false
		}
	}
	if len(rest)%2 == 0 {
		return nil, false
	}
	last := rest[len(rest)-1]
	if !cloudtrailTable.MatchString(last.Name()) || last.Name() == "cloudtrail_events" {
		return nil, false
	}
	pos := sig[0].Pos
	sql := "DESCRIBE " + t.Logs
	if partitions {
		sql = "SELECT DISTINCT 'region=' || region || '/year=' || year || '/month=' || month || '/day=' || day AS partition FROM " +
			t.Logs + " ORDER BY 1"
	}
	out, err := Lex(sql)
	if err != nil {
		return nil, false
	}
	for i := range out {
		out[i].Pos = pos
	}
	return out, true
}
