package athena

import "strings"

// node is one token, or a parenthesized group of nodes (open and close hold the parentheses).
type node struct {
	tok         Token
	group       bool
	kids        []node
	open, close Token
}

// parseTree groups tokens by parentheses.
func parseTree(toks []Token) ([]node, error) {
	p := &treeParser{toks: toks}
	nodes, err := p.list(false)
	if err != nil {
		return nil, err
	}
	return nodes, nil
}

type treeParser struct {
	toks []Token
	i    int
}

func (p *treeParser) list(nested bool) ([]node, error) {
	var out []node
	for p.i < len(p.toks) {
		t := p.toks[p.i]
		p.i++
		switch {
		case t.Kind == TokOp && t.Text == "(":
			kids, err := p.list(true)
			if err != nil {
				return nil, err
			}
			if p.i > len(p.toks) || p.toks[p.i-1].Text != ")" {
				return nil, &Error{Pos: t.Pos, Msg: "unbalanced parenthesis: this ( is never closed"}
			}
			out = append(out, node{group: true, open: t, kids: kids, close: p.toks[p.i-1]})
		case t.Kind == TokOp && t.Text == ")":
			if !nested {
				return nil, &Error{Pos: t.Pos, Msg: "unbalanced parenthesis: ) without ("}
			}
			return out, nil
		default:
			out = append(out, node{tok: t})
		}
	}
	if nested {
		// Signal the caller that no ")" was found.
		p.i = len(p.toks) + 1
	}
	return out, nil
}

// pos returns the byte offset of the node's first token.
func (n node) pos() int {
	if n.group {
		return n.open.Pos
	}
	return n.tok.Pos
}

func (n node) isSpace() bool { return !n.group && n.tok.Kind == TokSpace }

func (n node) isOp(op string) bool { return !n.group && n.tok.Kind == TokOp && n.tok.Text == op }

func (n node) isKeyword(kw string) bool { return !n.group && n.tok.IsKeyword(kw) }

func (n node) isName() bool { return !n.group && (n.tok.Kind == TokIdent || n.tok.Kind == TokQuoted) }

// flatten returns the tokens of nodes in order.
func flatten(nodes []node) []Token {
	var out []Token
	for _, n := range nodes {
		if n.group {
			out = append(out, n.open)
			out = append(out, flatten(n.kids)...)
			out = append(out, n.close)
		} else {
			out = append(out, n.tok)
		}
	}
	return out
}

// nextNode returns the index of the next non-space node at or after i, or -1.
func nextNode(nodes []node, i int) int {
	for ; i < len(nodes); i++ {
		if !nodes[i].isSpace() {
			return i
		}
	}
	return -1
}

// prevNode returns the index of the previous non-space node at or before i, or -1.
func prevNode(nodes []node, i int) int {
	for ; i >= 0; i-- {
		if !nodes[i].isSpace() {
			return i
		}
	}
	return -1
}

// splitTop splits nodes at top-level commas.
func splitTop(nodes []node) [][]node {
	if nextNode(nodes, 0) < 0 {
		return nil
	}
	var parts [][]node
	start, depth := 0, 0
	for i, n := range nodes {
		switch {
		case n.isOp("["):
			depth++
		case n.isOp("]"):
			depth--
		case n.isOp(",") && depth == 0:
			parts = append(parts, append([]node{}, nodes[start:i]...))
			start = i + 1
		}
	}
	return append(parts, append([]node{}, nodes[start:]...))
}

// trimSpace drops leading and trailing space nodes.
func trimSpace(nodes []node) []node {
	for len(nodes) > 0 && nodes[0].isSpace() {
		nodes = nodes[1:]
	}
	for len(nodes) > 0 && nodes[len(nodes)-1].isSpace() {
		nodes = nodes[:len(nodes)-1]
	}
	return nodes
}

// stringLit returns the value of a lone string literal, and whether nodes is one.
func stringLit(nodes []node) (string, bool) {
	nodes = trimSpace(nodes)
	if len(nodes) != 1 || nodes[0].group || nodes[0].tok.Kind != TokString {
		return "", false
	}
	t := nodes[0].tok.Text
	return strings.ReplaceAll(t[1:len(t)-1], "''", "'"), true
}

// sqlString quotes s as a SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// gen makes tokens for generated SQL text, attributed to pos of the user's SQL.
func gen(pos int, texts ...string) []node {
	out := make([]node, 0, len(texts))
	for _, s := range texts {
		kind := TokOp
		switch {
		case s == "":
			continue
		case strings.TrimSpace(s) == "":
			kind = TokSpace
		case s[0] == '\'':
			kind = TokString
		case s[0] == '"':
			kind = TokQuoted
		case isIdentStart(s[0]):
			kind = TokIdent
		case s[0] >= '0' && s[0] <= '9':
			kind = TokNumber
		}
		out = append(out, node{tok: Token{Kind: kind, Text: s, Pos: pos}})
	}
	return out
}

// group wraps nodes in generated parentheses.
func group(pos int, kids []node) node {
	return node{group: true, open: Token{Kind: TokOp, Text: "(", Pos: pos}, kids: kids,
		close: Token{Kind: TokOp, Text: ")", Pos: pos}}
}

// call builds name(arg, arg, …) from already translated arguments.
func call(pos int, name string, args ...[]node) []node {
	var kids []node
	for i, a := range args {
		if i > 0 {
			kids = append(kids, gen(pos, ",", " ")...)
		}
		kids = append(kids, trimSpace(a)...)
	}
	return append(gen(pos, name), group(pos, kids))
}
