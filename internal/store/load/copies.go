package load

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/trailq/trailq/internal/store/internal/db"
)

// Refill is a loaded object that holds a copy of an event whose stored copy is gone: the load reads it again and
// stores what the store no longer has (File.Refill).
type Refill struct {
	Key  string
	Size int64
}

// refill is a Refill handed out: the object's id and key.
type refill struct {
	id  int64
	key string
}

// RefillPending reports whether rows were removed from the store h and the objects holding copies of them not
// read again yet.
func RefillPending(ctx context.Context, h *db.Handle) (bool, error) {
	if has, err := db.HasTable(ctx, h.DB, db.DuplicatesTable); err != nil || !has {
		return false, err
	}
	var v string
	err := h.DB.QueryRowContext(ctx, `SELECT value FROM `+db.MetaTable+` WHERE key = ?`, db.RefillMeta).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read store: %w", err)
	}
	return v != "", nil
}

// Refills returns the objects to read again, with File.Refill set, because they hold a copy of an event the
// store no longer has (its stored copy was in an object that changed, or in a lost part). Call it with every
// file added, and again after the refills were added, until it returns none; then commit, which records that
// nothing is pending. An object is handed out once per load; one whose refill fails is read again in full by
// the next load.
func (l *Load) Refills(ctx context.Context) ([]Refill, error) {
	if !l.refillPending {
		return nil, nil
	}
	if err := l.duplicates.Flush(); err != nil {
		return nil, fmt.Errorf("find copies: %w", err)
	}
	rows, err := l.conn.QueryContext(ctx, `SELECT d.file_id, d.hash, o.key, o.size FROM `+db.DuplicatesTable+` d
		JOIN `+db.ObjectsTable+` o USING (file_id) ORDER BY o.key`)
	if err != nil {
		return nil, fmt.Errorf("find copies: %w", err)
	}
	defer rows.Close()
	var out []Refill
	for rows.Next() {
		var r refill
		var h uint64
		var size int64
		if err := rows.Scan(&r.id, &h, &r.key, &size); err != nil {
			return nil, fmt.Errorf("find copies: %w", err)
		}
		if l.hashes.Has(h) || l.refilling[r.key] != nil {
			continue
		}
		l.refilling[r.key] = &r
		out = append(out, Refill{Key: r.key, Size: size})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find copies: %w", err)
	}
	if len(out) == 0 {
		if _, err := l.conn.ExecContext(ctx, `DELETE FROM `+db.MetaTable+` WHERE key = ?`, db.RefillMeta); err != nil {
			return nil, fmt.Errorf("find copies: %w", err)
		}
		l.refillPending = false
	}
	return out, nil
}

// refillFailed makes the next load read an object again in full when its refill could not be read.
func (l *Load) refillFailed(ctx context.Context, id int64) error {
	_, err := l.conn.ExecContext(ctx, `UPDATE `+db.ObjectsTable+` SET version = '' WHERE file_id = ?`, id)
	return err
}
