package cloudtrail_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/gen"
)

// The differential tests: Decoder must give what the decoder before the one-pass rewrite gave (oldDecoder, in
// old_decode_test.go and old_scan_test.go), for every input: the same records (every field, the hash), the same
// problems, in the same order, and the same error — but for what it does on purpose since (issue 26, compare):
// it names what the old one accepted silently (duplicate keys, numbers and booleans in string fields, lone
// surrogates, "Records": null, a second Records member), gives each problem its byte offset, skips a broken
// record and reads on where the old one stopped, and reads what follows a document.

// outcome is everything Decode tells its caller, in the order it tells it.
type outcome struct {
	Events []event
	Err    string
	// Is records which of the package's errors the error matches.
	Is [2]bool // ErrNoRecords, ErrDigest
}

type event struct {
	Index    int
	Record   *cloudtrail.Record   // nil for a problem reported through Decode's problem callback
	Problems []cloudtrail.Problem // of the record
	Problem  cloudtrail.Problem   // reported through the problem callback
}

type decodeFunc func(r io.Reader, fn func(int, *cloudtrail.Record, []cloudtrail.Problem) error, problem func(cloudtrail.Problem)) error

// run decodes doc; fn fails at the record of index stopAt (-1: never). chunk, when not 0, makes the reader
// return at most that many bytes a call; failAt, when not 0, makes it fail after that many bytes.
func run(decode decodeFunc, doc []byte, stopAt, chunk, failAt int) outcome {
	var o outcome
	r := io.Reader(bytes.NewReader(doc))
	if failAt > 0 && failAt < len(doc) {
		r = io.MultiReader(bytes.NewReader(doc[:failAt]), iotest.ErrReader(errors.New("connection reset")))
	}
	if chunk > 0 {
		r = &chunkReader{r, chunk}
	}
	err := decode(r, func(i int, rec *cloudtrail.Record, problems []cloudtrail.Problem) error {
		o.Events = append(o.Events, event{Index: i, Record: rec, Problems: problems})
		if i == stopAt {
			return errStop
		}
		return nil
	}, func(p cloudtrail.Problem) { o.Events = append(o.Events, event{Index: p.Record, Problem: p}) })
	if err != nil {
		o.Err = err.Error()
	}
	o.Is = [2]bool{errors.Is(err, cloudtrail.ErrNoRecords), errors.Is(err, cloudtrail.ErrDigest)}
	return o
}

var errStop = errors.New("stop")

type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

// differ returns how the new decoder's outcome differs from the old one's on doc, or "".
func differ(newDec *cloudtrail.Decoder, oldDec *cloudtrail.OldDecoder, doc []byte, stopAt, chunk, failAt int) string {
	want := run(oldDec.Decode, doc, stopAt, chunk, failAt)
	got := run(newDec.Decode, doc, stopAt, chunk, failAt)
	return compare(want, got, doc)
}

