package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/trailq/trailq/internal/athena"
	"github.com/trailq/trailq/internal/store"
)

// queryStoreOptions are the options of a handle that runs users' SQL: read-only, sandboxed, the Athena macros,
// and the memory limit of --memory-limit.
func (o *SourceOptions) queryStoreOptions() store.Options {
	return store.Options{ReadOnly: true, Sandbox: true, InitSQL: athena.InitSQL(), MemoryLimit: o.memoryLimit}
}

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
