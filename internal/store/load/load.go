package load

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/hashset"
	"github.com/trailq/trailq/internal/partfile"
	"github.com/trailq/trailq/internal/store/internal/db"
	"github.com/trailq/trailq/internal/store/parts"
	"github.com/trailq/trailq/internal/store/preview"
)

// Outcome of loading one object, as kept in the manifest.
const (
	OutcomeLoaded   = "loaded"   // every record loaded, nothing odd
	OutcomeProblems = "problems" // loaded, with odd fields stored as NULL or records skipped
	OutcomePartial  = "partial"  // the file broke off: the records before the break are loaded
	OutcomeFailed   = "failed"   // nothing could be loaded
	OutcomeSkipped  = "skipped"  // not a trail log (digest, Insights, Config, other JSON)
	// OutcomeLoading marks a large file whose first chunks were committed while the rest was still being read.
	// A load that was stopped leaves it so; the next load reads the file again from the start.
	OutcomeLoading = "loading"
)

// problemsOffsetDDL gives the problems table the byte offset in the file's JSON text of what each is about.
const problemsOffsetDDL = `ALTER TABLE ` + db.ProblemsTable + ` ADD COLUMN IF NOT EXISTS "offset" BIGINT`

// maxProblemsKept bounds the problems stored per file; the count is always exact.
const maxProblemsKept = 100

// File is one decoded log object, or one chunk of a large one (ingest reads a file in chunks of up to 2,000
// records), ready to be added to a load. Chunks of one object share its Key and come in order; the last has Final
// set and carries Err.
type File struct {
	Key     string         // object key
	Path    string         // where it came from, as Athena's "$path" shows it (s3://bucket/key or a file path)
	Parsed  cloudtrail.Key // what the key says
	Size    int64
	Version string // ETag or modification time: a changed version is loaded again
	// Replaces is set when the manifest holds an earlier (or unfinished) version of this key: its rows are replaced.
	Replaces bool
	Records  []*cloudtrail.Record
	// Problems are the record-level problems of these records (odd fields, skipped records).
	Problems []cloudtrail.Problem
	// Final marks the last chunk of the object.
	Final bool
	// Err is why the file, or its rest, could not be read; nil when it was read to the end. Final chunks only.
	Err error
	// Skip is set for objects that are not trail logs; SkipReason says what they are.
	Skip       bool
	SkipReason string
	// Refill marks an object read again because it holds copies of events the store no longer has
	// (Load.Refills): its records not stored yet are added under its manifest entry, which stays as it is.
	Refill bool
}

// Outcome classifies a whole file for the manifest from its totals.
func Outcome(skip bool, err error, records, problems int) string {
	switch {
	case skip:
		return OutcomeSkipped
	case err != nil && records == 0:
		return OutcomeFailed
	case err != nil:
		return OutcomePartial
	case problems > 0:
		return OutcomeProblems
	}
	return OutcomeLoaded
}

// Loaded returns the version of every object in the manifest of the store h, by key. Unfinished objects have
// version "".
func Loaded(ctx context.Context, h *db.Handle) (map[string]string, error) {
	rows, err := h.DB.QueryContext(ctx, `SELECT key, CASE WHEN outcome = '`+OutcomeLoading+`' THEN '' ELSE version END FROM `+db.ObjectsTable)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	defer rows.Close()
	m := make(map[string]string)
	for rows.Next() {
		var k string
		var v sql.NullString
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("read manifest: %w", err)
		}
		m[k] = v.String
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	return m, nil
}

// ContentHashes returns the content hashes of the rows the store h has, sorted (8 bytes a row).
func ContentHashes(ctx context.Context, h *db.Handle) ([]uint64, error) {
	hashes, err := db.Column[uint64](ctx, h.DB, `SELECT _hash FROM `+db.EventsTable+` ORDER BY _hash`)
	if err != nil {
		return nil, fmt.Errorf("read content hashes: %w", err)
	}
	return hashes, nil
}