// compare returns how got, the new decoder's outcome on doc, differs from want, the old one's, but for what the
// new one does on purpose:
//   - where the old decoder read doc to its end, the new one must tell the same (but for the problems it adds,
//     and the offsets), unless doc has a second Records member (the old one kept the last; the records it gave
//     must be among the new one's) or something after its end (the new one reads on: as below);
//   - where the old one stopped with an error, the new one must tell the same up to there, and then name the
//     break: with an error, or a problem the old one did not report.
func compare(want, got outcome, doc []byte) string {
	w, g := normalize(want), normalize(got)
	multi := json.Valid(doc) && len(topLevelRecords(doc)) > 1
	switch {
	case multi && want.Err == errStop.Error():
		// The old decoder gave the last Records array's records, the new one gives every array's: they stop at
		// records of the same index, but not the same records.
		if got.Err != errStop.Error() {
			return fmt.Sprintf("the new decoder did not stop: %q", got.Err)
		}
		return ""
	case multi && (want.Err == "" || strings.Contains(want.Err, "connection reset")):
		have := map[uint64]bool{}
		for _, e := range g.Events {
			if e.Record != nil {
				have[e.Record.Hash] = true
			}
		}
		for _, e := range w.Events {
			if e.Record != nil && !have[e.Record.Hash] {
				return fmt.Sprintf("record %d of the old decoder is missing", e.Index)
			}
		}
		return ""
	case want.Err == "" && strings.Contains(got.Err, "connection reset"):
		// The reader failed after the document, where the old decoder stopped reading; the new one reads on to
		// the end (another document may follow) and says so.
		w.Err, g.Err = "", ""
		return cmp.Diff(w, g)
	case want.Err == "" && json.Valid(doc):
		return cmp.Diff(w, g)
	}
	// The old decoder stopped with an error, or read a broken document without one (cut after its Records array,
	// something after its end).
	if n := len(w.Events); want.Err != "" && n > 0 && w.Events[n-1].Record == nil {
		// The element at the break (`[00` cut off) is judged by its extent now, not where encoding/json's
		// scanner stopped in it: the break is named either way.
		w.Events = w.Events[:n-1]
	}
	if len(g.Events) < len(w.Events) {
		return cmp.Diff(w.Events, g.Events)
	}
	if d := cmp.Diff(w.Events, g.Events[:len(w.Events)]); len(w.Events) > 0 && d != "" {
		return d
	}
	if got.Err == "" && named(got) <= named(want) && !jsonValues(bytes.TrimPrefix(doc, []byte("\xEF\xBB\xBF"))) {
		return fmt.Sprintf("the old decoder stopped with %q, the new one names nothing", want.Err)
	}
	return ""
}

// jsonValues reports whether doc is a sequence of valid JSON values (with white space between them).
func jsonValues(doc []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(doc))
	n := 0
	for ; ; n++ {
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return errors.Is(err, io.EOF) && n > 0
		}
	}
}

// newProblem reports whether p is of a kind only the new decoder reports.
func newProblem(p cloudtrail.Problem) bool {
	return p.Record < 0 || p.Msg == "duplicate key; the last value is kept" || p.Msg == "lone UTF-16 surrogate replaced" ||
		strings.HasPrefix(p.Msg, "expected a string, got a number") || strings.HasPrefix(p.Msg, "expected a string, got a boolean")
}

// normalize leaves out the problems of the kinds only the new decoder reports, and the offsets.
func normalize(o outcome) outcome {
	out := o
	out.Events = nil
	for _, e := range o.Events {
		if e.Record == nil {
			if newProblem(e.Problem) {
				continue
			}
			e.Problem.Offset = 0
		}
		e.Problems = normalProblems(e.Problems)
		out.Events = append(out.Events, e)
	}
	return out
}

func normalProblems(ps []cloudtrail.Problem) []cloudtrail.Problem {
	var out []cloudtrail.Problem
	for _, p := range ps {
		if !newProblem(p) {
			p.Offset = 0
			out = append(out, p)
		}
	}
	return out
}

// named counts the problems that name a break: a skipped record, invalid JSON, the file's own.
func named(o outcome) int {
	n := 0
	for _, e := range o.Events {
		if p := e.Problem; e.Record == nil && (p.Skipped || p.Record < 0 || strings.Contains(p.Msg, "invalid JSON")) {
			n++
		}
	}
	return n
}

// topLevelRecords returns the first bytes of the values of doc's top-level Records members (doc valid JSON).
func topLevelRecords(doc []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(doc))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var firsts []byte
	for dec.More() {
		tok, _ := dec.Token()
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return firsts
		}
		if tok == "Records" {
			firsts = append(firsts, v[0])
		}
	}
	return firsts
}

