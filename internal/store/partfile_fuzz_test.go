package store_test

import (
	"bytes"
	"compress/gzip"
	"database/sql"
	"encoding/binary"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/partfile"
)

// FuzzPartFile checks partfile's encoder against a Parquet reader that is not ours, DuckDB's, the one that reads
// the part files of a store: the input makes records (copies of the public samples' records, edited: NULLs,
// empty strings, groups present and absent, empty and long lists and maps, unicode, strings of up to 1 MiB), the
// objects they come from and the writer's limits (row groups, pages and dictionaries down to one row, one byte,
// one value); the part file written must read back, row by row and column by column, as what was written, and
// its row groups and their statistics (min, max, NULL count, number of values of every leaf column) must be
// those of the rows. The seed corpus (the default go test) writes every public sample's record under the store's
// limits and under small ones; go test -fuzz=FuzzPartFile ./internal/store explores further.
func FuzzPartFile(f *testing.F) {
	g := newFuzzPool(f)
	for _, s := range fuzzSeeds(g) {
		f.Add(s)
	}
	// One thread, and no cache of the files read: each input's file is new, and DuckDB would keep them all
	// (enable_external_file_cache) until its memory limit.
	db, err := sql.Open("duckdb", "?threads=1&enable_external_file_cache=false&memory_limit=1GB")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	f.Fuzz(func(t *testing.T, data []byte) {
		in := &fuzzGen{pool: g, in: data}
		lim := in.limits()
		rows := in.rows()
		dir := t.TempDir()
		w, err := partfile.CreateWith(dir, "p.parquet", lim)
		if err != nil {
			t.Fatal(err)
		}
		ids := map[int64]bool{}
		for _, r := range rows {
			if err := w.Add(r.r, r.o.obj); err != nil {
				t.Fatalf("Add: %v", err)
			}
			ids[r.o.id] = true
		}
		if err := w.Finish(); err != nil {
			t.Fatalf("Finish: %v", err)
		}
		if got, want := w.Rows(), int64(len(rows)); got != want {
			t.Errorf("Rows() = %d, want %d", got, want)
		}
		if got, want := w.Objects(), slices.Sorted(maps.Keys(ids)); !slices.Equal(got, want) {
			t.Errorf("Objects() = %v, want %v", got, want)
		}
		want := make([]map[string]any, len(rows))
		for i, r := range rows {
			want[i] = wantRow(r.r, r.o)
		}
		path := filepath.Join(dir, "p.parquet")
		checkRows(t, db, path, want)
		groupRows := lim.RowGroupRows
		if groupRows == 0 {
			groupRows = partfile.RowGroup
		}
		checkStatistics(t, db, path, want, groupRows)
	})
}

// fuzzColumns are the columns of a part file, in order: the store's events table's.
var fuzzColumns = []string{
	"eventversion", "useridentity", "eventtime", "eventsource", "eventname", "awsregion", "sourceipaddress",
	"useragent", "errorcode", "errormessage", "requestparameters", "responseelements", "additionaleventdata",
	"requestid", "eventid", "resources", "eventtype", "apiversion", "readonly", "recipientaccountid",
	"serviceeventdetails", "sharedeventid", "vpcendpointid", "vpcendpointaccountid", "eventcategory", "addendum",
	"sessioncredentialfromconsole", "edgedevicedetails", "tlsdetails", "region", "year", "month", "day", "account",
	"_path", "_file_id", "_hash",
}

