// Package partfile writes the store's part files: Parquet files of CloudTrail records with the columns and types
// of the store's events table (Athena's CloudTrail columns, the partition columns and the internal ones), encoded
// by Go as the records come, so that loading does not wait on DuckDB's own writer. The writer shreds each record
// straight into per-column buffers (levels, values, dictionaries, statistics) and encodes, compresses and writes
// the pages of a row group with parquet-go's format structures; no rows are built for a generic writer.
package partfile
