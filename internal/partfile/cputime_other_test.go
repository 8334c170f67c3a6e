//go:build !unix

package partfile

import "time"

// cpuTime returns 0: the benchmark reports no CPU time where getrusage is missing.
func cpuTime() time.Duration { return 0 }
