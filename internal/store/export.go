package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ExportPartitions are the Hive partition columns of an export, in folder order.
var ExportPartitions = []string{"account", "region", "year", "month", "day"}

// hiveNull is Hive's name for a NULL partition value (records whose key and body give no date or account).
const hiveNull = "__HIVE_DEFAULT_PARTITION__"

// ExportResult says what Export wrote.
type ExportResult struct {
	Rows  int64
	Files int
	Bytes int64
}

// Export writes every event as Hive-partitioned Parquet under dir (account=…/region=…/year=…/month=…/day=…/*.parquet),
// with Athena's CloudTrail columns: the layout Athena, Trino and Spark read as one partitioned table
// (AthenaDDL). dir must be empty or not exist. The store must not be sandboxed (the sandbox forbids writing files).
func (s *Store) Export(ctx context.Context, dir string) (ExportResult, error) {
	var res ExportResult
	if s.sandbox {
		return res, errors.New("export: the store is open for users' queries only (sandboxed)")
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return res, fmt.Errorf("create export folder: %w", err)
		}
	case err != nil:
		return res, fmt.Errorf("read export folder: %w", err)
	case len(entries) > 0:
		return res, fmt.Errorf("export to %s: the folder is not empty (give a new or empty folder)", dir)
	}
	parts := make([]string, len(ExportPartitions))
	for i, p := range ExportPartitions {
		parts[i] = `coalesce(` + quoteIdent(p) + `, '` + hiveNull + `') AS ` + quoteIdent(p)
	}
	q := `COPY (SELECT ` + columnList(athenaColumns) + `, ` + strings.Join(parts, ", ") + ` FROM ` + EventsTable +
		`) TO ` + sqlString(dir) + ` (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (` + strings.Join(ExportPartitions, ", ") +
		`), FILENAME_PATTERN 'events_{i}')`
	r, err := s.db.ExecContext(ctx, q)
	if err != nil {
		return res, fmt.Errorf("export to %s: %w", dir, err)
	}
	res.Rows, _ = r.RowsAffected()
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		res.Files++
		res.Bytes += fi.Size()
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("export to %s: %w", dir, err)
	}
	return res, nil
}

// AthenaDDL returns the Athena statements that make table over an export copied to location (an s3:// folder):
// CREATE EXTERNAL TABLE with Athena's CloudTrail columns as Hive types, partitioned as Export writes, then
// MSCK REPAIR TABLE to find the partitions.
func AthenaDDL(table, location string) string {
	if !strings.HasSuffix(location, "/") {
		location += "/"
	}
	var b strings.Builder
	b.WriteString("CREATE EXTERNAL TABLE IF NOT EXISTS `" + table + "` (\n")
	for i, c := range athenaColumns {
		b.WriteString("  `" + c[0] + "` " + hiveType(parseType(strings.Join(strings.Fields(c[1]), " "))))
		if i < len(athenaColumns)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	cols := make([]string, len(ExportPartitions))
	for i, p := range ExportPartitions {
		cols[i] = "`" + p + "` STRING"
	}
	b.WriteString(")\nPARTITIONED BY (" + strings.Join(cols, ", ") + ")\nSTORED AS PARQUET\n")
	b.WriteString("LOCATION '" + strings.ReplaceAll(location, "'", "''") + "'\n")
	b.WriteString("TBLPROPERTIES ('parquet.compression' = 'ZSTD');\n\n")
	b.WriteString("MSCK REPAIR TABLE `" + table + "`;\n")
	return b.String()
}

// hiveType writes a DuckDB type as Hive DDL writes it.
func hiveType(t *typeNode) string {
	switch t.kind {
	case kindStruct:
		fields := make([]string, len(t.fields))
		for i, f := range t.fields {
			fields[i] = f.name + ":" + hiveType(f.typ)
		}
		return "STRUCT<" + strings.Join(fields, ",") + ">"
	case kindList:
		return "ARRAY<" + hiveType(t.elem) + ">"
	case kindMap:
		return "MAP<" + hiveType(t.key) + "," + hiveType(t.val) + ">"
	}
	switch t.name {
	case "VARCHAR", "JSON":
		return "STRING"
	case "INTEGER":
		return "INT"
	}
	return t.name
}