// Load is a series of load transactions on one connection. The rows of a transaction go to a new part file; each
// Commit finishes that file and, in one transaction, lists it and writes the manifest entries of the files its
// rows came from, so a crash leaves every file loaded once or not at all (a large file committed in chunks is
// marked loading until its last chunk, and read again by the next load).
type Load struct {
	h        *db.Handle
	conn     *sql.Conn
	part     *partfile.Writer // this transaction's rows; nil until it has one
	dropped  []int64          // files whose rows this transaction removes (replaced objects)
	signIns  *duckdb.Appender // the rows that can be sign-in events, again
	objects  *duckdb.Appender // manifest
	problems *duckdb.Appender // load report
	parts    *duckdb.Appender // which objects have rows in which part (trailq_part_files)
	// duplicates records the records not stored because an identical one is (trailq_duplicates).
	duplicates *duckdb.Appender
	// traceKeys appends to the trace index (db.TraceKeysTable); nil when the store's index is not current (the
	// load then leaves it behind, and the next open for writing makes it again).
	traceKeys *duckdb.Appender
	// refillPending is set once rows were removed (here or by an earlier load) whose copies in other objects
	// have not been looked for; refilling holds the objects Refills handed out, by key.
	refillPending bool
	refilling     map[string]*refill
	// lost is set when the store lists objects lost with a damaged part: those this load reads leave the list.
	lost     bool
	open     map[string]*openFile // files whose last chunk has not come yet
	pending  []*openFile          // files with rows or manifest changes since the last commit
	staged   int                  // records added since the last commit
	inserted int                  // rows appended since the last commit
	refilled int                  // rows appended since the last commit from objects read again (Refills)
	mine     []uint64             // hashes of the rows appended since the last commit
	hashBuf  []uint64
	keep     []bool
	rows     *rowBuffer
	nextID   int64 // next file id
	// hashes holds the content hash of every row the store has, so that an identical record is stored once.
	hashes *hashset.Set
}

// loadMemoryLimit bounds DuckDB's buffer memory during a load.
const loadMemoryLimit = "512MB"

// openFile tracks one object across its chunks.
type openFile struct {
	f         *File // the first chunk's key, version, … (without its records)
	id        int64
	records   int
	problems  int
	kept      int              // problems appended to the problems table
	committed bool             // a "loading" manifest row was committed for it
	refill    bool             // read again for the copies it holds (File.Refill)
	done      bool             // its final row is appended
	obj       *partfile.Origin // the columns its rows share in a part file
	keys      map[string]bool  // its access keys and principal ARNs in the trace index
}

// CommitStats says what a commit did.
type CommitStats struct {
	Files      int // files finished
	Records    int // records staged
	Inserted   int // rows added to the table
	Duplicates int // records already in the store (identical content), not added again
	Refilled   int // rows added from objects read again for events whose stored copy was removed (Refills)
}

// Begin starts a load on the store h. Only one load may run on a store at a time.
func Begin(ctx context.Context, h *db.Handle) (*Load, error) {
	if h.ReadOnly {
		return nil, fmt.Errorf("begin load: the store is open read-only")
	}
	conn, err := h.DB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin load: %w", err)
	}
	l := &Load{h: h, conn: conn, open: map[string]*openFile{}, rows: newRowBuffer(), refilling: map[string]*refill{}}
	if err := l.begin(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return l, nil
}

func (l *Load) begin(ctx context.Context) error {
	preview.RemoveStale(l.h.PartsDir)
	if err := parts.RemoveOrphans(ctx, l.h, l.conn); err != nil {
		return fmt.Errorf("begin load: %w", err)
	}
	if err := os.MkdirAll(l.h.PartsDir, 0o700); err != nil {
		return fmt.Errorf("begin load: create parts folder: %w", err)
	}
	stored, err := l.readHashes(ctx)
	if err != nil {
		return err
	}
	l.hashes = hashset.New(stored)
	// A store made before copies were recorded, or before problems had their byte offset, gets them now (a
	// read-only open must not write it).
	for _, q := range []string{db.DuplicatesDDL, problemsOffsetDDL} {
		if _, err := l.conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("begin load: %w", err)
		}
	}
	if l.refillPending, err = RefillPending(ctx, l.h); err != nil {
		return fmt.Errorf("begin load: %w", err)
	}
	lost, err := parts.LostObjects(ctx, l.h)
	if err != nil {
		return fmt.Errorf("begin load: %w", err)
	}
	l.lost = len(lost) > 0
	if err := l.conn.QueryRowContext(ctx, `SELECT coalesce(max(file_id), 0) + 1 FROM `+db.ObjectsTable).Scan(&l.nextID); err != nil {
		return fmt.Errorf("begin load: %w", err)
	}
	indexed, err := l.traceKeysCurrent(ctx)
	if err != nil {
		return fmt.Errorf("begin load: %w", err)
	}
	// DuckDB keeps the blocks it writes cached up to its memory limit (80 % of RAM by default): a load of
	// millions of records would hold gigabytes it never reads again. The limit is lifted when the load ends.
	if _, err := l.conn.ExecContext(ctx, `SET memory_limit = '`+loadMemoryLimit+`'`); err != nil {
		return fmt.Errorf("begin load: %w", err)
	}
	if _, err := l.conn.ExecContext(ctx, `BEGIN TRANSACTION`); err != nil {
		return fmt.Errorf("begin load: %w", err)
	}
	return l.conn.Raw(func(dc any) error {
		var err error
		if l.signIns, err = duckdb.NewAppender(dc.(driver.Conn), "", "", db.SignInsTable); err != nil {
			return fmt.Errorf("begin load: %w", err)
		}
		if l.objects, err = duckdb.NewAppender(dc.(driver.Conn), "", "", db.ObjectsTable); err != nil {
			return fmt.Errorf("begin load: %w", err)
		}
		if l.problems, err = duckdb.NewAppender(dc.(driver.Conn), "", "", db.ProblemsTable); err != nil {
			return fmt.Errorf("begin load: %w", err)
		}
		if l.parts, err = duckdb.NewAppender(dc.(driver.Conn), "", "", db.PartFilesTable); err != nil {
			return fmt.Errorf("begin load: %w", err)
		}
		if l.duplicates, err = duckdb.NewAppender(dc.(driver.Conn), "", "", db.DuplicatesTable); err != nil {
			return fmt.Errorf("begin load: %w", err)
		}
		if indexed {
			if l.traceKeys, err = duckdb.NewAppender(dc.(driver.Conn), "", "", db.TraceKeysTable); err != nil {
				return fmt.Errorf("begin load: %w", err)
			}
		}
		return nil
	})
}

