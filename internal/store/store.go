package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/trailq/trailq/internal/hint"
	"github.com/trailq/trailq/internal/store/internal/db"
	"github.com/trailq/trailq/internal/store/parts"
	"github.com/trailq/trailq/internal/store/preview"
	"github.com/trailq/trailq/internal/store/verify"
)

// Options configure how a store is opened.
type Options struct {
	// ReadOnly opens the file without write access; several read-only openers may share it.
	ReadOnly bool
	// Threads is DuckDB's worker count; 0 lets DuckDB decide.
	Threads int
	// Sandbox is for running users' SQL: no file system or network access from SQL (read_csv, COPY, ATTACH,
	// INSTALL/LOAD…), configuration locked (SET), and Query refuses statements other than queries. With ReadOnly,
	// nothing can change the store.
	Sandbox bool
	// InitSQL runs on every new connection (e.g. CREATE TEMP MACRO for Athena functions); it must not write to
	// the database, so that it works on read-only stores too.
	InitSQL []string
	// Notify, when set, is told of slow one-time work when the store is opened (an upgrade of an older store).
	Notify func(msg string)

	// NoPartCheck, with ReadOnly, opens a store whose part files are damaged (for VerifyParts to report them).
	NoPartCheck bool
	// MemoryLimit bounds DuckDB's memory in bytes (memory_limit); 0 leaves DuckDB's default (80 % of RAM).
	MemoryLimit int64

	// ExtraParts, with ReadOnly, are preview files (names relative to the parts folder, see PreviewDir) that the
	// events view reads with the store's parts.
	ExtraParts []string

	moved bool // InitSQL has the events view of a moved store, or of ExtraParts
}

// Store is an open DuckDB store file.
type Store struct {
	h *db.Handle // reachable from internal/store only
}

// ErrLocked is returned when another process holds the store open for writing.
var ErrLocked = errors.New("the store is in use by another trailq process")

// Open opens (creating when needed, unless read-only) the store file at path.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if !opts.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create store folder: %w", err)
		}
		_, err := os.Stat(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := create(ctx, path); err != nil {
				return nil, err
			}
		case err == nil:
			// Another application's database, a damaged file or a newer store is refused before DuckDB opens it
			// for writing (and might write to it).
			if err := checkFile(path); err != nil {
				return nil, err
			}
			if err := probe(ctx, path); err != nil {
				return nil, err
			}
		}
	} else if err := checkFile(path); err != nil {
		return nil, err
	}
	return open(ctx, path, opts)
}

// create makes a new store file with its schema under another name and then links it in place, so that a process
// killed while creating it leaves no file rather than one without tables (that other commands would take for a
// broken store).
func create(ctx context.Context, path string) error {
	tmp := path + ".new-" + strconv.Itoa(os.Getpid())
	os.Remove(tmp)
	os.Remove(tmp + ".wal")
	s, err := open(ctx, tmp, Options{})
	if err != nil {
		return err
	}
	err = s.Close()
	defer os.Remove(tmp)
	defer os.Remove(tmp + ".wal")
	if err != nil {
		return fmt.Errorf("create store %s: %w", path, err)
	}
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		// No hard links here: rename (only another process creating the store at the same moment could lose).
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("create store %s: %w", path, err)
		}
	}
	return nil
}

// open opens the store file at path, creating its schema when it has none.
func open(ctx context.Context, path string, opts Options) (*Store, error) {
	if opts.ReadOnly && len(opts.ExtraParts) > 0 && !opts.moved {
		// The temporary events view over the store's parts and the preview files, found through a bare handle
		// (no InitSQL: the Athena macros are made for the handle that answers).
		bare, err := open(ctx, path, Options{ReadOnly: true})
		if err != nil {
			return nil, err
		}
		view, err := preview.View(ctx, bare.h, opts.ExtraParts)
		bare.Close()
		if err != nil {
			return nil, err
		}
		opts.moved = true
		opts.InitSQL = append(slices.Clone(opts.InitSQL), view)
	}
	dir := PartsDir(path)
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	pool, err := db.Connect(ctx, path, dir, db.Config{ReadOnly: opts.ReadOnly, Threads: opts.Threads, Sandbox: opts.Sandbox,
		InitSQL: opts.InitSQL, MemoryLimit: opts.MemoryLimit, ExtraParts: opts.ExtraParts})
	if err != nil {
		return nil, openErr(path, err)
	}
	s := &Store{h: &db.Handle{DB: pool, Path: path, PartsDir: dir, Notify: opts.Notify, ReadOnly: opts.ReadOnly, Sandbox: opts.Sandbox}}
	if err := s.init(ctx, opts.Notify); err != nil {
		pool.Close()
		return nil, err
	}
	if !s.h.ReadOnly {
		if err := parts.Repair(ctx, s.h); err != nil {
			pool.Close()
			return nil, err
		}
		return s, nil
	}
	if !opts.moved {
		// A store moved since its last load: its events view names the part files where they were. Read-only,
		// it cannot be rewritten; every connection gets a temporary view of the same name over the files here.
		view, err := s.movedView(ctx)
		if err != nil {
			pool.Close()
			return nil, err
		}
		if view != "" {
			pool.Close()
			opts.moved = true
			opts.InitSQL = append(slices.Clone(opts.InitSQL), view)
			return open(ctx, path, opts)
		}
	}
	if !opts.NoPartCheck {
		// Never an answer from a part that is not what its load wrote (a writable open repairs it).
		if err := verify.Refuse(ctx, s.h); err != nil {
			pool.Close()
			return nil, err
		}
	}
	return s, nil
}