// checkSame fails t when the decoders disagree on doc, read whole and, when it has records, stopped half way.
// It returns the number of records compared.
func checkSame(t *testing.T, name string, doc []byte) int {
	t.Helper()
	newDec, oldDec := cloudtrail.NewDecoder(), cloudtrail.NewOldDecoder()
	want := run(oldDec.Decode, doc, -1, 0, 0)
	if diff := compare(want, run(newDec.Decode, doc, -1, 0, 0), doc); diff != "" {
		t.Fatalf("%s: new decoder differs (-old +new):\n%s", name, diff)
	}
	n := 0
	for _, e := range want.Events {
		if e.Record != nil {
			n++
		}
	}
	if n > 1 {
		stop := want.Events[len(want.Events)/2].Index
		if diff := differ(newDec, oldDec, doc, stop, 0, 0); diff != "" {
			t.Fatalf("%s: stopped at record %d, new decoder differs (-old +new):\n%s", name, stop, diff)
		}
	}
	// One record at a time, as DecodeRecord reads them (internal/ingest's tests use it).
	for i, raw := range cloudtrail.RecordsOf(doc) {
		type res struct {
			Rec      *cloudtrail.Record
			Problems []cloudtrail.Problem
			Err      string
		}
		get := func(decode func([]byte, int) (*cloudtrail.Record, []cloudtrail.Problem, error)) res {
			r, p, err := decode(raw, i)
			out := res{Rec: r, Problems: normalProblems(p)}
			if err != nil {
				out.Err = err.Error()
			}
			return out
		}
		if diff := cmp.Diff(get(oldDec.DecodeRecord), get(newDec.DecodeRecord)); diff != "" {
			t.Fatalf("%s: DecodeRecord of record %d differs (-old +new):\n%s", name, i, diff)
		}
	}
	return n
}

