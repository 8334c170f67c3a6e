package parts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/trailq/trailq/internal/partfile"
	"github.com/trailq/trailq/internal/store/internal/db"
	"github.com/trailq/trailq/internal/store/verify"
)

// Upgrade turns a store written before part files into one that has them: its events table becomes the native
// table, whose rows move into a first part file. It runs in the caller's transaction tx and reports whether it
// changed anything; a part file of a transaction that does not commit is removed by the next load.
func Upgrade(ctx context.Context, h *db.Handle, tx *sql.Tx) (bool, error) {
	if has, err := db.HasTable(ctx, tx, db.PartsTable); err != nil || has {
		return false, err
	}
	for _, q := range append([]string{`ALTER TABLE ` + db.EventsTable + ` RENAME TO ` + db.NativeTable}, db.PartsDDL...) {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return false, fmt.Errorf("upgrade store: %w", err)
		}
	}
	var rows int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+db.NativeTable).Scan(&rows); err != nil {
		return false, fmt.Errorf("upgrade store: %w", err)
	}
	if rows > 0 {
		if h.Notify != nil {
			h.Notify(fmt.Sprintf("Upgrading the store %s: moving its %d events into a Parquet file in %s (once; about a minute for ten million events).", h.Path, rows, h.PartsDir))
		}
		if err := os.MkdirAll(h.PartsDir, 0o700); err != nil {
			return false, fmt.Errorf("upgrade store: create parts folder: %w", err)
		}
		name := NewName()
		path := filepath.Join(h.PartsDir, name)
		cols := db.EventsColumns()
		if _, err := tx.ExecContext(ctx, `COPY (SELECT `+cols+` FROM `+db.NativeTable+`) TO `+db.SQLString(path)+
			` (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE `+strconv.Itoa(partfile.RowGroup)+`)`); err != nil {
			os.Remove(path)
			return false, fmt.Errorf("upgrade store: %w", err)
		}
		if err := Sync(path); err != nil {
			return false, err
		}
		if err := List(ctx, h, tx, name, rows); err != nil {
			return false, fmt.Errorf("upgrade store: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+db.PartFilesTable+` SELECT DISTINCT ?, _file_id FROM `+db.NativeTable, name); err != nil {
			return false, fmt.Errorf("upgrade store: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+db.NativeTable); err != nil {
			return false, fmt.Errorf("upgrade store: %w", err)
		}
	}
	return true, h.WriteEventsView(ctx, tx)
}

// NewName returns a file name no other part has.
func NewName() string {
	return "part-" + time.Now().UTC().Format("20060102T150405.000000000") + "-" + strconv.Itoa(os.Getpid()) + ".parquet"
}

// RemoveOrphans deletes the part files the store h does not list in the transaction q: those of loads killed
// before their commit, and those replaced by a commit whose process ended before it removed them. Only a writer
// may call it.
func RemoveOrphans(ctx context.Context, h *db.Handle, q db.Querier) error {
	names, err := db.PartNames(ctx, q)
	if err != nil {
		return err
	}
	listed := make(map[string]bool, len(names))
	for _, n := range names {
		listed[n] = true
	}
	entries, err := os.ReadDir(h.PartsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read parts folder: %w", err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".parquet") && !listed[e.Name()] {
			if err := os.Remove(filepath.Join(h.PartsDir, e.Name())); err != nil {
				return fmt.Errorf("remove unused part file: %w", err)
			}
		}
	}
	return nil
}

