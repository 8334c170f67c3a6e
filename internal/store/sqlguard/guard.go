package sqlguard

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// The guard decides what users' SQL may do on a sandboxed store, from DuckDB's own reading of it, never from the
// text: exactly one statement (DuckDB's parser splits the text), of the SELECT kind (DuckDB's prepared statement
// type: SELECT, WITH, VALUES, FROM-first, DESCRIBE, SHOW, SUMMARIZE, PIVOT) or EXPLAIN [ANALYZE] of one; and in its
// syntax tree (json_serialize_sql) no table function but those that compute rows (unnest, range, json_each, the
// catalog's duckdb_* listings), no file read as a table, and no function with a side effect. DuckDB has no
// read-only file allow-list (allowed_paths can be written to as well as read), so this is what keeps the query
// handle from writing; the file settings of the sandbox (Options.Sandbox) and the part checksums
// (internal/store/verify) are the layers under it.

// ErrNotAQuery is returned by a sandboxed store for statements that are not queries.
var ErrNotAQuery = errors.New("only queries (SELECT, WITH, …) can run on the store: it is read-only")

// ErrMultipleStatements is returned for SQL that holds more than one statement.
var ErrMultipleStatements = errors.New("the SQL holds more than one statement: trailq runs exactly one query at a time (run each on its own)")

// errSyntax marks a syntax error found by json_serialize_sql: Parse leaves it to the run, whose error shows where.
var errSyntax = errors.New("syntax error")

// ErrNotAllowed is returned for a query that calls what the sandbox does not allow (a file read, a setting).
var ErrNotAllowed = errors.New("not allowed on the store")

// allowedTableFunctions are the table functions a query may call: they compute rows, read no file and change
// nothing. Every other (read_csv, read_parquet, query, checkpoint, enable_logging, …) is refused.
var allowedTableFunctions = map[string]bool{
	"unnest": true, "range": true, "generate_series": true, "repeat": true, "json_each": true, "json_tree": true,
	"duckdb_columns": true, "duckdb_tables": true, "duckdb_views": true, "duckdb_types": true,
	"duckdb_functions": true, "duckdb_keywords": true, "duckdb_schemas": true, "duckdb_constraints": true,
	"duckdb_indexes": true, "pragma_table_info": true, "pg_timezone_names": true, "icu_calendar_names": true,
	"histogram": true, "histogram_values": true,
}

// refusedFunctions are scalar functions with an effect beyond their result: writing the log, the state of the
// connection (random seed, sequences), sleeping.
var refusedFunctions = map[string]bool{
	"write_log": true, "setseed": true, "nextval": true, "currval": true, "sleep_ms": true, "pg_sleep": true,
	"json_execute_serialized_sql": true, "getenv": true,
}

// statementNames name DuckDB's statement types in refusals.
var statementNames = map[duckdb.StmtType]string{
	duckdb.STATEMENT_TYPE_INSERT: "INSERT", duckdb.STATEMENT_TYPE_UPDATE: "UPDATE",
	duckdb.STATEMENT_TYPE_DELETE: "DELETE", duckdb.STATEMENT_TYPE_PREPARE: "PREPARE",
	duckdb.STATEMENT_TYPE_CREATE: "CREATE", duckdb.STATEMENT_TYPE_EXECUTE: "EXECUTE",
	duckdb.STATEMENT_TYPE_ALTER: "ALTER", duckdb.STATEMENT_TYPE_TRANSACTION: "transaction",
	duckdb.STATEMENT_TYPE_COPY: "COPY", duckdb.STATEMENT_TYPE_ANALYZE: "ANALYZE",
	duckdb.STATEMENT_TYPE_VARIABLE_SET: "SET VARIABLE", duckdb.STATEMENT_TYPE_CREATE_FUNC: "CREATE FUNCTION",
	duckdb.STATEMENT_TYPE_DROP: "DROP", duckdb.STATEMENT_TYPE_EXPORT: "EXPORT",
	duckdb.STATEMENT_TYPE_PRAGMA: "PRAGMA", duckdb.STATEMENT_TYPE_VACUUM: "VACUUM",
	duckdb.STATEMENT_TYPE_CALL: "CALL", duckdb.STATEMENT_TYPE_SET: "SET", duckdb.STATEMENT_TYPE_LOAD: "LOAD/INSTALL",
	duckdb.STATEMENT_TYPE_EXTENSION: "extension", duckdb.STATEMENT_TYPE_ATTACH: "ATTACH",
	duckdb.STATEMENT_TYPE_DETACH: "DETACH", duckdb.STATEMENT_TYPE_MULTI: "multi-statement",
}

