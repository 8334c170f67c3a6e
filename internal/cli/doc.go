// Package cli implements trailq's commands: flag parsing, output and exit codes over the other packages.
package cli
