package store

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
)

// The events are kept in part files: Parquet files written by the load (in Go, in parallel with decoding) into
// the folder next to the store file, one per commit. The store file lists them (partsTable) in the same
// transaction as the manifest entries of their records, and the events view reads the listed files: a file that
// is not listed (a load killed before its commit) is never read, and is removed by the next load. nativeTable
// gives the view its columns when there is no part yet; it is otherwise empty (a store written before part files
// has its rows moved into a part when it is first opened for writing): a view over a UNION ALL would cost
// DuckDB its projection of struct fields into the Parquet reader (4× slower on useridentity.arn).
const (
	nativeTable = "trailq_native_events"
	partsTable  = "trailq_parts"
	// partsDirMeta is the meta key of the parts folder the events view was written for (a moved store's view is
	// rewritten, or shadowed by a temporary view when the store is opened read-only).
	partsDirMeta = "parts_dir"
)

// partFilesTable says which objects (file ids) have rows in which part, so that a part file that is lost or
// damaged can be repaired: the objects it held are read again (repairParts).
const partFilesTable = "trailq_part_files"

var partsDDL = []string{
	`CREATE TABLE IF NOT EXISTS ` + partsTable + ` (name VARCHAR PRIMARY KEY, rows BIGINT, created TIMESTAMPTZ, size BIGINT, sha256 VARCHAR, mtime_ns BIGINT)`,
	`CREATE TABLE IF NOT EXISTS ` + partFilesTable + ` (part VARCHAR, file_id BIGINT)`,
}

// PartsDir returns the folder of the part files of the store at path. Deleting a store means deleting both.
func PartsDir(path string) string { return path + ".parts" }

// eventsViewSQL defines the events view over the part files named, or over the (empty) native table when there
// are none.
func eventsViewSQL(dir string, names []string, temp bool) string {
	cols := columnList(athenaColumns, partitionColumns, internalColumns)
	kind := "VIEW"
	if temp {
		kind = "TEMP VIEW"
	}
	q := `CREATE OR REPLACE ` + kind + ` ` + EventsTable + ` AS SELECT ` + cols + ` FROM `
	if len(names) == 0 {
		return q + nativeTable
	}
	return q + `read_parquet(` + partsList(dir, names) + `)`
}