func openErr(path string, err error) error {
	msg := err.Error()
	if strings.Contains(msg, "Could not set lock") || strings.Contains(msg, "Conflicting lock") {
		return hint.With(fmt.Errorf("open store %s: %w", path, ErrLocked),
			"if it is 'trailq serve', use its page's Load new logs (it loads while serving), or stop it; otherwise wait for the other command to finish")
	}
	if bad := duckdbError(path, err); bad != nil {
		return bad
	}
	return fmt.Errorf("open store %s: %w", path, err)
}

func (s *Store) init(ctx context.Context, notify func(string)) error {
	if s.h.ReadOnly {
		err := checkCatalog(ctx, s.h.DB, s.h.Path)
		if err == errEmptyDatabase {
			return &BadStoreError{Path: s.h.Path, Problem: "it is an empty DuckDB database, not a trailq store yet",
				Hint: "load logs into it first: trailq load --source DIR --store " + s.h.Path}
		}
		return err
	}
	tx, err := s.h.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("init store: %w", err)
	}
	defer tx.Rollback()
	// Open has probed the file read-only; checked again here, in the transaction that makes the schema.
	switch err := checkCatalog(ctx, tx, s.h.Path); {
	case err == nil:
		return s.upgrade(ctx, tx, notify)
	case err != errEmptyDatabase:
		return err
	}
	for _, ddl := range db.SchemaDDL() {
		if _, err := tx.ExecContext(ctx, ddl); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
	}
	if err := s.h.WriteEventsView(ctx, tx); err != nil {
		return err
	}
	if _, err := s.addTraceKeys(ctx, tx, nil); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO `+db.MetaTable+` VALUES ('schema', ?)`, SchemaVersion); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	return nil
}

// upgrade brings a store opened for writing up to date, in one transaction: part files (upgradeToParts), the
// sign-in table (addSignIns), and an events view that names the part files where they are now.
func (s *Store) upgrade(ctx context.Context, tx *sql.Tx, notify func(string)) error {
	changed, err := parts.Upgrade(ctx, s.h, tx)
	if err != nil {
		return err
	}
	added, err := s.addSignIns(ctx, tx, notify)
	if err != nil {
		return err
	}
	if has, err := db.HasColumn(ctx, tx, db.PartsTable, "sha256"); err != nil {
		return err
	} else if !has {
		// A store made before part checksums: their columns now, their values by the repair that follows.
		for _, q := range db.PartChecksumDDL {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("upgrade store: %w", err)
			}
		}
		changed = true
	}
	has, err := db.HasTable(ctx, tx, db.PartFilesTable)
	if err != nil {
		return err
	}
	if !has {
		// A store written by a development version of the part files, before their objects were recorded.
		if _, err := tx.ExecContext(ctx, db.PartsDDL[1]); err != nil {
			return fmt.Errorf("upgrade store: %w", err)
		}
		changed = true
	}
	if !changed {
		var dir string
		err := tx.QueryRowContext(ctx, `SELECT value FROM `+db.MetaTable+` WHERE key = ?`, db.PartsDirMeta).Scan(&dir)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("open store: %w", err)
		}
		if dir != s.h.PartsDir {
			if err := s.h.WriteEventsView(ctx, tx); err != nil {
				return err
			}
			changed = true
		}
	}
	indexed, err := s.addTraceKeys(ctx, tx, notify)
	if err != nil {
		return err
	}
	if !changed && !added && !indexed {
		return nil
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("upgrade store: %w", err)
	}
	return nil
}

// movedView returns the temporary events view a read-only store needs when its part files are not where its
// events view names them, or "".
func (s *Store) movedView(ctx context.Context) (string, error) {
	if has, err := db.HasTable(ctx, s.h.DB, db.PartsTable); err != nil || !has {
		return "", err
	}
	dir, err := s.Meta(ctx, db.PartsDirMeta)
	if err != nil || dir == s.h.PartsDir {
		return "", err
	}
	names, err := db.PartNames(ctx, s.h.DB)
	if err != nil || len(names) == 0 {
		return "", err
	}
	return db.EventsViewSQL(s.h.PartsDir, names, true), nil
}

// addSignIns adds the sign-in table to a store made before it existed, filled from the events it holds.
func (s *Store) addSignIns(ctx context.Context, tx *sql.Tx, notify func(string)) (bool, error) {
	if has, err := db.HasTable(ctx, tx, db.SignInsTable); err != nil || has {
		return false, err
	}
	if notify != nil {
		notify("Upgrading the store " + s.h.Path + ": copying its sign-in events into a table of their own (once; a minute for tens of millions of events).")
	}
	for _, q := range []string{db.SignInsDDL, db.SignInsViewDDL, db.SignInsFill} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return false, fmt.Errorf("upgrade store: %w", err)
		}
	}
	return true, nil
}

// traceKeysThrough returns the highest object id the trace index has the keys of, and the manifest's highest:
// the index answers when the first is not below the second (ok is false without an index).
func traceKeysThrough(ctx context.Context, q db.RowQuerier) (through, highest int64, ok bool, err error) {
	if has, err := db.HasTable(ctx, q, db.TraceKeysTable); err != nil || !has {
		return 0, 0, false, err
	}
	var v sql.NullInt64
	err = q.QueryRowContext(ctx, `SELECT (SELECT try_cast(value AS BIGINT) FROM `+db.MetaTable+` WHERE key = ?),
		(SELECT coalesce(max(file_id), 0) FROM `+db.ObjectsTable+`)`, db.TraceKeysMeta).Scan(&v, &highest)
	if err != nil {
		return 0, 0, false, fmt.Errorf("read the trace index: %w", err)
	}
	return v.Int64, highest, v.Valid, nil
}

// addTraceKeys makes the trace index of a store made before it, or loaded since by a binary that did not keep
// it, from the rows it holds: all of it again, in tx (a scan of the events; a load keeps it from then on).
func (s *Store) addTraceKeys(ctx context.Context, tx *sql.Tx, notify func(string)) (bool, error) {
	through, highest, ok, err := traceKeysThrough(ctx, tx)
	if err != nil || ok && through >= highest {
		return false, err
	}
	if notify != nil && highest > 0 {
		notify("Upgrading the store " + s.h.Path + ": indexing its access keys and principals for trailq trace (once; a minute for tens of millions of events).")
	}
	for _, q := range []string{`DROP TABLE IF EXISTS ` + db.TraceKeysTable, db.TraceKeysDDL, db.TraceKeysFill} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return false, fmt.Errorf("upgrade store: index for trace: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO `+db.MetaTable+` VALUES (?, ?)`, db.TraceKeysMeta, strconv.FormatInt(highest, 10)); err != nil {
		return false, fmt.Errorf("upgrade store: index for trace: %w", err)
	}
	return true, nil
}

