package athena

import (
	"fmt"
	"strings"
)

// TokenKind classifies a token.
type TokenKind int

// Token kinds.
const (
	TokSpace  TokenKind = iota // white space and comments
	TokIdent                   // bare identifier or keyword
	TokQuoted                  // "quoted identifier" (or `backticked`)
	TokString                  // 'string literal'
	TokNumber                  // 123, 1.5e3
	TokOp                      // operators and punctuation
)

// Token is one lexical token of a query; Text is exactly as written, Pos its byte offset.
type Token struct {
	Kind TokenKind
	Text string
	Pos  int
}

// Name returns the identifier a bare or quoted identifier token names: bare names folded to lower case
// (Athena's identifiers are case-insensitive), quoted ones unquoted.
func (t Token) Name() string {
	switch t.Kind {
	case TokIdent:
		return strings.ToLower(t.Text)
	case TokQuoted:
		q := t.Text[0:1]
		return strings.ReplaceAll(t.Text[1:len(t.Text)-1], q+q, q)
	}
	return ""
}

// IsKeyword reports whether t is the bare word kw (case-insensitive).
func (t Token) IsKeyword(kw string) bool {
	return t.Kind == TokIdent && strings.EqualFold(t.Text, kw)
}

// Lex splits a query into tokens. Joining the texts of all tokens gives the query back unchanged.
func Lex(q string) ([]Token, error) {
	var toks []Token
	i := 0
	for i < len(q) {
		c := q[i]
		start := i
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			for i < len(q) && strings.IndexByte(" \t\n\r\f", q[i]) >= 0 {
				i++
			}
			toks = append(toks, Token{TokSpace, q[start:i], start})
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			for i < len(q) && q[i] != '\n' {
				i++
			}
			toks = append(toks, Token{TokSpace, q[start:i], start})
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			end := strings.Index(q[i+2:], "*/")
			if end < 0 {
				return nil, &Error{Pos: start, Msg: "unterminated /* comment"}
			}
			i += 2 + end + 2
			toks = append(toks, Token{TokSpace, q[start:i], start})
		case c == '\'' || c == '"' || c == '`':
			i++
			for {
				if i >= len(q) {
					what := "string literal"
					if c != '\'' {
						what = "quoted identifier"
					}
					return nil, &Error{Pos: start, Msg: "unterminated " + what}
				}
				if q[i] == c {
					if i+1 < len(q) && q[i+1] == c {
						i += 2
						continue
					}
					i++
					break
				}
				i++
			}
			kind := TokQuoted
			if c == '\'' {
				kind = TokString
			}
			toks = append(toks, Token{kind, q[start:i], start})
		case isIdentStart(c):
			for i < len(q) && isIdentPart(q[i]) {
				i++
			}
			toks = append(toks, Token{TokIdent, q[start:i], start})
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9':
			for i < len(q) && (q[i] >= '0' && q[i] <= '9' || q[i] == '.') {
				i++
			}
			if i < len(q) && (q[i] == 'e' || q[i] == 'E') {
				j := i + 1
				if j < len(q) && (q[j] == '+' || q[j] == '-') {
					j++
				}
				if j < len(q) && q[j] >= '0' && q[j] <= '9' {
					i = j
					for i < len(q) && q[i] >= '0' && q[i] <= '9' {
						i++
					}
				}
			}
			toks = append(toks, Token{TokNumber, q[start:i], start})
		default:
			n := 1
			for _, op := range []string{"<>", "<=", ">=", "!=", "||", "::", "->", "=>"} {
				if strings.HasPrefix(q[i:], op) {
					n = 2
					break
				}
			}
			i += n
			toks = append(toks, Token{TokOp, q[start:i], start})
		}
	}
	return toks, nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentPart(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '$'
}

// Error is a problem in the user's SQL, at a byte offset of it (and, once located, its line and column).
type Error struct {
	Pos       int
	Line, Col int
	Msg       string
	// Context is the line of SQL with a caret under the position, when known.
	Context string
}

func (e *Error) Error() string {
	if e.Pos < 0 {
		return e.Msg
	}
	if e.Line == 0 {
		return fmt.Sprintf("at byte %d: %s", e.Pos, e.Msg)
	}
	s := fmt.Sprintf("line %d:%d: %s", e.Line, e.Col, e.Msg)
	if e.Context != "" {
		s += "\n" + e.Context
	}
	return s
}

// LineCol converts a byte offset of q into a 1-based line and column.
func LineCol(q string, pos int) (line, col int) {
	line, col = 1, 1
	for i := 0; i < pos && i < len(q); i++ {
		if q[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}