// RewriteWithout rewrites the listed parts that hold rows of the given files without those rows (a replaced
// object), in the caller's transaction. It returns the names of the new files and of the files they replace.
func RewriteWithout(ctx context.Context, h *db.Handle, q db.Querier, fileIDs []int64) (created, retired []string, err error) {
	names, err := db.PartNames(ctx, q)
	if err != nil || len(names) == 0 || len(fileIDs) == 0 {
		return nil, nil, err
	}
	ids := make([]string, len(fileIDs))
	for i, id := range fileIDs {
		ids[i] = strconv.FormatInt(id, 10)
	}
	in := "(" + strings.Join(ids, ", ") + ")"
	affected, err := db.Column[string](ctx, q, `SELECT DISTINCT parse_filename(filename) FROM read_parquet(`+
		db.PartsList(h.PartsDir, names)+`, filename = true) WHERE _file_id IN `+in)
	if err != nil {
		return nil, nil, fmt.Errorf("find replaced rows: %w", err)
	}
	defer func() {
		if err != nil {
			for _, n := range created {
				os.Remove(filepath.Join(h.PartsDir, n))
			}
			created, retired = nil, nil
		}
	}()
	cols := db.EventsColumns()
	for _, old := range affected {
		name := NewName()
		path := filepath.Join(h.PartsDir, name)
		res, err := q.ExecContext(ctx, `COPY (SELECT `+cols+` FROM read_parquet(`+db.SQLString(filepath.Join(h.PartsDir, old))+
			`) WHERE _file_id NOT IN `+in+`) TO `+db.SQLString(path)+
			` (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE `+strconv.Itoa(partfile.RowGroup)+`)`)
		if err != nil {
			return created, retired, fmt.Errorf("rewrite part %s: %w", old, err)
		}
		created = append(created, name)
		if err := Sync(path); err != nil {
			return created, retired, err
		}
		n, _ := res.RowsAffected()
		if _, err := q.ExecContext(ctx, `DELETE FROM `+db.PartsTable+` WHERE name = ?`, old); err != nil {
			return created, retired, fmt.Errorf("rewrite part %s: %w", old, err)
		}
		if err := List(ctx, h, q, name, n); err != nil {
			return created, retired, fmt.Errorf("rewrite part %s: %w", old, err)
		}
		if err := movePartFiles(ctx, q, []string{old}, name, in); err != nil {
			return created, retired, fmt.Errorf("rewrite part %s: %w", old, err)
		}
		retired = append(retired, old)
	}
	return created, retired, nil
}

// Small parts (incremental loads of a few files each: a scheduled `trailq signins`, a query with --lag) would pile
// up, and every query opens every part: once there are compactAt parts of fewer than smallPart rows, a commit
// merges them into one.
const (
	smallPart = 50_000
	compactAt = 16
)

// Compact merges the small parts, in the caller's transaction, when there are compactAt of them. It returns the
// new file and the files it replaces.
func Compact(ctx context.Context, h *db.Handle, q db.Querier) (created, retired []string, err error) {
	small, err := db.Column[string](ctx, q, `SELECT name FROM `+db.PartsTable+` WHERE rows < ? ORDER BY name`, smallPart)
	if err != nil {
		return nil, nil, fmt.Errorf("compact parts: %w", err)
	}
	if len(small) < compactAt {
		return nil, nil, nil
	}
	name := NewName()
	path := filepath.Join(h.PartsDir, name)
	cols := db.EventsColumns()
	res, err := q.ExecContext(ctx, `COPY (SELECT `+cols+` FROM read_parquet(`+db.PartsList(h.PartsDir, small)+`)) TO `+db.SQLString(path)+
		` (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE `+strconv.Itoa(partfile.RowGroup)+`)`)
	if err != nil {
		os.Remove(path)
		return nil, nil, fmt.Errorf("compact parts: %w", err)
	}
	if err := Sync(path); err != nil {
		os.Remove(path)
		return nil, nil, err
	}
	n, _ := res.RowsAffected()
	in := make([]string, len(small))
	for i, n := range small {
		in[i] = db.SQLString(n)
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM `+db.PartsTable+` WHERE name IN (`+strings.Join(in, ", ")+`)`); err == nil {
		err = List(ctx, h, q, name, n)
	}
	if err == nil {
		err = movePartFiles(ctx, q, small, name, "")
	}
	if err != nil {
		os.Remove(path)
		return nil, nil, fmt.Errorf("compact parts: %w", err)
	}
	return []string{name}, small, nil
}

// movePartFiles gives the part named to the objects of the parts from, except the file ids of the SQL list
// without ("" for none), and forgets the parts from.
func movePartFiles(ctx context.Context, q db.Querier, from []string, to, without string) error {
	in := make([]string, len(from))
	for i, p := range from {
		in[i] = db.SQLString(p)
	}
	parts := "(" + strings.Join(in, ", ") + ")"
	keep := ""
	if without != "" {
		keep = ` AND file_id NOT IN ` + without
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO `+db.PartFilesTable+` SELECT DISTINCT ?, file_id FROM `+db.PartFilesTable+
		` WHERE part IN `+parts+keep, to); err != nil {
		return err
	}
	_, err := q.ExecContext(ctx, `DELETE FROM `+db.PartFilesTable+` WHERE part IN `+parts)
	return err
}

