package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/trailq/trailq/internal/cloudtrail"
)

// Outcome of loading one object, as kept in the manifest.
const (
	OutcomeLoaded   = "loaded"   // every record loaded, nothing odd
	OutcomeProblems = "problems" // loaded, with odd fields stored as NULL or records skipped
	OutcomePartial  = "partial"  // the file broke off: the records before the break are loaded
	OutcomeFailed   = "failed"   // nothing could be loaded
	OutcomeSkipped  = "skipped"  // not a trail log (digest, Insights, Config, other JSON)
)

// maxProblemsKept bounds the problems stored per file; the count is always exact.
const maxProblemsKept = 100

// File is one decoded log object, ready to be added to a load.
type File struct {
	Key     string         // object key
	Path    string         // where it came from, as Athena's "$path" shows it (s3://bucket/key or a file path)
	Parsed  cloudtrail.Key // what the key says
	Size    int64
	Version string // ETag or modification time: a changed version is loaded again
	Records []*cloudtrail.Record
	// Problems are the record-level problems (odd fields, skipped records).
	Problems []cloudtrail.Problem
	// Err is why the file, or its rest, could not be read; nil when it was read to the end.
	Err error
	// Replaces is set when the manifest holds an earlier version of this key: its rows are replaced.
	Replaces bool
	// Skip is set for objects that are not trail logs; SkipReason says what they are.
	Skip       bool
	SkipReason string
}

// Outcome classifies the file for the manifest.
func (f *File) Outcome() string {
	switch {
	case f.Skip:
		return OutcomeSkipped
	case f.Err != nil && len(f.Records) == 0:
		return OutcomeFailed
	case f.Err != nil:
		return OutcomePartial
	case len(f.Problems) > 0:
		return OutcomeProblems
	}
	return OutcomeLoaded
}

// Loaded returns the version of every object in the manifest, by key.
func (s *Store) Loaded(ctx context.Context) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key, version FROM `+objectsTable)
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

// Load is one load transaction: files are added, then committed together with their manifest entries, so that a
// crash leaves either all or none of them.
type Load struct {
	conn     *sql.Conn
	app      *duckdb.Appender // staging rows
	objects  *duckdb.Appender // manifest
	problems *duckdb.Appender // load report
	nextID   int64
	files    []*File
	ids      []int64
	staged   int
	started  time.Time
}

// CommitStats says what a commit did.
type CommitStats struct {
	Files      int
	Records    int // records staged
	Inserted   int // rows added to the table
	Duplicates int // records already in the store (identical content), not added again
}

// BeginLoad starts a load transaction. Only one load may run on a store at a time.
func (s *Store) BeginLoad(ctx context.Context) (*Load, error) {
	if s.readOnly {
		return nil, fmt.Errorf("begin load: the store is open read-only")
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin load: %w", err)
	}
	l := &Load{conn: conn, started: time.Now()}
	if err := l.begin(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return l, nil
}

func (l *Load) begin(ctx context.Context) error {
	stmts := []string{
		`CREATE TEMP TABLE IF NOT EXISTS staging AS SELECT * FROM ` + EventsTable + ` LIMIT 0`,
		`BEGIN TRANSACTION`,
	}
	for _, q := range stmts {
		if _, err := l.conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("begin load: %w", err)
		}
	}
	if err := l.conn.QueryRowContext(ctx, `SELECT coalesce(max(file_id), 0) + 1 FROM `+objectsTable).Scan(&l.nextID); err != nil {
		return fmt.Errorf("begin load: %w", err)
	}
	return l.conn.Raw(func(dc any) error {
		var err error
		if l.app, err = duckdb.NewAppender(dc.(driver.Conn), "temp", "main", "staging"); err != nil {
			return fmt.Errorf("begin load: %w", err)
		}
		if l.objects, err = duckdb.NewAppender(dc.(driver.Conn), "", "", objectsTable); err != nil {
			return fmt.Errorf("begin load: %w", err)
		}
		if l.problems, err = duckdb.NewAppender(dc.(driver.Conn), "", "", problemsTable); err != nil {
			return fmt.Errorf("begin load: %w", err)
		}
		return nil
	})
}

// Staged returns the number of records added since the last commit.
func (l *Load) Staged() int { return l.staged }

// Add stages one file's records and its manifest entry.
func (l *Load) Add(ctx context.Context, f *File) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	id := l.nextID
	l.nextID++
	for _, r := range f.Records {
		if err := l.app.AppendRow(rowValues(r, f, id)...); err != nil {
			return fmt.Errorf("load %s: %w", f.Key, err)
		}
	}
	l.files = append(l.files, f)
	l.ids = append(l.ids, id)
	l.staged += len(f.Records)
	return nil
}

// Commit writes the staged rows (leaving out those already stored) and the manifest, commits, and starts the next
// transaction on the same load.
func (l *Load) Commit(ctx context.Context) (CommitStats, error) {
	st := CommitStats{Files: len(l.files), Records: l.staged}
	if err := l.app.Flush(); err != nil {
		return st, fmt.Errorf("commit load: %w", err)
	}
	if err := l.dropReplaced(ctx); err != nil {
		return st, err
	}
	// Identical records (same content hash and time) are stored once: across files of this batch, and against
	// what the store already has.
	res, err := l.conn.ExecContext(ctx, `INSERT INTO `+EventsTable+`
