package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Config says how Connect opens a store file.
type Config struct {
	ReadOnly    bool
	Threads     int      // DuckDB's worker count; 0 lets DuckDB decide
	Sandbox     bool     // no file access from SQL but to the part files, then the configuration locked
	InitSQL     []string // run on every new connection ("SET x = y" once, as a global setting)
	MemoryLimit int64    // bytes; 0 leaves DuckDB's default
	ExtraParts  []string // preview files a sandbox may read too, relative to the parts folder
}

// Connect opens the DuckDB file at path, whose parts folder is dir, with the settings of cfg: every connection
// runs cfg.InitSQL, and the first sets the global settings (a sandbox's last: file access only to the part
// files, then the configuration locked). Its errors are DuckDB's, for the caller to put in words.
func Connect(ctx context.Context, path, dir string, cfg Config) (*sql.DB, error) {
	params := []string{
		"autoinstall_known_extensions=false",
		"autoload_known_extensions=false",
	}
	if cfg.ReadOnly {
		params = append(params, "access_mode=read_only")
	}
	if cfg.Threads > 0 {
		params = append(params, fmt.Sprintf("threads=%d", cfg.Threads))
	}
	global, perConn := splitInitSQL(cfg)
	var once sync.Once
	var globalErr error // sticky: no connection is handed out unlocked after a failed set-up
	// The driver calls this without a context; the statements are quick and local.
	initConn := func(ex driver.ExecerContext) error {
		once.Do(func() { globalErr = setGlobals(ex, global, dir, cfg) })
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
		return nil, err
	}
	pool := sql.OpenDB(connector)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// splitInitSQL returns the global settings of cfg and the statements every connection runs. "SET name = value"
// statements become global settings, made once by the first connection (a sandbox then locks the
// configuration, so they could not run again).
func splitInitSQL(cfg Config) (global, perConn []string) {
	for _, q := range cfg.InitSQL {
		if m := setRE.FindStringSubmatch(q); m != nil {
			global = append(global, "SET GLOBAL "+m[1]+" = "+m[2])
			continue
		}
		perConn = append(perConn, q)
	}
	// Part files are opened once per query; their footers are kept.
	global = append(global, "SET GLOBAL parquet_metadata_cache = true")
	if cfg.MemoryLimit > 0 {
		global = append(global, fmt.Sprintf("SET GLOBAL memory_limit = '%dMiB'", max(cfg.MemoryLimit>>20, 64)))
	}
	return global, perConn
}

var setRE = regexp.MustCompile(`(?i)^\s*SET\s+(?:SESSION\s+|GLOBAL\s+|LOCAL\s+)?([a-z_]+)\s*(?:=|TO)\s*('[^']*'|[a-z0-9_]+)\s*;?\s*$`)

// setGlobals makes the global settings on the first connection; a sandbox's come last.
func setGlobals(ex driver.ExecerContext, global []string, dir string, cfg Config) error {
	if cfg.Sandbox {
		// No file access from SQL but to the part files the events view reads, each by its exact name (a folder
		// would let "folder/../store.duckdb" through), then the configuration locked.
		paths, err := sandboxPaths(ex, dir, cfg.ExtraParts)
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

// sandboxPaths returns the SQL list of the files a sandboxed handle may read: the part files the store lists and
// the extra (preview) files, in the parts folder dir.
func sandboxPaths(ex driver.ExecerContext, dir string, extra []string) (string, error) {
	names := slices.Clone(extra)
	if q, ok := ex.(driver.QueryerContext); ok {
		rows, err := q.QueryContext(context.Background(), `SELECT name FROM `+PartsTable, nil)
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
	return PartsList(dir, names), nil
}
