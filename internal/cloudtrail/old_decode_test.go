// The decoder as it was before the one-pass decoder (commit e80cd41), kept as the reference of the
// differential tests: decode.go and scan.go with every package-level name prefixed "old". Do not edit.

package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// Problem is something wrong with one record of a file that did not stop the record from being loaded
// (a field of the wrong type is stored as NULL) or that made the decoder skip it (Skipped).

// index in Records, from 0
// JSON field name, "" for the whole record

// the record was not loaded

// ErrNoRecords is returned for a JSON document that has no Records array.

// ErrDigest is returned for a CloudTrail digest file, which has no events.

// MaxRecordBytes bounds the size of one record; a larger one is reported and skipped.

// Decoder reads {"Records":[…]} documents.
type oldDecoder struct {
	buf []byte // the document being read, reused
	// What scanning a document found at its top level: the elements of its Records array, with their hashes
	// and, for objects, their members (in fields).
	records            []oldSpan
	fields             []oldField
	sawRecords, digest bool
	recordsAt          int // where the last Records value starts
	strs               oldStringArena
	compact            bytes.Buffer
}

// NewDecoder returns a Decoder. A Decoder is not safe for concurrent use; use one per goroutine.
func oldNewDecoder() *oldDecoder { return &oldDecoder{} }

// Decode reads one CloudTrail log document from r and calls fn for each record that is an object, in order, with
// the record's index and the problems found in it. It stops at fn's first error. Records that are not objects are
// reported through problem and skipped. The error it returns (other than fn's) says why the rest of the document
// could not be read; the records before that point have already been passed to fn.
func (d *oldDecoder) Decode(r io.Reader, fn func(index int, rec *Record, problems []Problem) error, problem func(Problem)) error {
	// Most log files are small: read them whole, check them once, and walk them without copying. A large or
	// broken file goes through the streaming decoder, which bounds memory and finds where a file breaks off.
	d.buf = d.buf[:0]
	if cap(d.buf) < 1<<20 {
		d.buf = make([]byte, 0, 1<<20)
	}
	for {
		if len(d.buf) == cap(d.buf) {
			if len(d.buf) >= oldWholeFileLimit {
				return d.decodeStream(io.MultiReader(bytes.NewReader(d.buf), r), fn, problem)
			}
			d.buf = append(d.buf, 0)[:len(d.buf)]
		}
		n, err := r.Read(d.buf[len(d.buf):cap(d.buf)])
		d.buf = d.buf[:len(d.buf)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return d.decodeStream(io.MultiReader(bytes.NewReader(d.buf), oldErrReader{err}), fn, problem)
		}
	}
	if !d.scanDocument(d.buf) {
		return d.decodeStream(bytes.NewReader(d.buf), fn, problem)
	}
	return d.decodeWhole(d.buf, fn, problem)
}

// scanDocument checks b as json.Valid does, in the same pass hashing the records and noting where they are
// (the elements of the last top-level Records array) and whether the document is a digest.
func (d *oldDecoder) scanDocument(b []byte) bool {
	d.records, d.sawRecords, d.digest = d.records[:0], false, false
	i := oldSkipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		_, ok := oldValid(b)
		return ok
	}
	// The top-level object, as scanObject checks it.
	i = oldSkipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return oldSkipWS(b, i+1) == len(b)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return false
		}
		kend, _, ok := oldScanString(b, i)
		if !ok {
			return false
		}
		key := b[i+1 : kend-1]
		i = oldSkipWS(b, kend)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = oldSkipWS(b, i+1)
		var vend int
		switch string(key) {
		case "Records":
			d.records, d.fields, d.sawRecords, d.recordsAt = d.records[:0], d.fields[:0], true, i
			if i < len(b) && b[i] == '[' {
				vend, ok = d.scanRecords(b, i)
				break
			}
			vend, _, ok = oldScanValue(b, i, 1)
		case "digestStartTime", "logFiles":
			d.digest = true
			fallthrough
		default:
			vend, _, ok = oldScanValue(b, i, 1)
		}
		if !ok {
			return false
		}
		i = oldSkipWS(b, vend)
		if i >= len(b) {
			return false
		}
		switch b[i] {
		case ',':
			i = oldSkipWS(b, i+1)
		case '}':
			return oldSkipWS(b, i+1) == len(b)
		default:
			return false
		}
	}
}

