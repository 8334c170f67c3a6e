package parts

import (
	"context"
	"fmt"
	"time"

	"github.com/trailq/trailq/internal/store/internal/db"
)

// Lost is a log object whose events are missing from the store since a repair.
type Lost struct {
	Key     string
	Records int64 // records it had when it was loaded
	Reason  string
	At      time.Time
}

// recordLost lists the objects of the ids (in, an SQL list) as lost, before their manifest entries go.
func recordLost(ctx context.Context, q db.Querier, in, reason string) error {
	if _, err := q.ExecContext(ctx, db.LostDDL); err != nil {
		return err
	}
	_, err := q.ExecContext(ctx, `INSERT OR REPLACE INTO `+db.LostTable+`
		SELECT key, records, ?, now() FROM `+db.ObjectsTable+` WHERE file_id IN `+in, reason)
	return err
}

// LostObjects returns the objects whose events are missing from the store h since a repair, by key.
func LostObjects(ctx context.Context, h *db.Handle) ([]Lost, error) {
	if has, err := db.HasTable(ctx, h.DB, db.LostTable); err != nil || !has {
		return nil, err
	}
	rows, err := h.DB.QueryContext(ctx, `SELECT key, records, reason, lost_at FROM `+db.LostTable+` ORDER BY key`)
	if err != nil {
		return nil, fmt.Errorf("read lost objects: %w", err)
	}
	defer rows.Close()
	var out []Lost
	for rows.Next() {
		var l Lost
		if err := rows.Scan(&l.Key, &l.Records, &l.Reason, &l.At); err != nil {
			return nil, fmt.Errorf("read lost objects: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Warnings returns what every answer of the store h must say: that it lacks the events of log objects lost with
// a damaged part and not read again since.
func Warnings(ctx context.Context, h *db.Handle) ([]string, error) {
	lost, err := LostObjects(ctx, h)
	if err != nil || len(lost) == 0 {
		return nil, err
	}
	var records int64
	first := lost[0].At
	for _, l := range lost {
		records += l.Records
		if l.At.Before(first) {
			first = l.At
		}
	}
	return []string{fmt.Sprintf("this answer lacks the events of %d log file%s (%d records, e.g. %s), lost with a damaged part file of the store on %s and not read again since: load from their source to restore them, or see `trailq verify`",
		len(lost), db.Plural(len(lost)), records, lost[0].Key, first.UTC().Format("2006-01-02 15:04 UTC"))}, nil
}
