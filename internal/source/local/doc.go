// Package local implements a Source over a folder of log files, or a single file.
package local
