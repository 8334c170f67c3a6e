package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/trailq/trailq/internal/store/internal/db"
)

// BadStoreError is returned by Open for a path that holds no store this trailq can use: a folder, a file that
// is not a DuckDB database or is damaged, another application's database, or a store of a newer format. The
// path is left as it was.
type BadStoreError struct {
	Path    string
	Problem string // what is wrong, in words
	Hint    string // what to do
	Err     error  // DuckDB's own words, when it gave some
}

func (e *BadStoreError) Error() string {
	return "open store " + e.Path + ": " + e.Problem + "\nTry: " + e.Hint
}

func (e *BadStoreError) Unwrap() error { return e.Err }

// damagedHint is what to do about a store file that cannot be read.
func damagedHint(path string) string {
	return "restore it (with its folder " + PartsDir(path) + ") from a copy; or, if every log it was loaded from " +
		"is still there, move it aside and load again from them (a new load cannot bring back events whose logs are gone). " +
		"trailq left the file as it is."
}

const notStoreHint = "give --store a store trailq made, or a path that does not exist yet for a new store; trailq added nothing to it."

// DuckDB's file layout (src/storage/storage_info.cpp): a main header of 4 KiB (a checksum, "DUCK", the storage
// version) and two database headers of 4 KiB, then the blocks.
const (
	duckdbMagicAt   = 8
	duckdbHeaderLen = 3 * 4096
)

// checkFile looks at the file at path, without DuckDB, for what DuckDB would only answer with a raw error: a
// folder, an empty file, a file of another kind, a header zeroed or cut short.
func checkFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("open store %s: %w", path, err)
	}
	if fi.IsDir() {
		return folderError(path)
	}
	if !fi.Mode().IsRegular() {
		return &BadStoreError{Path: path, Problem: "it is not a regular file (" + fi.Mode().Type().String() + ")", Hint: notStoreHint}
	}
	if fi.Size() == 0 {
		return &BadStoreError{Path: path, Problem: "the file is empty (0 bytes): it is not a store, or a store that was cut to nothing",
			Hint: "for a new store give --store a path that does not exist yet; for a store that was here: " + damagedHint(path)}
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open store %s: %w", path, err)
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("open store %s: %w", path, err)
	}
	head = head[:n]
	switch {
	case n >= duckdbMagicAt+4 && string(head[duckdbMagicAt:duckdbMagicAt+4]) == "DUCK":
		if fi.Size() < duckdbHeaderLen {
			return &BadStoreError{Path: path, Hint: damagedHint(path),
				Problem: fmt.Sprintf("the file is truncated: it has %d bytes, less than DuckDB's headers (%d)", fi.Size(), duckdbHeaderLen)}
		}
		return nil
	case len(bytes.Trim(head, "\x00")) == 0:
		return &BadStoreError{Path: path, Hint: damagedHint(path),
			Problem: "the file is damaged: it holds only zero bytes where DuckDB's header should be (it was zeroed or never written)"}
	}
	return &BadStoreError{Path: path, Problem: "it is not a DuckDB file" + fileKind(head), Hint: notStoreHint}
}

// fileKind names a few kinds of file given as a store by mistake, from their first bytes.
func fileKind(head []byte) string {
	switch t := bytes.TrimLeft(head, " \t\r\n\ufeff"); {
	case bytes.HasPrefix(head, []byte("SQLite format 3\x00")):
		return " (it is an SQLite database)"
	case bytes.HasPrefix(head, []byte("PAR1")):
		return " (it is a Parquet file: a store's events are in such files, in its .parts folder, beside the .duckdb file)"
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return " (it is gzip, like a CloudTrail log: give logs to --source)"
	case len(t) > 0 && (t[0] == '{' || t[0] == '['):
		return " (it is JSON, like a CloudTrail log: give logs to --source)"
	}
	return ""
}

// folderError says what to give --store instead of the folder at path.
func folderError(path string) error {
	if store, ok := strings.CutSuffix(filepath.Clean(path), ".parts"); ok {
		if fi, err := os.Stat(store); err == nil && fi.Mode().IsRegular() {
			return &BadStoreError{Path: path, Problem: "it is the part folder of the store " + store, Hint: "give --store " + store}
		}
	}
	stores, _ := filepath.Glob(filepath.Join(path, "*.duckdb"))
	switch len(stores) {
	case 0:
		return &BadStoreError{Path: path, Problem: "it is a folder, not a store file",
			Hint: "point --store at a store's .duckdb file, or at a new file for a new store (e.g. " + filepath.Join(path, "trailq.duckdb") + ")"}
	case 1:
		return &BadStoreError{Path: path, Problem: "it is a folder, not a store file",
			Hint: "point --store at the store's .duckdb file: " + stores[0]}
	}
	return &BadStoreError{Path: path, Problem: "it is a folder, not a store file",
		Hint: "point --store at one of the .duckdb files in it: " + strings.Join(stores, ", ")}
}

var (
	// DuckDB 1.x: "Trying to read a database file with version number 999, but we can only read versions between
	// 64 and 68. The database file was created with a newer version of DuckDB."
	olderStorageRE = regexp.MustCompile(`version number (\d+), but we can only read [^\n]*\n[^\n]*created with DuckDB version`)
	newerStorageRE = regexp.MustCompile(`version number (\d+), but we can only read (?:version|versions between) (\d+)(?: and (\d+))?[^\n]*\n?[^\n]*newer version`)
)

