package athena

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// duckLine matches the position DuckDB appends to an error: "LINE 3: …text…" and a caret line under it.
var duckLine = regexp.MustCompile(`(?s)\n*LINE (\d+): ([^\n]*)\n( *)\^\s*$`)

// missingFunction matches DuckDB's message for an unknown function.
var missingFunction = regexp.MustCompile(`(?:Scalar|Aggregate|Table)? ?Function with name "?([A-Za-z0-9_]+)"? does not exist!?`)

// MapError rewrites an error DuckDB gave for the translated SQL into one about the user's SQL: the position becomes
// a line and column of the Athena query, DuckDB's echo of the rewritten text is dropped, and the names of trailq's
// helper macros become the Trino functions they stand for.
func (q *Query) MapError(err error) error {
	if err == nil {
		return nil
	}
	var ae *Error
	if errors.As(err, &ae) {
		return err
	}
	msg := err.Error()
	pos := -1
	if m := duckLine.FindStringSubmatchIndex(msg); m != nil {
		line, _ := strconv.Atoi(msg[m[2]:m[3]])
		shown := msg[m[4]:m[5]]
		caret := (m[7] - m[6]) - len("LINE ") - (m[3] - m[2]) - len(": ")
		if off, ok := duckOffset(q.SQL, line, shown, caret); ok {
			pos = q.Original(off)
		}
		msg = strings.TrimRight(msg[:m[0]], "\n ")
	}
	if pos < 0 && strings.Contains(msg, "at end of input") {
		pos = len(strings.TrimRight(q.Athena, " \t\n;"))
	}
	msg = cleanMessage(msg)
	if m := missingFunction.FindStringSubmatch(msg); m != nil {
		name := strings.TrimPrefix(strings.ToLower(m[1]), "athena_")
		msg = "function " + name + " is not supported by trailq (neither an Athena function trailq translates nor a DuckDB one)"
	}
	if pos < 0 {
		return &Error{Pos: -1, Msg: msg}
	}
	return locate(q.Athena, &Error{Pos: pos, Msg: msg})
}

// duckOffset finds the byte offset in sql of the caret DuckDB drew under a (possibly shortened) copy of a line.
func duckOffset(sql string, line int, shown string, caret int) (int, bool) {
	lines := strings.SplitAfter(sql, "\n")
	if line < 1 || line > len(lines) {
		return 0, false
	}
	start := 0
	for _, l := range lines[:line-1] {
		start += len(l)
	}
	text := strings.TrimRight(lines[line-1], "\n")
	if strings.HasPrefix(shown, "...") {
		shown = shown[3:]
		caret -= 3
	}
	shown = strings.TrimSuffix(shown, "...")
	if caret < 0 {
		return 0, false
	}
	idx := strings.Index(text, shown)
	if idx < 0 {
		// DuckDB may have changed white space; fall back to the caret column.
		idx = 0
	}
	return start + idx + caret, true
}

var macroName = regexp.MustCompile(`athena__?([a-z0-9_]+)`)

// cleanMessage drops DuckDB's helper names and its suggestion of similar names from a message.
func cleanMessage(msg string) string {
	msg = macroName.ReplaceAllString(msg, "$1")
	if i := strings.Index(msg, "\nDid you mean"); i >= 0 {
		msg = msg[:i]
	}
	return strings.TrimSpace(msg)
}
