package signin

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	fastjson "github.com/goccy/go-json"

	"github.com/trailq/trailq/internal/store"
)

// The classified table holds every sign-in row of the store as an Event (Classify, after each load), beside the
// columns the Query's WHERE clause names, so that Fetch reads plain columns instead of fetching JSON and
// classifying each row. Fetch uses it only when it is current: the same rules (classifyVersion) and one row
// for each row of the sign-in table. Otherwise (a store loaded by an older trailq and opened read-only) Fetch
// classifies as it reads.
const (
	classifiedTable = "trailq_signin_classified"
	// classifyVersion names the rules of normalize and ParseUserAgent: change it when their answers change, and
	// stores are classified again.
	classifyVersion = "5"
)

// filterColumns are the columns of the sign-in table that Query.where names, kept as they are.
var filterColumns = [][2]string{
	{"eventtime", "VARCHAR"}, {"eventsource", "VARCHAR"}, {"eventname", "VARCHAR"}, {"eventtype", "VARCHAR"},
	{"awsregion", "VARCHAR"}, {"recipientaccountid", "VARCHAR"},
	{"useridentity", "STRUCT(type VARCHAR, accountid VARCHAR)"},
}

// eventColumns are the Event's fields, in eventValues' order.
var eventColumns = [][2]string{
	{"e_time", "VARCHAR"}, // RFC 3339 with nanoseconds, UTC; NULL when the record's time could not be read
	{"e_ts", "TIMESTAMP"}, // the same to the microsecond: rows are stored in its order, and a period skips row groups
	{"e_account", "VARCHAR"}, {"e_region", "VARCHAR"}, {"e_source", "VARCHAR"}, {"e_name", "VARCHAR"},
	{"e_type", "VARCHAR"}, {"e_result", "VARCHAR"}, {"e_reason", "VARCHAR"}, {"e_identitytype", "VARCHAR"},
	{"e_recordedidentitytype", "VARCHAR"}, {"e_principal", "VARCHAR"}, {"e_arn", "VARCHAR"},
	{"e_username", "VARCHAR"}, {"e_userid", "VARCHAR"}, {"e_maskeduser", "BOOLEAN"}, {"e_sourceip", "VARCHAR"},
	{"e_useragent", "VARCHAR"}, {"e_browser", "VARCHAR"}, {"e_os", "VARCHAR"}, {"e_mfa", "VARCHAR"},
	{"e_mfatype", "VARCHAR"}, {"e_loginto", "VARCHAR"}, {"e_samlprovider", "VARCHAR"}, {"e_eventid", "VARCHAR"},
	{"e_authworkflowid", "VARCHAR"}, {"e_credentialtype", "VARCHAR"}, {"e_details", "VARCHAR"},
}

func columnNames(groups ...[][2]string) string {
	var names []string
	for _, g := range groups {
		for _, c := range g {
			names = append(names, c[0])
		}
	}
	return strings.Join(names, ", ")
}

// classified declares the table to the store, which keeps it in step with the sign-in rows.
var classified = store.Derived{
	Name:    classifiedTable,
	Columns: slices.Concat(filterColumns, eventColumns, [][2]string{{"_file_id", "BIGINT"}}),
	Version: classifyVersion,
	From:    store.SignInRowsTable,
}

func eventValues(e *Event) []driver.Value {
	var t, ts driver.Value
	if !e.Time.IsZero() {
		t, ts = e.Time.Format(time.RFC3339Nano), e.Time
	}
	return []driver.Value{t, ts, e.Account, e.Region, e.Source, e.Name, e.Type, e.Result, e.Reason, e.IdentityType,
		e.RecordedIdentityType, e.Principal, e.ARN, e.UserName, e.UserID, e.MaskedUser, e.SourceIP, e.UserAgent,
		e.Browser, e.OS, e.MFA, e.MFAType, e.LoginTo, e.SAMLProvider, e.EventID, e.AuthWorkflowID, e.CredentialType, e.Details}
}

func eventFromValues(v []any) Event {
	s := func(i int) string {
		x, _ := v[i].(string)
		return x
	}
	var e Event
	if t, err := time.Parse(time.RFC3339Nano, s(0)); err == nil {
		e.Time = t.UTC()
	}
	v = v[1:] // e_ts
	e.Account, e.Region, e.Source, e.Name, e.Type = s(1), s(2), s(3), s(4), s(5)
	e.Result, e.Reason, e.IdentityType, e.RecordedIdentityType = s(6), s(7), s(8), s(9)
	e.Principal, e.ARN, e.UserName, e.UserID = s(10), s(11), s(12), s(13)
	e.MaskedUser, _ = v[14].(bool)
	e.SourceIP, e.UserAgent, e.Browser, e.OS = s(15), s(16), s(17), s(18)
	e.MFA, e.MFAType, e.LoginTo, e.SAMLProvider = s(19), s(20), s(21), s(22)
	e.EventID, e.AuthWorkflowID, e.CredentialType, e.Details = s(23), s(24), s(25), s(26)
	return e
}

// Classify brings the classified table of a store opened for writing up to date after a load: the store drops
// the rows of objects that are gone (store.Derived), and the sign-in rows loaded since are classified and
// appended. Object ids only grow, so the rows with an id above the table's highest are the new ones.
func Classify(ctx context.Context, st *store.Store) error {
	watermark, err := st.SyncDerived(ctx, classified)
	if err != nil {
		return fmt.Errorf("classify sign-ins: %w", err)
	}
	// The new rows go in batches of whole objects, in object-id order, each in a transaction of its own: memory
	// stays bounded (the first classification of a store of 10 M events has 150,000 sign-ins), and after each
	// commit every row up to the table's highest object id is classified.
	agents := userAgents{}
	for {
		var hi int64
		if err := scanOne(ctx, st, `SELECT coalesce(max(_file_id), 0) FROM (SELECT _file_id FROM `+store.SignInRowsTable+
			` WHERE _file_id > `+strconv.FormatInt(watermark, 10)+` ORDER BY _file_id LIMIT `+strconv.Itoa(classifyBatch)+`)`, &hi); err != nil {
			return err
		}
		if hi <= watermark {
			return nil
		}
		out, err := classifyRange(ctx, st, watermark, hi, agents)
		if err != nil {
			return err
		}
		if err := st.AppendDerived(ctx, classified, out); err != nil {
			return fmt.Errorf("classify sign-ins: %w", err)
		}
		watermark = hi
	}
}

