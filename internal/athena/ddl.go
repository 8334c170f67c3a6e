package athena

import (
	"fmt"
	"regexp"
	"strings"
)

// A user's own CloudTrail table may name its partition columns its own way (account_id, p_region, ingest_date,
// a day column holding yyyy/MM/dd, …). TableDef reads its CREATE EXTERNAL TABLE statement so that queries written
// for it run as they are: the table's name resolves to the store, and each partition column reads the part of the
// log key it stands for — the store's account, region and date partitions, which the load's pushdown knows, so
// conditions on them still load only those logs.

// TableDef is a user's CloudTrail table: its name and what each of its partition columns is.
type TableDef struct {
	Name       string // the table's name (its last part), lower case
	Partitions []Partition
}

// Partition is one partition column of a TableDef.
type Partition struct {
	Name string // as the DDL names it, lower case
	// Part is what of the log key the column holds: account, region, date (Format), year, month or day.
	Part   string
	Format string // for a date: its Java pattern (yyyy/MM/dd, yyyy-MM-dd, yyyyMMdd)
}

var (
	ddlTable       = regexp.MustCompile("(?is)^\\s*CREATE\\s+(?:EXTERNAL\\s+)?TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?([`\"\\w.$-]+)")
	ddlPartitioned = regexp.MustCompile(`(?is)\bPARTITIONED\s+BY\s*\(`)
	ddlProperties  = regexp.MustCompile(`(?is)\bTBLPROPERTIES\s*\(`)
	ddlProperty    = regexp.MustCompile(`'((?:[^']|'')*)'\s*=\s*'((?:[^']|'')*)'`)
	ddlPlaceholder = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)
)

// ParseTableDDL reads a CREATE EXTERNAL TABLE statement (Athena's Hive DDL). Each partition column is mapped by
// the place its ${name} takes in 'storage.location.template' (…/AWSLogs/[o-…/]${account}/CloudTrail/${region}/
// ${date} or …/${year}/${month}/${day}), else by its name and projection type; one that cannot be mapped is an error
// that names it.
func ParseTableDDL(ddl string) (*TableDef, error) {
	ddl = stripComments(ddl)
	m := ddlTable.FindStringSubmatch(ddl)
	if m == nil {
		return nil, fmt.Errorf("read table DDL: no CREATE [EXTERNAL] TABLE name at its start")
	}
	name := m[1]
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	def := &TableDef{Name: strings.ToLower(strings.Trim(name, "`\""))}
	cols, err := ddlList(ddl, ddlPartitioned)
	if err != nil {
		return nil, fmt.Errorf("read table DDL of %s: PARTITIONED BY: %w", def.Name, err)
	}
	props := map[string]string{}
	if list, err := ddlList(ddl, ddlProperties); err == nil {
		for _, p := range ddlProperty.FindAllStringSubmatch(strings.Join(list, ","), -1) {
			props[strings.ToLower(strings.ReplaceAll(p[1], "''", "'"))] = strings.ReplaceAll(p[2], "''", "'")
		}
	}
	placed := templateParts(props["storage.location.template"])
	for _, c := range cols {
		fields := strings.Fields(c)
		if len(fields) == 0 {
			continue
		}
		p := Partition{Name: strings.ToLower(strings.Trim(fields[0], "`\""))}
		p.Part = placed[p.Name]
		if p.Part == "" {
			p.Part = partByName(p.Name, strings.ToLower(props["projection."+p.Name+".type"]))
		}
		if p.Part == "" {
			return nil, fmt.Errorf("read table DDL of %s: partition column %s: trailq cannot tell which part of the log key it holds (account, region or date): give the table's 'storage.location.template' with ${%s} in its place", def.Name, p.Name, p.Name)
		}
		if p.Part == "date" {
			p.Format = props["projection."+p.Name+".format"]
			if p.Format == "" {
				p.Format = "yyyy/MM/dd"
			}
			if _, ok := dateFormats[p.Format]; !ok {
				return nil, fmt.Errorf("read table DDL of %s: partition column %s has the format %q: trailq reads yyyy/MM/dd, yyyy-MM-dd and yyyyMMdd (CloudTrail's key has days, not hours)", def.Name, p.Name, p.Format)
			}
		}
		def.Partitions = append(def.Partitions, p)
	}
	return def, nil
}

// dateFormats are the date partition formats trailq reads, as DuckDB expressions over the store's yyyy/MM/dd
// date partition.
var dateFormats = map[string]string{
	"yyyy/MM/dd": "%sdate_partition",
	"yyyy-MM-dd": "replace(%sdate_partition, '/', '-')",
	"yyyyMMdd":   "replace(%sdate_partition, '/', '')",
}

// ddlList returns the top-level comma-separated items of the parenthesized list after re's match.
func ddlList(ddl string, re *regexp.Regexp) ([]string, error) {
	loc := re.FindStringIndex(ddl)
	if loc == nil {
		return nil, fmt.Errorf("not in the DDL")
	}
	var items []string
	depth, start, quoted := 1, loc[1], false
	for i := loc[1]; i < len(ddl); i++ {
		switch c := ddl[i]; {
		case c == '\'':
			quoted = !quoted
		case quoted:
		case c == '(' || c == '<':
			depth++
		case c == ')' || c == '>':
			if depth--; depth == 0 {
				return append(items, ddl[start:i]), nil
			}
		case c == ',' && depth == 1:
			items = append(items, ddl[start:i])
			start = i + 1
		}
	}
	return nil, fmt.Errorf("the list is never closed")
}