SELECT s.* EXCLUDE (rn) FROM (
	SELECT *, row_number() OVER (PARTITION BY _hash ORDER BY _file_id) AS rn FROM staging
) s
WHERE s.rn = 1 AND NOT EXISTS (
	SELECT 1 FROM `+EventsTable+` e WHERE e._hash = s._hash AND e.eventtime IS NOT DISTINCT FROM s.eventtime)
ORDER BY s.eventtime`)
	if err != nil {
		return st, fmt.Errorf("commit load: %w", err)
	}
	n, _ := res.RowsAffected()
	st.Inserted = int(n)
	st.Duplicates = st.Records - st.Inserted
	if err := l.writeManifest(); err != nil {
		return st, err
	}
	if _, err := l.conn.ExecContext(ctx, `DELETE FROM staging`); err != nil {
		return st, fmt.Errorf("commit load: %w", err)
	}
	if _, err := l.conn.ExecContext(ctx, `COMMIT`); err != nil {
		return st, fmt.Errorf("commit load: %w", err)
	}
	l.files, l.ids, l.staged = nil, nil, 0
	if _, err := l.conn.ExecContext(ctx, `BEGIN TRANSACTION`); err != nil {
		return st, fmt.Errorf("commit load: %w", err)
	}
	return st, nil
}

// dropReplaced removes what the store holds of earlier versions of the files being committed.
func (l *Load) dropReplaced(ctx context.Context) error {
	var keys []any
	for _, f := range l.files {
		if f.Replaces {
			keys = append(keys, f.Key)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	in := "?" + strings.Repeat(", ?", len(keys)-1)
	old := `SELECT file_id FROM ` + objectsTable + ` WHERE key IN (` + in + `)`
	for _, q := range []string{
		`DELETE FROM ` + EventsTable + ` WHERE _file_id IN (` + old + `)`,
		`DELETE FROM ` + problemsTable + ` WHERE file_id IN (` + old + `)`,
		`DELETE FROM ` + objectsTable + ` WHERE key IN (` + in + `)`,
	} {
		if _, err := l.conn.ExecContext(ctx, q, keys...); err != nil {
			return fmt.Errorf("replace changed files: %w", err)
		}
	}
	return nil
}

func (l *Load) writeManifest() error {
	now := time.Now().UTC()
	for i, f := range l.files {
		id := l.ids[i]
		detail := ""
		switch {
		case f.Skip:
			detail = f.SkipReason
		case f.Err != nil:
			detail = f.Err.Error()
		}
		if err := l.objects.AppendRow(id, f.Key, f.Parsed.Kind.String(), f.Size, f.Version, int64(len(f.Records)),
			int64(len(f.Problems)), f.Outcome(), detail, now); err != nil {
			return fmt.Errorf("write manifest: %w", err)
		}
		for j, p := range f.Problems {
			if j == maxProblemsKept {
				break
			}
			if err := l.problems.AppendRow(id, int32(p.Record), p.Field, p.Msg, p.Skipped); err != nil {
				return fmt.Errorf("write manifest: %w", err)
			}
		}
	}
	if err := l.objects.Flush(); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	if err := l.problems.Flush(); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return nil
}

// Close ends the load, rolling back what was not committed.
func (l *Load) Close() error {
	var first error
	for _, a := range []*duckdb.Appender{l.app, l.objects, l.problems} {
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
	if err := l.conn.Close(); err != nil && first == nil {
		first = err
	}
	return first
}

func s(v cloudtrail.String) driver.Value { return v.Value() }

// rowValues returns one row of the events table for r.
func rowValues(r *cloudtrail.Record, f *File, fileID int64) []driver.Value {
	region, year, month, day := f.Parsed.Partition()
	account := f.Parsed.Account
	if f.Parsed.Kind != cloudtrail.KindLog || f.Parsed.Date.IsZero() {
		// A file not named as CloudTrail names them: take the partition values from the record itself.
		region = r.AWSRegion.S
		if t, ok := r.Time(); ok {
			year, month, day = t.Format("2006"), t.Format("01"), t.Format("02")
		} else {
			year, month, day = "", "", ""
		}
	}
	if account == "" {
		account = r.RecipientAccountID.S
	}
	return []driver.Value{
		s(r.EventVersion),
		userIdentityValue(r.UserIdentity),
		s(r.EventTime), s(r.EventSource), s(r.EventName), s(r.AWSRegion), s(r.SourceIPAddress), s(r.UserAgent),
		s(r.ErrorCode), s(r.ErrorMessage), s(r.RequestParameters), s(r.ResponseElements), s(r.AdditionalEventData),
		s(r.RequestID), s(r.EventID),
		resourcesValue(r.Resources),
		s(r.EventType), s(r.APIVersion), s(r.ReadOnly), s(r.RecipientAccountID), s(r.ServiceEventDetails),
		s(r.SharedEventID), s(r.VPCEndpointID), s(r.VPCEndpointAccountID), s(r.EventCategory),
		addendumValue(r.Addendum),
		s(r.SessionCredentialFromConsole), s(r.EdgeDeviceDetails),
		tlsValue(r.TLSDetails),
		nullIfEmpty(region), nullIfEmpty(year), nullIfEmpty(month), nullIfEmpty(day),
		nullIfEmpty(account), f.Path, fileID, r.Hash,
	}
}

func nullIfEmpty(v string) driver.Value {
	if v == "" {
		return nil
	}
	return v
}

func userIdentityValue(u *cloudtrail.UserIdentity) driver.Value {
	if u == nil {
		return nil
	}
	m := map[string]any{
		"type": s(u.Type), "principalid": s(u.PrincipalID), "arn": s(u.ARN), "accountid": s(u.AccountID),
		"invokedby": s(u.InvokedBy), "accesskeyid": s(u.AccessKeyID), "username": s(u.UserName),
		"onbehalfof": nil, "sessioncontext": nil,
	}
	if o := u.OnBehalfOf; o != nil {
		m["onbehalfof"] = map[string]any{"userid": s(o.UserID), "identitystorearn": s(o.IdentityStoreARN)}
	}
	if c := u.SessionContext; c != nil {
		sc := map[string]any{"attributes": nil, "sessionissuer": nil, "ec2roledelivery": s(c.EC2RoleDelivery), "webidfederationdata": nil}
		if a := c.Attributes; a != nil {
			sc["attributes"] = map[string]any{"mfaauthenticated": s(a.MFAAuthenticated), "creationdate": s(a.CreationDate)}
		}
		if i := c.SessionIssuer; i != nil {
			sc["sessionissuer"] = map[string]any{"type": s(i.Type), "principalid": s(i.PrincipalID), "arn": s(i.ARN),
				"accountid": s(i.AccountID), "username": s(i.UserName)}
		}
		if w := c.WebIDFederationData; w != nil {
			var attrs any
			if w.Attributes != nil {
				om := duckdb.OrderedMap{}
				for _, kv := range w.Attributes {
					om.Set(kv.K, kv.V)
				}
				attrs = om
			}
			sc["webidfederationdata"] = map[string]any{"federatedprovider": s(w.FederatedProvider), "attributes": attrs}
		}
		m["sessioncontext"] = sc
	}
	return m
}

func resourcesValue(rs []cloudtrail.Resource) driver.Value {
	if rs == nil {
		return nil
	}
	out := make([]any, len(rs))
	for i, r := range rs {
		out[i] = map[string]any{"arn": s(r.ARN), "accountid": s(r.AccountID), "type": s(r.Type)}
	}
	return out
}

func addendumValue(a *cloudtrail.Addendum) driver.Value {
	if a == nil {
		return nil
	}
	return map[string]any{"reason": s(a.Reason), "updatedfields": s(a.UpdatedFields),
		"originalrequestid": s(a.OriginalRequestID), "originaleventid": s(a.OriginalEventID)}
}

func tlsValue(t *cloudtrail.TLSDetails) driver.Value {
	if t == nil {
		return nil
	}
	return map[string]any{"tlsversion": s(t.TLSVersion), "ciphersuite": s(t.CipherSuite),
		"clientprovidedhostheader": s(t.ClientProvidedHostHeader)}
}