// duckdbError names what DuckDB could not open at path in words, or returns nil when it is not about the file.
func duckdbError(path string, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Could not read enough bytes"):
		problem := "the file is truncated: DuckDB's header lists blocks past its end"
		if fi, err := os.Stat(path); err == nil {
			problem = fmt.Sprintf("the file is truncated: it ends at %d bytes, before blocks that DuckDB's header lists", fi.Size())
		}
		return &BadStoreError{Path: path, Problem: problem, Hint: damagedHint(path), Err: err}
	case strings.Contains(msg, "Corrupt database file") || strings.Contains(msg, "checksum"):
		return &BadStoreError{Path: path, Problem: "the file is damaged: a block does not match its checksum", Hint: damagedHint(path), Err: err}
	case strings.Contains(msg, "not a valid DuckDB database file"):
		return &BadStoreError{Path: path, Problem: "it is not a DuckDB file", Hint: notStoreHint, Err: err}
	case strings.Contains(msg, "Is a directory"):
		return folderError(path)
	}
	if m := olderStorageRE.FindStringSubmatch(msg); m != nil {
		return &BadStoreError{Path: path, Err: err,
			Problem: "it was written by an old DuckDB (storage version " + m[1] + ") that the DuckDB in this trailq, " + DuckDBVersion() + ", cannot read; trailq never wrote such a file",
			Hint:    "open it with the program that made it; give --store a store trailq made. trailq left the file as it is."}
	}
	if m := newerStorageRE.FindStringSubmatch(msg); m != nil {
		reads := "version " + m[2]
		if m[3] != "" {
			reads = "versions " + m[2] + " to " + m[3]
		}
		return &BadStoreError{Path: path, Err: err,
			Problem: "it was written by a newer DuckDB (storage version " + m[1] + "; the DuckDB in this trailq, " + DuckDBVersion() +
				", reads " + reads + "), as a newer trailq writes it",
			Hint: "use a newer trailq (the store is left as it is)"}
	}
	return nil
}

// DuckDBVersion is the version of the DuckDB library trailq is built with ("?" when it cannot say).
func DuckDBVersion() string {
	c, err := duckdb.NewConnector("", nil)
	if err != nil {
		return "?"
	}
	pool := sql.OpenDB(c)
	defer pool.Close()
	var v string
	if err := pool.QueryRow(`SELECT version()`).Scan(&v); err != nil {
		return "?"
	}
	return v
}

// checkCatalog says whether the database q reads is a trailq store this trailq can open: it returns nil for a
// trailq store of this format, errEmptyDatabase for a database with no tables, and a *BadStoreError for anything
// else (another application's tables, a newer or unknown format).
func checkCatalog(ctx context.Context, q db.CatalogReader, path string) error {
	rows, err := q.QueryContext(ctx, `SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT internal
		UNION ALL SELECT view_name FROM duckdb_views() WHERE database_name = current_database() AND NOT internal
		ORDER BY 1`)
	if err != nil {
		return fmt.Errorf("read store catalog: %w", err)
	}
	var names []string
	hasMeta := false
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return fmt.Errorf("read store catalog: %w", err)
		}
		names = append(names, n)
		hasMeta = hasMeta || n == db.MetaTable
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read store catalog: %w", err)
	}
	if len(names) == 0 {
		return errEmptyDatabase
	}
	if !hasMeta {
		shown := names
		if len(shown) > 5 {
			shown = append(shown[:5:5], "…")
		}
		return &BadStoreError{Path: path, Hint: notStoreHint,
			Problem: fmt.Sprintf("it is a DuckDB database but not a trailq store: it holds another application's tables (%d: %s) and none of trailq's",
				len(names), strings.Join(shown, ", "))}
	}
	var v string
	err = q.QueryRowContext(ctx, `SELECT value FROM `+db.MetaTable+` WHERE key = 'schema'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return &BadStoreError{Path: path, Hint: damagedHint(path),
			Problem: "it has trailq's tables but no store format (no 'schema' row in " + db.MetaTable + "): it was not made by trailq, or was altered"}
	}
	if err != nil {
		return fmt.Errorf("read store %s: %w", path, err)
	}
	return checkFormat(path, v)
}

// errEmptyDatabase is checkCatalog's answer for a DuckDB database without tables: a writable open makes it a store.
var errEmptyDatabase = errors.New("the database has no tables")

// checkFormat compares a store's format (its 'schema' value) with the one this trailq reads.
func checkFormat(path, have string) error {
	if have == SchemaVersion {
		return nil
	}
	ours, _ := strconv.Atoi(SchemaVersion)
	n, err := strconv.Atoi(have)
	switch {
	case err != nil:
		return &BadStoreError{Path: path, Hint: damagedHint(path),
			Problem: fmt.Sprintf("its store format is %q, not a number: it was not made by trailq, or was altered", have)}
	case n > ours:
		return &BadStoreError{Path: path, Hint: "use a newer trailq (the store is left as it is)",
			Problem: fmt.Sprintf("this store has format %d; this trailq reads up to format %d", n, ours)}
	}
	return &BadStoreError{Path: path, Hint: "open it with the trailq that wrote it (the store is left as it is)",
		Problem: fmt.Sprintf("this store has format %d, older than this trailq reads (format %d)", n, ours)}
}

// probe looks at an existing store file through a read-only handle before it is opened for writing, so that
// nothing is written to a file that is not a store of this format (a writable DuckDB handle may write on
// opening: a WAL replayed, a checkpoint).
func probe(ctx context.Context, path string) error {
	c, err := duckdb.NewConnector(path+"?access_mode=read_only&autoinstall_known_extensions=false&autoload_known_extensions=false", nil)
	if err != nil {
		return openErr(path, err)
	}
	pool := sql.OpenDB(c)
	defer pool.Close()
	if err := pool.PingContext(ctx); err != nil {
		return openErr(path, err)
	}
	if err := checkCatalog(ctx, pool, path); err != nil && err != errEmptyDatabase {
		return err
	}
	return nil
}
