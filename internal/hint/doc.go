// Package hint carries, with an error, a suggestion the user can act on ("Try: …"): every layer may add one,
// and the command line prints the outermost.
package hint