// Staged returns the number of records added since the last commit.
func (l *Load) Staged() int { return l.staged }

// Add stages one file, or one chunk of it: its rows, its problems and, with the last chunk, its manifest entry.
func (l *Load) Add(ctx context.Context, f *File) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	of, err := l.openFor(ctx, f)
	if err != nil {
		return err
	}
	if err := l.addRecords(f, of); err != nil {
		return fmt.Errorf("load %s: %w", f.Key, err)
	}
	if of.refill {
		// Its problems and manifest entry are there from the load that read it first.
		if f.Final {
			of.done = true
			delete(l.open, f.Key)
			if f.Err != nil {
				if err := l.refillFailed(ctx, of.id); err != nil {
					return fmt.Errorf("load %s: %w", f.Key, err)
				}
			}
		}
		return nil
	}
	for _, p := range f.Problems {
		if of.kept == maxProblemsKept {
			break
		}
		of.kept++
		if err := l.problems.AppendRow(of.id, int32(p.Record), p.Field, p.Msg, p.Skipped, p.Offset); err != nil {
			return fmt.Errorf("load %s: %w", f.Key, err)
		}
	}
	of.records += len(f.Records)
	of.problems += len(f.Problems)
	l.staged += len(f.Records)
	if !f.Final {
		return nil
	}
	if err := l.finish(f, of); err != nil {
		return fmt.Errorf("load %s: %w", f.Key, err)
	}
	return nil
}

// openFor returns the object that f is (a chunk of), starting it with its first chunk: an earlier version of it
// is dropped (Replaces), a refill takes the id its manifest entry has.
func (l *Load) openFor(ctx context.Context, f *File) (*openFile, error) {
	if of := l.open[f.Key]; of != nil {
		if !slices.Contains(l.pending, of) {
			l.pending = append(l.pending, of)
		}
		return of, nil
	}
	// Keep what the manifest needs of the object, not its records: they are in DuckDB's hands after this call,
	// and a commit's worth of them would otherwise stay in memory until the commit.
	hdr := *f
	hdr.Records, hdr.Problems = nil, nil
	var of *openFile
	switch {
	case f.Refill:
		r := l.refilling[f.Key]
		if r == nil {
			return nil, fmt.Errorf("load %s: not an object to read again", f.Key)
		}
		of = &openFile{f: &hdr, id: r.id, refill: true, obj: partfile.NewOrigin(r.id, f.Parsed, f.Path)}
	default:
		if f.Replaces {
			if err := l.dropKey(ctx, f.Key); err != nil {
				return nil, err
			}
		}
		of = &openFile{f: &hdr, id: l.nextID, obj: partfile.NewOrigin(l.nextID, f.Parsed, f.Path)}
		l.nextID++
	}
	l.open[f.Key] = of
	l.pending = append(l.pending, of)
	return of, nil
}

