//go:build unix

package cli

import (
	"os"

	"golang.org/x/sys/unix"
)

// releaseOut ends standard output early when it is a pipe or a file: the reader sees the end of the data now
// rather than when the command exits (trailq query answers before it stores the logs). The descriptor then
// points at /dev/null, so that nothing written later lands in a file opened since.
func (f *Factory) releaseOut() {
	out, ok := f.IO.Out.(*os.File)
	if !ok || f.IO.OutTTY {
		return
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return
	}
	defer null.Close()
	_ = unix.Dup2(int(null.Fd()), int(out.Fd()))
}
