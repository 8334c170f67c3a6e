package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/trailq/trailq/internal/engine"
)

// resolveMemoryLimit reads --memory-limit (default: a quarter of the machine's memory).
func (o *SourceOptions) resolveMemoryLimit() error {
	if o.MemoryLimit == "" {
		o.memoryLimit = defaultMemoryLimit()
		return nil
	}
	n, err := parseBytes(o.MemoryLimit)
	if err != nil {
		return usageErrorf("--memory-limit %q: %v (e.g. 512MiB, 4GiB)", o.MemoryLimit, err)
	}
	if n < 64<<20 {
		return usageErrorf("--memory-limit %q: at least 64MiB", o.MemoryLimit)
	}
	o.memoryLimit = n
	return nil
}

// sizeCaps are the decoder's caps in bytes (0: ingest's defaults).
type sizeCaps struct {
	file   int64
	record int
}

// resolveCaps reads --max-file-size and --max-record-size. A record is at most a file's size.
func (o *SourceOptions) resolveCaps() error {
	o.caps = sizeCaps{}
	file := int64(engine.DefaultMaxFileSize)
	if o.MaxFileSize != "" {
		n, err := parseBytes(o.MaxFileSize)
		if err != nil {
			return usageErrorf("--max-file-size %q: %v: give the most of one log file to read, decompressed, e.g. 512MiB or 2GiB (the default)", o.MaxFileSize, err)
		}
		if n < 1<<20 {
			return usageErrorf("--max-file-size %q: give at least 1MiB (the default is 2GiB)", o.MaxFileSize)
		}
		o.caps.file, file = n, n
	}
	if o.MaxRecordSize != "" {
		n, err := parseBytes(o.MaxRecordSize)
		if err != nil {
			return usageErrorf("--max-record-size %q: %v: give the largest record to load, e.g. 16MiB or 64MiB (the default)", o.MaxRecordSize, err)
		}
		if n < 1<<10 {
			return usageErrorf("--max-record-size %q: give at least 1KiB (the default is 64MiB)", o.MaxRecordSize)
		}
		if n > file {
			return usageErrorf("--max-record-size %q: give at most --max-file-size (%s): a record is part of a file", o.MaxRecordSize, humanSize(file))
		}
		o.caps.record = int(n)
	}
	return nil
}

// humanSize writes n in the largest binary unit that divides it (2GiB), else in bytes.
func humanSize(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// parseBytes reads a size such as 512MiB, 4GiB, 2GB or 1073741824.
func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("not a size")
	}
	mult := map[string]float64{"": 1, "b": 1, "k": 1 << 10, "kb": 1e3, "kib": 1 << 10, "m": 1 << 20, "mb": 1e6,
		"mib": 1 << 20, "g": 1 << 30, "gb": 1e9, "gib": 1 << 30, "t": 1 << 40, "tb": 1e12, "tib": 1 << 40}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("unknown unit %q", unit)
	}
	return int64(v * mult), nil
}