// addRecords writes the records the store does not have to the transaction's part file (and the sign-in
// table), and records the others as copies.
func (l *Load) addRecords(f *File, of *openFile) error {
	l.hashBuf = l.hashBuf[:0]
	for _, r := range f.Records {
		l.hashBuf = append(l.hashBuf, r.Hash)
	}
	l.keep = slices.Grow(l.keep[:0], len(f.Records))[:len(f.Records)]
	l.hashes.Claim(l.hashBuf, l.keep)
	if err := l.indexKeys(f, of); err != nil {
		return err
	}
	if f.Final {
		of.keys = nil
	}
	for i, r := range f.Records {
		if !l.keep[i] {
			if !of.refill {
				if err := l.duplicates.AppendRow(of.id, r.Hash); err != nil {
					return err
				}
			}
			continue
		}
		if l.part == nil {
			p, err := partfile.Create(l.h.PartsDir, parts.NewName())
			if err != nil {
				return err
			}
			l.part = p
		}
		if err := l.part.Add(r, of.obj); err != nil {
			return err
		}
		if db.IsSignInCandidate(r.EventSource.S, r.EventType.S) {
			if err := l.signIns.AppendRow(l.rows.values(r, of)...); err != nil {
				return err
			}
		}
		l.mine = append(l.mine, r.Hash)
		if of.refill {
			l.refilled++
		} else {
			l.inserted++
		}
	}
	return nil
}

// traceKeysCurrent reports whether the store's trace index has the keys of every object in the manifest: only
// then does the load keep it (and move its mark up at each commit).
func (l *Load) traceKeysCurrent(ctx context.Context) (bool, error) {
	if has, err := db.HasTable(ctx, l.conn, db.TraceKeysTable); err != nil || !has {
		return false, err
	}
	var ok bool
	err := l.conn.QueryRowContext(ctx, `SELECT coalesce((SELECT try_cast(value AS BIGINT) FROM `+db.MetaTable+` WHERE key = ?) >= ?, false)`,
		db.TraceKeysMeta, l.nextID-1).Scan(&ok)
	return ok, err
}

// indexKeys appends to the trace index the access keys and principal ARNs of f's records that its object has
// not had yet: of every record, stored here or as a copy of another object's (read again for its copies, the
// object then brings no key the index lacks).
func (l *Load) indexKeys(f *File, of *openFile) error {
	if l.traceKeys == nil {
		return nil
	}
	if of.keys == nil {
		of.keys = map[string]bool{}
	}
	add := func(v cloudtrail.String) error {
		if !v.Valid || of.keys[v.S] {
			return nil
		}
		k := strings.Clone(v.S) // not the record's buffer, kept while the object is read
		of.keys[k] = true
		return l.traceKeys.AppendRow(k, of.id)
	}
	for _, r := range f.Records {
		u := r.UserIdentity
		if u == nil {
			continue
		}
		if err := add(u.AccessKeyID); err != nil {
			return err
		}
		if err := add(u.ARN); err != nil {
			return err
		}
		if c := u.SessionContext; c != nil && c.SessionIssuer != nil {
			if err := add(c.SessionIssuer.ARN); err != nil {
				return err
			}
		}
	}
	return nil
}

// finish appends the manifest entry of an object whose last chunk came.
func (l *Load) finish(f *File, of *openFile) error {
	detail := ""
	switch {
	case f.Skip:
		detail = f.SkipReason
	case f.Err != nil:
		detail = f.Err.Error()
	}
	outcome := Outcome(f.Skip, f.Err, of.records, of.problems)
	// The last chunk's version: a source that broke off after earlier chunks were sent empties it (read again).
	if err := l.objects.AppendRow(of.id, of.f.Key, of.f.Parsed.Kind.String(), of.f.Size, f.Version,
		int64(of.records), int64(of.problems), outcome, detail, time.Now().UTC()); err != nil {
		return err
	}
	of.done = true
	delete(l.open, f.Key)
	return nil
}

