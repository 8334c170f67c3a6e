package export

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/trailq/trailq/internal/hiveddl"
	"github.com/trailq/trailq/internal/schema"
	"github.com/trailq/trailq/internal/store/internal/db"
)

// Partitions are the Hive partition columns of an export, in folder order.
var Partitions = hiveddl.ExportPartitions

// hiveNull is Hive's name for a NULL partition value (records whose key and body give no date or account).
const hiveNull = hiveddl.HiveNull

// Result says what Write wrote.
type Result struct {
	Rows  int64
	Files int
	Bytes int64
}

// An export is written into a staging folder inside the export folder, each file under a temporary name
// (exportTmpExt, which no "*.parquet" pattern matches, in a folder whose leading dot Hive, Spark and Athena
// skip). Once DuckDB's COPY has returned, every file is synced and renamed to its final place, and the staging
// folder is removed last: a final name only ever holds a complete file, and while the staging folder is there the
// export is unfinished.
const (
	exportStaging = ".trailq-export-unfinished"
	exportTmpExt  = ".tmp"
)

// Write writes every event of the store h as Hive-partitioned Parquet under dir
// (account=…/region=…/year=…/month=…/day=…/*.parquet), with Athena's CloudTrail columns: the layout Athena, Trino and Spark read as one partitioned table
// (AthenaDDL), and the extra files (name: content, e.g. the DDL) at the top of dir, moved in place after the
// Parquet files. dir must be new or empty, or hold an export that was stopped (killed, or a failure it could not
// clean up): that export's files are removed first, and the export is written again. The store must not be
// sandboxed (the sandbox forbids writing files).
func Write(ctx context.Context, h *db.Handle, dir string, extra map[string][]byte) (Result, error) {
	var res Result
	if h.Sandbox {
		return res, errors.New("export: the store is open for users' queries only (sandboxed)")
	}
	for name := range extra {
		if name != filepath.Base(name) || strings.HasPrefix(name, ".") || strings.Contains(name, "=") {
			return res, fmt.Errorf("export to %s: %q is not a plain file name", dir, name)
		}
	}
	dir = filepath.Clean(dir) // the folders made below are found by walking up to it
	if err := prepareExportDir(dir, extra); err != nil {
		return res, err
	}
	staging := filepath.Join(dir, exportStaging)
	if err := os.Mkdir(staging, 0o755); err != nil {
		return res, fmt.Errorf("create export staging folder: %w", err)
	}
	if err := syncPath(dir); err != nil {
		return res, fmt.Errorf("export to %s: %w", dir, err)
	}
	var moved []string // final paths, for the clean-up of a failed export
	fail := func(err error) (Result, error) {
		// The folder was empty: what this export put in is removed, the staging folder last (a kill leaves it
		// all to the next export).
		for i := len(moved) - 1; i >= 0; i-- {
			os.Remove(moved[i])
		}
		removeEmptyDirs(dir)
		os.RemoveAll(staging)
		return Result{}, err
	}
	parts := make([]string, len(Partitions))
	for i, p := range Partitions {
		parts[i] = `coalesce(` + db.QuoteIdent(p) + `, '` + hiveNull + `') AS ` + db.QuoteIdent(p)
	}
	q := `COPY (SELECT ` + db.ColumnList(schema.Athena) + `, ` + strings.Join(parts, ", ") + ` FROM ` + db.EventsTable +
		`) TO ` + db.SQLString(staging) + ` (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (` + strings.Join(Partitions, ", ") +
		`), FILENAME_PATTERN 'events_{i}', FILE_EXTENSION 'parquet` + exportTmpExt + `')`
	var err error
	res.Rows, err = copyOrdered(ctx, h, q)
	if err != nil {
		return fail(fmt.Errorf("export to %s: %w", dir, err))
	}
	for name, b := range extra {
		if err := os.WriteFile(filepath.Join(staging, name+exportTmpExt), b, 0o644); err != nil {
			return fail(fmt.Errorf("export to %s: %w", dir, err))
		}
	}
	// Every file synced before any is renamed: a final name is never given to bytes that are not on the disk.
	data, tops, err := syncStaged(ctx, staging)
	if err != nil {
		return fail(fmt.Errorf("export to %s: %w", dir, err))
	}
	// The Parquet files, then the extra files (the DDL) last.
	dirs, err := moveStaged(ctx, dir, staging, append(data, tops...), &res, &moved)
	if err != nil {
		return fail(err)
	}
	// The renames and the new folders made durable, then the staging folder removed: the export is finished.
	for d := range dirs {
		if err := syncPath(d); err != nil {
			return fail(fmt.Errorf("export to %s: %w", dir, err))
		}
	}
	if err := os.RemoveAll(staging); err != nil {
		return res, fmt.Errorf("export to %s: remove %s: %w", dir, staging, err)
	}
	if err := syncPath(dir); err != nil {
		return res, fmt.Errorf("export to %s: %w", dir, err)
	}
	return res, nil
}