// checkRows reads the part file with DuckDB and compares every value of every row with want. The attributes MAP
// is read as its entries (map_entries: a list of key/value structs in the file's order), so that an entry the
// file holds twice or out of order shows.
func checkRows(t *testing.T, db *sql.DB, path string, want []map[string]any) {
	t.Helper()
	rows, err := db.Query(`SELECT * EXCLUDE (file_row_number),
		map_entries(useridentity.sessioncontext.webidfederationdata.attributes) AS "$entries"
		FROM read_parquet(?, file_row_number = true) ORDER BY file_row_number`, path)
	if err != nil {
		t.Fatalf("DuckDB reads the part file: %v", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(append(slices.Clone(fuzzColumns), "$entries"), cols); diff != "" {
		t.Fatalf("columns (-want +got):\n%s", diff)
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n, errs := 0, 0
	for rows.Next() {
		clear(vals)
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("row %d: %v", n, err)
		}
		if n >= len(want) {
			n++
			continue
		}
		got := make(map[string]any, len(cols))
		for i, c := range cols[:len(fuzzColumns)] {
			got[c] = vals[i]
		}
		if web := nested(got["useridentity"], "sessioncontext", "webidfederationdata"); web != nil {
			web["attributes"] = vals[len(fuzzColumns)]
		}
		for _, c := range fuzzColumns {
			if !reflect.DeepEqual(want[n][c], got[c]) && errs < 10 {
				errs++
				t.Errorf("row %d, column %s (-want +got):\n%s", n, c, short(cmp.Diff(want[n][c], got[c])))
			}
		}
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("DuckDB reads the part file: %v", err)
	}
	if n != len(want) {
		t.Errorf("DuckDB read %d rows, want %d", n, len(want))
	}
}

// nested returns the struct at the path of names in v, or nil.
func nested(v any, names ...string) map[string]any {
	m, _ := v.(map[string]any)
	for _, n := range names {
		if m == nil {
			return nil
		}
		m, _ = m[n].(map[string]any)
	}
	return m
}

// short cuts a diff of long strings down to what a failure report needs.
func short(s string) string {
	const max = 2000
	if len(s) <= max {
		return s
	}
	return s[:max] + fmt.Sprintf("… (%d bytes more)", len(s)-max)
}

// checkStatistics reads the part file's metadata with DuckDB: its row groups must be of groupRows rows (the last
// one fewer), and each column chunk's number of values, NULL count, least and greatest value those of the leaf
// column's values in the row group's rows (DuckDB skips row groups by these bounds).
func checkStatistics(t *testing.T, db *sql.DB, path string, want []map[string]any, groupRows int) {
	t.Helper()
	rows, err := db.Query(`SELECT row_group_id, row_group_num_rows, path_in_schema, num_values, stats_null_count,
		stats_min_value, stats_max_value FROM parquet_metadata(?) ORDER BY row_group_id, column_id`, path)
	if err != nil {
		t.Fatalf("DuckDB reads the part file's metadata: %v", err)
	}
	defer rows.Close()
	groups, chunks, errs := map[int64]bool{}, 0, 0
	for rows.Next() {
		var group, groupLen, values int64
		var pathInSchema string
		var nulls sql.NullInt64
		var lo, hi sql.NullString
		if err := rows.Scan(&group, &groupLen, &pathInSchema, &values, &nulls, &lo, &hi); err != nil {
			t.Fatal(err)
		}
		groups[group] = true
		chunks++
		first := int(group) * groupRows
		last := min(first+groupRows, len(want))
		if first >= len(want) || int64(last-first) != groupLen {
			t.Fatalf("row group %d has %d rows; want row groups of %d of the %d rows", group, groupLen, groupRows, len(want))
		}
		var leaf []any
		for _, r := range want[first:last] {
			vs, ok := leafValues(r, strings.Split(pathInSchema, ", "))
			if !ok {
				t.Fatalf("row group %d: column %q is not in the table's columns", group, pathInSchema)
			}
			leaf = append(leaf, vs...)
		}
		wantStats := statsOf(leaf)
		gotStats := chunkStats{values, nulls.Int64, lo.String, hi.String, lo.Valid, hi.Valid}
		if gotStats != wantStats && errs < 10 {
			errs++
			t.Errorf("row group %d, column %s: statistics %s, want %s", group, pathInSchema, gotStats, wantStats)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("DuckDB reads the part file's metadata: %v", err)
	}
	if got, want := len(groups), (len(want)+groupRows-1)/groupRows; got != want {
		t.Errorf("%d row groups, want %d", got, want)
	}
	if len(want) > 0 && chunks != len(groups)*63 {
		t.Errorf("%d column chunks in %d row groups, want 63 each", chunks, len(groups))
	}
}

// chunkStats is what a column chunk's metadata says of its values.
type chunkStats struct {
	values, nulls  int64
	min, max       string
	hasMin, hasMax bool
}

func (s chunkStats) String() string {
	b := func(ok bool, v string) string {
		if !ok {
			return "none"
		}
		return strconv.Quote(short(v))
	}
	return fmt.Sprintf("{values %d, NULLs %d, min %s, max %s}", s.values, s.nulls, b(s.hasMin, s.min), b(s.hasMax, s.max))
}

// statsOf returns the statistics of a leaf column's values (nil for a NULL): strings compare by bytes, integers
// by value (signed for BIGINT, unsigned for UBIGINT).
func statsOf(vs []any) chunkStats {
	s := chunkStats{values: int64(len(vs))}
	var lo, hi any
	for _, v := range vs {
		if v == nil {
			s.nulls++
			continue
		}
		if lo == nil || less(v, lo) {
			lo = v
		}
		if hi == nil || less(hi, v) {
			hi = v
		}
	}
	if lo != nil {
		s.min, s.max, s.hasMin, s.hasMax = fmt.Sprint(lo), fmt.Sprint(hi), true, true
	}
	return s
}

func less(a, b any) bool {
	switch a := a.(type) {
	case string:
		return a < b.(string)
	case int64:
		return a < b.(int64)
	case uint64:
		return a < b.(uint64)
	}
	panic(fmt.Sprintf("a leaf value of type %T", a))
}

// leafValues returns the values of the leaf column at path (DuckDB's path_in_schema) in the row model v, as the
// file holds them: one a row, NULL when a group above it is NULL; for a LIST ("list", "element", …) or a MAP
// ("key_value", …), one per element, or one NULL for a NULL or empty one. ok is false for a path v lacks.
func leafValues(v any, path []string) (vals []any, ok bool) {
	if len(path) == 0 {
		return []any{v}, true
	}
	switch x := v.(type) {
	case nil:
		return []any{nil}, true
	case map[string]any:
		e, ok := x[path[0]]
		if !ok {
			return nil, false
		}
		return leafValues(e, path[1:])
	case []any:
		skip := 1 // "key_value"
		if path[0] == "list" {
			skip = 2 // "list", "element"
		}
		if len(x) == 0 {
			return []any{nil}, len(path) > skip
		}
		for _, e := range x {
			vs, ok := leafValues(e, path[skip:])
			if !ok {
				return nil, false
			}
			vals = append(vals, vs...)
		}
		return vals, true
	}
	return nil, false
}

// wantRow returns the row that DuckDB must read for r from the object o, in the types DuckDB's Go driver gives:
// a string or nil, a STRUCT as a map of every field, a LIST as a slice, the MAP as its entries (sorted by key,
// the last of equal keys kept), BIGINT as int64 and UBIGINT as uint64.
func wantRow(r *cloudtrail.Record, o *fuzzObject) map[string]any {
	row := map[string]any{
		"eventversion": sv(r.EventVersion), "eventtime": sv(r.EventTime), "eventsource": sv(r.EventSource),
		"eventname": sv(r.EventName), "awsregion": sv(r.AWSRegion), "sourceipaddress": sv(r.SourceIPAddress),
		"useragent": sv(r.UserAgent), "errorcode": sv(r.ErrorCode), "errormessage": sv(r.ErrorMessage),
		"requestparameters": sv(r.RequestParameters), "responseelements": sv(r.ResponseElements),
		"additionaleventdata": sv(r.AdditionalEventData), "requestid": sv(r.RequestID), "eventid": sv(r.EventID),
		"eventtype": sv(r.EventType), "apiversion": sv(r.APIVersion), "readonly": sv(r.ReadOnly),
		"recipientaccountid": sv(r.RecipientAccountID), "serviceeventdetails": sv(r.ServiceEventDetails),
		"sharedeventid": sv(r.SharedEventID), "vpcendpointid": sv(r.VPCEndpointID),
		"vpcendpointaccountid": sv(r.VPCEndpointAccountID), "eventcategory": sv(r.EventCategory),
		"sessioncredentialfromconsole": sv(r.SessionCredentialFromConsole),
		"edgedevicedetails":            sv(r.EdgeDeviceDetails),
		"useridentity":                 nil, "resources": nil, "addendum": nil, "tlsdetails": nil,
		"_path": o.path, "_file_id": o.id, "_hash": r.Hash,
	}
	if u := r.UserIdentity; u != nil {
		ui := map[string]any{"type": sv(u.Type), "principalid": sv(u.PrincipalID), "arn": sv(u.ARN),
			"accountid": sv(u.AccountID), "invokedby": sv(u.InvokedBy), "accesskeyid": sv(u.AccessKeyID),
			"username": sv(u.UserName), "onbehalfof": nil, "sessioncontext": nil}
		if b := u.OnBehalfOf; b != nil {
			ui["onbehalfof"] = map[string]any{"userid": sv(b.UserID), "identitystorearn": sv(b.IdentityStoreARN)}
		}
		if c := u.SessionContext; c != nil {
			sc := map[string]any{"attributes": nil, "sessionissuer": nil, "ec2roledelivery": sv(c.EC2RoleDelivery),
				"webidfederationdata": nil}
			if a := c.Attributes; a != nil {
				sc["attributes"] = map[string]any{"mfaauthenticated": sv(a.MFAAuthenticated), "creationdate": sv(a.CreationDate)}
			}
			if i := c.SessionIssuer; i != nil {
				sc["sessionissuer"] = map[string]any{"type": sv(i.Type), "principalid": sv(i.PrincipalID),
					"arn": sv(i.ARN), "accountid": sv(i.AccountID), "username": sv(i.UserName)}
			}
			if w := c.WebIDFederationData; w != nil {
				sc["webidfederationdata"] = map[string]any{"federatedprovider": sv(w.FederatedProvider),
					"attributes": mapEntries(w.Attributes)}
			}
			ui["sessioncontext"] = sc
		}
		row["useridentity"] = ui
	}
	if r.Resources != nil {
		l := []any{}
		for _, e := range r.Resources {
			l = append(l, map[string]any{"arn": sv(e.ARN), "accountid": sv(e.AccountID), "type": sv(e.Type)})
		}
		row["resources"] = l
	}
	if a := r.Addendum; a != nil {
		row["addendum"] = map[string]any{"reason": sv(a.Reason), "updatedfields": sv(a.UpdatedFields),
			"originalrequestid": sv(a.OriginalRequestID), "originaleventid": sv(a.OriginalEventID)}
	}
	if s := r.TLSDetails; s != nil {
		row["tlsdetails"] = map[string]any{"tlsversion": sv(s.TLSVersion), "ciphersuite": sv(s.CipherSuite),
			"clientprovidedhostheader": sv(s.ClientProvidedHostHeader)}
	}
	// The partition columns: from the object's key when it is a log file's with a date, else the record's region
	// and date; the account from the key, else the record's recipient account.
	region, year, month, day := o.key.Partition()
	account := o.key.Account
	if o.key.Kind != cloudtrail.KindLog || o.key.Date.IsZero() {
		region, year, month, day = r.AWSRegion.S, "", "", ""
		if t, ok := r.Time(); ok {
			year, month, day = t.Format("2006"), t.Format("01"), t.Format("02")
		}
	}
	if account == "" {
		account = r.RecipientAccountID.S
	}
	for k, v := range map[string]string{"region": region, "year": year, "month": month, "day": day, "account": account} {
		row[k] = nil
		if v != "" {
			row[k] = v
		}
	}
	return row
}

func sv(s cloudtrail.String) any {
	if !s.Valid {
		return nil
	}
	return s.S
}

// mapEntries returns a MAP's entries as map_entries gives them: nil for a NULL map, sorted by key, the last of
// equal keys kept.
func mapEntries(kvs []cloudtrail.KV) any {
	if kvs == nil {
		return nil
	}
	m := map[string]string{}
	for _, kv := range kvs {
		m[kv.K] = kv.V
	}
	l := []any{}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		l = append(l, map[string]any{"key": k, "value": m[k]})
	}
	return l
}

// fuzzObject is a log object that fuzzed rows come from.
type fuzzObject struct {
	id   int64
	key  cloudtrail.Key
	path string
	obj  *partfile.Origin
}

// fuzzPool is what the fuzzed input chooses from: the public samples' records, every string value they hold,
// and the objects.
type fuzzPool struct {
	records []*cloudtrail.Record
	strs    []string
	objects []*fuzzObject
}

func newFuzzPool(f *testing.F) *fuzzPool {
	files, err := filepath.Glob("../../testdata/cloudtrail/real/*.json*")
	if err != nil || len(files) < 10 {
		f.Fatalf("public samples: %d files, %v", len(files), err)
	}
	p := &fuzzPool{}
	seen := map[string]bool{}
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		if strings.HasSuffix(name, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				f.Fatal(err)
			}
			if raw, err = io.ReadAll(zr); err != nil {
				f.Fatal(err)
			}
		}
		cloudtrail.NewDecoder().Decode(bytes.NewReader(raw), func(_ int, r *cloudtrail.Record, _ []cloudtrail.Problem) error {
			p.records = append(p.records, r)
			return nil
		}, func(cloudtrail.Problem) {})
	}
	for _, r := range p.records {
		for _, fl := range stringFields {
			if s := *fl.get(cloneRecord(r)); s.Valid && !seen[s.S] {
				seen[s.S] = true
				p.strs = append(p.strs, s.S)
			}
		}
	}
	slices.Sort(p.strs)
	if len(p.records) < 500 || len(p.strs) < 1000 {
		f.Fatalf("public samples: %d records, %d strings", len(p.records), len(p.strs))
	}
	for _, o := range []struct {
		id        int64
		key, path string // path "": s3://bucket/ and the key
	}{
		{7, "AWSLogs/111122223333/CloudTrail/us-east-1/2024/09/01/" +
			"111122223333_CloudTrail_us-east-1_20240901T0005Z_a.json.gz", ""},
		{3, "loose.json", "/tmp/loose.json"},
		{1 << 40, "AWSLogs/o-abc123def4/444455556666/CloudTrail/eu-west-1/2023/12/31/" +
			"444455556666_CloudTrail_eu-west-1_20231231T2355Z_b.json.gz", ""},
		{0, "AWSLogs/555566667777/CloudTrail/ap-south-1/x.json", "/tmp/ünï cödé's ✓/x.json"},
	} {
		if o.path == "" {
			o.path = "s3://bucket/" + o.key
		}
		key := cloudtrail.ParseKey(o.key)
		p.objects = append(p.objects, &fuzzObject{id: o.id, key: key, path: o.path,
			obj: partfile.NewOrigin(o.id, key, o.path)})
	}
	return p
}