// Commit writes the staged rows (leaving out those already stored) and the manifest, commits, and starts the next
// transaction on the same load.
func (l *Load) Commit(ctx context.Context) (CommitStats, error) {
	st := CommitStats{Records: l.staged, Inserted: l.inserted + l.refilled, Duplicates: l.staged - l.inserted, Refilled: l.refilled}
	if err := l.signIns.Flush(); err != nil {
		return st, fmt.Errorf("commit load: %w", err)
	}
	created, retired, err := l.commitParts(ctx)
	if err != nil {
		return st, err
	}
	removeCreated := func() {
		for _, n := range created {
			os.Remove(filepath.Join(l.h.PartsDir, n))
		}
	}
	if err := l.writeManifest(ctx, &st); err != nil {
		removeCreated()
		return st, err
	}
	if _, err := l.conn.ExecContext(ctx, `COMMIT`); err != nil {
		removeCreated()
		return st, fmt.Errorf("commit load: %w", err)
	}
	for _, n := range retired {
		// A reader that has the file open keeps reading it; a later load removes what is left (removeOrphans).
		os.Remove(filepath.Join(l.h.PartsDir, n))
	}
	for _, of := range l.pending {
		if !of.done {
			of.committed = true
		}
	}
	l.hashes.Committed(l.mine)
	l.pending, l.staged, l.inserted, l.refilled, l.mine = nil, 0, 0, 0, nil
	if _, err := l.conn.ExecContext(ctx, `BEGIN TRANSACTION`); err != nil {
		return st, fmt.Errorf("commit load: %w", err)
	}
	return st, nil
}

// appendPartFiles records which objects (ids) have rows in the part named. An appender, not INSERT statements:
// a load of 100,000 small objects would spend a second parsing them.
func (l *Load) appendPartFiles(part string, ids []int64) error {
	for _, id := range ids {
		if err := l.parts.AppendRow(part, id); err != nil {
			return err
		}
	}
	return l.parts.Flush()
}

// commitParts finishes this transaction's part file and rewrites the parts that hold rows of replaced objects,
// lists them in the transaction and points the events view at them. It returns the files the commit adds and
// those it replaces; a failed commit must remove the first.
func (l *Load) commitParts(ctx context.Context) (created, retired []string, err error) {
	if l.part == nil && len(l.dropped) == 0 {
		return nil, nil, nil
	}
	defer func() {
		if err != nil {
			for _, n := range created {
				os.Remove(filepath.Join(l.h.PartsDir, n))
			}
		}
	}()
	if p := l.part; p != nil {
		l.part = nil
		if err := p.Finish(); err != nil {
			p.Discard()
			return nil, nil, fmt.Errorf("commit load: %w", err)
		}
		created = append(created, p.Name())
		if err := parts.List(ctx, l.h, l.conn, p.Name(), p.Rows()); err != nil {
			return created, nil, fmt.Errorf("commit load: %w", err)
		}
		if err := l.appendPartFiles(p.Name(), p.Objects()); err != nil {
			return created, nil, fmt.Errorf("commit load: %w", err)
		}
	}
	if len(l.dropped) > 0 {
		c, r, err := parts.RewriteWithout(ctx, l.h, l.conn, l.dropped)
		created = append(created, c...)
		if err != nil {
			return created, nil, fmt.Errorf("commit load: %w", err)
		}
		retired = r
		l.dropped = nil
	}
	c, r, err := parts.Compact(ctx, l.h, l.conn)
	created, retired = append(created, c...), append(retired, r...)
	if err != nil {
		return created, nil, fmt.Errorf("commit load: %w", err)
	}
	if err := l.h.WriteEventsView(ctx, l.conn); err != nil {
		return created, nil, fmt.Errorf("commit load: %w", err)
	}
	return created, retired, nil
}

// readHashes reads the content hashes of the rows the store has, sorted.
func (l *Load) readHashes(ctx context.Context) ([]uint64, error) {
	stored, err := db.Column[uint64](ctx, l.conn, `SELECT _hash FROM `+db.EventsTable+` ORDER BY _hash`)
	if err != nil {
		return nil, fmt.Errorf("begin load: %w", err)
	}
	return stored, nil
}

