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
	if m := noMatch.FindStringSubmatch(msg); m != nil {
		msg = unexpectedParameters(userFunction(q.Athena, pos, m[1]), m[2], msg)
	}
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

// noMatch matches DuckDB's message for a call whose argument types no overload takes.
var noMatch = regexp.MustCompile(`No function matches the given name and argument types '([A-Za-z0-9_]+)\((.*?)\)'`)

// candidate matches one line of DuckDB's "Candidate functions:" list: "\tname(TYPES) -> RESULT".
var candidate = regexp.MustCompile(`(?m)^\s*[A-Za-z0-9_]+\((.*)\) -> .*$`)

// userFunction returns the name of the function the user wrote at pos (the call DuckDB's error points at), or
// duck, the name DuckDB used, when pos is not at a call.
func userFunction(sql string, pos int, duck string) string {
	if pos >= 0 && pos < len(sql) {
		end := pos
		for end < len(sql) && (isIdentStart(sql[end]) || sql[end] >= '0' && sql[end] <= '9') {
			end++
		}
		if end > pos && strings.HasPrefix(strings.TrimLeft(sql[end:], " \t\n"), "(") {
			return strings.ToLower(sql[pos:end])
		}
	}
	return strings.ToLower(duck)
}

// unexpectedParameters words DuckDB's "no function matches" as Trino does, in the user's function name and
// Trino's type names: "Unexpected parameters (varchar) for function day_of_week. Expected: day_of_week(date), …",
// with a hint when text was given where a time is wanted (eventtime is text in the CloudTrail table).
func unexpectedParameters(name, args, msg string) string {
	var expected []string
	wantsTime := false
	for _, m := range candidate.FindAllStringSubmatch(msg, -1) {
		expected = append(expected, name+"("+trinoTypes(m[1])+")")
		wantsTime = wantsTime || strings.Contains(m[1], "TIMESTAMP") || strings.Contains(m[1], "DATE")
	}
	out := "Unexpected parameters (" + trinoTypes(args) + ") for function " + name
	if len(expected) > 0 {
		out += ". Expected: " + strings.Join(expected, ", ")
	}
	if wantsTime && strings.Contains(args, "VARCHAR") {
		out += " (eventtime is ISO-8601 text in the CloudTrail table: read it with from_iso8601_timestamp(eventtime))"
	}
	return out
}

// trinoTypes renames DuckDB's type names in a comma-separated list to Trino's: lower case, T[] as array(t).
func trinoTypes(list string) string {
	parts := strings.Split(list, ", ")
	for i, p := range parts {
		p = strings.ToLower(strings.TrimSpace(p))
		for strings.HasSuffix(p, "[]") {
			p = "array(" + strings.TrimSuffix(p, "[]") + ")"
		}
		parts[i] = p
	}
	return strings.Join(parts, ", ")
}