// fuzzGen reads the fuzzed input: the writer's limits, then records one after the other (see rows).
type fuzzGen struct {
	pool    *fuzzPool
	in      []byte
	maxRows int // set by limits
	large   int // bytes of long strings made so far
}

// maxFuzzRows, maxFuzzGroups (row groups), maxFuzzBytes (of the rows' strings) and maxLargeBytes (of the long
// strings made) bound what one input makes: the fuzzing engine gives an input 10 seconds, and a file of row
// groups of one row takes DuckDB about 2 ms a row group.
const (
	maxFuzzRows   = 5000
	maxFuzzGroups = 128
	maxFuzzBytes  = 16 << 20
	maxLargeBytes = 4 << 20
)

func (g *fuzzGen) byte() byte {
	if len(g.in) == 0 {
		return 0
	}
	b := g.in[0]
	g.in = g.in[1:]
	return b
}

func (g *fuzzGen) uint16() int { return int(g.byte()) | int(g.byte())<<8 }

func (g *fuzzGen) bytes(n int) []byte {
	n = min(n, len(g.in))
	b := g.in[:n]
	g.in = g.in[n:]
	return b
}

// limits reads the writer's limits, a byte each: 0 for the store's, else rows of a row group (1–255), a page of
// 2^(b%21) bytes (1 B–1 MiB), values of a dictionary (1–255).
func (g *fuzzGen) limits() partfile.Limits {
	var l partfile.Limits
	if b := g.byte(); b != 0 {
		l.RowGroupRows = int(b)
	}
	if b := g.byte(); b != 0 {
		l.PageBytes = 1 << (b % 21)
	}
	if b := g.byte(); b != 0 {
		l.DictValues = int(b)
	}
	g.maxRows = maxFuzzRows
	if l.RowGroupRows > 0 {
		g.maxRows = min(maxFuzzRows, maxFuzzGroups*l.RowGroupRows)
	}
	return l
}

