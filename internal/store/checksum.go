package store

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
	"time"

	"github.com/trailq/trailq/internal/store/internal/db"
)

// Every part file is listed with its size, SHA-256 and modification time as written. Opening a store checks each
// part's size and time (a stat), and hashes a part whose time changed (a store copied without its times): a part
// that does not match is damaged. A writable open drops damaged parts and reads their logs again (repairParts); a
// read-only open refuses to answer from them. VerifyParts hashes every part.

// listPart lists a part file that was written and synced: its rows, size, SHA-256 and modification time.
func (s *Store) listPart(ctx context.Context, q db.Querier, name string, rows int64) error {
	size, sum, mtime, err := hashFile(filepath.Join(s.h.PartsDir, name))
	if err != nil {
		return fmt.Errorf("list part %s: %w", name, err)
	}
	_, err = q.ExecContext(ctx, `INSERT INTO `+db.PartsTable+` (name, rows, created, size, sha256, mtime_ns) VALUES (?, ?, ?, ?, ?, ?)`,
		name, rows, time.Now().UTC(), size, sum, mtime)
	if err != nil {
		return fmt.Errorf("list part %s: %w", name, err)
	}
	return nil
}

func hashFile(path string) (size int64, sum string, mtime int64, err error) {
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

// checkParts checks every listed part file: size and modification time against the list, and a full hash when
// full is set or the time differs.
func (s *Store) checkParts(ctx context.Context, q db.Querier, full bool) ([]PartCheck, error) {
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
		path := filepath.Join(s.h.PartsDir, p.Name)
		fi, err := os.Stat(path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			c.Problem = "missing"
		case err != nil:
			c.Problem = "cannot be read: " + err.Error()
		case !p.sum.Valid:
			c.Unrecorded = true
			if !looksLikeParquet(path) {
				c.Problem = "not a Parquet file"
			}
		case fi.Size() != p.size.Int64:
			c.Problem = fmt.Sprintf("%d bytes, its load wrote %d", fi.Size(), p.size.Int64)
		case full || fi.ModTime().UnixNano() != p.mtime.Int64:
			_, sum, mtime, err := hashFile(path)
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

func damaged(checks []PartCheck) []PartCheck {
	var bad []PartCheck
	for _, c := range checks {
		if c.Problem != "" {
			bad = append(bad, c)
		}
	}
	return bad
}

// VerifyParts hashes every part file of the store and compares it with what its load recorded.
func (s *Store) VerifyParts(ctx context.Context) ([]PartCheck, error) {
	return s.checkParts(ctx, s.h.DB, true)
}

// recordChecksums gives the parts listed without checksums (a store made before them) theirs, and the parts
// whose files were found intact with another modification time (a copied store) their new time. It runs in the
// caller's transaction, after the damaged parts were dropped.
func (s *Store) recordChecksums(ctx context.Context, q db.Querier, checks []PartCheck) error {
	for _, c := range checks {
		switch {
		case c.Problem != "":
		case c.Unrecorded:
			size, sum, mtime, err := hashFile(filepath.Join(s.h.PartsDir, c.Name))
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
