//go:build !linux

package cli

// defaultMemoryLimit leaves DuckDB's default (80 % of the memory) where the machine's memory is not read.
func defaultMemoryLimit() int64 { return 0 }