// fuzzRow is a record to write and the object it comes from.
type fuzzRow struct {
	r *cloudtrail.Record
	o *fuzzObject
}

// rows reads records until the input ends or the bounds are reached. Each is: the pool record it copies (two
// bytes; one past the pool is an empty record), the object (a byte: its low bits choose, its high bit repeats
// the record), the number of edits (a byte, up to 15) and the edits. A repeated record is followed by 1–2,041
// copies (a byte), each with a field (a byte) set to its value and the copy's number, so that a dictionary sees
// many distinct values.
func (g *fuzzGen) rows() []fuzzRow {
	var rows []fuzzRow
	size := 0
	for len(g.in) > 0 && len(rows) < g.maxRows {
		r := &cloudtrail.Record{}
		if i := g.uint16() % (len(g.pool.records) + 1); i < len(g.pool.records) {
			r = cloneRecord(g.pool.records[i])
		}
		ob := g.byte()
		o := g.pool.objects[int(ob&0x7f)%len(g.pool.objects)]
		for range g.byte() % 16 {
			g.edit(r)
		}
		n := rowBytes(r)
		if size+n > maxFuzzBytes {
			break
		}
		size += n
		rows = append(rows, fuzzRow{r, o})
		if ob&0x80 == 0 {
			continue
		}
		copies := 1 + int(g.byte())*8
		vary := stringFields[int(g.byte())%len(stringFields)]
		for i := range copies {
			if len(rows) >= g.maxRows || size+n+8 > maxFuzzBytes {
				break
			}
			size += n + 8
			c := cloneRecord(r)
			s := vary.get(c)
			*s = cloudtrail.Str(s.S + strconv.Itoa(i))
			rows = append(rows, fuzzRow{c, o})
		}
	}
	return rows
}

