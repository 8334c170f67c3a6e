package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/trailq/trailq/internal/hint"
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
	db       *sql.DB
	path     string
	partsDir string
	notify   func(string)
	readOnly bool
	sandbox  bool
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
		view, err := bare.previewView(ctx, opts.ExtraParts)
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
	db, err := connect(ctx, path, dir, opts)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, path: path, partsDir: dir, notify: opts.Notify, readOnly: opts.ReadOnly, sandbox: opts.Sandbox}
	if err := s.init(ctx, opts.Notify); err != nil {
		db.Close()
		return nil, err
	}
	if !s.readOnly {
		if err := s.repair(ctx); err != nil {
			db.Close()
			return nil, err
		}
		return s, nil
	}
	if !opts.moved {
		// A store moved since its last load: its events view names the part files where they were. Read-only,
		// it cannot be rewritten; every connection gets a temporary view of the same name over the files here.
		view, err := s.movedView(ctx)
		if err != nil {
			db.Close()
			return nil, err
		}
		if view != "" {
			db.Close()
			opts.moved = true
			opts.InitSQL = append(slices.Clone(opts.InitSQL), view)
			return open(ctx, path, opts)
		}
	}
	if !opts.NoPartCheck {
		// Never an answer from a part that is not what its load wrote (a writable open repairs it).
		if err := s.refuseDamaged(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return s, nil
}

// connect opens the DuckDB file at path with the settings of opts: every connection runs opts.InitSQL, and the
// first sets the global settings (a sandbox's last: file access only to the part files, then the configuration
// locked).
func connect(ctx context.Context, path, dir string, opts Options) (*sql.DB, error) {
	params := []string{
		"autoinstall_known_extensions=false",
		"autoload_known_extensions=false",
	}
	if opts.ReadOnly {
		params = append(params, "access_mode=read_only")
	}
	if opts.Threads > 0 {
		params = append(params, fmt.Sprintf("threads=%d", opts.Threads))
	}
	// "SET name = value" statements become global settings, made once by the first connection (a sandbox then
	// locks the configuration, so they could not run again); the rest runs on every connection.
	var global, perConn []string
	for _, q := range opts.InitSQL {
		if m := setRE.FindStringSubmatch(q); m != nil {
			global = append(global, "SET GLOBAL "+m[1]+" = "+m[2])
			continue
		}
		perConn = append(perConn, q)
	}
	// Part files are opened once per query; their footers are kept.
	global = append(global, "SET GLOBAL parquet_metadata_cache = true")
	if opts.MemoryLimit > 0 {
		global = append(global, fmt.Sprintf("SET GLOBAL memory_limit = '%dMiB'", max(opts.MemoryLimit>>20, 64)))
	}
	var once sync.Once
	var globalErr error // sticky: no connection is handed out unlocked after a failed set-up
	// The driver calls this without a context; the statements are quick and local.
	initConn := func(ex driver.ExecerContext) error {
		once.Do(func() { globalErr = setGlobals(ex, global, dir, opts) })
		if globalErr != nil {
			return globalErr
		}
		for _, q := range perConn {
			if _, err := ex.ExecContext(context.Background(), q, nil); err != nil {
				return fmt.Errorf("set up connection: %w", err)
			}
		}
		return nil
	}
	connector, err := duckdb.NewConnector(path+"?"+strings.Join(params, "&"), initConn)
	if err != nil {
		return nil, openErr(path, err)
	}
	db := sql.OpenDB(connector)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, openErr(path, err)
	}
	return db, nil
}

// setGlobals makes the global settings on the first connection; a sandbox's come last.
func setGlobals(ex driver.ExecerContext, global []string, dir string, opts Options) error {
	if opts.Sandbox {
		// No file access from SQL but to the part files the events view reads, each by its exact name (a folder
		// would let "folder/../store.duckdb" through), then the configuration locked.
		paths, err := sandboxPaths(ex, dir, opts.ExtraParts)
		if err != nil {
			return fmt.Errorf("set up store: %w", err)
		}
		global = append(global,
			"SET GLOBAL allowed_paths = "+paths,
			"SET GLOBAL enable_external_access = false",
			"SET GLOBAL lock_configuration = true")
	}
	for _, q := range global {
		if _, err := ex.ExecContext(context.Background(), q, nil); err != nil {
			if strings.Contains(err.Error(), "configuration has been locked") {
				// Another sandboxed handle of this process shares the database and has set it up the same way
				// (only this code locks it, after the same settings).
				return nil
			}
			return fmt.Errorf("set up store: %w", err)
		}
	}
	return nil
}

// refuseDamaged returns a *DamagedError when a part file of the store does not match the part list.
func (s *Store) refuseDamaged(ctx context.Context) error {
	if has, err := hasColumn(ctx, s.db, partsTable, "sha256"); err != nil || !has {
		return err // a store made before part checksums: its next writable open records them
	}
	checks, err := s.checkParts(ctx, s.db, false)
	if err != nil {
		return err
	}
	if bad := damaged(checks); len(bad) > 0 {
		return &DamagedError{Path: s.path, Parts: bad}
	}
	return nil
}