// wholeFileLimit is the largest file read whole (decompressed). It bounds a worker's buffer: a load over S3 runs
// dozens of workers at once.
const oldWholeFileLimit = 8 << 20

type oldErrReader struct{ err error }

func (e oldErrReader) Read([]byte) (int, error) { return 0, e.err }

// span is where one element of the Records array is, its content hash and, for an object, where its members are
// in Decoder.fields.
type oldSpan struct {
	start, end       int
	hash             uint64
	fields0, fields1 int
}

// scanRecords checks the Records array that starts at b[i] == '[' as scanArray does (at depth 2), noting where
// each record and its members are.
func (d *oldDecoder) scanRecords(b []byte, i int) (end int, ok bool) {
	i = oldSkipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, true
	}
	for {
		var vend int
		var h uint64
		f0 := len(d.fields)
		if i < len(b) && b[i] == '{' {
			vend, h, ok = oldScanObject(b, i, 3, &d.fields)
		} else {
			vend, h, ok = oldScanValue(b, i, 2)
		}
		if !ok {
			return vend, false
		}
		d.records = append(d.records, oldSpan{i, vend, h, f0, len(d.fields)})
		i = oldSkipWS(b, vend)
		if i >= len(b) {
			return i, false
		}
		switch b[i] {
		case ',':
			i = oldSkipWS(b, i+1)
		case ']':
			return i + 1, true
		default:
			return i, false
		}
	}
}

// decodeWhole walks a valid document held in memory.
func (d *oldDecoder) decodeWhole(b []byte, fn func(index int, rec *Record, problems []Problem) error, problem func(Problem)) error {
	// scanDocument has checked b and found its records.
	i := oldSkipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return fmt.Errorf("document is not a JSON object: %w", ErrNoRecords)
	}
	switch {
	case d.digest && !d.sawRecords:
		return ErrDigest
	case !d.sawRecords:
		return ErrNoRecords
	case b[d.recordsAt] == 'n':
		return nil // "Records": null — an empty log
	case b[d.recordsAt] != '[':
		return fmt.Errorf("Records is %s, not an array", oldRawKind(b[d.recordsAt:]))
	}
	for i, sp := range d.records {
		raw := b[sp.start:sp.end]
		if len(raw) > MaxRecordBytes {
			problem(Problem{Record: i, Msg: fmt.Sprintf("record of %d bytes exceeds the %d-byte limit", len(raw), MaxRecordBytes), Skipped: true})
			continue
		}
		rec, problems, err := d.decodeValid(raw, i, sp.hash, d.fields[sp.fields0:sp.fields1])
		if err != nil {
			problem(Problem{Record: i, Msg: err.Error(), Skipped: true})
			continue
		}
		if err := fn(i, rec, problems); err != nil {
			return err
		}
	}
	return nil
}

// decodeStream is Decode for large or broken documents.
func (d *oldDecoder) decodeStream(r io.Reader, fn func(index int, rec *Record, problems []Problem) error, problem func(Problem)) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return oldSyntaxErr("read document start", dec, err)
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '{' {
		return fmt.Errorf("document is not a JSON object: %w", ErrNoRecords)
	}
	sawRecords := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return oldSyntaxErr("read top-level key", dec, err)
		}
		name, _ := tok.(string)
		if name == "digestStartTime" || name == "logFiles" && !sawRecords {
			return ErrDigest
		}
		if name != "Records" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return oldSyntaxErr("read "+name, dec, err)
			}
			continue
		}
		sawRecords = true
		tok, err = dec.Token()
		if err != nil {
			return oldSyntaxErr("read Records", dec, err)
		}
		if delim, ok := tok.(json.Delim); !ok || delim != '[' {
			if tok == nil {
				continue // "Records": null — an empty log
			}
			return fmt.Errorf("Records is %s, not an array", oldJsonKind(tok))
		}
		for i := 0; dec.More(); i++ {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return oldSyntaxErr(fmt.Sprintf("read record %d", i), dec, err)
			}
			if len(raw) > MaxRecordBytes {
				problem(Problem{Record: i, Msg: fmt.Sprintf("record of %d bytes exceeds the %d-byte limit", len(raw), MaxRecordBytes), Skipped: true})
				continue
			}
			rec, problems, err := d.decodeChecked(bytes.TrimSpace(raw), i)
			if err != nil {
				problem(Problem{Record: i, Msg: err.Error(), Skipped: true})
				continue
			}
			if err := fn(i, rec, problems); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil { // ']'
			return oldSyntaxErr("read end of Records", dec, err)
		}
	}
	if !sawRecords {
		return ErrNoRecords
	}
	return nil
}

