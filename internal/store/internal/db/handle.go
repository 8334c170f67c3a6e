package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
)

// Handle is an open store file: its DuckDB pool, where the file and its part files are, and how it was opened.
type Handle struct {
	DB       *sql.DB
	Path     string // the store file
	PartsDir string // its folder of part files, absolute
	// Notify, when set, is told of slow one-time work (an upgrade, a repair).
	Notify   func(msg string)
	ReadOnly bool
	Sandbox  bool // opened for users' SQL (Connect's sandbox settings)
}

// PartPath returns the path of the part file (or preview file) named, relative to the parts folder.
func (h *Handle) PartPath(name string) string { return filepath.Join(h.PartsDir, name) }

// Querier runs statements: a *sql.DB, *sql.Conn or *sql.Tx.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// RowQuerier reads one row.
type RowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// CatalogReader reads rows and single rows (a *sql.DB or *sql.Tx).
type CatalogReader interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	RowQuerier
}

// Column runs a query of one column and returns its values.
func Column[T any](ctx context.Context, q Querier, query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// HasColumn reports whether table has the column.
func HasColumn(ctx context.Context, q RowQuerier, table, column string) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_columns() WHERE table_name = ? AND column_name = ?`, table, column).Scan(&n); err != nil {
		return false, fmt.Errorf("read store catalog: %w", err)
	}
	return n > 0, nil
}

// HasTable reports whether the database has a table of that name.
func HasTable(ctx context.Context, q RowQuerier, name string) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables() WHERE table_name = ?`, name).Scan(&n); err != nil {
		return false, fmt.Errorf("read store catalog: %w", err)
	}
	return n > 0, nil
}

// Meta returns a value stored under key, or "" when there is none.
func (h *Handle) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := h.DB.QueryRowContext(ctx, `SELECT value FROM `+MetaTable+` WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read store metadata: %w", err)
	}
	return v, nil
}

// SetMeta stores value under key.
func (h *Handle) SetMeta(ctx context.Context, key, value string) error {
	if _, err := h.DB.ExecContext(ctx, `INSERT OR REPLACE INTO `+MetaTable+` VALUES (?, ?)`, key, value); err != nil {
		return fmt.Errorf("write store metadata: %w", err)
	}
	return nil
}

// PartNames returns the part files the store lists, oldest first.
func PartNames(ctx context.Context, q Querier) ([]string, error) {
	names, err := Column[string](ctx, q, `SELECT name FROM `+PartsTable+` ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("read part list: %w", err)
	}
	return names, nil
}

// WriteEventsView rewrites the events view for the parts the transaction q lists, and records the parts folder.
func (h *Handle) WriteEventsView(ctx context.Context, q Querier) error {
	names, err := PartNames(ctx, q)
	if err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, EventsViewSQL(h.PartsDir, names, false)); err != nil {
		return fmt.Errorf("write events view: %w (are the files of %s intact?)", err, h.PartsDir)
	}
	if _, err := q.ExecContext(ctx, `INSERT OR REPLACE INTO `+MetaTable+` VALUES (?, ?)`, PartsDirMeta, h.PartsDir); err != nil {
		return fmt.Errorf("write events view: %w", err)
	}
	return nil
}

// ForgetCopies removes the copies recorded for the objects of the ids (in, an SQL list) whose rows are removed,
// and notes that the objects holding copies of those rows must be read again (RefillMeta). It runs in the
// caller's transaction.
func ForgetCopies(ctx context.Context, q Querier, in string) error {
	for _, stmt := range []string{
		`DELETE FROM ` + DuplicatesTable + ` WHERE file_id IN ` + in,
		`INSERT OR REPLACE INTO ` + MetaTable + ` VALUES ('` + RefillMeta + `', 'pending')`,
	} {
		if _, err := q.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return nil
}

// Plural returns "s" unless n is 1.
func Plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