func notAQuery(what string) error {
	return fmt.Errorf("%w: this is %s statement", ErrNotAQuery, what)
}

// Statement is users' SQL as the guard read it: one query, or EXPLAIN [ANALYZE] of one.
type Statement struct {
	// Query is the query itself (without EXPLAIN).
	Query string
	// Explain is "", "EXPLAIN" or "EXPLAIN ANALYZE".
	Explain string
	// Tree is DuckDB's syntax tree of Query (json_serialize_sql), as pushdown.Analyze reads it.
	Tree []byte
}

// SQL returns the statement to run: the query, behind its EXPLAIN.
func (s *Statement) SQL() string {
	if s.Explain == "" {
		return s.Query
	}
	return s.Explain + " " + s.Query
}

// Parse reads users' SQL as DuckDB's parser does, without a store, and returns it when the guard allows it: one
// query, or EXPLAIN [ANALYZE] of one, calling nothing the sandbox refuses. SQL with a syntax error is returned
// with its error tree and no error: running it reports the error at its place. A sandboxed store checks again, on
// its own connection, before it runs anything.
func Parse(ctx context.Context, query string) (*Statement, error) {
	connector, err := duckdb.NewConnector("?autoinstall_known_extensions=false&autoload_known_extensions=false&enable_external_access=false", nil)
	if err != nil {
		return nil, fmt.Errorf("parse query: %w", err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	st, err := parseStatement(ctx, db, query)
	if errors.Is(err, errSyntax) {
		return st, nil
	}
	return st, err
}

// parseStatement is Parse with the connection (or pool) that runs json_serialize_sql.
func parseStatement(ctx context.Context, q rowQuerier, query string) (*Statement, error) {
	st := &Statement{Query: query}
	if kw, rest, ok := explainPrefix(query); ok {
		st.Explain, st.Query = kw, rest
	}
	var tree string
	if err := q.QueryRowContext(ctx, `SELECT CAST(json_serialize_sql(CAST(? AS VARCHAR)) AS VARCHAR)`, st.Query).Scan(&tree); err != nil {
		return nil, fmt.Errorf("parse query: %w", err)
	}
	st.Tree = []byte(tree)
	if err := checkTree(st.Tree, query, len(query)-len(st.Query)); err != nil {
		if errors.Is(err, errSyntax) {
			return st, err
		}
		return nil, err
	}
	return st, nil
}

// syntaxDoc is json_serialize_sql's answer.
type syntaxDoc struct {
	Error      bool              `json:"error"`
	ErrorType  string            `json:"error_type"`
	Message    string            `json:"error_message"`
	Statements []json.RawMessage `json:"statements"`
}

// checkTree checks DuckDB's syntax tree of the query at offset base of text: exactly one SELECT statement that
// calls nothing refused. A refusal shows its place as DuckDB's errors do (LINE n: … ^), which the error mappers
// of the CLI and the web page read.
func checkTree(tree []byte, text string, base int) error {
	query := text[base:]
	var doc syntaxDoc
	if err := json.Unmarshal(tree, &doc); err != nil {
		return fmt.Errorf("parse query: %w", err)
	}
	if doc.Error {
		if doc.ErrorType == "parser" {
			return fmt.Errorf("parse query: %w: %s", errSyntax, doc.Message)
		}
		// json_serialize_sql serializes SELECT statements only: another kind is somewhere in the text.
		return fmt.Errorf("%w: the SQL holds a statement that is not a query%s, or more than one statement (trailq runs exactly one query: SELECT, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE, or EXPLAIN [ANALYZE] of a query)",
			ErrNotAQuery, startsWith(query))
	}
	switch len(doc.Statements) {
	case 0:
		return fmt.Errorf("%w: the SQL is empty", ErrNotAQuery)
	case 1:
	default:
		return fmt.Errorf("%w (it holds %d)", ErrMultipleStatements, len(doc.Statements))
	}
	var node any
	if err := json.Unmarshal(doc.Statements[0], &node); err != nil {
		return fmt.Errorf("parse query: %w", err)
	}
	err := checkNode(node)
	var r *refusal
	if errors.As(err, &r) && r.at >= 0 && base+r.at < len(text) {
		return fmt.Errorf("%w%s", r.err, excerpt(text, base+r.at))
	}
	if r != nil {
		return r.err
	}
	return err
}

// refusal is a refused node of the syntax tree, at byte offset at of the query (-1: unknown).
type refusal struct {
	err error
	at  int
}

func (r *refusal) Error() string { return r.err.Error() }

func refuse(x map[string]any, format string, args ...any) error {
	at := -1
	if loc, ok := x["query_location"].(float64); ok && loc >= 0 && loc < 1<<31 {
		at = int(loc)
	}
	return &refusal{err: fmt.Errorf(format, args...), at: at}
}

// excerpt shows the line of text at offset off with a caret under it, as DuckDB's errors do.
func excerpt(text string, off int) string {
	start := strings.LastIndexByte(text[:off], '\n') + 1
	end := strings.IndexByte(text[off:], '\n')
	if end < 0 {
		end = len(text)
	} else {
		end += off
	}
	prefix := fmt.Sprintf("LINE %d: ", 1+strings.Count(text[:start], "\n"))
	return "\n\n" + prefix + text[start:end] + "\n" + strings.Repeat(" ", len(prefix)+len([]rune(text[start:off]))) + "^"
}

// startsWith names the first word of query, for a refusal.
func startsWith(query string) string {
	rest := skipSpaceAndComments(query)
	w := strings.ToUpper(leadingWord(rest))
	switch w {
	case "PIVOT", "UNPIVOT":
		// DuckDB runs a PIVOT without an IN list as several statements (it creates a type first).
		return " (a " + w + " needs its values: ON col IN ('a', 'b'))"
	case "", "SELECT", "WITH", "FROM", "VALUES", "TABLE", "DESCRIBE", "SHOW", "SUMMARIZE":
		return ""
	}
	return " (" + w + ")"
}

// checkNode walks a syntax tree for table functions, tables and functions the sandbox refuses.
func checkNode(v any) error {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if err := checkNode(e); err != nil {
				return err
			}
		}
	case map[string]any:
		switch x["type"] {
		case "TABLE_FUNCTION":
			fn, _ := x["function"].(map[string]any)
			name, _ := fn["function_name"].(string)
			if !allowedTableFunctions[strings.ToLower(name)] {
				return refuse(fn, "%w: the table function %s() (the query box reads the store's tables only: cloudtrail_logs, …; unnest, range, json_each and the duckdb_* catalog listings are allowed)", ErrNotAllowed, name)
			}
		case "BASE_TABLE":
			name, _ := x["table_name"].(string)
			if strings.ContainsAny(name, `/\.:`) {
				return refuse(x, "%w: reading the file %q (the query box reads the store's tables only: cloudtrail_logs, …)", ErrNotAllowed, name)
			}
		}
		if x["class"] == "FUNCTION" {
			name, _ := x["function_name"].(string)
			if refusedFunctions[strings.ToLower(name)] {
				return refuse(x, "%w: the function %s() (it has an effect beyond its result)", ErrNotAllowed, name)
			}
		}
		for _, e := range x {
			if err := checkNode(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// explainPrefix splits "EXPLAIN [ANALYZE] query" (after white space and comments) into its keywords and the query.
func explainPrefix(q string) (kw, rest string, ok bool) {
	rest = skipSpaceAndComments(q)
	w := leadingWord(rest)
	if !strings.EqualFold(w, "EXPLAIN") {
		return "", q, false
	}
	rest = skipSpaceAndComments(rest[len(w):])
	kw = "EXPLAIN"
	if w := leadingWord(rest); strings.EqualFold(w, "ANALYZE") || strings.EqualFold(w, "ANALYSE") {
		rest = skipSpaceAndComments(rest[len(w):])
		kw = "EXPLAIN ANALYZE"
	}
	return kw, rest, true
}

func leadingWord(s string) string {
	i := 0
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] == '_') {
		i++
	}
	return s[:i]
}

func skipSpaceAndComments(q string) string {
	for {
		switch {
		case q == "":
			return q
		case q[0] == ' ' || q[0] == '\t' || q[0] == '\n' || q[0] == '\r' || q[0] == '\f':
			q = q[1:]
		case strings.HasPrefix(q, "--"):
			i := strings.IndexByte(q, '\n')
			if i < 0 {
				return ""
			}
			q = q[i+1:]
		case strings.HasPrefix(q, "/*"):
			i := strings.Index(q[2:], "*/")
			if i < 0 {
				return ""
			}
			q = q[i+4:]
		default:
			return q
		}
	}
}

// Check checks users' SQL on the connection that will run it and returns the statement to run. The syntax tree
// comes from json_serialize_sql on this connection; the statement count and type from DuckDB preparing the query
// on it (which runs nothing). Of an EXPLAIN, the query behind it is checked and the statement run is made of the
// parts checked, whatever else the text held.
func Check(ctx context.Context, conn *sql.Conn, query string) (string, error) {
	st, err := parseStatement(ctx, conn, query)
	if errors.Is(err, errSyntax) {
		// DuckDB's own error of the statement says where (LINE 1: … ^).
		if _, perr := statementType(conn, query); perr != nil {
			return "", perr
		}
	}
	if err != nil {
		return "", err
	}
	typ, err := statementType(conn, st.Query)
	if errors.Is(err, ErrMultipleStatements) {
		// One statement to the parser, several to DuckDB's planner: a PIVOT without an IN list creates a type first.
		return "", fmt.Errorf("%w: DuckDB would run it as several statements (a PIVOT needs its values: ON col IN ('a', 'b'))", ErrNotAQuery)
	}
	if err != nil {
		return "", err
	}
	if typ == duckdb.STATEMENT_TYPE_SELECT {
		return st.SQL(), nil
	}
	name := statementNames[typ]
	switch {
	case name == "":
		name = "another kind of"
	case strings.ContainsAny(name[:1], "AEIOU"):
		name = "an " + name
	default:
		name = "a " + name
	}
	return "", notAQuery(name)
}

// statementType prepares query on conn, which DuckDB refuses for more or fewer than one statement, and returns
// its type.
func statementType(conn *sql.Conn, query string) (duckdb.StmtType, error) {
	var typ duckdb.StmtType
	err := conn.Raw(func(dc any) error {
		c, ok := dc.(*duckdb.Conn)
		if !ok {
			return fmt.Errorf("check query: unexpected driver connection %T", dc)
		}
		// Prepare, unlike PrepareContext, refuses several statements instead of running all but the last.
		ps, err := c.Prepare(query)
		if err != nil {
			if strings.Contains(err.Error(), "PrepareContext") || strings.Contains(err.Error(), "multiple statements") {
				if strings.TrimSpace(skipSpaceAndComments(query)) == "" {
					return fmt.Errorf("%w: the SQL is empty", ErrNotAQuery)
				}
				return ErrMultipleStatements
			}
			return err
		}
		defer ps.Close()
		s, ok := ps.(*duckdb.Stmt)
		if !ok {
			return fmt.Errorf("check query: unexpected statement %T", ps)
		}
		typ, err = s.StatementType()
		return err
	})
	return typ, err
}

// SyntaxTree returns DuckDB's syntax tree of a query as JSON (json_serialize_sql), without running it: it is
// parsed in a throwaway in-memory database, no store needed.
func SyntaxTree(ctx context.Context, query string) ([]byte, error) {
	connector, err := duckdb.NewConnector("?autoinstall_known_extensions=false&autoload_known_extensions=false&enable_external_access=false", nil)
	if err != nil {
		return nil, fmt.Errorf("parse query: %w", err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	var tree string
	if err := db.QueryRowContext(ctx, `SELECT CAST(json_serialize_sql(CAST(? AS VARCHAR)) AS VARCHAR)`, query).Scan(&tree); err != nil {
		return nil, fmt.Errorf("parse query: %w", err)
	}
	return []byte(tree), nil
}

// rowQuerier runs a query of one row (a pool or a connection).
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