// sandboxPaths returns the SQL list of the files a sandboxed handle may read: the part files the store lists and
// the extra (preview) files, in the parts folder dir.
func sandboxPaths(ex driver.ExecerContext, dir string, extra []string) (string, error) {
	names := slices.Clone(extra)
	if q, ok := ex.(driver.QueryerContext); ok {
		rows, err := q.QueryContext(context.Background(), `SELECT name FROM `+partsTable, nil)
		if err == nil {
			vals := make([]driver.Value, 1)
			for rows.Next(vals) == nil {
				if n, ok := vals[0].(string); ok {
					names = append(names, n)
				}
			}
			rows.Close()
		} else if !strings.Contains(err.Error(), "does not exist") {
			return "", fmt.Errorf("read part list: %w", err)
		}
	}
	if len(names) == 0 {
		return "[]::VARCHAR[]", nil
	}
	return partsList(dir, names), nil
}

var setRE = regexp.MustCompile(`(?i)^\s*SET\s+(?:SESSION\s+|GLOBAL\s+|LOCAL\s+)?([a-z_]+)\s*(?:=|TO)\s*('[^']*'|[a-z0-9_]+)\s*;?\s*$`)

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
	if s.readOnly {
		err := checkCatalog(ctx, s.db, s.path)
		if err == errEmptyDatabase {
			return &BadStoreError{Path: s.path, Problem: "it is an empty DuckDB database, not a trailq store yet",
				Hint: "load logs into it first: trailq load --source DIR --store " + s.path}
		}
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("init store: %w", err)
	}
	defer tx.Rollback()
	// Open has probed the file read-only; checked again here, in the transaction that makes the schema.
	switch err := checkCatalog(ctx, tx, s.path); {
	case err == nil:
		return s.upgrade(ctx, tx, notify)
	case err != errEmptyDatabase:
		return err
	}
	for _, ddl := range schemaDDL() {
		if _, err := tx.ExecContext(ctx, ddl); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
	}
	if err := s.writeEventsView(ctx, tx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO `+metaTable+` VALUES ('schema', ?)`, SchemaVersion); err != nil {
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
	changed, err := s.upgradeToParts(ctx, tx, notify)
	if err != nil {
		return err
	}
	added, err := s.addSignIns(ctx, tx, notify)
	if err != nil {
		return err
	}
	if has, err := hasColumn(ctx, tx, partsTable, "sha256"); err != nil {
		return err
	} else if !has {
		// A store made before part checksums: their columns now, their values by the repair that follows.
		for _, q := range partChecksumDDL {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("upgrade store: %w", err)
			}
		}
		changed = true
	}
	has, err := hasTable(ctx, tx, partFilesTable)
	if err != nil {
		return err
	}
	if !has {
		// A store written by a development version of the part files, before their objects were recorded.
		if _, err := tx.ExecContext(ctx, partsDDL[1]); err != nil {
			return fmt.Errorf("upgrade store: %w", err)
		}
		changed = true
	}
	if !changed {
		var dir string
		err := tx.QueryRowContext(ctx, `SELECT value FROM `+metaTable+` WHERE key = ?`, partsDirMeta).Scan(&dir)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("open store: %w", err)
		}
		if dir != s.partsDir {
			if err := s.writeEventsView(ctx, tx); err != nil {
				return err
			}
			changed = true
		}
	}
	if !changed && !added {
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
	if has, err := hasTable(ctx, s.db, partsTable); err != nil || !has {
		return "", err
	}
	dir, err := s.Meta(ctx, partsDirMeta)
	if err != nil || dir == s.partsDir {
		return "", err
	}
	names, err := partNames(ctx, s.db)
	if err != nil || len(names) == 0 {
		return "", err
	}
	return eventsViewSQL(s.partsDir, names, true), nil
}

// addSignIns adds the sign-in table to a store made before it existed, filled from the events it holds.
func (s *Store) addSignIns(ctx context.Context, tx *sql.Tx, notify func(string)) (bool, error) {
	if has, err := hasTable(ctx, tx, signInsTable); err != nil || has {
		return false, err
	}
	if notify != nil {
		notify("Upgrading the store " + s.path + ": copying its sign-in events into a table of their own (once; a minute for tens of millions of events).")
	}
	for _, q := range []string{signInsDDL, signInsViewDDL, signInsFill} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return false, fmt.Errorf("upgrade store: %w", err)
		}
	}
	return true, nil
}

// HasTable reports whether the store has a table of that name.
func (s *Store) HasTable(ctx context.Context, name string) (bool, error) {
	return hasTable(ctx, s.db, name)
}

type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func hasColumn(ctx context.Context, q rowQuerier, table, column string) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_columns() WHERE table_name = ? AND column_name = ?`, table, column).Scan(&n); err != nil {
		return false, fmt.Errorf("read store catalog: %w", err)
	}
	return n > 0, nil
}

func hasTable(ctx context.Context, q rowQuerier, name string) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables() WHERE table_name = ?`, name).Scan(&n); err != nil {
		return false, fmt.Errorf("read store catalog: %w", err)
	}
	return n > 0, nil
}

// SignInsTable returns the view a sign-in query should read: SignInsView, or LogsView for a store made before
// the sign-in table existed and opened read-only.
func (s *Store) SignInsTable(ctx context.Context) string {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_views() WHERE view_name = '`+SignInsView+`'`).Scan(&n); err != nil || n == 0 {
		return LogsView
	}
	return SignInsView
}

// Path returns the store's file path.
func (s *Store) Path() string { return s.path }

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// Meta returns a value stored under key, or "" when there is none.
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM `+metaTable+` WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read store metadata: %w", err)
	}
	return v, nil
}

// SetMeta stores value under key.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	if _, err := s.db.ExecContext(ctx, `INSERT OR REPLACE INTO `+metaTable+` VALUES (?, ?)`, key, value); err != nil {
		return fmt.Errorf("write store metadata: %w", err)
	}
	return nil
}