func oldSyntaxErr(what string, dec *json.Decoder, err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%s: invalid JSON at byte %d: %v", what, se.Offset, se)
	}
	return fmt.Errorf("%s at byte %d: %w", what, dec.InputOffset(), err)
}

func oldJsonKind(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '{' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "unknown"
}

// fieldReader converts raw JSON values and collects the problems found on the way.
type oldFieldReader struct {
	d        *oldDecoder
	blk      *oldRecordBlock
	index    int
	problems []Problem
	kbuf     [64]byte
}

func (f *oldFieldReader) add(field, msg string) {
	f.problems = append(f.problems, Problem{Record: f.index, Field: field, Msg: msg})
}

// key folds a member name to lower case for matching: CloudTrail's keys match case-insensitively, as in Athena's
// JSON SerDe.
func (f *oldFieldReader) key(k []byte) []byte { return oldLowerKey(f.kbuf[:0], k) }

// str converts a value for a STRING column that should hold a JSON string. Numbers and booleans keep their text
// (Athena's SerDe does the same: readOnly true reads as "true"); objects and arrays keep their JSON text and are
// reported.
func (f *oldFieldReader) str(field string, raw []byte) String {
	if len(raw) == 0 || raw[0] == 'n' {
		return String{}
	}
	switch raw[0] {
	case '"':
		inner := raw[1 : len(raw)-1]
		if !utf8.Valid(inner) {
			f.add(field, "invalid UTF-8 replaced")
		} else if bytes.IndexByte(inner, '\\') < 0 {
			return Str(f.d.strs.copy(inner)) // the common case: nothing to decode
		}
		s, ok := oldUnquote(raw)
		if !ok {
			f.add(field, "bad string")
			return String{}
		}
		return Str(s)
	case '{', '[':
		f.add(field, "expected a string, got "+oldRawKind(raw)+"; kept as JSON text")
		return f.jsonText(field, raw)
	default:
		return Str(f.d.strs.copy(raw))
	}
}

// jsonText converts a value for a STRING column that holds JSON text (requestParameters, responseElements, …),
// keeping the text as written (compacted). A JSON string is stored as its content.
func (f *oldFieldReader) jsonText(field string, raw []byte) String {
	if len(raw) == 0 || raw[0] == 'n' {
		return String{}
	}
	if raw[0] == '"' {
		return f.str(field, raw)
	}
	if !utf8.Valid(raw) {
		f.add(field, "invalid UTF-8 replaced")
		raw = bytes.ToValidUTF8(raw, []byte("\uFFFD"))
	}
	if _, ws := oldSkipValue(raw, 0); ws {
		c := &f.d.compact
		c.Reset()
		if err := json.Compact(c, raw); err == nil {
			return Str(f.d.strs.copy(c.Bytes()))
		}
	}
	return Str(f.d.strs.copy(raw))
}

// object reports whether raw is an object; a value of another type (not null) is reported and stored as NULL.
func (f *oldFieldReader) object(field string, raw []byte) bool {
	if len(raw) == 0 || raw[0] == 'n' {
		return false
	}
	if raw[0] != '{' {
		f.add(field, "expected an object, got "+oldRawKind(raw)+"; stored as NULL")
		return false
	}
	return true
}

