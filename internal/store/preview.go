package store

import (
	"context"

	"github.com/trailq/trailq/internal/store/preview"
)

// ErrNotPreviewable is returned by ScanColumns for a query that reads something other than the events (the
// manifest, the sign-in table, …), which a preview cannot stand in for.
var ErrNotPreviewable = preview.ErrNotPreviewable

// PreviewDir returns a new folder (not yet created) for the preview files of the store at path, and its name
// relative to the parts folder, as Options.ExtraParts takes the files in it.
func PreviewDir(path string) (dir, rel string) { return preview.Dir(path) }

// ScanColumns returns the columns of the events table that query (DuckDB SQL over the store's views) reads, as
// DuckDB's own planner finds them, without a store (see preview.ScanColumns).
func ScanColumns(ctx context.Context, query string, initSQL []string) ([]string, error) {
	return preview.ScanColumns(ctx, query, initSQL)
}
