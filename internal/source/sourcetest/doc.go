// Package sourcetest is the conformance suite that every Source implementation passes.
package sourcetest
