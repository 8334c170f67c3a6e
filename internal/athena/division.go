package athena

import (
	"fmt"
	"strconv"
)

// Trino stops a query that divides an integer or a decimal by zero ("Division by zero"); DuckDB answers NULL,
// which would make a percentage or a rate silently vanish from a report. The translator wraps every divisor of
// / and % that is not a non-zero number literal in athena_divisor(x, message), which raises Trino's error, with
// the place in the user's SQL, when x is zero. Real (DOUBLE) divisors keep DuckDB's NULL (Trino: Infinity or NaN).

// divisor rewrites the operand after the / or % at nodes[i]. It returns the output for the operator and its
// operand and the index of the operand's last node, or ok false when the operand needs no check or is not
// one the translator can delimit.
func (c *converter) divisor(nodes []node, i int) ([]node, int, bool) {
	j := nextNode(nodes, i+1)
	if j < 0 {
		return nil, 0, false
	}
	k := operandEnd(nodes, j)
	if k < 0 || nonZeroNumber(nodes[j:k+1]) {
		return nil, 0, false
	}
	pos := nodes[i].tok.Pos
	line, col := LineCol(c.sql, pos)
	msg := gen(pos, sqlString(fmt.Sprintf("line %d:%d: Division by zero", line, col)))
	out := append(append([]node{nodes[i]}, nodes[i+1:j]...), call(pos, "athena_divisor", c.list(nodes[j:k+1]), msg)...)
	return out, k, true
}

// operandEnd returns the index of the last node of the operand that starts at nodes[j] and binds tighter than
// a multiplication (a unary sign, a literal, a column or field chain, a function call, a parenthesized
// expression, CASE … END, with subscripts), or -1.
func operandEnd(nodes []node, j int) int {
	n := nodes[j]
	switch {
	case n.isOp("-") || n.isOp("+"):
		if k := nextNode(nodes, j+1); k >= 0 {
			return operandEnd(nodes, k)
		}
		return -1
	case n.group:
		return postfixEnd(nodes, j)
	case !n.group && (n.tok.Kind == TokNumber || n.tok.Kind == TokString):
		return j
	case n.isKeyword("CASE"):
		return caseEnd(nodes, j)
	case n.isName():
		if n.tok.Kind == TokIdent && isReservedWord(n.tok.Text) && !n.isKeyword("CAST") {
			if n.isKeyword("NULL") {
				return j
			}
			return -1
		}
		return postfixEnd(nodes, j)
	}
	return -1
}

// postfixEnd extends the primary at nodes[j] over .field, (arguments) and [subscript] that follow it at once.
func postfixEnd(nodes []node, j int) int {
	k := j
	for k+1 < len(nodes) {
		next := nodes[k+1]
		switch {
		case next.group:
			k++
		case next.isOp(".") && k+2 < len(nodes) && nodes[k+2].isName():
			k += 2
		case next.isOp("["):
			end := closingBracket(nodes, k+1)
			if end < 0 {
				return -1
			}
			k = end
		default:
			return k
		}
	}
	return k
}

func closingBracket(nodes []node, i int) int {
	depth := 0
	for j := i; j < len(nodes); j++ {
		switch {
		case nodes[j].isOp("["):
			depth++
		case nodes[j].isOp("]"):
			if depth--; depth == 0 {
				return j
			}
		}
	}
	return -1
}

func caseEnd(nodes []node, j int) int {
	depth := 0
	for k := j; k < len(nodes); k++ {
		switch {
		case nodes[k].isKeyword("CASE"):
			depth++
		case nodes[k].isKeyword("END"):
			if depth--; depth == 0 {
				return k
			}
		}
	}
	return -1
}

// nonZeroNumber reports whether operand is a number literal other than zero.
func nonZeroNumber(operand []node) bool {
	operand = trimSpace(operand)
	if len(operand) != 1 || operand[0].group || operand[0].tok.Kind != TokNumber {
		return false
	}
	f, err := strconv.ParseFloat(operand[0].tok.Text, 64)
	return err == nil && f != 0
}
