package engine

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/trailq/trailq/internal/store"
)

// Verify hashes every part file of the store at path against what its load recorded, and lists the log files
// whose events are lost (a damaged part repaired while their logs were gone).
func (e *Engine) Verify(ctx context.Context, path string) ([]PartCheck, []Lost, error) {
	st, err := store.Open(ctx, path, store.Options{ReadOnly: true, NoPartCheck: true})
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	checks, err := st.VerifyParts(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("verify store %s: %w", path, err)
	}
	lost, err := st.Lost(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("verify store %s: %w", path, err)
	}
	return checks, lost, nil
}

// Versions says what trailq is built from: its module version and commit (from the build information), the
// DuckDB library's version and Go's.
type Versions struct {
	Version, Commit, Time, Modified string
	DuckDB, Go                      string
}

// BuildVersions returns the Versions of this binary.
func BuildVersions() Versions {
	v := Versions{Version: "(devel)", DuckDB: store.DuckDBVersion(), Go: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				v.Modified = " (with uncommitted changes)"
			}
		}
	}
	return v
}
