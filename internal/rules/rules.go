package rules

import (
	"embed"
	"io/fs"
	"path"

	"github.com/trailq/trailq/internal/sigma"
)

//go:embed builtin/*.yml
var builtin embed.FS

// Files returns the built-in rule files, named "builtin/<file>", in the order of their names. Compile them with
// sigma.Compile; none has a problem (a test checks it).
func Files() []sigma.File {
	names, err := fs.Glob(builtin, "builtin/*.yml")
	if err != nil {
		panic(err) // the pattern is constant and valid
	}
	files := make([]sigma.File, 0, len(names))
	for _, n := range names {
		data, err := builtin.ReadFile(n)
		if err != nil {
			panic(err) // embedded files can always be read
		}
		files = append(files, sigma.File{Name: path.Join("builtin", path.Base(n)), Data: data})
	}
	return files
}