// copyOrdered runs the COPY of an export with one thread, so that the same events give the same files, byte for
// byte: the rows in the table's order, each partition's files split at the same rows. With more threads DuckDB
// splits a large partition into files where its threads happen to flush, which differs from run to run (and an
// upload to S3 would send those partitions again on every run). On 300,000 events one thread took no longer
// than two (the export waits on the disk), and an ORDER BY would cost a sort of the whole table in memory. It
// returns the rows written.
func copyOrdered(ctx context.Context, h *db.Handle, q string) (int64, error) {
	conn, err := h.DB.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	var threads int64
	if err := conn.QueryRowContext(ctx, `SELECT current_setting('threads')`).Scan(&threads); err != nil {
		return 0, err
	}
	if _, err := conn.ExecContext(ctx, `SET threads = 1`); err != nil {
		return 0, err
	}
	// The setting is the database's: given back whatever happens.
	defer conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf(`SET threads = %d`, threads))
	r, err := conn.ExecContext(ctx, q)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

// syncStaged syncs every file under staging and returns their paths relative to it: the data files (in
// partition folders) and the top-level ones.
func syncStaged(ctx context.Context, staging string) (data, tops []string, err error) {
	err = filepath.WalkDir(staging, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := syncPath(path); err != nil {
			return err
		}
		rel, err := filepath.Rel(staging, path)
		if err != nil {
			return err
		}
		if filepath.Dir(rel) == "." {
			tops = append(tops, rel)
		} else {
			data = append(data, rel)
		}
		return nil
	})
	return data, tops, err
}

// moveStaged renames the staged files (rels, relative to staging) to their final names under dir, in order,
// appending each to moved and counting the Parquet files in res. It returns the folders to sync.
func moveStaged(ctx context.Context, dir, staging string, rels []string, res *Result, moved *[]string) (map[string]bool, error) {
	dirs := map[string]bool{dir: true}
	for _, rel := range rels {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		final := filepath.Join(dir, strings.TrimSuffix(rel, exportTmpExt))
		for d := filepath.Dir(final); !dirs[d] && d != filepath.Dir(d); d = filepath.Dir(d) {
			dirs[d] = true
		}
		if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
			return nil, fmt.Errorf("export to %s: %w", dir, err)
		}
		if err := os.Rename(filepath.Join(staging, rel), final); err != nil {
			return nil, fmt.Errorf("export to %s: %w", dir, err)
		}
		*moved = append(*moved, final)
		if strings.HasSuffix(final, ".parquet") {
			fi, err := os.Stat(final)
			if err != nil {
				return nil, fmt.Errorf("export to %s: %w", dir, err)
			}
			res.Files++
			res.Bytes += fi.Size()
		}
	}
	return dirs, nil
}

// prepareExportDir makes dir ready for an export: it creates it, accepts it empty, or removes a stopped export
// from it (the staging folder, and files where an export puts them: account=…/…/day=…/events_N.parquet and the
// extra files). Anything else in dir refuses the export, with the folder left alone.
func prepareExportDir(dir string, extra map[string][]byte) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create export folder: %w", err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("read export folder: %w", err)
	case len(entries) == 0:
		return nil
	}
	staging := filepath.Join(dir, exportStaging)
	if fi, err := os.Stat(staging); err != nil || !fi.IsDir() {
		return fmt.Errorf("export to %s: the folder is not empty (give a new or empty folder)", dir)
	}
	var files, foreign []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == dir {
			return nil
		}
		if path == staging {
			return fs.SkipDir
		}
		rel, _ := filepath.Rel(dir, path)
		if !isExportFile(filepath.ToSlash(rel), d.IsDir(), extra) {
			foreign = append(foreign, rel)
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read export folder: %w", err)
	}
	if len(foreign) > 0 {
		if len(foreign) > 3 {
			foreign = append(foreign[:3:3], "…")
		}
		return fmt.Errorf("export to %s: the folder holds an unfinished export (%s) and other files (%s): give a new or empty folder",
			dir, exportStaging, strings.Join(foreign, ", "))
	}
	// The staging folder last: killed while cleaning up, the folder is still an unfinished export.
	for _, f := range files {
		if err := os.Remove(f); err != nil {
			return fmt.Errorf("remove the unfinished export in %s: %w", dir, err)
		}
	}
	removeEmptyDirs(dir)
	if err := os.RemoveAll(staging); err != nil {
		return fmt.Errorf("remove the unfinished export in %s: %w", dir, err)
	}
	return nil
}