// rowBytes returns about what r's strings, list elements and map entries take.
func rowBytes(r *rec) int {
	c := cloneRecord(r) // get makes the groups it reaches
	n := 64
	for _, f := range stringFields {
		n += len(f.get(c).S)
	}
	for _, e := range r.Resources {
		n += 16 + len(e.ARN.S) + len(e.AccountID.S) + len(e.Type.S)
	}
	for _, kv := range c.UserIdentity.SessionContext.WebIDFederationData.Attributes {
		n += 16 + len(kv.K) + len(kv.V)
	}
	return n
}

// str reads a string value: an op byte, then what the op takes.
func (g *fuzzGen) str() cloudtrail.String {
	switch g.byte() % 8 {
	case 0:
		return cloudtrail.String{} // NULL
	case 1:
		return cloudtrail.Str("")
	case 2, 3: // a value of the samples
		return cloudtrail.Str(g.pool.strs[g.uint16()%len(g.pool.strs)])
	case 4: // the input's bytes, as valid UTF-8 (what the decoder gives)
		return cloudtrail.Str(strings.ToValidUTF8(string(g.bytes(int(g.byte())%64)), "\uFFFD"))
	case 5:
		return cloudtrail.Str(fuzzSpecial[int(g.byte())%len(fuzzSpecial)])
	case 6:
		return cloudtrail.Str(fuzzTimes[int(g.byte())%len(fuzzTimes)])
	default: // a long string: a sample value repeated to 16 KiB–1 MiB
		n := (int(g.byte())%64 + 1) << 14
		base := g.pool.strs[g.uint16()%len(g.pool.strs)]
		if base == "" || g.large+n > maxLargeBytes {
			return cloudtrail.Str(base)
		}
		g.large += n
		return cloudtrail.Str(strings.ToValidUTF8(strings.Repeat(base, n/len(base)+1)[:n], "\uFFFD"))
	}
}

