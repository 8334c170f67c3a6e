package tracetest

import (
	"os"
	"path/filepath"
	"testing"
)

// WriteFiles writes files (slash-separated keys, as Planted.Files and Novelties.Files hold them) under dir.
func WriteFiles(tb testing.TB, dir string, files map[string][]byte) {
	tb.Helper()
	for key, b := range files {
		path := filepath.Join(dir, filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}