func oldRawKind(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// DecodeRecord converts one record's JSON. It fails only when raw is not a JSON object; fields of the wrong type
// become NULL (or keep their JSON text) and are listed in problems. index is used in the problems.
func (d *oldDecoder) DecodeRecord(raw []byte, index int) (*Record, []Problem, error) {
	if _, ok := oldValid(raw); !ok {
		return nil, nil, fmt.Errorf("record is not valid JSON")
	}
	return d.decodeChecked(bytes.TrimSpace(raw), index)
}

// decodeChecked is DecodeRecord for raw that is known to be valid JSON, without white space around it.
func (d *oldDecoder) decodeChecked(raw []byte, index int) (*Record, []Problem, error) {
	d.fields = d.fields[:0]
	var h uint64
	if len(raw) > 0 && raw[0] == '{' {
		_, h, _ = oldScanObject(raw, 0, 1, &d.fields)
	} else {
		h, _ = oldValid(raw)
	}
	return d.decodeValid(raw, index, h, d.fields)
}

// decodeValid converts the valid JSON record raw, whose content hash is hash and whose members are fields.
func (d *oldDecoder) decodeValid(raw []byte, index int, hash uint64, fields []oldField) (*Record, []Problem, error) {
	if len(raw) == 0 || raw[0] != '{' {
		return nil, nil, fmt.Errorf("record is %s, not an object", oldRawKind(raw))
	}
	blk := &oldRecordBlock{}
	f := &oldFieldReader{d: d, index: index, blk: blk}
	rec := &blk.rec
	for _, fl := range fields {
		v := raw[fl.v0:fl.v1]
		switch string(f.key(raw[fl.k0:fl.k1])) {
		case "eventversion":
			rec.EventVersion = f.str("eventVersion", v)
		case "useridentity":
			rec.UserIdentity = f.userIdentity(v)
		case "eventtime":
			rec.EventTime = f.str("eventTime", v)
		case "eventsource":
			rec.EventSource = f.str("eventSource", v)
		case "eventname":
			rec.EventName = f.str("eventName", v)
		case "awsregion":
			rec.AWSRegion = f.str("awsRegion", v)
		case "sourceipaddress":
			rec.SourceIPAddress = f.str("sourceIPAddress", v)
		case "useragent":
			rec.UserAgent = f.str("userAgent", v)
		case "errorcode":
			rec.ErrorCode = f.str("errorCode", v)
		case "errormessage":
			rec.ErrorMessage = f.str("errorMessage", v)
		case "requestparameters":
			rec.RequestParameters = f.jsonText("requestParameters", v)
		case "responseelements":
			rec.ResponseElements = f.jsonText("responseElements", v)
		case "additionaleventdata":
			rec.AdditionalEventData = f.jsonText("additionalEventData", v)
		case "requestid":
			rec.RequestID = f.str("requestID", v)
		case "eventid":
			rec.EventID = f.str("eventID", v)
		case "readonly":
			rec.ReadOnly = f.str("readOnly", v)
		case "resources":
			rec.Resources = f.resources(v)
		case "eventtype":
			rec.EventType = f.str("eventType", v)
		case "apiversion":
			rec.APIVersion = f.str("apiVersion", v)
		case "recipientaccountid":
			rec.RecipientAccountID = f.str("recipientAccountId", v)
		case "serviceeventdetails":
			rec.ServiceEventDetails = f.jsonText("serviceEventDetails", v)
		case "sharedeventid":
			rec.SharedEventID = f.str("sharedEventID", v)
		case "vpcendpointid":
			rec.VPCEndpointID = f.str("vpcEndpointId", v)
		case "vpcendpointaccountid":
			rec.VPCEndpointAccountID = f.str("vpcEndpointAccountId", v)
		case "eventcategory":
			rec.EventCategory = f.str("eventCategory", v)
		case "addendum":
			rec.Addendum = f.addendum(v)
		case "sessioncredentialfromconsole":
			rec.SessionCredentialFromConsole = f.str("sessionCredentialFromConsole", v)
		case "edgedevicedetails":
			rec.EdgeDeviceDetails = f.jsonText("edgeDeviceDetails", v)
		case "tlsdetails":
			rec.TLSDetails = f.tlsDetails(v)
		}
	}
	if !rec.EventTime.Valid {
		f.add("eventTime", "missing")
	} else if _, ok := rec.Time(); !ok {
		f.add("eventTime", fmt.Sprintf("%q is not an ISO-8601 time", rec.EventTime.S))
	}
	if !rec.EventID.Valid {
		f.add("eventID", "missing")
	}
	rec.Hash = hash
	return rec, f.problems, nil
}

func (f *oldFieldReader) userIdentity(raw []byte) *UserIdentity {
	if !f.object("userIdentity", raw) {
		return nil
	}
	u := &f.blk.ui
	oldMembers(raw, func(k, v []byte) {
		switch string(f.key(k)) {
		case "type":
			u.Type = f.str("userIdentity.type", v)
		case "principalid":
			u.PrincipalID = f.str("userIdentity.principalId", v)
		case "arn":
			u.ARN = f.str("userIdentity.arn", v)
		case "accountid":
			u.AccountID = f.str("userIdentity.accountId", v)
		case "invokedby":
			u.InvokedBy = f.str("userIdentity.invokedBy", v)
		case "accesskeyid":
			u.AccessKeyID = f.str("userIdentity.accessKeyId", v)
		case "username":
			u.UserName = f.str("userIdentity.userName", v)
		case "onbehalfof":
			if f.object("userIdentity.onBehalfOf", v) {
				o := &OnBehalfOf{}
				oldMembers(v, func(k, v []byte) {
					switch string(f.key(k)) {
					case "userid":
						o.UserID = f.str("userIdentity.onBehalfOf.userId", v)
					case "identitystorearn":
						o.IdentityStoreARN = f.str("userIdentity.onBehalfOf.identityStoreArn", v)
					}
				})
				u.OnBehalfOf = o
			}
		case "sessioncontext":
			u.SessionContext = f.sessionContext(v)
		}
	})
	return u
}

func (f *oldFieldReader) sessionContext(raw []byte) *SessionContext {
	if !f.object("userIdentity.sessionContext", raw) {
		return nil
	}
	c := &f.blk.sc
	oldMembers(raw, func(k, v []byte) {
		switch string(f.key(k)) {
		case "attributes":
			if f.object("userIdentity.sessionContext.attributes", v) {
				a := &f.blk.sa
				oldMembers(v, func(k, v []byte) {
					switch string(f.key(k)) {
					case "mfaauthenticated":
						a.MFAAuthenticated = f.str("userIdentity.sessionContext.attributes.mfaAuthenticated", v)
					case "creationdate":
						a.CreationDate = f.str("userIdentity.sessionContext.attributes.creationDate", v)
					}
				})
				c.Attributes = a
			}
		case "sessionissuer":
			if f.object("userIdentity.sessionContext.sessionIssuer", v) {
				is := &f.blk.si
				oldMembers(v, func(k, v []byte) {
					switch string(f.key(k)) {
					case "type":
						is.Type = f.str("userIdentity.sessionContext.sessionIssuer.type", v)
					case "principalid":
						is.PrincipalID = f.str("userIdentity.sessionContext.sessionIssuer.principalId", v)
					case "arn":
						is.ARN = f.str("userIdentity.sessionContext.sessionIssuer.arn", v)
					case "accountid":
						is.AccountID = f.str("userIdentity.sessionContext.sessionIssuer.accountId", v)
					case "username":
						is.UserName = f.str("userIdentity.sessionContext.sessionIssuer.userName", v)
					}
				})
				c.SessionIssuer = is
			}
		case "ec2roledelivery":
			c.EC2RoleDelivery = f.str("userIdentity.sessionContext.ec2RoleDelivery", v)
		case "webidfederationdata":
			if f.object("userIdentity.sessionContext.webIdFederationData", v) {
				w := &WebIDFederationData{}
				oldMembers(v, func(k, v []byte) {
					switch string(f.key(k)) {
					case "federatedprovider":
						w.FederatedProvider = f.str("userIdentity.sessionContext.webIdFederationData.federatedProvider", v)
					case "attributes":
						w.Attributes = f.stringMap("userIdentity.sessionContext.webIdFederationData.attributes", v)
					}
				})
				c.WebIDFederationData = w
			}
		}
	})
	return c
}

// stringMap reads an object of string values in document order.
func (f *oldFieldReader) stringMap(field string, raw []byte) []KV {
	if !f.object(field, raw) {
		return nil
	}
	kvs := []KV{}
	oldMembers(raw, func(k, v []byte) {
		key, _ := oldUnquote(append(append([]byte{'"'}, k...), '"'))
		kvs = append(kvs, KV{K: key, V: f.str(field+"."+key, v).S})
	})
	return kvs
}

func (f *oldFieldReader) resources(raw []byte) []Resource {
	if len(raw) == 0 || raw[0] == 'n' {
		return nil
	}
	if raw[0] != '[' {
		f.add("resources", "expected an array, got "+oldRawKind(raw)+"; stored as NULL")
		return nil
	}
	out := []Resource{}
	i := 0
	oldElements(raw, func(item []byte) {
		names := oldResourceFields(i)
		i++
		if !f.object(names[0], item) {
			return
		}
		var r Resource
		oldMembers(item, func(k, v []byte) {
			switch string(f.key(k)) {
			case "arn":
				r.ARN = f.str(names[1], v)
			case "accountid":
				r.AccountID = f.str(names[2], v)
			case "type":
				r.Type = f.str(names[3], v)
			}
		})
		out = append(out, r)
	})
	return out
}

// resourceFields returns the names of resources[i] and its fields as problems give them, without building them
// for every record.
func oldResourceFields(i int) *[4]string {
	if i < len(oldResourceFieldNames) {
		return &oldResourceFieldNames[i]
	}
	return oldNewResourceFields(i)
}

var oldResourceFieldNames = func() (t [16][4]string) {
	for i := range t {
		t[i] = *oldNewResourceFields(i)
	}
	return t
}()

func oldNewResourceFields(i int) *[4]string {
	e := "resources[" + strconv.Itoa(i) + "]"
	return &[4]string{e, e + ".ARN", e + ".accountId", e + ".type"}
}

func (f *oldFieldReader) addendum(raw []byte) *Addendum {
	if !f.object("addendum", raw) {
		return nil
	}
	a := &Addendum{}
	oldMembers(raw, func(k, v []byte) {
		switch string(f.key(k)) {
		case "reason":
			a.Reason = f.str("addendum.reason", v)
		case "updatedfields":
			a.UpdatedFields = f.str("addendum.updatedFields", v)
		case "originalrequestid":
			a.OriginalRequestID = f.str("addendum.originalRequestID", v)
		case "originaleventid":
			a.OriginalEventID = f.str("addendum.originalEventID", v)
		}
	})
	return a
}

func (f *oldFieldReader) tlsDetails(raw []byte) *TLSDetails {
	if !f.object("tlsDetails", raw) {
		return nil
	}
	t := &TLSDetails{}
	oldMembers(raw, func(k, v []byte) {
		switch string(f.key(k)) {
		case "tlsversion":
			t.TLSVersion = f.str("tlsDetails.tlsVersion", v)
		case "ciphersuite":
			t.CipherSuite = f.str("tlsDetails.cipherSuite", v)
		case "clientprovidedhostheader":
			t.ClientProvidedHostHeader = f.str("tlsDetails.clientProvidedHostHeader", v)
		}
	})
	return t
}

// stringArena copies strings into shared blocks, so that the thirty-odd strings of a record cost a share of one
// allocation rather than one each (and the garbage collector has fewer objects to follow). Bytes of a block are
// never written again once a string points at them: a full block is left to the strings that use it.
type oldStringArena struct{ block []byte }

const oldArenaBlock = 32 << 10

func (a *oldStringArena) copy(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > cap(a.block)-len(a.block) {
		if len(b) > oldArenaBlock/8 {
			return string(b) // a large string gets its own allocation
		}
		a.block = make([]byte, 0, oldArenaBlock)
	}
	n := len(a.block)
	a.block = append(a.block, b...)
	return unsafe.String(&a.block[n], len(b))
}

// recordBlock holds a record and the nested objects most records have, so that they are allocated together.
type oldRecordBlock struct {
	rec Record
	ui  UserIdentity
	sc  SessionContext
	si  SessionIssuer
	sa  SessionAttributes
}