// fuzzSpecial are strings a byte of input can pick: unicode, control characters, bytes that look like Parquet's
// or Thrift's.
var fuzzSpecial = []string{
	"ü", "✓", "😀", "日本語のテキスト", "\x00", "a\x00b", "\t\r\n", "\u202eevil", "Z̤͔ͧ̑̓", "\uFFFD", "\u00a0",
	"PAR1", "\x15\x00\x15\x1c", " ", "NULL", "null", "''", `"`, `\`, strings.Repeat("a", 300),
}

// fuzzTimes are eventTime values a byte of input can pick: times the partition columns take a date from, and
// some they do not.
var fuzzTimes = []string{
	"2024-09-01T00:00:00Z", "2024-02-29T23:59:59.999999Z", "2024-09-01T23:30:00-05:00", "2024-09-01t00:00:00z",
	"1970-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2024-13-01T00:00:00Z", "not a time",
	"2024-09-01", "",
}

// stringField is a string field of a record; get makes the groups above it if they are missing.
type stringField struct {
	name string
	get  func(r *cloudtrail.Record) *cloudtrail.String
}

func ui(r *cloudtrail.Record) *cloudtrail.UserIdentity {
	if r.UserIdentity == nil {
		r.UserIdentity = &cloudtrail.UserIdentity{}
	}
	return r.UserIdentity
}

func sc(r *cloudtrail.Record) *cloudtrail.SessionContext {
	u := ui(r)
	if u.SessionContext == nil {
		u.SessionContext = &cloudtrail.SessionContext{}
	}
	return u.SessionContext
}

func obo(r *cloudtrail.Record) *cloudtrail.OnBehalfOf {
	u := ui(r)
	if u.OnBehalfOf == nil {
		u.OnBehalfOf = &cloudtrail.OnBehalfOf{}
	}
	return u.OnBehalfOf
}

func attrs(r *cloudtrail.Record) *cloudtrail.SessionAttributes {
	c := sc(r)
	if c.Attributes == nil {
		c.Attributes = &cloudtrail.SessionAttributes{}
	}
	return c.Attributes
}

func issuer(r *cloudtrail.Record) *cloudtrail.SessionIssuer {
	c := sc(r)
	if c.SessionIssuer == nil {
		c.SessionIssuer = &cloudtrail.SessionIssuer{}
	}
	return c.SessionIssuer
}

func web(r *cloudtrail.Record) *cloudtrail.WebIDFederationData {
	c := sc(r)
	if c.WebIDFederationData == nil {
		c.WebIDFederationData = &cloudtrail.WebIDFederationData{}
	}
	return c.WebIDFederationData
}

func addendum(r *cloudtrail.Record) *cloudtrail.Addendum {
	if r.Addendum == nil {
		r.Addendum = &cloudtrail.Addendum{}
	}
	return r.Addendum
}

func tls(r *cloudtrail.Record) *cloudtrail.TLSDetails {
	if r.TLSDetails == nil {
		r.TLSDetails = &cloudtrail.TLSDetails{}
	}
	return r.TLSDetails
}

type rec = cloudtrail.Record

// stringFields are the record's string fields.
var stringFields = []stringField{
	{"eventversion", func(r *rec) *cloudtrail.String { return &r.EventVersion }},
	{"eventtime", func(r *rec) *cloudtrail.String { return &r.EventTime }},
	{"eventsource", func(r *rec) *cloudtrail.String { return &r.EventSource }},
	{"eventname", func(r *rec) *cloudtrail.String { return &r.EventName }},
	{"awsregion", func(r *rec) *cloudtrail.String { return &r.AWSRegion }},
	{"sourceipaddress", func(r *rec) *cloudtrail.String { return &r.SourceIPAddress }},
	{"useragent", func(r *rec) *cloudtrail.String { return &r.UserAgent }},
	{"errorcode", func(r *rec) *cloudtrail.String { return &r.ErrorCode }},
	{"errormessage", func(r *rec) *cloudtrail.String { return &r.ErrorMessage }},
	{"requestparameters", func(r *rec) *cloudtrail.String { return &r.RequestParameters }},
	{"responseelements", func(r *rec) *cloudtrail.String { return &r.ResponseElements }},
	{"additionaleventdata", func(r *rec) *cloudtrail.String { return &r.AdditionalEventData }},
	{"requestid", func(r *rec) *cloudtrail.String { return &r.RequestID }},
	{"eventid", func(r *rec) *cloudtrail.String { return &r.EventID }},
	{"eventtype", func(r *rec) *cloudtrail.String { return &r.EventType }},
	{"apiversion", func(r *rec) *cloudtrail.String { return &r.APIVersion }},
	{"readonly", func(r *rec) *cloudtrail.String { return &r.ReadOnly }},
	{"recipientaccountid", func(r *rec) *cloudtrail.String { return &r.RecipientAccountID }},
	{"serviceeventdetails", func(r *rec) *cloudtrail.String { return &r.ServiceEventDetails }},
	{"sharedeventid", func(r *rec) *cloudtrail.String { return &r.SharedEventID }},
	{"vpcendpointid", func(r *rec) *cloudtrail.String { return &r.VPCEndpointID }},
	{"vpcendpointaccountid", func(r *rec) *cloudtrail.String { return &r.VPCEndpointAccountID }},
	{"eventcategory", func(r *rec) *cloudtrail.String { return &r.EventCategory }},
	{"sessioncredentialfromconsole", func(r *rec) *cloudtrail.String { return &r.SessionCredentialFromConsole }},
	{"edgedevicedetails", func(r *rec) *cloudtrail.String { return &r.EdgeDeviceDetails }},
	{"useridentity.type", func(r *rec) *cloudtrail.String { return &ui(r).Type }},
	{"useridentity.principalid", func(r *rec) *cloudtrail.String { return &ui(r).PrincipalID }},
	{"useridentity.arn", func(r *rec) *cloudtrail.String { return &ui(r).ARN }},
	{"useridentity.accountid", func(r *rec) *cloudtrail.String { return &ui(r).AccountID }},
	{"useridentity.invokedby", func(r *rec) *cloudtrail.String { return &ui(r).InvokedBy }},
	{"useridentity.accesskeyid", func(r *rec) *cloudtrail.String { return &ui(r).AccessKeyID }},
	{"useridentity.username", func(r *rec) *cloudtrail.String { return &ui(r).UserName }},
	{"onbehalfof.userid", func(r *rec) *cloudtrail.String { return &obo(r).UserID }},
	{"onbehalfof.identitystorearn", func(r *rec) *cloudtrail.String { return &obo(r).IdentityStoreARN }},
	{"attributes.mfaauthenticated", func(r *rec) *cloudtrail.String { return &attrs(r).MFAAuthenticated }},
	{"attributes.creationdate", func(r *rec) *cloudtrail.String { return &attrs(r).CreationDate }},
	{"sessionissuer.type", func(r *rec) *cloudtrail.String { return &issuer(r).Type }},
	{"sessionissuer.principalid", func(r *rec) *cloudtrail.String { return &issuer(r).PrincipalID }},
	{"sessionissuer.arn", func(r *rec) *cloudtrail.String { return &issuer(r).ARN }},
	{"sessionissuer.accountid", func(r *rec) *cloudtrail.String { return &issuer(r).AccountID }},
	{"sessionissuer.username", func(r *rec) *cloudtrail.String { return &issuer(r).UserName }},
	{"sessioncontext.ec2roledelivery", func(r *rec) *cloudtrail.String { return &sc(r).EC2RoleDelivery }},
	{"webidfederationdata.federatedprovider", func(r *rec) *cloudtrail.String { return &web(r).FederatedProvider }},
	{"addendum.reason", func(r *rec) *cloudtrail.String { return &addendum(r).Reason }},
	{"addendum.updatedfields", func(r *rec) *cloudtrail.String { return &addendum(r).UpdatedFields }},
	{"addendum.originalrequestid", func(r *rec) *cloudtrail.String { return &addendum(r).OriginalRequestID }},
	{"addendum.originaleventid", func(r *rec) *cloudtrail.String { return &addendum(r).OriginalEventID }},
	{"tlsdetails.tlsversion", func(r *rec) *cloudtrail.String { return &tls(r).TLSVersion }},
	{"tlsdetails.ciphersuite", func(r *rec) *cloudtrail.String { return &tls(r).CipherSuite }},
	{"tlsdetails.clientprovidedhostheader", func(r *rec) *cloudtrail.String { return &tls(r).ClientProvidedHostHeader }},
}

// structEdits change a record's groups, lists and map; the input's bytes they read are theirs.
var structEdits = []struct {
	name string
	do   func(g *fuzzGen, r *rec)
}{
	{"no useridentity", func(_ *fuzzGen, r *rec) { r.UserIdentity = nil }},
	{"no onbehalfof", func(_ *fuzzGen, r *rec) { ui(r).OnBehalfOf = nil }},
	{"no sessioncontext", func(_ *fuzzGen, r *rec) { ui(r).SessionContext = nil }},
	{"no attributes", func(_ *fuzzGen, r *rec) { sc(r).Attributes = nil }},
	{"no sessionissuer", func(_ *fuzzGen, r *rec) { sc(r).SessionIssuer = nil }},
	{"no webidfederationdata", func(_ *fuzzGen, r *rec) { sc(r).WebIDFederationData = nil }},
	{"no addendum", func(_ *fuzzGen, r *rec) { r.Addendum = nil }},
	{"no tlsdetails", func(_ *fuzzGen, r *rec) { r.TLSDetails = nil }},
	{"empty useridentity", func(_ *fuzzGen, r *rec) { r.UserIdentity = &cloudtrail.UserIdentity{} }},
	{"empty onbehalfof", func(_ *fuzzGen, r *rec) { ui(r).OnBehalfOf = &cloudtrail.OnBehalfOf{} }},
	{"empty sessioncontext", func(_ *fuzzGen, r *rec) { ui(r).SessionContext = &cloudtrail.SessionContext{} }},
	{"empty attributes", func(_ *fuzzGen, r *rec) { sc(r).Attributes = &cloudtrail.SessionAttributes{} }},
	{"empty sessionissuer", func(_ *fuzzGen, r *rec) { sc(r).SessionIssuer = &cloudtrail.SessionIssuer{} }},
	{"empty webidfederationdata", func(_ *fuzzGen, r *rec) {
		sc(r).WebIDFederationData = &cloudtrail.WebIDFederationData{}
	}},
	{"empty addendum", func(_ *fuzzGen, r *rec) { r.Addendum = &cloudtrail.Addendum{} }},
	{"empty tlsdetails", func(_ *fuzzGen, r *rec) { r.TLSDetails = &cloudtrail.TLSDetails{} }},
	{"no resources", func(_ *fuzzGen, r *rec) { r.Resources = nil }},
	{"empty resources", func(_ *fuzzGen, r *rec) { r.Resources = []cloudtrail.Resource{} }},
	{"a resource", func(g *fuzzGen, r *rec) {
		r.Resources = append(r.Resources, cloudtrail.Resource{ARN: g.str(), AccountID: g.str(), Type: g.str()})
	}},
	{"resources", func(g *fuzzGen, r *rec) { // 1–256 at once
		for range int(g.byte()) + 1 {
			r.Resources = append(r.Resources, cloudtrail.Resource{ARN: g.str(), AccountID: g.str(), Type: g.str()})
		}
	}},
	{"no attribute map", func(_ *fuzzGen, r *rec) { web(r).Attributes = nil }},
	{"empty attribute map", func(_ *fuzzGen, r *rec) { web(r).Attributes = []cloudtrail.KV{} }},
	{"an attribute", func(g *fuzzGen, r *rec) {
		w := web(r)
		w.Attributes = append(w.Attributes, cloudtrail.KV{K: g.str().S, V: g.str().S})
	}},
	{"hash", func(g *fuzzGen, r *rec) {
		var b [8]byte
		copy(b[:], g.bytes(8))
		r.Hash = binary.LittleEndian.Uint64(b[:])
	}},
}

// edit reads one edit of r: a byte naming a string field (then its value, see str) or a structEdit.
func (g *fuzzGen) edit(r *rec) {
	i := int(g.byte()) % (len(stringFields) + len(structEdits))
	if i < len(stringFields) {
		*stringFields[i].get(r) = g.str()
		return
	}
	structEdits[i-len(stringFields)].do(g, r)
}

// cloneRecord returns a deep copy of r.
func cloneRecord(r *rec) *rec {
	c := *r
	if u := r.UserIdentity; u != nil {
		cu := *u
		if o := u.OnBehalfOf; o != nil {
			co := *o
			cu.OnBehalfOf = &co
		}
		if s := u.SessionContext; s != nil {
			cs := *s
			if a := s.Attributes; a != nil {
				ca := *a
				cs.Attributes = &ca
			}
			if i := s.SessionIssuer; i != nil {
				ci := *i
				cs.SessionIssuer = &ci
			}
			if w := s.WebIDFederationData; w != nil {
				cw := *w
				cw.Attributes = slices.Clone(w.Attributes)
				cs.WebIDFederationData = &cw
			}
			cu.SessionContext = &cs
		}
		c.UserIdentity = &cu
	}
	c.Resources = slices.Clone(r.Resources)
	if a := r.Addendum; a != nil {
		ca := *a
		c.Addendum = &ca
	}
	if t := r.TLSDetails; t != nil {
		ct := *t
		c.TLSDetails = &ct
	}
	return &c
}

// fuzzSeeds returns the seed corpus: every sample record under the store's limits and under small ones (a hundred
// of them in row groups of one row), and
// inputs that reach each kind of edit, a dictionary dropped in many row groups, and long strings in small pages.
func fuzzSeeds(p *fuzzPool) [][]byte {
	all := func(n int, l ...byte) []byte {
		b := slices.Clone(l)
		for i := range min(n, len(p.records)) {
			b = append(b, byte(i), byte(i>>8), byte(i%len(p.objects)), 0)
		}
		return b
	}
	field := func(name string) byte {
		for i, f := range stringFields {
			if f.name == name {
				return byte(i)
			}
		}
		for i, e := range structEdits {
			if e.name == name {
				return byte(len(stringFields) + i)
			}
		}
		panic("no field or edit " + name)
	}
	empty := byte(len(p.records)) // an index past the pool: an empty record
	emptyHi := byte(len(p.records) >> 8)
	seeds := [][]byte{
		all(len(p.records), 0, 0, 0),
		all(len(p.records), 7, 10, 3),
		all(100, 1, 1, 1),
		// Empty records, and records with each group absent, present but empty, and partly filled.
		{2, 5, 2,
			empty, emptyHi, 0, 0,
			empty, emptyHi, 1, 0,
			0, 0, 1, 8, field("empty useridentity"), field("empty onbehalfof"), field("empty sessioncontext"),
			field("empty attributes"), field("empty sessionissuer"), field("empty webidfederationdata"),
			field("empty addendum"), field("empty tlsdetails"),
			1, 0, 2, 8, field("no useridentity"), field("empty resources"), field("no addendum"), field("no tlsdetails"),
			field("eventname"), 1, field("useragent"), 0, field("eventtime"), 6, 2, field("errorcode"), 5, 0,
			2, 0, 3, 10, field("webidfederationdata.federatedprovider"), 5, 3,
			field("an attribute"), 5, 1, 1, field("an attribute"), 1, 4, 3, 'a', 'b', 'c',
			field("an attribute"), 5, 1, 5, 3, field("a resource"), 0, 1, 5, 7,
			field("resources"), 1, 2, 10, 0, 0, 1, 3, 200, 1, 0, 0,
			field("onbehalfof.userid"), 4, 5, 'x', 0xff, 0xfe, 'y', 'z',
			field("sessionissuer.arn"), 5, 8, field("hash"), 1, 2, 3, 4, 5, 6, 7, 8,
			field("no sessionissuer"),
			3, 0, 1, 3, field("empty attribute map"), field("sessioncontext.ec2roledelivery"), 1, field("awsregion"), 1,
			4, 0, 2, 2, field("no attribute map"), field("no onbehalfof"),
			empty, emptyHi, 3, 1, field("eventtime"), 6, 2,
			empty, emptyHi, 2, 1, field("eventtime"), 6, 8,
		},
		// 2,000 copies of a record whose eventname and account vary: dictionaries dropped in many row groups.
		{100, 0, 50, 5, 0, 0x80, 0, 249, field("eventname"), 6, 0, 0x81, 0, 100, field("recipientaccountid")},
		// Long strings in small pages.
		{2, 16, 0, 1, 0, 0, 2, field("useragent"), 7, 63, 100, 0, field("responseelements"), 7, 10, 5, 0,
			2, 0, 1, 1, field("requestparameters"), 7, 20, 1, 0,
			3, 0, 3, 0},
	}
	return seeds
}
