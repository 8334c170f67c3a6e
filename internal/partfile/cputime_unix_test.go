//go:build unix

package partfile

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time the process has used (user and system, all threads): the benchmark's cost on a
// machine whose other work makes wall time noisy.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
