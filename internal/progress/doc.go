// Package progress counts long work with atomic counters and shows it as a one-line bar on a terminal.
package progress