// templateParts reads which part of CloudTrail's key each ${name} of a location template takes.
func templateParts(template string) map[string]string {
	out := map[string]string{}
	i := strings.Index(template, "AWSLogs/")
	if i < 0 {
		return out
	}
	segs := strings.Split(strings.Trim(template[i+len("AWSLogs/"):], "/"), "/")
	ct := -1
	for k, s := range segs {
		if s == "CloudTrail" {
			ct = k
			break
		}
	}
	if ct < 1 {
		return out
	}
	name := func(s string) string {
		if m := ddlPlaceholder.FindStringSubmatch(s); m != nil && m[0] == s {
			return strings.ToLower(m[1])
		}
		return ""
	}
	if n := name(segs[ct-1]); n != "" {
		out[n] = "account"
	}
	if ct+1 < len(segs) {
		if n := name(segs[ct+1]); n != "" {
			out[n] = "region"
		}
	}
	days := segs[min(ct+2, len(segs)):]
	switch {
	case len(days) == 1 && name(days[0]) != "":
		out[name(days[0])] = "date"
	case len(days) == 3:
		for k, part := range []string{"year", "month", "day"} {
			if n := name(days[k]); n != "" {
				out[n] = part
			}
		}
	}
	return out
}

// partByName guesses a partition column's part from its name and projection type, for tables without a template.
func partByName(name, projType string) string {
	switch {
	case projType == "date":
		return "date"
	case name == "year" || name == "month" || name == "day":
		return name
	case strings.Contains(name, "account"):
		return "account"
	case strings.Contains(name, "region"):
		return "region"
	case strings.Contains(name, "date") || name == "dt" || name == "timestamp":
		return "date"
	}
	return ""
}

// columnSQL is the store's expression for a partition column of the table; qual is "" or the qualifier the
// query wrote ("t.").
func (p Partition) columnSQL(qual string) string {
	switch p.Part {
	case "date":
		return fmt.Sprintf(dateFormats[p.Format], qual)
	case "account", "region", "year", "month", "day":
		return qual + p.Part
	}
	return qual + p.Name
}

// renamePartitions rewrites the references to the partition columns of the user's tables that the query reads
// (by name) into the store's expressions for them. It returns the tokens and, by position, the names the user
// wrote, so that a result column keeps its name.
func renamePartitions(toks []Token, defs []*TableDef) ([]Token, map[int]string) {
	cols := map[string]Partition{}
	for _, d := range defs {
		if !readsTable(toks, d.Name) {
			continue
		}
		for _, p := range d.Partitions {
			if p.columnSQL("") != p.Name {
				cols[p.Name] = p
			}
		}
	}
	if len(cols) == 0 {
		return toks, nil
	}
	aliases := map[int]string{}
	var out []Token
	for i, t := range toks {
		p, ok := cols[t.Name()]
		if !ok || t.Kind != TokIdent && t.Kind != TokQuoted {
			out = append(out, t)
			continue
		}
		if j := nextSignificant(toks, i+1); j >= 0 && toks[j].Kind == TokOp && toks[j].Text == "(" {
			out = append(out, t) // a function of that name
			continue
		}
		if k := prevSignificant(toks, i-1); k >= 0 && toks[k].IsKeyword("AS") {
			out = append(out, t) // an alias the query gives
			continue
		}
		aliases[t.Pos] = p.Name
		if sql := p.columnSQL(""); !strings.Contains(sql, "(") {
			out = append(out, Token{Kind: TokIdent, Text: sql, Pos: t.Pos})
			continue
		}
		// An expression: a qualifier the query wrote (t.ingest_date) moves inside it.
		qual := ""
		if d := len(out) - 1; d >= 1 && out[d].Kind == TokOp && out[d].Text == "." &&
			(out[d-1].Kind == TokIdent || out[d-1].Kind == TokQuoted) {
			qual = out[d-1].Text + "."
			out = out[:d-1]
		}
		sub, err := Lex("(" + p.columnSQL(qual) + ")")
		if err != nil {
			out = append(out, t)
			continue
		}
		for _, s := range sub {
			out = append(out, Token{Kind: s.Kind, Text: s.Text, Pos: t.Pos})
		}
	}
	return out, aliases
}

// readsTable reports whether the query names the table name (its last part) anywhere.
func readsTable(toks []Token, name string) bool {
	for _, t := range toks {
		if (t.Kind == TokIdent || t.Kind == TokQuoted) && t.Name() == name {
			return true
		}
	}
	return false
}

// stripComments blanks out -- and /* */ comments outside quotes.
func stripComments(s string) string {
	b := []byte(s)
	var quote byte
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"' || c == '`':
			quote = c
		case c == '-' && i+1 < len(b) && b[i+1] == '-':
			for ; i < len(b) && b[i] != '\n'; i++ {
				b[i] = ' '
			}
		case c == '/' && i+1 < len(b) && b[i+1] == '*':
			for ; i < len(b) && !(b[i] == '*' && i+1 < len(b) && b[i+1] == '/'); i++ {
				b[i] = ' '
			}
			if i+1 < len(b) {
				b[i], b[i+1] = ' ', ' '
				i++
			}
		}
	}
	return string(b)
}