func partsList(dir string, names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = sqlString(filepath.Join(dir, n))
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// column runs a query of one column and returns its values.
func column[T any](ctx context.Context, q querier, query string, args ...any) ([]T, error) {
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

// partNames returns the part files the store lists, oldest first.
func partNames(ctx context.Context, q querier) ([]string, error) {
	names, err := column[string](ctx, q, `SELECT name FROM `+partsTable+` ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("read part list: %w", err)
	}
	return names, nil
}

// writeEventsView rewrites the events view for the parts the transaction lists, and records the parts folder.
func (s *Store) writeEventsView(ctx context.Context, q querier) error {
	names, err := partNames(ctx, q)
	if err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, eventsViewSQL(s.partsDir, names, false)); err != nil {
		return fmt.Errorf("write events view: %w (are the files of %s intact?)", err, s.partsDir)
	}
	if _, err := q.ExecContext(ctx, `INSERT OR REPLACE INTO `+metaTable+` VALUES (?, ?)`, partsDirMeta, s.partsDir); err != nil {
		return fmt.Errorf("write events view: %w", err)
	}
	return nil
}

// upgradeToParts turns a store written before part files into one that has them: its events table becomes the
// native table, whose rows move into a first part file. It runs in the caller's transaction; a part file of a
// transaction that does not commit is removed by the next load.
func (s *Store) upgradeToParts(ctx context.Context, tx *sql.Tx, notify func(string)) (bool, error) {
	if has, err := hasTable(ctx, tx, partsTable); err != nil || has {
		return false, err
	}
	for _, q := range append([]string{`ALTER TABLE ` + EventsTable + ` RENAME TO ` + nativeTable}, partsDDL...) {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return false, fmt.Errorf("upgrade store: %w", err)
		}
	}
	var rows int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+nativeTable).Scan(&rows); err != nil {
		return false, fmt.Errorf("upgrade store: %w", err)
	}
	if rows > 0 {
		if notify != nil {
			notify(fmt.Sprintf("Upgrading the store %s: moving its %d events into a Parquet file in %s (once; about a minute for ten million events).", s.path, rows, s.partsDir))
		}
		if err := os.MkdirAll(s.partsDir, 0o700); err != nil {
			return false, fmt.Errorf("upgrade store: create parts folder: %w", err)
		}
		name := newPartName()
		path := filepath.Join(s.partsDir, name)
		cols := columnList(athenaColumns, partitionColumns, internalColumns)
		if _, err := tx.ExecContext(ctx, `COPY (SELECT `+cols+` FROM `+nativeTable+`) TO `+sqlString(path)+
			` (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE `+strconv.Itoa(partfile.RowGroup)+`)`); err != nil {
			os.Remove(path)
			return false, fmt.Errorf("upgrade store: %w", err)
		}
		if err := syncFile(path); err != nil {
			return false, err
		}
		if err := s.listPart(ctx, tx, name, rows); err != nil {
			return false, fmt.Errorf("upgrade store: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+partFilesTable+` SELECT DISTINCT ?, _file_id FROM `+nativeTable, name); err != nil {
			return false, fmt.Errorf("upgrade store: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+nativeTable); err != nil {
			return false, fmt.Errorf("upgrade store: %w", err)
		}
	}
	return true, s.writeEventsView(ctx, tx)
}

// newPartName returns a file name no other part has.
func newPartName() string {
	return "part-" + time.Now().UTC().Format("20060102T150405.000000000") + "-" + strconv.Itoa(os.Getpid()) + ".parquet"
}

// removeOrphans deletes the part files the store does not list: those of loads killed before their commit, and
// those replaced by a commit whose process ended before it removed them. Only a writer may call it.
func (s *Store) removeOrphans(ctx context.Context, q querier) error {
	names, err := partNames(ctx, q)
	if err != nil {
		return err
	}
	listed := make(map[string]bool, len(names))
	for _, n := range names {
		listed[n] = true
	}
	s.removeStalePreviews()
	entries, err := os.ReadDir(s.partsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read parts folder: %w", err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".parquet") && !listed[e.Name()] {
			if err := os.Remove(filepath.Join(s.partsDir, e.Name())); err != nil {
				return fmt.Errorf("remove unused part file: %w", err)
			}
		}
	}
	return nil
}

// rewriteWithout rewrites the listed parts that hold rows of the given files without those rows (a replaced
// object), in the caller's transaction. It returns the names of the new files and of the files they replace.
func (s *Store) rewriteWithout(ctx context.Context, q querier, fileIDs []int64) (created, retired []string, err error) {
	names, err := partNames(ctx, q)
	if err != nil || len(names) == 0 || len(fileIDs) == 0 {
		return nil, nil, err
	}
	ids := make([]string, len(fileIDs))
	for i, id := range fileIDs {
		ids[i] = strconv.FormatInt(id, 10)
	}
	in := "(" + strings.Join(ids, ", ") + ")"
	affected, err := column[string](ctx, q, `SELECT DISTINCT parse_filename(filename) FROM read_parquet(`+
		partsList(s.partsDir, names)+`, filename = true) WHERE _file_id IN `+in)
	if err != nil {
		return nil, nil, fmt.Errorf("find replaced rows: %w", err)
	}
	defer func() {
		if err != nil {
			for _, n := range created {
				os.Remove(filepath.Join(s.partsDir, n))
			}
			created, retired = nil, nil
		}
	}()
	cols := columnList(athenaColumns, partitionColumns, internalColumns)
	for _, old := range affected {
		name := newPartName()
		path := filepath.Join(s.partsDir, name)
		res, err := q.ExecContext(ctx, `COPY (SELECT `+cols+` FROM read_parquet(`+sqlString(filepath.Join(s.partsDir, old))+
			`) WHERE _file_id NOT IN `+in+`) TO `+sqlString(path)+
			` (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE `+strconv.Itoa(partfile.RowGroup)+`)`)
		if err != nil {
			return created, retired, fmt.Errorf("rewrite part %s: %w", old, err)
		}
		created = append(created, name)
		if err := syncFile(path); err != nil {
			return created, retired, err
		}
		n, _ := res.RowsAffected()
		if _, err := q.ExecContext(ctx, `DELETE FROM `+partsTable+` WHERE name = ?`, old); err != nil {
			return created, retired, fmt.Errorf("rewrite part %s: %w", old, err)
		}
		if err := s.listPart(ctx, q, name, n); err != nil {
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

// compact merges the small parts, in the caller's transaction, when there are compactAt of them. It returns the
// new file and the files it replaces.
func (s *Store) compact(ctx context.Context, q querier) (created, retired []string, err error) {
	small, err := column[string](ctx, q, `SELECT name FROM `+partsTable+` WHERE rows < ? ORDER BY name`, smallPart)
	if err != nil {
		return nil, nil, fmt.Errorf("compact parts: %w", err)
	}
	if len(small) < compactAt {
		return nil, nil, nil
	}
	name := newPartName()
	path := filepath.Join(s.partsDir, name)
	cols := columnList(athenaColumns, partitionColumns, internalColumns)
	res, err := q.ExecContext(ctx, `COPY (SELECT `+cols+` FROM read_parquet(`+partsList(s.partsDir, small)+`)) TO `+sqlString(path)+
		` (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE `+strconv.Itoa(partfile.RowGroup)+`)`)
	if err != nil {
		os.Remove(path)
		return nil, nil, fmt.Errorf("compact parts: %w", err)
	}
	if err := syncFile(path); err != nil {
		os.Remove(path)
		return nil, nil, err
	}
	n, _ := res.RowsAffected()
	in := make([]string, len(small))
	for i, s := range small {
		in[i] = sqlString(s)
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM `+partsTable+` WHERE name IN (`+strings.Join(in, ", ")+`)`); err == nil {
		err = s.listPart(ctx, q, name, n)
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
func movePartFiles(ctx context.Context, q querier, from []string, to, without string) error {
	in := make([]string, len(from))
	for i, p := range from {
		in[i] = sqlString(p)
	}
	parts := "(" + strings.Join(in, ", ") + ")"
	keep := ""
	if without != "" {
		keep = ` AND file_id NOT IN ` + without
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO `+partFilesTable+` SELECT DISTINCT ?, file_id FROM `+partFilesTable+
		` WHERE part IN `+parts+keep, to); err != nil {
		return err
	}
	_, err := q.ExecContext(ctx, `DELETE FROM `+partFilesTable+` WHERE part IN `+parts)
	return err
}

// damagedParts checks the listed part files (checkParts) and returns the checks, with the damaged ones apart.
func (s *Store) damagedParts(ctx context.Context, q querier) (checks, bad []PartCheck, err error) {
	checks, err = s.checkParts(ctx, q, false)
	if err != nil {
		return nil, nil, err
	}
	return checks, damaged(checks), nil
}

func looksLikeParquet(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() < 12 {
		return false
	}
	head, tail := make([]byte, 4), make([]byte, 4)
	if _, err := f.ReadAt(head, 0); err != nil {
		return false
	}
	if _, err := f.ReadAt(tail, fi.Size()-4); err != nil {
		return false
	}
	return string(head) == "PAR1" && string(tail) == "PAR1"
}

// repairParts drops the part files that are missing or damaged, with every trace of the objects whose rows they
// held (their rows in other parts, sign-in rows, problems, manifest entries), so that the load reads those
// objects again. It runs in the caller's transaction and returns the files replaced (to delete after the
// commit) and created (to delete if it fails).
func (s *Store) repairParts(ctx context.Context, q querier) (created, retired []string, err error) {
	checks, damagedChecks, err := s.damagedParts(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	if err := s.recordChecksums(ctx, q, checks); err != nil {
		return nil, nil, err
	}
	if len(damagedChecks) == 0 {
		return nil, nil, nil
	}
	bad := make([]string, len(damagedChecks))
	why := make([]string, len(damagedChecks))
	quoted := make([]string, len(bad))
	for i, c := range damagedChecks {
		bad[i], why[i], quoted[i] = c.Name, c.Name+": "+c.Problem, sqlString(c.Name)
	}
	inBad := "(" + strings.Join(quoted, ", ") + ")"
	ids, err := column[int64](ctx, q, `SELECT DISTINCT file_id FROM `+partFilesTable+` WHERE part IN `+inBad+` ORDER BY 1`)
	if err != nil {
		return nil, nil, fmt.Errorf("repair store: %w", err)
	}
	if s.notify != nil {
		s.notify(fmt.Sprintf("Repairing the store %s: %d part files are missing or damaged (%s); the %d log files whose events they held will be read again.",
			s.path, len(bad), strings.Join(why, "; "), len(ids)))
	}
	for _, stmt := range []string{`DELETE FROM ` + partsTable + ` WHERE name IN ` + inBad,
		`DELETE FROM ` + partFilesTable + ` WHERE part IN ` + inBad} {
		if _, err := q.ExecContext(ctx, stmt); err != nil {
			return nil, nil, fmt.Errorf("repair store: %w", err)
		}
	}
	if len(ids) > 0 {
		in := idList(ids)
		if n, err := column[int64](ctx, q, `SELECT count(*) FROM duckdb_tables() WHERE table_name = ?`, duplicatesTable); err != nil {
			return nil, nil, fmt.Errorf("repair store: %w", err)
		} else if n[0] > 0 {
			// Copies of the lost rows in other objects are read again by the next load (Refills).
			if err := forgetCopies(ctx, q, in); err != nil {
				return nil, nil, fmt.Errorf("repair store: %w", err)
			}
		}
		// Until a load reads them again (their logs may be gone), every answer says their events are missing.
		if err := recordLost(ctx, q, in, strings.Join(why, "; ")); err != nil {
			return nil, nil, fmt.Errorf("repair store: %w", err)
		}
		for _, stmt := range []string{
			`DELETE FROM ` + nativeTable + ` WHERE _file_id IN ` + in,
			`DELETE FROM ` + signInsTable + ` WHERE _file_id IN ` + in,
			`DELETE FROM ` + problemsTable + ` WHERE file_id IN ` + in,
			`DELETE FROM ` + objectsTable + ` WHERE file_id IN ` + in,
		} {
			if _, err := q.ExecContext(ctx, stmt); err != nil {
				return nil, nil, fmt.Errorf("repair store: %w", err)
			}
		}
		if created, retired, err = s.rewriteWithout(ctx, q, ids); err != nil {
			return nil, nil, fmt.Errorf("repair store: %w", err)
		}
	}
	retired = append(retired, bad...)
	if err := s.writeEventsView(ctx, q); err != nil {
		return created, nil, err
	}
	return created, retired, nil
}

// repair runs repairParts in a transaction of its own, when the store is opened for writing: the load that
// follows reads again the objects of the part files that were lost.
func (s *Store) repair(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer tx.Rollback()
	created, retired, err := s.repairParts(ctx, tx)
	if err == nil {
		err = tx.Commit() // the repair, and the checksums recorded of parts that had none
	}
	if err != nil {
		for _, n := range created {
			os.Remove(filepath.Join(s.partsDir, n))
		}
		return err
	}
	for _, n := range retired {
		os.Remove(filepath.Join(s.partsDir, n))
	}
	return nil
}

func syncFile(path string) error {
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
