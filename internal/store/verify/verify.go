package verify

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/trailq/trailq/internal/store/internal/db"
)

// HashFile returns the size, SHA-256 (hex) and modification time (Unix ns) of the file at path.
func HashFile(path string) (size int64, sum string, mtime int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, "", 0, err
	}
	return n, hex.EncodeToString(h.Sum(nil)), fi.ModTime().UnixNano(), nil
}

// PartCheck is what a check found of one part file.
type PartCheck struct {
	Name string
	Rows int64
	Size int64 // as listed
	// Problem is "" for a part that matches what its load recorded, else what is wrong.
	Problem string
	// Unrecorded is set for a part listed before checksums were kept: only its presence was checked.
	Unrecorded bool
	mtime      int64 // the file's, when it was hashed and matched (a copied store's)
}

// DamagedError is returned by a read-only open of a store whose part files do not match what its loads recorded.
type DamagedError struct {
	Path  string
	Parts []PartCheck
}

func (e *DamagedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the store %s has %d damaged part file%s, which trailq will not answer from:", e.Path, len(e.Parts), db.Plural(len(e.Parts)))
	for _, p := range e.Parts {
		fmt.Fprintf(&b, "\n  %s (%d rows): %s", p.Name, p.Rows, p.Problem)
	}
	b.WriteString("\nrun 'trailq load' with the store's source: it drops these parts and reads their log files again ('trailq verify' checks every part in full)")
	return b.String()
}

// Check checks every part file the transaction q lists, in the parts folder dir: size and modification time
// against the list, and a full hash when full is set or the time differs.
func Check(ctx context.Context, q db.Querier, dir string, full bool) ([]PartCheck, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, rows, size, sha256, mtime_ns FROM `+db.PartsTable+` ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("read part list: %w", err)
	}
	type listed struct {
		PartCheck
		sum   sql.NullString
		size  sql.NullInt64
		mtime sql.NullInt64
	}
	var parts []listed
	for rows.Next() {
		var p listed
		if err := rows.Scan(&p.Name, &p.Rows, &p.size, &p.sum, &p.mtime); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read part list: %w", err)
		}
		p.Size = p.size.Int64
		parts = append(parts, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read part list: %w", err)
	}
	out := make([]PartCheck, 0, len(parts))
	for _, p := range parts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c := p.PartCheck
		path := filepath.Join(dir, p.Name)
		fi, err := os.Stat(path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			c.Problem = "missing"
		case err != nil:
			c.Problem = "cannot be read: " + err.Error()
		case !p.sum.Valid:
			c.Unrecorded = true
			if !LooksLikeParquet(path) {
				c.Problem = "not a Parquet file"
			}
		case fi.Size() != p.size.Int64:
			c.Problem = fmt.Sprintf("%d bytes, its load wrote %d", fi.Size(), p.size.Int64)
		case full || fi.ModTime().UnixNano() != p.mtime.Int64:
			_, sum, mtime, err := HashFile(path)
			switch {
			case err != nil:
				c.Problem = "cannot be read: " + err.Error()
			case sum != p.sum.String:
				c.Problem = "its content changed (SHA-256 " + sum[:16] + "…, its load wrote " + p.sum.String[:min(16, len(p.sum.String))] + "…)"
			case mtime != p.mtime.Int64:
				c.mtime = mtime
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// Damaged returns the checks that found a problem.
func Damaged(checks []PartCheck) []PartCheck {
	var bad []PartCheck
	for _, c := range checks {
		if c.Problem != "" {
			bad = append(bad, c)
		}
	}
	return bad
}

// Parts hashes every part file of the store h and compares it with what its load recorded.
func Parts(ctx context.Context, h *db.Handle) ([]PartCheck, error) {
	return Check(ctx, h.DB, h.PartsDir, true)
}

// RecordChecksums gives the parts listed without checksums (a store made before them) theirs, and the parts
// whose files were found intact with another modification time (a copied store) their new time. It runs in the
// caller's transaction, after the damaged parts were dropped.
func RecordChecksums(ctx context.Context, q db.Querier, dir string, checks []PartCheck) error {
	for _, c := range checks {
		switch {
		case c.Problem != "":
		case c.Unrecorded:
			size, sum, mtime, err := HashFile(filepath.Join(dir, c.Name))
			if err != nil {
				return fmt.Errorf("record part checksum: %w", err)
			}
			if _, err := q.ExecContext(ctx, `UPDATE `+db.PartsTable+` SET size = ?, sha256 = ?, mtime_ns = ? WHERE name = ?`, size, sum, mtime, c.Name); err != nil {
				return fmt.Errorf("record part checksum: %w", err)
			}
		case c.mtime != 0:
			if _, err := q.ExecContext(ctx, `UPDATE `+db.PartsTable+` SET mtime_ns = ? WHERE name = ?`, c.mtime, c.Name); err != nil {
				return fmt.Errorf("record part checksum: %w", err)
			}
		}
	}
	return nil
}

// Refuse returns a *DamagedError when a part file of the store h does not match the part list.
func Refuse(ctx context.Context, h *db.Handle) error {
	if has, err := db.HasColumn(ctx, h.DB, db.PartsTable, "sha256"); err != nil || !has {
		return err // a store made before part checksums: its next writable open records them
	}
	checks, err := Check(ctx, h.DB, h.PartsDir, false)
	if err != nil {
		return err
	}
	if bad := Damaged(checks); len(bad) > 0 {
		return &DamagedError{Path: h.Path, Parts: bad}
	}
	return nil
}

// DamagedParts checks the part files the transaction q lists (Check) and returns the checks, with the damaged
// ones apart.
func DamagedParts(ctx context.Context, q db.Querier, dir string) (checks, bad []PartCheck, err error) {
	checks, err = Check(ctx, q, dir, false)
	if err != nil {
		return nil, nil, err
	}
	return checks, Damaged(checks), nil
}

// LooksLikeParquet reports whether the file at path starts and ends with Parquet's magic bytes.
func LooksLikeParquet(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() < 12 {
		return false
	}
	head, tail := make([]byte, 4), make([]byte, 4)
	if _, err := f.ReadAt(head, 0); err != nil {
		return false
	}
	if _, err := f.ReadAt(tail, fi.Size()-4); err != nil {
		return false
	}
	return string(head) == "PAR1" && string(tail) == "PAR1"
}