var exportFileRE = regexp.MustCompile(`^events_[0-9]+\.parquet$`)

// isExportFile reports whether rel (a slash path under an export folder) is where an export puts a folder or a
// file.
func isExportFile(rel string, isDir bool, extra map[string][]byte) bool {
	elems := strings.Split(rel, "/")
	n := len(elems)
	switch {
	case n == 1 && !isDir:
		_, ok := extra[rel]
		return ok
	case isDir && n <= len(Partitions):
	case !isDir && n == len(Partitions)+1 && exportFileRE.MatchString(elems[n-1]):
		elems = elems[:n-1]
	default:
		return false
	}
	for i, e := range elems {
		if !strings.HasPrefix(e, Partitions[i]+"=") {
			return false
		}
	}
	return true
}

// removeEmptyDirs removes the empty folders under the export folder dir, deepest first, but the staging folder.
func removeEmptyDirs(dir string) {
	var dirs []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil || !d.IsDir() || path == dir:
		case path == filepath.Join(dir, exportStaging):
			return fs.SkipDir
		default:
			dirs = append(dirs, path)
		}
		return nil
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		os.Remove(dirs[i]) // fails, as it should, for a folder that is not empty
	}
}

// syncPath makes a file's bytes, or a folder's entries (renames, new files and folders), durable.
func syncPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return nil
}

// AthenaDDL returns the Athena statements that make table over an export copied to location (an s3:// folder):
// CREATE EXTERNAL TABLE with Athena's CloudTrail columns as Hive types, partitioned as Write writes, then
// MSCK REPAIR TABLE to find the partitions.
func AthenaDDL(table, location string) string { return hiveddl.ExportRepair(table, location) }

// ProjectedDDL returns the CREATE EXTERNAL TABLE of the same table with partition projection over the layout l
// (Layout): no MSCK REPAIR needed.
func ProjectedDDL(table, location string, l hiveddl.ExportLayout) string {
	return hiveddl.ExportProjected(table, location, l)
}

// Layout says what partition folders an export of the store h has: its accounts and regions, its first year,
// and how many events have no key date (a year, month or day folder of Hive's NULL).
func Layout(ctx context.Context, h *db.Handle) (hiveddl.ExportLayout, error) {
	var l hiveddl.ExportLayout
	for _, c := range []struct {
		col string
		dst *[]string
	}{{"account", &l.Accounts}, {"region", &l.Regions}} {
		q := `SELECT DISTINCT coalesce(` + db.QuoteIdent(c.col) + `, '` + hiveNull + `') AS v FROM ` + db.EventsTable + ` ORDER BY v`
		rows, err := h.DB.QueryContext(ctx, q)
		if err != nil {
			return l, fmt.Errorf("read the export's %s partitions: %w", c.col, err)
		}
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return l, fmt.Errorf("read the export's %s partitions: %w", c.col, err)
			}
			*c.dst = append(*c.dst, v)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return l, fmt.Errorf("read the export's %s partitions: %w", c.col, err)
		}
	}
	var first sql.NullString
	q := `SELECT min(year), count(*) FILTER (WHERE year IS NULL OR month IS NULL OR day IS NULL) FROM ` + db.EventsTable
	if err := h.DB.QueryRowContext(ctx, q).Scan(&first, &l.Unplaced); err != nil {
		return l, fmt.Errorf("read the export's years: %w", err)
	}
	l.FirstYear = first.String
	return l, nil
}
