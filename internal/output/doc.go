// Package output writes query results as an aligned table, CSV, TSV, JSON or JSON Lines.
package output
