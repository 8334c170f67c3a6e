package store

import (
	"context"

	"github.com/trailq/trailq/internal/store/query"
)

// Column describes one result column.
type Column = query.Column

// Rows is a query result, read row by row.
type Rows = query.Rows

// Query runs one SQL statement on the store and returns its rows. On a sandboxed store the statement must be one
// query that the guard allows (internal/store/sqlguard); it runs on a connection of its own.
func (s *Store) Query(ctx context.Context, sql string, args ...any) (*Rows, error) {
	return query.Run(ctx, s.h, sql, args...)
}

// Exec runs a statement that returns no rows.
func (s *Store) Exec(ctx context.Context, stmt string, args ...any) error {
	_, err := s.h.DB.ExecContext(ctx, stmt, args...)
	return err
}
