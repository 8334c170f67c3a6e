package athena

import (
	"fmt"
	"regexp"
	"strings"
)

// Published Athena set-ups (QuickSight, dashboards) start with CREATE VIEW v AS SELECT … FROM cloudtrail_logs.
// ParseDefinition recognizes the statements that define a user's views — CREATE [OR REPLACE] VIEW, DROP VIEW
// [IF EXISTS] and SHOW TABLES / SHOW VIEWS — so that the engine keeps the views beside the store (never in it:
// the events are not touched) and every later query can read them.

// Definition kinds.
const (
	CreateView = "create view"
	DropView   = "drop view"
	ShowTables = "show tables"
)

// Definition is a statement about a user's views.
type Definition struct {
	Kind      string
	Name      string // the view's name (its last part), lower case
	OrReplace bool   // CREATE OR REPLACE VIEW
	IfExists  bool   // DROP VIEW IF EXISTS
	// Select is the view's query (CREATE VIEW), in Athena's SQL as written, and Pos its offset in the statement.
	Select string
	Pos    int
}

// viewName is what a view may be called: a plain name that no CloudTrail table name or trailq relation takes.
var viewName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// ParseDefinition reports whether sql is a view statement, and reads it. A malformed one is an error with its
// place; other statements give ok false.
func ParseDefinition(sql string) (d Definition, ok bool, err error) {
	toks, err := Lex(sql)
	if err != nil {
		return d, false, nil // the translator reports it
	}
	var sig []Token
	for _, t := range toks {
		if t.Kind != TokSpace && !(t.Kind == TokOp && t.Text == ";") {
			sig = append(sig, t)
		}
	}
	kw := func(i int, words ...string) bool {
		for k, w := range words {
			if i+k >= len(sig) || !sig[i+k].IsKeyword(w) {
				return false
			}
		}
		return true
	}
	switch {
	case kw(0, "SHOW", "TABLES") || kw(0, "SHOW", "VIEWS"):
		return Definition{Kind: ShowTables}, true, nil
	case kw(0, "DROP", "VIEW"):
		d = Definition{Kind: DropView}
		i := 2
		if kw(2, "IF", "EXISTS") {
			d.IfExists, i = true, 4
		}
		name, next, err := defName(sql, sig, i)
		if err != nil {
			return d, true, err
		}
		if next != len(sig) {
			return d, true, locate(sql, &Error{Pos: sig[next].Pos, Msg: "DROP VIEW takes one view name"})
		}
		d.Name = name
		return d, true, nil
	case kw(0, "CREATE", "VIEW") || kw(0, "CREATE", "OR", "REPLACE", "VIEW"):
		d = Definition{Kind: CreateView, OrReplace: kw(1, "OR")}
		i := 2
		if d.OrReplace {
			i = 4
		}
		name, next, err := defName(sql, sig, i)
		if err != nil {
			return d, true, err
		}
		if !kw(next, "AS") || next+1 >= len(sig) {
			return d, true, locate(sql, &Error{Pos: posAt(sql, sig, next), Msg: "CREATE VIEW " + name + " needs AS SELECT …"})
		}
		d.Name, d.Pos = name, sig[next+1].Pos
		d.Select = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(sql[d.Pos:]), ";"))
		return d, true, nil
	case kw(0, "CREATE", "TABLE") || kw(0, "CREATE", "OR", "REPLACE", "TABLE"):
		return d, true, locate(sql, &Error{Pos: sig[0].Pos, Msg: "CREATE TABLE is not supported by trailq: the store's events are never changed; CREATE VIEW v AS SELECT … keeps a query under a name"})
	}
	return d, false, nil
}

// defName reads the view name a.b.v at sig[i], returning its last part and the index after it.
func defName(sql string, sig []Token, i int) (string, int, error) {
	var name string
	for {
		if i >= len(sig) || sig[i].Kind != TokIdent && sig[i].Kind != TokQuoted {
			return "", i, locate(sql, &Error{Pos: posAt(sql, sig, i), Msg: "a view name is missing here"})
		}
		name = sig[i].Name()
		i++
		if i < len(sig) && sig[i].Kind == TokOp && sig[i].Text == "." {
			i++
			continue
		}
		break
	}
	if !viewName.MatchString(name) || cloudtrailTable.MatchString(name) || strings.HasPrefix(name, "trailq") {
		return "", i, locate(sql, &Error{Pos: sig[i-1].Pos, Msg: fmt.Sprintf("%q cannot name a view: use letters, digits and _ (a name not starting with cloudtrail or trailq, which are the store's)", name)})
	}
	return name, i, nil
}

func posAt(sql string, sig []Token, i int) int {
	if i < len(sig) {
		return sig[i].Pos
	}
	return len(sql)
}