// classifyBatch is about how many sign-in rows Classify holds at once (a variable for the tests).
var classifyBatch = 20_000

// classifyRange returns the classified rows of the objects with ids in (lo, hi], in time order (unknown times
// first), so that a period's rows sit in few row groups.
func classifyRange(ctx context.Context, st *store.Store, lo, hi int64, agents userAgents) ([][]driver.Value, error) {
	src := `SELECT eventtime, eventsource, eventname, eventtype, awsregion, recipientaccountid, ` + identityColumns + `,
  sourceipaddress, useragent, errorcode, errormessage, responseelements, additionaleventdata, serviceeventdetails, eventid,
  ` + columnNames(filterColumns) + `, _file_id
FROM ` + store.SignInRowsTable + ` WHERE _file_id > ` + strconv.FormatInt(lo, 10) + ` AND _file_id <= ` + strconv.FormatInt(hi, 10)
	rows, err := st.Query(ctx, src)
	if err != nil {
		return nil, fmt.Errorf("classify sign-ins: %w", err)
	}
	defer rows.Close()
	var out [][]driver.Value
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			return nil, fmt.Errorf("classify sign-ins: %w", err)
		}
		r, err := scan(v[:scanColumns])
		if err != nil {
			return nil, err
		}
		e := normalize(r)
		e.Browser, e.OS = agents.parse(r.UserAgent)
		row := make([]driver.Value, 0, len(filterColumns)+len(eventColumns)+1)
		f := v[scanColumns:]
		for _, x := range f[:6] {
			row = append(row, x)
		}
		row = append(row, identityStruct(f[6]))
		row = append(row, eventValues(&e)...)
		row = append(row, f[7])
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("classify sign-ins: %w", err)
	}
	ts := len(filterColumns) + 1
	slices.SortStableFunc(out, func(a, b []driver.Value) int {
		ta, _ := a[ts].(time.Time)
		tb, _ := b[ts].(time.Time)
		return ta.Compare(tb)
	})
	return out, nil
}

// identityStruct turns the useridentity STRUCT(type, accountid) the store returns (JSON text) into the
// appender's form.
func identityStruct(v any) driver.Value {
	raw, ok := v.(json.RawMessage)
	if !ok || len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var m struct {
		Type      *string `json:"type"`
		AccountID *string `json:"accountid"`
	}
	if err := fastjson.Unmarshal(raw, &m); err != nil {
		return nil
	}
	val := func(p *string) any {
		if p == nil {
			return nil
		}
		return *p
	}
	return map[string]any{"type": val(m.Type), "accountid": val(m.AccountID)}
}

// classifiedCurrent reports whether the classified table can answer: classified by these rules, one row for
// each sign-in row, and none loaded since.
func classifiedCurrent(ctx context.Context, st *store.Store) bool {
	if ok, err := st.Current(ctx, classified); err != nil || !ok {
		return false
	}
	var current bool
	err := scanOne(ctx, st, `SELECT (SELECT count(*) FROM `+classifiedTable+`) = (SELECT count(*) FROM `+store.SignInRowsTable+`)
  AND NOT EXISTS (SELECT 1 FROM `+store.SignInRowsTable+` WHERE _file_id > (SELECT coalesce(max(_file_id), 0) FROM `+classifiedTable+`))`, &current)
	return err == nil && current
}

// fetchClassified is Fetch over the classified table.
func fetchClassified(ctx context.Context, st *store.Store, q *Query) ([]*Event, error) {
	query := `SELECT ` + columnNames(eventColumns) + ` FROM ` + classifiedTable + "\n" + q.where()
	if w := q.Period; !w.Start.IsZero() && !w.End.IsZero() && textRange(w.Start.Add(-maxOffset)) && textRange(w.End.Add(maxOffset)) {
		// The same query over the rows whose time is near the period (a day's margin: the WHERE clause reads
		// eventtime's text, which may carry another offset), which DuckDB finds by the row groups' statistics,
		// and over the rows whose time is unknown.
		near := "e_ts >= " + quote(w.Start.Add(-maxOffset).UTC().Format(time.DateTime)) +
			" AND e_ts < " + quote(w.End.Add(maxOffset).UTC().Format(time.DateTime))
		query = query + "\n  AND " + near + "\nUNION ALL\n" + query + "\n  AND e_ts IS NULL"
	}
	rows, err := st.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var found []*Event
	for rows.Next() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		v, err := rows.Values()
		if err != nil {
			return nil, err
		}
		e := eventFromValues(v)
		if q.Match(&e) {
			found = append(found, &e)
		}
	}
	return found, rows.Err()
}

// scanOne reads the single value of a one-row query into dst (*int64 or *bool).
func scanOne(ctx context.Context, st *store.Store, q string, dst any) error {
	rows, err := st.Query(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		return fmt.Errorf("%s: no row", q)
	}
	v, err := rows.Values()
	if err != nil {
		return err
	}
	switch d := dst.(type) {
	case *int64:
		*d, _ = v[0].(int64)
	case *bool:
		*d, _ = v[0].(bool)
	}
	return rows.Err()
}
