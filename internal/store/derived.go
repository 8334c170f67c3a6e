package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/trailq/trailq/internal/store/internal/db"
)

// SignInRowsTable is the table behind SignInsView, with the events table's internal columns (_file_id, …): a
// package that keeps something derived from the sign-in rows reads it to know what is new or gone.
const SignInRowsTable = db.SignInsTable

// Derived declares a table another package keeps from the store's rows (the sign-in classification, findings):
// the store creates it, recreates it empty when the rules that fill it change, drops the rows of objects that
// are gone, and appends what the package computes, each in a transaction.
type Derived struct {
	Name string
	// Columns are the table's columns (name, DuckDB type); the last must be _file_id BIGINT, the object the row
	// comes from.
	Columns [][2]string
	// Version names the rules that fill it: a store whose table was filled by other rules gets it empty again.
	Version string
	// From is the table whose objects it follows (SignInRowsTable, EventsTable): rows of objects no longer in it
	// are dropped.
	From string
}

func (d Derived) versionKey() string { return "derived_version:" + d.Name }

func (d Derived) ddl() string {
	defs := make([]string, len(d.Columns))
	for i, c := range d.Columns {
		defs[i] = db.QuoteIdent(c[0]) + " " + c[1]
	}
	return `CREATE TABLE ` + db.QuoteIdent(d.Name) + ` (` + strings.Join(defs, ", ") + `)`
}

// Current reports whether the table exists, filled by d's rules. A store opened read-only may have it stale.
func (s *Store) Current(ctx context.Context, d Derived) (bool, error) {
	if ok, err := s.HasTable(ctx, d.Name); err != nil || !ok {
		return false, err
	}
	v, err := s.Meta(ctx, d.versionKey())
	return v == d.Version, err
}

// SyncDerived makes the table of d ready for new rows on a store opened for writing: created (again, empty, when
// its rules changed), without the rows of objects gone from d.From. It returns the highest object id it holds:
// object ids only grow, so the rows of higher ids are the new ones.
func (s *Store) SyncDerived(ctx context.Context, d Derived) (watermark int64, err error) {
	if s.h.ReadOnly {
		return 0, fmt.Errorf("write %s: the store is open read-only", d.Name)
	}
	if n := len(d.Columns); n == 0 || d.Columns[n-1][0] != "_file_id" {
		return 0, fmt.Errorf("write %s: its last column must be _file_id", d.Name)
	}
	current, err := s.Current(ctx, d)
	if err != nil {
		return 0, err
	}
	tx, err := s.h.DB.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", d.Name, err)
	}
	defer tx.Rollback()
	stmts := []string{`DELETE FROM ` + db.QuoteIdent(d.Name) + ` WHERE _file_id NOT IN (SELECT DISTINCT _file_id FROM ` + d.From + `)`}
	if !current {
		stmts = []string{`DROP TABLE IF EXISTS ` + db.QuoteIdent(d.Name), d.ddl()}
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return 0, fmt.Errorf("write %s: %w", d.Name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO `+db.MetaTable+` VALUES (?, ?)`, d.versionKey(), d.Version); err != nil {
		return 0, fmt.Errorf("write %s: %w", d.Name, err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(_file_id), 0) FROM `+db.QuoteIdent(d.Name)).Scan(&watermark); err != nil {
		return 0, fmt.Errorf("write %s: %w", d.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("write %s: %w", d.Name, err)
	}
	return watermark, nil
}

// AppendDerived appends rows (in d.Columns' order) to the table of d, in one transaction.
func (s *Store) AppendDerived(ctx context.Context, d Derived, rows [][]driver.Value) error {
	if s.h.ReadOnly {
		return fmt.Errorf("write %s: the store is open read-only", d.Name)
	}
	conn, err := s.h.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("write %s: %w", d.Name, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN TRANSACTION`); err != nil {
		return fmt.Errorf("write %s: %w", d.Name, err)
	}
	commit := false
	defer func() {
		if !commit {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
		}
	}()
	err = conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppender(dc.(driver.Conn), "", "", d.Name)
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
		return fmt.Errorf("write %s: %w", d.Name, err)
	}
	if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
		return fmt.Errorf("write %s: %w", d.Name, err)
	}
	commit = true
	return nil
}
