package cli

import "syscall"

// defaultMemoryLimit is a quarter of the machine's memory, or 0 (DuckDB's default) when it is not known.
func defaultMemoryLimit() int64 {
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err != nil || si.Totalram == 0 {
		return 0
	}
	return int64(si.Totalram) * int64(si.Unit) / 4
}
