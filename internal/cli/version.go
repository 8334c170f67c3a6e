package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/trailq/trailq/internal/engine"
)

// NewCmdVersion builds "trailq version" (also trailq --version).
func NewCmdVersion(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print trailq's version, commit, and the DuckDB and Go it is built with",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			writeVersion(f.IO.Out, engine.BuildVersions())
			return nil
		},
	}
}

func writeVersion(w io.Writer, v engine.Versions) {
	fmt.Fprintf(w, "trailq %s\n", v.Version)
	if v.Commit != "" {
		fmt.Fprintf(w, "commit %s %s%s\n", v.Commit, v.Time, v.Modified)
	}
	fmt.Fprintf(w, "DuckDB %s\n%s\n", v.DuckDB, v.Go)
}