// repairParts drops the part files that are missing or damaged, with every trace of the objects whose rows they
// held (their rows in other parts, sign-in rows, problems, manifest entries), so that the load reads those
// objects again. It runs in the caller's transaction and returns the files replaced (to delete after the
// commit) and created (to delete if it fails).
func repairParts(ctx context.Context, h *db.Handle, q db.Querier) (created, retired []string, err error) {
	checks, damagedChecks, err := verify.DamagedParts(ctx, q, h.PartsDir)
	if err != nil {
		return nil, nil, err
	}
	if err := verify.RecordChecksums(ctx, q, h.PartsDir, checks); err != nil {
		return nil, nil, err
	}
	if len(damagedChecks) == 0 {
		return nil, nil, nil
	}
	bad := make([]string, len(damagedChecks))
	why := make([]string, len(damagedChecks))
	quoted := make([]string, len(bad))
	for i, c := range damagedChecks {
		bad[i], why[i], quoted[i] = c.Name, c.Name+": "+c.Problem, db.SQLString(c.Name)
	}
	inBad := "(" + strings.Join(quoted, ", ") + ")"
	ids, err := db.Column[int64](ctx, q, `SELECT DISTINCT file_id FROM `+db.PartFilesTable+` WHERE part IN `+inBad+` ORDER BY 1`)
	if err != nil {
		return nil, nil, fmt.Errorf("repair store: %w", err)
	}
	if h.Notify != nil {
		h.Notify(fmt.Sprintf("Repairing the store %s: %d part files are missing or damaged (%s); the %d log files whose events they held will be read again.",
			h.Path, len(bad), strings.Join(why, "; "), len(ids)))
	}
	for _, stmt := range []string{`DELETE FROM ` + db.PartsTable + ` WHERE name IN ` + inBad,
		`DELETE FROM ` + db.PartFilesTable + ` WHERE part IN ` + inBad} {
		if _, err := q.ExecContext(ctx, stmt); err != nil {
			return nil, nil, fmt.Errorf("repair store: %w", err)
		}
	}
	if len(ids) > 0 {
		in := db.IDList(ids)
		if n, err := db.Column[int64](ctx, q, `SELECT count(*) FROM duckdb_tables() WHERE table_name = ?`, db.DuplicatesTable); err != nil {
			return nil, nil, fmt.Errorf("repair store: %w", err)
		} else if n[0] > 0 {
			// Copies of the lost rows in other objects are read again by the next load (Refills).
			if err := db.ForgetCopies(ctx, q, in); err != nil {
				return nil, nil, fmt.Errorf("repair store: %w", err)
			}
		}
		// Until a load reads them again (their logs may be gone), every answer says their events are missing.
		if err := recordLost(ctx, q, in, strings.Join(why, "; ")); err != nil {
			return nil, nil, fmt.Errorf("repair store: %w", err)
		}
		for _, stmt := range []string{
			`DELETE FROM ` + db.NativeTable + ` WHERE _file_id IN ` + in,
			`DELETE FROM ` + db.SignInsTable + ` WHERE _file_id IN ` + in,
			`DELETE FROM ` + db.ProblemsTable + ` WHERE file_id IN ` + in,
			`DELETE FROM ` + db.ObjectsTable + ` WHERE file_id IN ` + in,
		} {
			if _, err := q.ExecContext(ctx, stmt); err != nil {
				return nil, nil, fmt.Errorf("repair store: %w", err)
			}
		}
		if created, retired, err = RewriteWithout(ctx, h, q, ids); err != nil {
			return nil, nil, fmt.Errorf("repair store: %w", err)
		}
	}
	retired = append(retired, bad...)
	if err := h.WriteEventsView(ctx, q); err != nil {
		return created, nil, err
	}
	return created, retired, nil
}

// Repair runs repairParts in a transaction of its own, when the store h is opened for writing: the load that
// follows reads again the objects of the part files that were lost.
func Repair(ctx context.Context, h *db.Handle) error {
	tx, err := h.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer tx.Rollback()
	created, retired, err := repairParts(ctx, h, tx)
	if err == nil {
		err = tx.Commit() // the repair, and the checksums recorded of parts that had none
	}
	if err != nil {
		for _, n := range created {
			os.Remove(filepath.Join(h.PartsDir, n))
		}
		return err
	}
	for _, n := range retired {
		os.Remove(filepath.Join(h.PartsDir, n))
	}
	return nil
}

// List lists a part file of the store h that was written and synced, in the transaction q: its rows, size,
// SHA-256 and modification time.
func List(ctx context.Context, h *db.Handle, q db.Querier, name string, rows int64) error {
	size, sum, mtime, err := verify.HashFile(filepath.Join(h.PartsDir, name))
	if err != nil {
		return fmt.Errorf("list part %s: %w", name, err)
	}
	_, err = q.ExecContext(ctx, `INSERT INTO `+db.PartsTable+` (name, rows, created, size, sha256, mtime_ns) VALUES (?, ?, ?, ?, ?, ?)`,
		name, rows, time.Now().UTC(), size, sum, mtime)
	if err != nil {
		return fmt.Errorf("list part %s: %w", name, err)
	}
	return nil
}

// Sync makes the bytes of the part file at path durable.
func Sync(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("sync part file: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync part file: %w", err)
	}
	return nil
}
