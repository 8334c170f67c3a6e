package store

import (
	"context"
	"database/sql/driver"
	"fmt"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// SignInRowsTable is the table behind SignInsView, with the events table's internal columns (_file_id, …): a
// package that keeps something derived from the sign-in rows reads it to know what is new or gone.
const SignInRowsTable = signInsTable

// ReplaceRows deletes the rows of table that match where (SQL; "" deletes none) and appends rows, in one
// transaction: for tables that other packages derive from the store's rows (the sign-in classification).
func (s *Store) ReplaceRows(ctx context.Context, table, where string, rows [][]driver.Value) error {
	if s.readOnly {
		return fmt.Errorf("write %s: the store is open read-only", table)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("write %s: %w", table, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN TRANSACTION`); err != nil {
		return fmt.Errorf("write %s: %w", table, err)
	}
	commit := false
	defer func() {
		if !commit {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
		}
	}()
	if where != "" {
		if _, err := conn.ExecContext(ctx, `DELETE FROM `+quoteIdent(table)+` WHERE `+where); err != nil {
			return fmt.Errorf("write %s: %w", table, err)
		}
	}
	if len(rows) > 0 {
		err = conn.Raw(func(dc any) error {
			app, err := duckdb.NewAppender(dc.(driver.Conn), "", "", table)
			if err != nil {
				return err
			}
			for _, r := range rows {
				if err := app.AppendRow(r...); err != nil {
					app.Close()
					return err
				}
			}
			return app.Close()
		})
		if err != nil {
			return fmt.Errorf("write %s: %w", table, err)
		}
	}
	if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
		return fmt.Errorf("write %s: %w", table, err)
	}
	commit = true
	return nil
}
