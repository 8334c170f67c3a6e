package store

import (
	"context"

	"github.com/trailq/trailq/internal/hiveddl"
	"github.com/trailq/trailq/internal/store/export"
)

// ExportPartitions are the Hive partition columns of an export, in folder order.
var ExportPartitions = export.Partitions

// ExportResult says what Export wrote.
type ExportResult = export.Result

// Export writes every event as Hive-partitioned Parquet under dir (account=…/region=…/year=…/month=…/day=…/*.parquet),
// with Athena's CloudTrail columns, and the extra files (name: content, e.g. the DDL) at the top of dir, after
// the Parquet files (see export.Write). The store must not be sandboxed (the sandbox forbids writing files).
func (s *Store) Export(ctx context.Context, dir string, extra map[string][]byte) (ExportResult, error) {
	return export.Write(ctx, s.h, dir, extra)
}

// AthenaDDL returns the Athena statements that make table over an export copied to location (an s3:// folder).
func AthenaDDL(table, location string) string { return export.AthenaDDL(table, location) }

// ExportLayout is what partition folders an export holds (hiveddl.ExportLayout).
type ExportLayout = hiveddl.ExportLayout

// ExportLayout says what partition folders an export of the store has: the values its projected DDL enumerates.
func (s *Store) ExportLayout(ctx context.Context) (ExportLayout, error) {
	return export.Layout(ctx, s.h)
}

// ProjectedDDL returns the CREATE EXTERNAL TABLE of an export with partition projection over its layout.
func ProjectedDDL(table, location string, l ExportLayout) string {
	return export.ProjectedDDL(table, location, l)
}
