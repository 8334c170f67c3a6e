package preview

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/trailq/trailq/internal/store/internal/db"
	"github.com/trailq/trailq/internal/store/sqlguard"
)

// previewPrefix starts the names of preview folders in the parts folder.
const previewPrefix = "preview-"

// Dir returns a new folder (not yet created) for the preview files of the store at path, and its name relative
// to the parts folder, as a store's ExtraParts option takes the files in it.
func Dir(path string) (dir, rel string) {
	rel = previewPrefix + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	parts := db.PartsDir(path)
	if abs, err := filepath.Abs(parts); err == nil {
		parts = abs
	}
	return filepath.Join(parts, rel), rel
}

// RemoveStale removes the preview folders, in the parts folder dir, of processes that ended without removing
// them (killed while answering). A folder is stale once it has not changed for an hour: a preview lasts as long
// as a read of the new logs.
func RemoveStale(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), previewPrefix) {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > time.Hour {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

// ErrNotPreviewable is returned by ScanColumns for a query that reads something other than the events (the
// manifest, the sign-in table, …), which a preview cannot stand in for.
var ErrNotPreviewable = errors.New("the query reads tables other than the events")

// ScanColumns returns the columns of the events table that query (DuckDB SQL over the store's views) reads, as
// DuckDB's own planner finds them: the projection of every scan of the events in the query's plan, with the
// optimizations that could hide a column (filters pushed into the scan, folded by statistics, …) turned off.
// The query is planned, not run, in an empty in-memory database with the store's schema and initSQL (the
// Athena macros), without file or network access. A query that does not plan there (a syntax error, a table
// that is not the store's) returns an error; one that reads other store tables returns ErrNotPreviewable.
func ScanColumns(ctx context.Context, query string, initSQL []string) ([]string, error) {
	connector, err := duckdb.NewConnector("?autoinstall_known_extensions=false&autoload_known_extensions=false", nil)
	if err != nil {
		return nil, fmt.Errorf("plan query: %w", err)
	}
	pool := sql.OpenDB(connector)
	defer pool.Close()
	pool.SetMaxOpenConns(1) // one connection: settings and macros apply to it
	conn, err := pool.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("plan query: %w", err)
	}
	defer conn.Close()
	setup := append(db.SchemaDDL(), initSQL...)
	setup = append(setup,
		`SET disabled_optimizers = '`+strings.Join(hidingOptimizers, ",")+`'`,
		`SET enable_external_access = false`,
		`SET lock_configuration = true`)
	for _, q := range setup {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("plan query: set up: %w", err)
		}
	}
	run, err := sqlguard.Check(ctx, conn, query)
	if err != nil {
		return nil, err
	}
	if run != query {
		return nil, ErrNotPreviewable // an EXPLAIN
	}
	var key, plan string
	if err := conn.QueryRowContext(ctx, `EXPLAIN (FORMAT JSON) `+query).Scan(&key, &plan); err != nil {
		return nil, fmt.Errorf("plan query: %w", err)
	}
	return scannedColumns([]byte(plan))
}

// hidingOptimizers are DuckDB's optimizers other than the two that drop unread columns from scans
// (unused_columns, column_lifetime). With them on, a column a filter reads can vanish from the scan's
// projection (pushed into the scan as a table filter, or folded away by statistics). Kept in step with
// duckdb_optimizers() by TestHidingOptimizersAreDuckDBs.
var hidingOptimizers = []string{
	"expression_rewriter", "filter_pullup", "filter_pushdown", "empty_result_pullup", "cte_filter_pusher",
	"regex_range", "in_clause", "join_order", "deliminator", "unnest_rewriter", "statistics_propagation",
	"common_subexpressions", "common_aggregate", "limit_pushdown", "row_group_pruner", "top_n",
	"top_n_window_elimination", "build_side_probe_side", "compressed_materialization", "duplicate_groups",
	"reorder_filter", "sampling_pushdown", "join_filter_pushdown", "extension", "materialized_cte",
	"sum_rewriter", "late_materialization", "cte_inlining", "common_subplan", "join_elimination",
	"window_self_join",
}

// planNode is a node of EXPLAIN (FORMAT JSON)'s physical plan.
type planNode struct {
	Name      string                     `json:"name"`
	ExtraInfo map[string]json.RawMessage `json:"extra_info"`
	Children  []planNode                 `json:"children"`
}

// scannedColumns returns the top-level columns read by the scans of the events in an EXPLAIN (FORMAT JSON)
// plan (struct paths such as useridentity.arn count as their column), sorted and without repeats.
func scannedColumns(plan []byte) ([]string, error) {
	var roots []planNode
	if err := json.Unmarshal(plan, &roots); err != nil {
		return nil, fmt.Errorf("plan query: read plan: %w", err)
	}
	seen := map[string]bool{}
	var walk func(n planNode) error
	walk = func(n planNode) error {
		if raw, ok := n.ExtraInfo["Table"]; ok {
			var table string
			err := json.Unmarshal(raw, &table)
			if i := strings.LastIndexByte(table, '.'); i >= 0 {
				table = table[i+1:] // memory.main.trailq_native_events
			}
			if err != nil || table != db.NativeTable {
				return fmt.Errorf("%w (%s)", ErrNotPreviewable, strings.Trim(string(raw), `"`))
			}
			cols, err := projections(n.ExtraInfo["Projections"])
			if err != nil {
				return err
			}
			for _, c := range cols {
				seen[c] = true
			}
		}
		for _, c := range n.Children {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	for _, r := range roots {
		if err := walk(r); err != nil {
			return nil, err
		}
	}
	out := make([]string, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	slices.Sort(out)
	return out, nil
}

// projections reads a scan's "Projections": one string (columns one a line) or a list of them.
func projections(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		var one string
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, fmt.Errorf("plan query: read projections %s: %w", raw, err)
		}
		list = strings.Split(one, "\n")
	}
	var cols []string
	for _, c := range list {
		c = strings.TrimSpace(c)
		if i := strings.IndexByte(c, '.'); i >= 0 {
			c = c[:i] // useridentity.arn: the column useridentity
		}
		if c = strings.Trim(c, `"`); c != "" {
			cols = append(cols, c)
		}
	}
	return cols, nil
}

// View returns the temporary events view over the parts of the store h and the preview files named (relative
// to the parts folder).
func View(ctx context.Context, h *db.Handle, extra []string) (string, error) {
	names, err := db.PartNames(ctx, h.DB)
	if err != nil {
		return "", err
	}
	for _, e := range extra {
		if _, err := os.Stat(h.PartPath(e)); errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("open preview: %w", err)
		}
	}
	return db.EventsViewSQL(h.PartsDir, append(names, extra...), true), nil
}
