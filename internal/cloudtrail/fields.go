package cloudtrail

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/zeebo/xxh3"
)

// recordReader decodes records. It walks a record's JSON once: it checks it as json.Valid does, computes its
// content hash, and converts the fields it knows on the way, collecting the problems it finds. Each method that
// reads a value returns, as scanner.value does, the index after the value, its hash and whether it is valid JSON;
// when it is not, whatever was decoded is to be dropped.
//
// depth arguments are nesting depths as scanner.value takes them: for a method that reads an object it is the
// depth of that object, for one that reads any value it is the depth of the value's container.
type recordReader struct {
	scanner
	d        *Decoder
	blk      *recordBlock
	index    int
	problems []Problem
	kbuf     [64]byte
}

func (r *recordReader) add(field, msg string) {
	r.problems = append(r.problems, Problem{Record: r.index, Field: field, Msg: msg})
}

// fold folds a member name to lower case for matching: CloudTrail's keys match case-insensitively, as in
// Athena's JSON SerDe.
func (r *recordReader) fold(k []byte) []byte { return lowerKey(r.kbuf[:0], k) }

// lowerKey folds an ASCII key to lower case into buf (keys of CloudTrail records are ASCII).
func lowerKey(buf []byte, key []byte) []byte {
	if len(key) > cap(buf) {
		buf = make([]byte, len(key))
	}
	buf = buf[:len(key)]
	for i, c := range key {
		if c-'A' < 26 {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return buf
}

// isObject reports whether the value at b[i] is an object.
func (r *recordReader) isObject(i int) bool { return i < len(r.b) && r.b[i] == '{' }

// record decodes the record object at b[i] == '{' (at nesting depth depth) of index index in Records.
func (r *recordReader) record(i, depth, index int) (rec *Record, problems []Problem, end int, ok bool) {
	r.blk, r.index, r.problems = &recordBlock{}, index, nil
	rec = &r.blk.rec
	o := r.openObject(i)
	for !o.done {
		key, kh, v := r.key(&o)
		if o.done {
			break
		}
		var vend int
		var vh uint64
		var ok bool
		switch string(r.fold(key)) {
		case "eventversion":
			vend, vh, ok = r.str(&rec.EventVersion, "eventVersion", v, depth)
		case "useridentity":
			if r.isObject(v) {
				vend, vh, ok = r.userIdentity(v, depth+1)
				rec.UserIdentity = &r.blk.ui
			} else {
				vend, vh, ok = r.notObject("userIdentity", v, depth)
				rec.UserIdentity = nil
			}
		case "eventtime":
			vend, vh, ok = r.str(&rec.EventTime, "eventTime", v, depth)
		case "eventsource":
			vend, vh, ok = r.str(&rec.EventSource, "eventSource", v, depth)
		case "eventname":
			vend, vh, ok = r.str(&rec.EventName, "eventName", v, depth)
		case "awsregion":
			vend, vh, ok = r.str(&rec.AWSRegion, "awsRegion", v, depth)
		case "sourceipaddress":
			vend, vh, ok = r.str(&rec.SourceIPAddress, "sourceIPAddress", v, depth)
		case "useragent":
			vend, vh, ok = r.str(&rec.UserAgent, "userAgent", v, depth)
		case "errorcode":
			vend, vh, ok = r.str(&rec.ErrorCode, "errorCode", v, depth)
		case "errormessage":
			vend, vh, ok = r.str(&rec.ErrorMessage, "errorMessage", v, depth)
		case "requestparameters":
			vend, vh, ok = r.json(&rec.RequestParameters, "requestParameters", v, depth)
		case "responseelements":
			vend, vh, ok = r.json(&rec.ResponseElements, "responseElements", v, depth)
		case "additionaleventdata":
			vend, vh, ok = r.json(&rec.AdditionalEventData, "additionalEventData", v, depth)
		case "requestid":
			vend, vh, ok = r.str(&rec.RequestID, "requestID", v, depth)
		case "eventid":
			vend, vh, ok = r.str(&rec.EventID, "eventID", v, depth)
		case "readonly":
			vend, vh, ok = r.str(&rec.ReadOnly, "readOnly", v, depth)
		case "resources":
			vend, vh, ok = r.resources(&rec.Resources, v, depth)
		case "eventtype":
			vend, vh, ok = r.str(&rec.EventType, "eventType", v, depth)
		case "apiversion":
			vend, vh, ok = r.str(&rec.APIVersion, "apiVersion", v, depth)
		case "recipientaccountid":
			vend, vh, ok = r.str(&rec.RecipientAccountID, "recipientAccountId", v, depth)
		case "serviceeventdetails":
			vend, vh, ok = r.json(&rec.ServiceEventDetails, "serviceEventDetails", v, depth)
		case "sharedeventid":
			vend, vh, ok = r.str(&rec.SharedEventID, "sharedEventID", v, depth)
		case "vpcendpointid":
			vend, vh, ok = r.str(&rec.VPCEndpointID, "vpcEndpointId", v, depth)
		case "vpcendpointaccountid":
			vend, vh, ok = r.str(&rec.VPCEndpointAccountID, "vpcEndpointAccountId", v, depth)
		case "eventcategory":
			vend, vh, ok = r.str(&rec.EventCategory, "eventCategory", v, depth)
		case "addendum":
			if r.isObject(v) {
				rec.Addendum = &Addendum{}
				vend, vh, ok = r.addendum(rec.Addendum, v, depth+1)
			} else {
				vend, vh, ok = r.notObject("addendum", v, depth)
				rec.Addendum = nil
			}
		case "sessioncredentialfromconsole":
			vend, vh, ok = r.str(&rec.SessionCredentialFromConsole, "sessionCredentialFromConsole", v, depth)
		case "edgedevicedetails":
			vend, vh, ok = r.json(&rec.EdgeDeviceDetails, "edgeDeviceDetails", v, depth)
		case "tlsdetails":
			if r.isObject(v) {
				rec.TLSDetails = &TLSDetails{}
				vend, vh, ok = r.tlsDetails(rec.TLSDetails, v, depth+1)
			} else {
				vend, vh, ok = r.notObject("tlsDetails", v, depth)
				rec.TLSDetails = nil
			}
		default:
			vend, vh, ok = r.value(v, depth)
		}
		r.next(&o, kh, vh, vend, ok)
	}
	end, h, ok := o.end()
	if !rec.EventTime.Valid {
		r.add("eventTime", "missing")
	} else if _, ok := rec.Time(); !ok {
		r.add("eventTime", fmt.Sprintf("%q is not an ISO-8601 time", rec.EventTime.S))
	}
	if !rec.EventID.Valid {
		r.add("eventID", "missing")
	}
	rec.Hash = h
	return rec, r.problems, end, ok
}

// str reads the value at b[i] for a STRING column that should hold a JSON string into dst. Numbers and booleans
// keep their text (Athena's SerDe does the same: readOnly true reads as "true"); objects and arrays keep their
// JSON text and are reported.
func (r *recordReader) str(dst *String, field string, i, depth int) (end int, h uint64, ok bool) {
	b := r.b
	if i < len(b) && b[i] == '"' {
		end, esc, high, ok := scanString(b, i)
		if !ok {
			return end, 0, false
		}
		inner := b[i+1 : end-1]
		if !esc && !high {
			*dst = Str(r.d.strs.copy(inner)) // the common case: nothing to decode
			return end, mix(xxh3.Hash(inner), hashString), true
		}
		*dst = r.text(field, b[i:end], esc, high)
		return end, mix(innerHash(inner, esc), hashString), true
	}
	r.ws, r.high = false, false
	end, h, ok = r.value(i, depth)
	if !ok {
		return end, 0, false
	}
	switch raw := b[i:end]; raw[0] {
	case 'n':
		*dst = String{}
	case '{', '[':
		r.add(field, "expected a string, got "+rawKind(raw)+"; kept as JSON text")
		*dst = r.jsonText(field, raw)
	default:
		*dst = Str(r.d.strs.copy(raw))
	}
	return end, h, true
}

// text converts the JSON string raw (with its quotes) that has escapes (esc) or bytes ≥ 0x80 (high).
func (r *recordReader) text(field string, raw []byte, esc, high bool) String {
	inner := raw[1 : len(raw)-1]
	if high && !utf8.Valid(inner) {
		r.add(field, "invalid UTF-8 replaced")
	} else if !esc {
		return Str(r.d.strs.copy(inner))
	}
	s, ok := unquote(raw)
	if !ok {
		r.add(field, "bad string")
		return String{}
	}
	return Str(s)
}

// json reads the value at b[i] for a STRING column that holds JSON text (requestParameters, responseElements, …)
// into dst, keeping the text as written (compacted). A JSON string is stored as its content.
func (r *recordReader) json(dst *String, field string, i, depth int) (end int, h uint64, ok bool) {
	b := r.b
	if i < len(b) && b[i] == '"' {
		return r.str(dst, field, i, depth)
	}
	r.ws, r.high = false, false
	end, h, ok = r.value(i, depth)
	if !ok {
		return end, 0, false
	}
	if b[i] == 'n' {
		*dst = String{}
	} else {
		*dst = r.jsonText(field, b[i:end])
	}
	return end, h, true
}

// jsonText converts raw, the JSON text of a value other than a string or null just scanned (r.ws and r.high
// describe it).
func (r *recordReader) jsonText(field string, raw []byte) String {
	if r.high && !utf8.Valid(raw) {
		r.add(field, "invalid UTF-8 replaced")
		raw = bytes.ToValidUTF8(raw, []byte("\uFFFD"))
	}
	if r.ws {
		c := &r.d.compact
		c.Reset()
		if err := json.Compact(c, raw); err == nil {
			return Str(r.d.strs.copy(c.Bytes()))
		}
	}
	return Str(r.d.strs.copy(raw))
}

// notObject reads a value that is not an object where one is expected: null is NULL; anything else is reported
// (and stored as NULL too).
func (r *recordReader) notObject(field string, i, depth int) (end int, h uint64, ok bool) {
	end, h, ok = r.value(i, depth)
	if ok && r.b[i] != 'n' {
		r.add(field, "expected an object, got "+rawKind(r.b[i:end])+"; stored as NULL")
	}
	return end, h, ok
}

func rawKind(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	return valueKind(raw[0])
}

// valueKind names the kind of the JSON value that starts with c.
func valueKind(c byte) string {
	switch c {
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

func (r *recordReader) userIdentity(i, depth int) (end int, h uint64, ok bool) {
	u := &r.blk.ui
	o := r.openObject(i)
	for !o.done {
		key, kh, v := r.key(&o)
		if o.done {
			break
		}
		var vend int
		var vh uint64
		var ok bool
		switch string(r.fold(key)) {
		case "type":
			vend, vh, ok = r.str(&u.Type, "userIdentity.type", v, depth)
		case "principalid":
			vend, vh, ok = r.str(&u.PrincipalID, "userIdentity.principalId", v, depth)
		case "arn":
			vend, vh, ok = r.str(&u.ARN, "userIdentity.arn", v, depth)
		case "accountid":
			vend, vh, ok = r.str(&u.AccountID, "userIdentity.accountId", v, depth)
		case "invokedby":
			vend, vh, ok = r.str(&u.InvokedBy, "userIdentity.invokedBy", v, depth)
		case "accesskeyid":
			vend, vh, ok = r.str(&u.AccessKeyID, "userIdentity.accessKeyId", v, depth)
		case "username":
			vend, vh, ok = r.str(&u.UserName, "userIdentity.userName", v, depth)
		case "onbehalfof":
			if r.isObject(v) {
				u.OnBehalfOf = &OnBehalfOf{}
				vend, vh, ok = r.onBehalfOf(u.OnBehalfOf, v, depth+1)
			} else {
				vend, vh, ok = r.notObject("userIdentity.onBehalfOf", v, depth)
			}
		case "sessioncontext":
			if r.isObject(v) {
				vend, vh, ok = r.sessionContext(v, depth+1)
				u.SessionContext = &r.blk.sc
			} else {
				vend, vh, ok = r.notObject("userIdentity.sessionContext", v, depth)
				u.SessionContext = nil
			}
		default:
			vend, vh, ok = r.value(v, depth)
		}
		r.next(&o, kh, vh, vend, ok)
	}
	return o.end()
}

func (r *recordReader) onBehalfOf(ob *OnBehalfOf, i, depth int) (end int, h uint64, ok bool) {
	o := r.openObject(i)
	for !o.done {
		key, kh, v := r.key(&o)
		if o.done {
			break
		}
		var vend int
		var vh uint64
		var ok bool
		switch string(r.fold(key)) {
		case "userid":
			vend, vh, ok = r.str(&ob.UserID, "userIdentity.onBehalfOf.userId", v, depth)
		case "identitystorearn":
			vend, vh, ok = r.str(&ob.IdentityStoreARN, "userIdentity.onBehalfOf.identityStoreArn", v, depth)
		default:
			vend, vh, ok = r.value(v, depth)
		}
		r.next(&o, kh, vh, vend, ok)
	}
	return o.end()
}

func (r *recordReader) sessionContext(i, depth int) (end int, h uint64, ok bool) {
	c := &r.blk.sc
	o := r.openObject(i)
	for !o.done {
		key, kh, v := r.key(&o)
		if o.done {
			break
		}
		var vend int
		var vh uint64
		var ok bool
		switch string(r.fold(key)) {
		case "attributes":
			// A value that is not an object leaves the attributes read before (from a member of the same name).
			if r.isObject(v) {
				vend, vh, ok = r.sessionAttributes(&r.blk.sa, v, depth+1)
				c.Attributes = &r.blk.sa
			} else {
				vend, vh, ok = r.notObject("userIdentity.sessionContext.attributes", v, depth)
			}
		case "sessionissuer":
			if r.isObject(v) {
				vend, vh, ok = r.sessionIssuer(&r.blk.si, v, depth+1)
				c.SessionIssuer = &r.blk.si
			} else {
				vend, vh, ok = r.notObject("userIdentity.sessionContext.sessionIssuer", v, depth)
			}
		case "ec2roledelivery":
			vend, vh, ok = r.str(&c.EC2RoleDelivery, "userIdentity.sessionContext.ec2RoleDelivery", v, depth)
		case "webidfederationdata":
			if r.isObject(v) {
				c.WebIDFederationData = &WebIDFederationData{}
				vend, vh, ok = r.webIDFederationData(c.WebIDFederationData, v, depth+1)
			} else {
				vend, vh, ok = r.notObject("userIdentity.sessionContext.webIdFederationData", v, depth)
			}
		default:
			vend, vh, ok = r.value(v, depth)
		}
		r.next(&o, kh, vh, vend, ok)
	}
	return o.end()
}

func (r *recordReader) sessionAttributes(a *SessionAttributes, i, depth int) (end int, h uint64, ok bool) {
	o := r.openObject(i)
	for !o.done {
		key, kh, v := r.key(&o)
		if o.done {
			break
		}
		var vend int
		var vh uint64
		var ok bool
		switch string(r.fold(key)) {
		case "mfaauthenticated":
			vend, vh, ok = r.str(&a.MFAAuthenticated, "userIdentity.sessionContext.attributes.mfaAuthenticated", v, depth)
		case "creationdate":
			vend, vh, ok = r.str(&a.CreationDate, "userIdentity.sessionContext.attributes.creationDate", v, depth)
		default:
			vend, vh, ok = r.value(v, depth)
		}
		r.next(&o, kh, vh, vend, ok)
	}
	return o.end()
}

func (r *recordReader) sessionIssuer(is *SessionIssuer, i, depth int) (end int, h uint64, ok bool) {
	o := r.openObject(i)
	for !o.done {
		key, kh, v := r.key(&o)
		if o.done {
			break
		}
		var vend int
		var vh uint64
		var ok bool
		switch string(r.fold(key)) {
		case "type":
			vend, vh, ok = r.str(&is.Type, "userIdentity.sessionContext.sessionIssuer.type", v, depth)
		case "principalid":
			vend, vh, ok = r.str(&is.PrincipalID, "userIdentity.sessionContext.sessionIssuer.principalId", v, depth)
		case "arn":
			vend, vh, ok = r.str(&is.ARN, "userIdentity.sessionContext.sessionIssuer.arn", v, depth)
		case "accountid":
			vend, vh, ok = r.str(&is.AccountID, "userIdentity.sessionContext.sessionIssuer.accountId", v, depth)
		case "username":
			vend, vh, ok = r.str(&is.UserName, "userIdentity.sessionContext.sessionIssuer.userName", v, depth)
		default:
			vend, vh, ok = r.value(v, depth)
		}
		r.next(&o, kh, vh, vend, ok)
	}
	return o.end()
}

func (r *recordReader) webIDFederationData(w *WebIDFederationData, i, depth int) (end int, h uint64, ok bool) {
	o := r.openObject(i)
	for !o.done {
		key, kh, v := r.key(&o)
		if o.done {
			break
		}
		var vend int
		var vh uint64
		var ok bool
		switch string(r.fold(key)) {
		case "federatedprovider":
			vend, vh, ok = r.str(&w.FederatedProvider, "userIdentity.sessionContext.webIdFederationData.federatedProvider", v, depth)
		case "attributes":
			const field = "userIdentity.sessionContext.webIdFederationData.attributes"
			if r.isObject(v) {
				vend, vh, ok = r.stringMap(&w.Attributes, field, v, depth+1)
			} else {
				vend, vh, ok = r.notObject(field, v, depth)
				w.Attributes = nil
			}
		default:
			vend, vh, ok = r.value(v, depth)
		}
		r.next(&o, kh, vh, vend, ok)
	}
	return o.end()
}

// stringMap reads an object of string values into dst, in document order.
func (r *recordReader) stringMap(dst *[]KV, field string, i, depth int) (end int, h uint64, ok bool) {
	kvs := []KV{}
	o := r.openObject(i)
	for !o.done {
		key, kh, v := r.key(&o)
		if o.done {
			break
		}
		k, _ := unquote(append(append([]byte{'"'}, key...), '"'))
		var s String
		vend, vh, ok := r.str(&s, field+"."+k, v, depth)
		kvs = append(kvs, KV{K: k, V: s.S})
		r.next(&o, kh, vh, vend, ok)
	}
	*dst = kvs
	return o.end()
}

// resources reads the resources array into dst.
func (r *recordReader) resources(dst *[]Resource, i, depth int) (end int, h uint64, ok bool) {
	b := r.b
	if i >= len(b) || b[i] != '[' {
		end, h, ok = r.value(i, depth)
		if ok && b[i] != 'n' {
			r.add("resources", "expected an array, got "+rawKind(b[i:end])+"; stored as NULL")
		}
		*dst = nil
		return end, h, ok
	}
	out := []Resource{}
	a := r.openArray(i)
	for n := 0; !a.done; n++ {
		var vend int
		var vh uint64
		var ok bool
		names := resourceFields(n)
		if r.isObject(a.i) {
			var res Resource
			vend, vh, ok = r.resource(&res, names, a.i, depth+2)
			out = append(out, res)
		} else {
			vend, vh, ok = r.notObject(names[0], a.i, depth+1)
		}
		r.nextElement(&a, vh, vend, ok)
	}
	*dst = out
	return a.end()
}

// resource reads one element of resources; names are its field names for problems (resourceFields).
func (r *recordReader) resource(res *Resource, names *[4]string, i, depth int) (end int, h uint64, ok bool) {
	o := r.openObject(i)
	for !o.done {
		key, kh, v := r.key(&o)
		if o.done {
			break
		}
		var vend int
		var vh uint64
		var ok bool
		switch string(r.fold(key)) {
		case "arn":
			vend, vh, ok = r.str(&res.ARN, names[1], v, depth)
		case "accountid":
			vend, vh, ok = r.str(&res.AccountID, names[2], v, depth)
		case "type":
			vend, vh, ok = r.str(&res.Type, names[3], v, depth)
		default:
			vend, vh, ok = r.value(v, depth)
		}
		r.next(&o, kh, vh, vend, ok)
	}
	return o.end()
}

// resourceFields returns the names of resources[i] and its fields as problems give them, without building them
// for every record.
func resourceFields(i int) *[4]string {
	if i < len(resourceFieldNames) {
		return &resourceFieldNames[i]
	}
	return newResourceFields(i)
}

var resourceFieldNames = func() (t [16][4]string) {
	for i := range t {
		t[i] = *newResourceFields(i)
	}
	return t
}()

func newResourceFields(i int) *[4]string {
	e := "resources[" + strconv.Itoa(i) + "]"
	return &[4]string{e, e + ".ARN", e + ".accountId", e + ".type"}
}

func (r *recordReader) addendum(a *Addendum, i, depth int) (end int, h uint64, ok bool) {
	o := r.openObject(i)
	for !o.done {
		key, kh, v := r.key(&o)
		if o.done {
			break
		}
		var vend int
		var vh uint64
		var ok bool
		switch string(r.fold(key)) {
		case "reason":
			vend, vh, ok = r.str(&a.Reason, "addendum.reason", v, depth)
		case "updatedfields":
			vend, vh, ok = r.str(&a.UpdatedFields, "addendum.updatedFields", v, depth)
		case "originalrequestid":
			vend, vh, ok = r.str(&a.OriginalRequestID, "addendum.originalRequestID", v, depth)
		case "originaleventid":
			vend, vh, ok = r.str(&a.OriginalEventID, "addendum.originalEventID", v, depth)
		default:
			vend, vh, ok = r.value(v, depth)
		}
		r.next(&o, kh, vh, vend, ok)
	}
	return o.end()
}

func (r *recordReader) tlsDetails(t *TLSDetails, i, depth int) (end int, h uint64, ok bool) {
	o := r.openObject(i)
	for !o.done {
		key, kh, v := r.key(&o)
		if o.done {
			break
		}
		var vend int
		var vh uint64
		var ok bool
		switch string(r.fold(key)) {
		case "tlsversion":
			vend, vh, ok = r.str(&t.TLSVersion, "tlsDetails.tlsVersion", v, depth)
		case "ciphersuite":
			vend, vh, ok = r.str(&t.CipherSuite, "tlsDetails.cipherSuite", v, depth)
		case "clientprovidedhostheader":
			vend, vh, ok = r.str(&t.ClientProvidedHostHeader, "tlsDetails.clientProvidedHostHeader", v, depth)
		default:
			vend, vh, ok = r.value(v, depth)
		}
		r.next(&o, kh, vh, vend, ok)
	}
	return o.end()
}

// stringArena copies strings into shared blocks, so that the thirty-odd strings of a record cost a share of one
// allocation rather than one each (and the garbage collector has fewer objects to follow). Bytes of a block are
// never written again once a string points at them: a full block is left to the strings that use it. A block is
// a strings.Builder, which allocates without clearing the memory first.
type stringArena struct{ block strings.Builder }

const arenaBlock = 32 << 10

func (a *stringArena) copy(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > a.block.Cap()-a.block.Len() {
		if len(b) > arenaBlock/8 {
			return string(b) // a large string gets its own allocation
		}
		a.block = strings.Builder{}
		a.block.Grow(arenaBlock)
	}
	n := a.block.Len()
	a.block.Write(b) // within the capacity: the bytes before n stay where they are
	return a.block.String()[n:]
}

// recordBlock holds a record and the nested objects most records have, so that they are allocated together.
type recordBlock struct {
	rec Record
	ui  UserIdentity
	sc  SessionContext
	si  SessionIssuer
	sa  SessionAttributes
}
