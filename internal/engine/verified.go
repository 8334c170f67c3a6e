package engine

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/trailq/trailq/internal/digest"
	"github.com/trailq/trailq/internal/hint"
	"github.com/trailq/trailq/internal/store"
	"github.com/trailq/trailq/internal/timewin"
)

// What `trailq verify --logs` found for the log files a store holds is kept in the store (a derived table: the
// checks of files whose rows are gone go with them), so that signins, detect and trace can say whether the logs
// they read were verified, and --verified-only can refuse to answer from any that were not.

// LogChecksTable holds the last check of each stored log file against the trail's digests.
const LogChecksTable = "trailq_log_checks"

var logCheckColumns = [][2]string{
	{"key", "VARCHAR"}, {"status", "VARCHAR"}, {"detail", "VARCHAR"}, {"checked_at", "TIMESTAMP"}, {"_file_id", "BIGINT"},
}

// RecordLogChecks keeps rep's results for the log files the store at path holds (when there is a store),
// over the earlier checks of the same files; it returns how many it kept.
func (e *Engine) RecordLogChecks(ctx context.Context, path string, rep *LogsReport, now time.Time) (int, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	st, err := e.Writer(ctx, path)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	ids, err := objectIDs(ctx, st)
	if err != nil {
		return 0, err
	}
	rows, err := earlierChecks(ctx, st)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range rep.Results {
		id, ok := ids[r.Key]
		if r.Kind != "log" || !ok {
			continue
		}
		rows[r.Key] = []driver.Value{r.Key, string(r.Status), r.Detail, now.UTC(), id}
		n++
	}
	d := store.Derived{Name: LogChecksTable, Columns: logCheckColumns, From: store.EventsTable,
		Version: "log-checks-1 at " + now.UTC().Format(time.RFC3339Nano)}
	if _, err := st.SyncDerived(ctx, d); err != nil {
		return 0, err
	}
	all := make([][]driver.Value, 0, len(rows))
	for _, r := range rows {
		all = append(all, r)
	}
	if err := st.AppendDerived(ctx, d, all); err != nil {
		return 0, err
	}
	return n, nil
}

// objectIDs maps the stored objects' keys to their ids.
func objectIDs(ctx context.Context, st *Store) (map[string]int64, error) {
	out := map[string]int64{}
	err := eachRow(ctx, st, `SELECT key, file_id FROM trailq_objects`, func(v []any) {
		k, _ := v[0].(string)
		id, _ := v[1].(int64)
		out[k] = id
	})
	return out, err
}

// earlierChecks reads the checks the store keeps, by key.
func earlierChecks(ctx context.Context, st *Store) (map[string][]driver.Value, error) {
	out := map[string][]driver.Value{}
	if ok, err := st.HasTable(ctx, LogChecksTable); err != nil || !ok {
		return out, err
	}
	err := eachRow(ctx, st, `SELECT key, status, detail, checked_at, _file_id FROM `+LogChecksTable, func(v []any) {
		k, _ := v[0].(string)
		out[k] = []driver.Value{v[0], v[1], v[2], v[3], v[4]}
	})
	return out, err
}

func eachRow(ctx context.Context, st *Store, sql string, fn func([]any)) error {
	rows, err := st.Query(ctx, sql)
	if err != nil {
		return fmt.Errorf("read the store: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			return fmt.Errorf("read the store: %w", err)
		}
		fn(v)
	}
	return rows.Err()
}

// Verified is what the checks say of the log files whose events a period holds.
type Verified struct {
	// Checked is false when the store keeps no checks at all (verify --logs never ran on it).
	Checked bool
	Files   int // log files with events in the period
	Valid   int // of which verified valid
	// Failed are the files a check failed (modified, not covered, …), with the status, up to 5; FailedN counts them.
	Failed  []string
	FailedN int
	// Unchecked counts the files no check covered.
	Unchecked int
}

// All reports whether every file was verified valid.
func (v Verified) All() bool { return v.Files == v.Valid }

// String says it in a line: "12 log files, 10 verified valid, 1 failed (…), 1 not checked".
func (v Verified) String() string {
	s := fmt.Sprintf("%d log file%s, %d verified valid", v.Files, plural(v.Files), v.Valid)
	if v.FailedN > 0 {
		s += fmt.Sprintf(", %d failed the check (%s)", v.FailedN, strings.Join(v.Failed, "; "))
	}
	if v.Unchecked > 0 {
		s += fmt.Sprintf(", %d not checked", v.Unchecked)
	}
	return s
}

// VerifiedFiles reads the checks of the log files holding events of the period p (all events when p is open).
func VerifiedFiles(ctx context.Context, st *Store, p timewin.Period) (Verified, error) {
	var v Verified
	ok, err := st.HasTable(ctx, LogChecksTable)
	if err != nil {
		return v, err
	}
	v.Checked = ok
	where := periodWhere(p)
	files := `SELECT DISTINCT _file_id FROM ` + store.EventsTable + where
	sql := `SELECT 'unchecked', NULL, count(*) FROM (` + files + `)`
	if ok {
		sql = `SELECT coalesce(c.status, 'unchecked'), CASE WHEN c.status <> 'valid' THEN c.key END, 1
			FROM (` + files + `) f LEFT JOIN ` + LogChecksTable + ` c USING (_file_id) ORDER BY 2`
	}
	err = eachRow(ctx, st, sql, func(r []any) {
		status, _ := r[0].(string)
		n, _ := r[2].(int64)
		if i, ok := r[2].(int32); ok {
			n = int64(i)
		}
		v.Files += int(n)
		switch status {
		case string(digest.Valid):
			v.Valid += int(n)
		case "unchecked":
			v.Unchecked += int(n)
		default:
			v.FailedN += int(n)
			if key, _ := r[1].(string); len(v.Failed) < 5 {
				v.Failed = append(v.Failed, key+": "+status)
			}
		}
	})
	return v, err
}

func periodWhere(p timewin.Period) string {
	var conds []string
	if !p.Start.IsZero() {
		conds = append(conds, `eventtime >= '`+p.Start.UTC().Format(time.RFC3339)+`'`)
	}
	if !p.End.IsZero() {
		conds = append(conds, `eventtime < '`+p.End.UTC().Format(time.RFC3339)+`'`)
	}
	if len(conds) == 0 {
		return ""
	}
	return ` WHERE ` + strings.Join(conds, " AND ")
}

// VerifiedOnly is the error of a command asked to answer from verified logs only when some are not.
func VerifiedOnly(v Verified) error {
	if v.All() {
		return nil
	}
	return hint.With(fmt.Errorf("--verified-only: the period's logs are not all verified: %s", v),
		"trailq verify --logs --source … checks them against the trail's digest files and records the result in the store")
}

// VerifiedOf reads, through a reader of the store of o, the checks of the log files with events in p (for a
// command whose own reader is closed, e.g. after a trace).
func (e *Engine) VerifiedOf(ctx context.Context, o Options, p timewin.Period) (Verified, error) {
	st, err := e.Reader(ctx, o)
	if err != nil {
		return Verified{}, err
	}
	defer st.Close()
	return VerifiedFiles(ctx, st, p)
}