// testdataDocs returns every file under the repository's testdata (gzipped ones both as stored and
// decompressed), and the documents of the other tests of this package.
func testdataDocs(t testing.TB) map[string][]byte {
	docs := map[string][]byte{}
	err := filepath.WalkDir("../../testdata", func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		docs[path] = b
		if strings.HasSuffix(path, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if docs[path+" (gunzipped)"], err = io.ReadAll(zr); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) < 250 {
		t.Fatalf("found %d files under testdata, want the repository's set", len(docs))
	}
	for name, doc := range brokenDocs() {
		docs[name] = []byte(doc)
	}
	return docs
}

// brokenDocs are odd and broken documents: those of TestDecodeBrokenDocuments and TestDecodeOddTypes, and the
// files internal/ingest's TestBrokenFilesAreReported and TestHostileFiles load (after gunzip).
func brokenDocs() map[string]string {
	rec := func(id, at, name string) string {
		return fmt.Sprintf(`{"eventVersion":"1.08","eventID":%q,"eventTime":%q,"eventName":%q,"eventSource":"signin.amazonaws.com"}`, id, at, name)
	}
	return map[string]string{
		"empty":                 "",
		"white space":           " \n\t ",
		"not JSON":              "hello world",
		"array":                 `[{"eventID":"1"}]`,
		"string":                `"Records"`,
		"no Records":            `{"foo":[1]}`,
		"empty object":          `{}`,
		"Records object":        `{"Records":{"eventID":"1"}}`,
		"Records string":        `{"Records":"x"}`,
		"Records number":        `{"Records":1}`,
		"Records null":          `{"Records":null}`,
		"Records empty":         `{"Records":[]}`,
		"Records twice":         `{"Records":[{"eventID":"1"}],"Records":[{"eventID":"2"},{"eventID":"3"}]}`,
		"Records then null":     `{"Records":[{"eventID":"1"}],"Records":null}`,
		"Records escaped":       `{"Reco\u0072ds":[{"eventID":"1"}]}`,
		"digest":                `{"awsAccountId":"1","digestStartTime":"x","logFiles":[]}`,
		"digest and Records":    `{"logFiles":[],"Records":[{"eventID":"1"}]}`,
		"Records and digest":    `{"Records":[{"eventID":"1"}],"digestStartTime":"x"}`,
		"truncated":             `{"Records":[{"eventID":"1"},{"eventID":"2"},{"eventID":"3","eventN`,
		"garbage":               `{"Records":[{"eventID":"1"} x {"eventID":"2"}]}`,
		"trailing garbage":      `{"Records":[{"eventID":"1"}]} x`,
		"cut after Records":     `{"Records":[{"eventID":"1"}]`,
		"garbage after Records": `{"Records":[{"eventID":"1"}] x}`,
		"rare fields": `{"Records":[{"eventID":"r1","eventTime":"2024-09-01T00:00:00.123456789Z",
			"addendum":{"reason":"UPDATED_DATA","updatedFields":"tlsDetails","originalRequestID":"q","originalEventID":"e","x":[1]},
			"userIdentity":{"type":"IAMUser","onBehalfOf":{"userId":"u","identityStoreArn":"a","x":{}},"credentialId":"c",
				"sessionContext":{"sourceIdentity":"s","attributes":{"mfaAuthenticated":"true","x":1},"sessionIssuer":{"type":"Role","x":null},
					"webIdFederationData":{"federatedProvider":"p","attributes":null,"x":true}}},
			"edgeDeviceDetails":{"a": [1, 2]},"serviceEventDetails":"text","sessionCredentialFromConsole":true,
			"vpcEndpointId":"v","vpcEndpointAccountId":"111122223333","sharedEventID":"s","apiVersion":"1","insightDetails":{"a":1},
			"resources":[` + strings.Repeat(`{"ARN":"a","arn":"b","accountId":1,"type":null,"x":2},7,null,`, 8) + `{}]},
			{"eventID":"r2","eventTime":"2024-09-01 00:00:00","userIdentity":{"sessionContext":{"webIdFederationData":{"attributes":[1]},"attributes":"x","sessionIssuer":7}},
			"addendum":[],"tlsDetails":null,"resources":"x","requestParameters":[ {"a" : "b"} ],"responseElements":-0.5e-3,"additionalEventData":false},
			{"EVENTID":"r3","EventTime":"2024-09-01T00:00:00Z","UserIdentity":{"SessionContext":{"WebIdFederationData":{"Attributes":{"k":"v","k\u00e9":"\u00e9","n":null,"o":{"p":1}}}}},
			"Addendum":{"Reason":"r"},"TLSDETAILS":{"TLSVERSION":"1.3"},"Resources":[{"Arn":"x"}]}]}`,
		"trailing comma":              `{"Records":[{"eventID":"1"},]}`,
		"garbage after a record, cut": `{"Records":[{"eventID":"1"},{"eventID":"2"}\{"eventID":"3"}`,
		"number cut":                  `{"Records":[00`,
		"odd types": `{"Records":[
			{"eventID":"1","eventTime":"2024-09-01T00:00:00Z","readOnly":"false","requestParameters":"plain text","tlsDetails":"weird","resources":{"ARN":"x"}},
			42,
			{"eventID":"3","eventTime":"2024-09-01T00:00:00Z","eventName":{"nested":true},"resources":["x",{"ARN":"y"}],"userIdentity":[]},
			{"eventName":"NoTimeNoID"},
			{"eventID":"5","eventTime":"yesterday"}
		]}`,
		"mixed":       `{"Records":[` + rec("m1", "2024-09-01T00:01:00Z", "ConsoleLogin") + `,"a string",` + rec("m3", "2024-09-01T00:03:00Z", "ConsoleLogin") + `]}`,
		"ingest odd":  `{"Records":[{"eventID":"o1","eventTime":"2024-09-01T00:01:00Z","tlsDetails":"weird","readOnly":true}]}`,
		"invalid UTF": "{\"Records\":[{\"eventID\":\"u1\",\"eventTime\":\"2024-09-01T00:01:00Z\",\"userAgent\":\"bad \xff\xfe bytes\"}]}",
		"truncated record": `{"Records":[` + rec("t1", "2024-09-01T00:01:00Z", "ConsoleLogin") + `,{"eventID":"t2","userAgent":"` +
			strings.Repeat("x", 2000),
		// Larger than the whole-file limit: read by the streaming decoder, one big record among small ones.
		"big record": `{"Records":[` + rec("b1", "2024-09-01T00:01:00Z", "ConsoleLogin") + `,{"eventID":"big","eventTime":"2024-09-01T00:01:00Z","requestParameters":{"policy":"` +
			strings.Repeat("x", 9<<20) + `"}},` + rec("b2", "2024-09-01T00:01:00Z", "ConsoleLogin") + `]}`,
		"white space bomb": `{"Records":[` + rec("w1", "2024-09-01T00:01:00Z", "ConsoleLogin") + "," + strings.Repeat(" ", 9<<20) + `{"eventID":"w2"}]}`,
	}
}

func TestDecodeSameAsBefore(t *testing.T) {
	docs := testdataDocs(t)
	records := 0
	for name, doc := range docs {
		records += checkSame(t, name, doc)
	}
	// A test that compares nothing cannot fail: the samples have 998 records, plus those of brokenDocs.
	if records < 998 {
		t.Errorf("compared %d records, want at least the 998 of the samples", records)
	}
}

// TestDecodeSameAsBeforeRead checks the decoders read the same from readers that return a few bytes at a time
// or fail part way.
func TestDecodeSameAsBeforeRead(t *testing.T) {
	newDec, oldDec := cloudtrail.NewDecoder(), cloudtrail.NewOldDecoder()
	for name, doc := range testdataDocs(t) {
		if len(doc) > 1<<20 {
			continue
		}
		for _, r := range [][2]int{{7, 0}, {0, len(doc) / 2}, {100, len(doc) - 1}, {0, 1}} {
			if diff := differ(newDec, oldDec, doc, -1, r[0], r[1]); diff != "" {
				t.Fatalf("%s read %d bytes at a time, failing at byte %d: new decoder differs (-old +new):\n%s", name, r[0], r[1], diff)
			}
		}
	}
}

// genDocs returns n generated log files of all sizes and the largest one of a busy day.
func genDocs(t testing.TB, n int) [][]byte {
	p, err := gen.NewPlan(gen.Options{Records: 100_000, Days: 1, Accounts: 2, Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	var docs [][]byte
	for i := range n {
		docs = append(docs, p.Document(i*len(p.Files)/n))
	}
	big := 0
	for i, f := range p.Files {
		if f.Records > p.Files[big].Records {
			big = i
		}
	}
	return append(docs, p.Document(big))
}

func TestDecodeSameAsBeforeGenerated(t *testing.T) {
	records := 0
	for i, doc := range genDocs(t, 40) {
		records += checkSame(t, fmt.Sprintf("generated file %d", i), doc)
	}
	if records < 1000 {
		t.Errorf("compared %d records, want more", records)
	}
}

// TestDecodeSameAsBeforeMutated compares the decoders on changed copies of the sample and generated files:
// indented (white space everywhere), keys in upper case, escaped strings, invalid UTF-8, duplicate keys,
// values of other types, truncated and with a byte flipped.
func TestDecodeSameAsBeforeMutated(t *testing.T) {
	var docs [][]byte
	for name, doc := range testdataDocs(t) {
		if strings.HasSuffix(name, ".json") || strings.HasSuffix(name, "(gunzipped)") {
			docs = append(docs, doc)
		}
	}
	docs = append(docs, genDocs(t, 5)...)
	rng := rand.New(rand.NewPCG(1, 2))
	n := 0
	for i, doc := range docs {
		for _, m := range mutations {
			for j := range 2 {
				checkSame(t, fmt.Sprintf("doc %d, %s (%d)", i, m.name, j), m.fn(rng, doc))
				n++
			}
		}
	}
	t.Logf("%d mutated documents", n)
}

var mutations = []struct {
	name string
	fn   func(rng *rand.Rand, doc []byte) []byte
}{
	{"indented", func(rng *rand.Rand, doc []byte) []byte {
		var b bytes.Buffer
		if json.Indent(&b, doc, "", "  ") != nil {
			return doc
		}
		return b.Bytes()
	}},
	{"keys in upper case", func(rng *rand.Rand, doc []byte) []byte {
		return replaceSome(rng, doc, `"`, func(s []byte) []byte { return bytes.ToUpper(s) }, 20)
	}},
	{"escaped slashes and unicode", func(rng *rand.Rand, doc []byte) []byte {
		doc = bytes.ReplaceAll(doc, []byte("/"), []byte(`\/`))
		return bytes.ReplaceAll(doc, []byte("a"), []byte(`\u0061`))
	}},
	{"invalid UTF-8", func(rng *rand.Rand, doc []byte) []byte {
		return replaceSome(rng, doc, `":"`, func(s []byte) []byte { return append(s, 0xff, 0xc3) }, 5)
	}},
	{"non-ASCII", func(rng *rand.Rand, doc []byte) []byte {
		return replaceSome(rng, doc, `":"`, func(s []byte) []byte { return append(s, "é😀"...) }, 5)
	}},
	{"duplicate keys", func(rng *rand.Rand, doc []byte) []byte {
		return replaceSome(rng, doc, `{"`, func(s []byte) []byte {
			f := fields[rng.IntN(len(fields))]
			return append([]byte(`{"`+f+`":`+values[rng.IntN(len(values))]+`,"`), s[2:]...)
		}, 30)
	}},
	{"other types", func(rng *rand.Rand, doc []byte) []byte {
		return replaceSome(rng, doc, `":"`, func(s []byte) []byte {
			return append([]byte(`":`+values[rng.IntN(len(values))]+`,"x":"`), s[3:]...)
		}, 30)
	}},
	{"truncated", func(rng *rand.Rand, doc []byte) []byte {
		return doc[:rng.IntN(len(doc)+1)]
	}},
	{"byte flipped", func(rng *rand.Rand, doc []byte) []byte {
		if len(doc) == 0 {
			return doc
		}
		doc = bytes.Clone(doc)
		const bytes = "{}[]\",:\\ 0an\x00\xff"
		doc[rng.IntN(len(doc))] = bytes[rng.IntN(len(bytes))]
		return doc
	}},
}

// fields are the member names the decoder knows, in several cases, and one it does not.
var fields = []string{"eventVersion", "USERIDENTITY", "eventTime", "eventtime", "eventSource", "eventName", "awsRegion",
	"sourceIPAddress", "userAgent", "errorCode", "errorMessage", "requestParameters", "responseElements",
	"additionalEventData", "requestID", "eventID", "readOnly", "resources", "eventType", "apiVersion",
	"recipientAccountId", "serviceEventDetails", "sharedEventID", "vpcEndpointId", "vpcEndpointAccountId",
	"eventCategory", "addendum", "sessionCredentialFromConsole", "edgeDeviceDetails", "tlsDetails", "type",
	"principalId", "arn", "accountId", "invokedBy", "accessKeyId", "userName", "onBehalfOf", "userId",
	"identityStoreArn", "sessionContext", "attributes", "mfaAuthenticated", "creationDate", "sessionIssuer",
	"ec2RoleDelivery", "webIdFederationData", "federatedProvider", "reason", "updatedFields",
	"originalRequestID", "originalEventID", "tlsVersion", "cipherSuite", "clientProvidedHostHeader", "ARN",
	"managementEvent"}

// values are JSON values of every kind.
var values = []string{`null`, `true`, `false`, `0`, `-1.5e3`, `""`, `"x"`, `"a\"b\u00e9"`, `"` + "\xff" + `"`, `{}`, `[]`,
	`{"a":1}`, `[1,"x",null]`, `{"type":"Role","arn":"a","attributes":{"k":"v"}}`, `[{"ARN":"x"},null,3,{"type":{}}]`,
	`{ "a" : [ 1 , 2 ] }`, `{"sessionIssuer":{"userName":"u"},"attributes":null,"webIdFederationData":{"attributes":{"b":"2","a\u00e9":{}}}}`}

// replaceSome rewrites up to n of the places where sep occurs (at random), from sep to the next quote.
func replaceSome(rng *rand.Rand, doc []byte, sep string, fn func([]byte) []byte, n int) []byte {
	idx := []int{}
	for i := 0; ; {
		j := bytes.Index(doc[i:], []byte(sep))
		if j < 0 {
			break
		}
		idx = append(idx, i+j)
		i += j + len(sep)
	}
	if len(idx) == 0 {
		return doc
	}
	pick := map[int]bool{}
	for range n {
		pick[idx[rng.IntN(len(idx))]] = true
	}
	var out []byte
	last := 0
	for _, i := range idx {
		if !pick[i] || i < last {
			continue
		}
		end := i + len(sep)
		if k := bytes.IndexByte(doc[end:], '"'); k >= 0 {
			end += k
		}
		out = append(out, doc[last:i]...)
		out = append(out, fn(bytes.Clone(doc[i:end]))...)
		last = end
	}
	return append(out, doc[last:]...)
}

// TestDiffCatchesChanges checks that the comparison of the differential tests sees a change anywhere in what
// Decode tells: a nested field, NULL against "", the hash, a problem, the error.
func TestDiffCatchesChanges(t *testing.T) {
	doc, _ := os.ReadFile("../../testdata/cloudtrail/real/stratus-red-team__detonation-logs.json")
	base := run(cloudtrail.NewOldDecoder().Decode, doc, -1, 0, 0)
	if len(base.Events) < 10 || base.Err != "" {
		t.Fatalf("the sample decodes to %d events and error %q", len(base.Events), base.Err)
	}
	for _, c := range []struct {
		name   string
		change func(o *outcome)
	}{
		{"session issuer's user name", func(o *outcome) {
			for _, e := range o.Events {
				if e.Record != nil && e.Record.UserIdentity != nil && e.Record.UserIdentity.SessionContext != nil &&
					e.Record.UserIdentity.SessionContext.SessionIssuer != nil {
					e.Record.UserIdentity.SessionContext.SessionIssuer.UserName.S += "x"
					return
				}
			}
			t.Fatal("no record with a session issuer")
		}},
		{"NULL for an empty string", func(o *outcome) {
			recordEvent(t, o, 3, func(r *cloudtrail.Record) bool { return !r.ErrorCode.Valid }).Record.ErrorCode = cloudtrail.Str("")
		}},
		{"hash", func(o *outcome) { recordEvent(t, o, 5, nil).Record.Hash++ }},
		{"empty resources for none", func(o *outcome) {
			recordEvent(t, o, 7, func(r *cloudtrail.Record) bool { return r.Resources == nil }).Record.Resources = []cloudtrail.Resource{}
		}},
		{"a problem", func(o *outcome) {
			e := recordEvent(t, o, 9, nil)
			e.Problems = append(e.Problems, cloudtrail.Problem{Record: e.Index})
		}},
		{"the error", func(o *outcome) { o.Err = "x" }},
	} {
		o := run(cloudtrail.NewOldDecoder().Decode, doc, -1, 0, 0)
		c.change(&o)
		if cmp.Diff(base, o) == "" {
			t.Errorf("changing the %s went unseen", c.name)
		}
	}
}

// recordEvent returns the first event from the i-th on that has a record for which ok (when not nil) is true.
func recordEvent(t *testing.T, o *outcome, i int, ok func(*cloudtrail.Record) bool) *event {
	for ; i < len(o.Events); i++ {
		if e := &o.Events[i]; e.Record != nil && (ok == nil || ok(e.Record)) {
			return e
		}
	}
	t.Fatal("no such record")
	return nil
}

// FuzzDecodeSameAsBefore compares the decoders on mutated documents.
func FuzzDecodeSameAsBefore(f *testing.F) {
	files, _ := filepath.Glob("../../testdata/cloudtrail/real/*.json")
	for _, p := range files {
		if b, _ := os.ReadFile(p); len(b) < 64<<10 {
			f.Add(b)
		}
	}
	for _, doc := range brokenDocs() {
		if len(doc) < 64<<10 {
			f.Add([]byte(doc))
		}
	}
	rec := `{"eventVersion":"1.08","eventTime":"2024-09-01T00:00:00Z","eventID":"1","userIdentity":` + values[13] +
		`,"resources":` + values[14] + `,"requestParameters":` + values[15] + `,"x":` + values[16] + `}`
	f.Add([]byte(`{"Records":[` + rec + `,` + strings.ToUpper(rec) + `]}`))
	newDec, oldDec := cloudtrail.NewDecoder(), cloudtrail.NewOldDecoder()
	f.Fuzz(func(t *testing.T, doc []byte) {
		if diff := differ(newDec, oldDec, doc, -1, 0, 0); diff != "" {
			t.Fatalf("new decoder differs (-old +new):\n%s", diff)
		}
		if diff := differ(newDec, oldDec, doc, 1, 0, 0); diff != "" {
			t.Fatalf("stopped at record 1, new decoder differs (-old +new):\n%s", diff)
		}
		for i, raw := range cloudtrail.RecordsOf(doc) {
			r1, p1, err1 := oldDec.DecodeRecord(raw, i)
			r2, p2, err2 := newDec.DecodeRecord(raw, i)
			if diff := cmp.Diff([]any{r1, normalProblems(p1), fmt.Sprint(err1)}, []any{r2, normalProblems(p2), fmt.Sprint(err2)}); diff != "" {
				t.Fatalf("DecodeRecord of record %d differs (-old +new):\n%s", i, diff)
			}
		}
	})
}
