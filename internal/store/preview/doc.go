// Package preview answers a question before a load has stored the new logs. The load's readers write the fields
// the question reads (ScanColumns: DuckDB's planner says which) into Parquet files of the part format, in a
// folder below the parts folder (Dir); a read-only handle opened with the store's ExtraParts option reads them
// with the store's parts through a temporary events view (View). Nothing is listed in the store: the folder is
// removed once the question is answered, and a load removes the folders a killed process left (RemoveStale).
package preview