// TraceFiles returns the objects (ids, ascending) whose records hold any of the values as an access key id
// (useridentity.accesskeyid) or a principal ARN (useridentity.arn, useridentity.sessioncontext.sessionissuer.arn),
// from the trace index: every stored row with such a value is in one of them. ok is false when the store has no
// index that covers all its objects (the caller scans).
func (s *Store) TraceFiles(ctx context.Context, values []string) (ids []int64, ok bool, err error) {
	through, highest, ok, err := traceKeysThrough(ctx, s.h.DB)
	if err != nil || !ok || through < highest {
		return nil, false, err
	}
	if len(values) == 0 {
		return nil, true, nil
	}
	args := make([]any, len(values))
	for i, v := range values {
		args[i] = v
	}
	ids, err = db.Column[int64](ctx, s.h.DB, `SELECT DISTINCT _file_id FROM `+db.TraceKeysTable+
		` WHERE k IN (?`+strings.Repeat(", ?", len(values)-1)+`) ORDER BY 1`, args...)
	if err != nil {
		return nil, false, fmt.Errorf("read the trace index: %w", err)
	}
	return ids, true, nil
}

// HasTable reports whether the store has a table of that name.
func (s *Store) HasTable(ctx context.Context, name string) (bool, error) {
	return db.HasTable(ctx, s.h.DB, name)
}

// SignInsTable returns the view a sign-in query should read: SignInsView, or LogsView for a store made before
// the sign-in table existed and opened read-only.
func (s *Store) SignInsTable(ctx context.Context) string {
	var n int
	if err := s.h.DB.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_views() WHERE view_name = '`+SignInsView+`'`).Scan(&n); err != nil || n == 0 {
		return LogsView
	}
	return SignInsView
}

// Path returns the store's file path.
func (s *Store) Path() string { return s.h.Path }

// Close closes the store.
func (s *Store) Close() error { return s.h.DB.Close() }

// Meta returns a value stored under key, or "" when there is none.
func (s *Store) Meta(ctx context.Context, key string) (string, error) { return s.h.Meta(ctx, key) }

// SetMeta stores value under key.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	return s.h.SetMeta(ctx, key, value)
}
