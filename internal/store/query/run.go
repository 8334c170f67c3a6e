package query

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/trailq/trailq/internal/store/internal/db"
	"github.com/trailq/trailq/internal/store/sqlguard"
)

// Run runs one SQL statement on the store h and returns its rows. On a sandboxed store the statement must be one
// query that the guard allows (internal/store/sqlguard); it runs on a connection of its own, closed with the
// rows.
func Run(ctx context.Context, h *db.Handle, query string, args ...any) (*Rows, error) {
	var conn *sql.Conn
	var rows *sql.Rows
	var err error
	if h.Sandbox {
		if conn, err = h.DB.Conn(ctx); err != nil {
			return nil, err
		}
		var run string
		if run, err = sqlguard.Check(ctx, conn, query); err == nil {
			rows, err = conn.QueryContext(ctx, run, args...)
		}
	} else {
		rows, err = h.DB.QueryContext(ctx, query, args...)
	}
	if err != nil {
		if conn != nil {
			conn.Close()
		}
		if strings.Contains(err.Error(), h.PartsDir) && !errors.Is(err, sqlguard.ErrNotAllowed) && !strings.Contains(err.Error(), "Permission Error") {
			return nil, fmt.Errorf("%w (a part file of the store is missing or damaged: load again from the same source to read its logs again)", err)
		}
		return nil, err
	}
	cts, err := rows.ColumnTypes()
	if err != nil {
		rows.Close()
		if conn != nil {
			conn.Close()
		}
		return nil, err
	}
	r := &Rows{rows: rows, conn: conn}
	for _, ct := range cts {
		c := Column{Name: ct.Name(), Type: ct.DatabaseTypeName()}
		r.cols = append(r.cols, c)
		r.types = append(r.types, parseType(c.Type))
	}
	r.vals = make([]any, len(cts))
	r.ptrs = make([]any, len(cts))
	r.out = make([]any, len(cts))
	for i := range r.vals {
		r.ptrs[i] = &r.vals[i]
	}
	return r, nil
}
