//go:build !unix

package cli

// releaseOut does nothing here: standard output ends when the command exits.
func (f *Factory) releaseOut() {}