// dropKey removes what the store holds of an earlier (or unfinished) version of an object.
func (l *Load) dropKey(ctx context.Context, key string) error {
	old := `SELECT file_id FROM ` + db.ObjectsTable + ` WHERE key = ?`
	ids, err := db.Column[int64](ctx, l.conn, old, key)
	if err != nil {
		return fmt.Errorf("replace %s: %w", key, err)
	}
	if len(ids) == 0 {
		return nil
	}
	l.dropped = append(l.dropped, ids...)
	// Copies of its rows in other objects are looked for once this load's files are added (Refills).
	if err := l.duplicates.Flush(); err != nil {
		return fmt.Errorf("replace %s: %w", key, err)
	}
	if err := db.ForgetCopies(ctx, l.conn, db.IDList(ids)); err != nil {
		return fmt.Errorf("replace %s: %w", key, err)
	}
	l.refillPending = true
	// The rows go: from the native table now, from the part files at the commit (rewriteWithout).
	gone, err := db.Column[uint64](ctx, l.conn, `SELECT _hash FROM `+db.EventsTable+` WHERE _file_id IN (`+old+`)`, key)
	if err != nil {
		return fmt.Errorf("replace %s: %w", key, err)
	}
	l.hashes.Drop(gone)
	for _, q := range []string{
		`DELETE FROM ` + db.NativeTable + ` WHERE _file_id IN (` + old + `)`,
		`DELETE FROM ` + db.SignInsTable + ` WHERE _file_id IN (` + old + `)`,
		`DELETE FROM ` + db.TraceKeysTable + ` WHERE _file_id IN (` + old + `)`,
		`DELETE FROM ` + db.ProblemsTable + ` WHERE file_id IN (` + old + `)`,
		`DELETE FROM ` + db.ObjectsTable + ` WHERE key = ?`,
	} {
		if _, err := l.conn.ExecContext(ctx, q, key); err != nil {
			return fmt.Errorf("replace %s: %w", key, err)
		}
	}
	return nil
}

// writeManifest finishes the manifest for this commit: files still being read get a "loading" row (once);
// finished files that had one get it replaced by their final row, which Add appended.
func (l *Load) writeManifest(ctx context.Context, st *CommitStats) error {
	var ids []any
	for _, of := range l.pending {
		if of.done && of.committed && !of.refill {
			ids = append(ids, of.id)
		}
		if of.done && !of.refill {
			st.Files++
		}
	}
	if len(ids) > 0 {
		in := "?" + strings.Repeat(", ?", len(ids)-1)
		if _, err := l.conn.ExecContext(ctx, `DELETE FROM `+db.ObjectsTable+` WHERE outcome = '`+OutcomeLoading+`' AND file_id IN (`+in+`)`, ids...); err != nil {
			return fmt.Errorf("write manifest: %w", err)
		}
	}
	for _, of := range l.pending {
		if of.done || of.committed || of.refill {
			continue
		}
		if err := l.objects.AppendRow(of.id, of.f.Key, of.f.Parsed.Kind.String(), of.f.Size, of.f.Version,
			int64(of.records), int64(of.problems), OutcomeLoading, "", time.Now().UTC()); err != nil {
			return fmt.Errorf("write manifest: %w", err)
		}
	}
	if err := l.objects.Flush(); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	if err := l.problems.Flush(); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	if err := l.duplicates.Flush(); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	if l.traceKeys != nil {
		if err := l.traceKeys.Flush(); err != nil {
			return fmt.Errorf("write manifest: %w", err)
		}
		if _, err := l.conn.ExecContext(ctx, `INSERT OR REPLACE INTO `+db.MetaTable+` VALUES (?, ?)`, db.TraceKeysMeta, strconv.FormatInt(l.nextID-1, 10)); err != nil {
			return fmt.Errorf("write manifest: %w", err)
		}
	}
	if l.lost {
		if err := foundAgain(ctx, l.conn); err != nil {
			return fmt.Errorf("write manifest: %w", err)
		}
	}
	return nil
}

// Close ends the load, rolling back what was not committed.
func (l *Load) Close() error {
	var first error
	if l.part != nil {
		l.part.Discard() // rows of a transaction that is rolled back
		l.part = nil
	}
	for _, a := range []*duckdb.Appender{l.signIns, l.objects, l.problems, l.parts, l.duplicates, l.traceKeys} {
		if a == nil {
			continue
		}
		if err := a.Close(); err != nil && first == nil {
			first = err
		}
	}
	if _, err := l.conn.ExecContext(context.WithoutCancel(context.Background()), `ROLLBACK`); err != nil && first == nil {
		_ = err // no open transaction is fine
	}
	_, _ = l.conn.ExecContext(context.WithoutCancel(context.Background()), `RESET memory_limit`)
	if err := l.conn.Close(); err != nil && first == nil {
		first = err
	}
	return first
}

// foundAgain removes from the lost list the objects a load has read again (at its commit).
func foundAgain(ctx context.Context, q db.Querier) error {
	_, err := q.ExecContext(ctx, `DELETE FROM `+db.LostTable+` WHERE key IN (SELECT key FROM `+db.ObjectsTable+`
		WHERE outcome IN ('`+OutcomeLoaded+`', '`+OutcomeProblems+`', '`+OutcomeSkipped+`'))`)
	return err
}
