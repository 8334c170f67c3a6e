package cloudtrail

import (
	"fmt"
	"strconv"
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
	base     int64 // offset of b[0] in the input
	at       int   // where the record being read starts in b
	problems []Problem
	kbuf     [64]byte
}

func (r *recordReader) add(field, msg string) {
	r.problems = append(r.problems, Problem{Record: r.index, Offset: r.base + int64(r.at), Field: field, Msg: msg})
}

// again notes in *seen that the member id of an object was read, and reports whether it was read before (a
// duplicate key: the last value is kept, as encoding/json keeps it). Members a table does not know (id 0) are
// not followed.
func again(seen *uint64, id int) bool {
	m := uint64(1) << id
	dup := *seen&m != 0 && id != 0
	*seen |= m
	return dup
}

// duplicate reports a duplicate key.
func (r *recordReader) duplicate(field string) { r.add(field, "duplicate key; the last value is kept") }

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
	r.blk, r.index, r.at, r.problems = r.d.blocks.next(), index, i, nil
	rec = &r.blk.rec
	var seen uint64
	o := r.openObject(i)
	for !o.done {
		id, kh, v := r.member(&o, recordFields)
		if o.done {
			break
		}
		var vend int
		var vh uint64
		var ok bool
		if r.d.skip&(1<<id) != 0 {
			// A field the projection leaves out: checked and hashed, not decoded.
			vend, vh, ok = r.value(v, depth)
			r.next(&o, kh, vh, vend, ok)
			continue
		}
		if again(&seen, id) {
			r.duplicate(recordFields.name(id))
		}
		switch id {
		case recEventVersion:
			vend, vh, ok = r.str(&rec.EventVersion, "eventVersion", v, depth)
		case recUserIdentity:
			if r.isObject(v) {
				vend, vh, ok = r.userIdentity(v, depth+1)
				rec.UserIdentity = &r.blk.ui
			} else {
				vend, vh, ok = r.notObject("userIdentity", v, depth)
				rec.UserIdentity = nil
			}
		case recEventTime:
			vend, vh, ok = r.str(&rec.EventTime, "eventTime", v, depth)
		case recEventSource:
			vend, vh, ok = r.str(&rec.EventSource, "eventSource", v, depth)
		case recEventName:
			vend, vh, ok = r.str(&rec.EventName, "eventName", v, depth)
		case recAWSRegion:
			vend, vh, ok = r.str(&rec.AWSRegion, "awsRegion", v, depth)
		case recSourceIPAddress:
			vend, vh, ok = r.str(&rec.SourceIPAddress, "sourceIPAddress", v, depth)
		case recUserAgent:
			vend, vh, ok = r.str(&rec.UserAgent, "userAgent", v, depth)
		case recErrorCode:
			vend, vh, ok = r.str(&rec.ErrorCode, "errorCode", v, depth)
		case recErrorMessage:
			vend, vh, ok = r.str(&rec.ErrorMessage, "errorMessage", v, depth)
		case recRequestParameters:
			vend, vh, ok = r.json(&rec.RequestParameters, "requestParameters", v, depth)
		case recResponseElements:
			vend, vh, ok = r.json(&rec.ResponseElements, "responseElements", v, depth)
		case recAdditionalEventData:
			vend, vh, ok = r.json(&rec.AdditionalEventData, "additionalEventData", v, depth)
		case recRequestID:
			vend, vh, ok = r.str(&rec.RequestID, "requestID", v, depth)
		case recEventID:
			vend, vh, ok = r.str(&rec.EventID, "eventID", v, depth)
		case recReadOnly:
			vend, vh, ok = r.str(&rec.ReadOnly, "readOnly", v, depth)
		case recResources:
			vend, vh, ok = r.resources(&rec.Resources, v, depth)
		case recEventType:
			vend, vh, ok = r.str(&rec.EventType, "eventType", v, depth)
		case recAPIVersion:
			vend, vh, ok = r.str(&rec.APIVersion, "apiVersion", v, depth)
		case recRecipientAccountID:
			vend, vh, ok = r.str(&rec.RecipientAccountID, "recipientAccountId", v, depth)
		case recServiceEventDetails:
			vend, vh, ok = r.json(&rec.ServiceEventDetails, "serviceEventDetails", v, depth)
		case recSharedEventID:
			vend, vh, ok = r.str(&rec.SharedEventID, "sharedEventID", v, depth)
		case recVPCEndpointID:
			vend, vh, ok = r.str(&rec.VPCEndpointID, "vpcEndpointId", v, depth)
		case recVPCEndpointAccountID:
			vend, vh, ok = r.str(&rec.VPCEndpointAccountID, "vpcEndpointAccountId", v, depth)
		case recEventCategory:
			vend, vh, ok = r.str(&rec.EventCategory, "eventCategory", v, depth)
		case recAddendum:
			if r.isObject(v) {
				rec.Addendum = &Addendum{}
				vend, vh, ok = r.addendum(rec.Addendum, v, depth+1)
			} else {
				vend, vh, ok = r.notObject("addendum", v, depth)
				rec.Addendum = nil
			}
		case recSessionCredentialFromConsole:
			vend, vh, ok = r.str(&rec.SessionCredentialFromConsole, "sessionCredentialFromConsole", v, depth)
		case recEdgeDeviceDetails:
			vend, vh, ok = r.json(&rec.EdgeDeviceDetails, "edgeDeviceDetails", v, depth)
		case recTLSDetails:
			if r.isObject(v) {
				r.blk.tls = TLSDetails{} // a member of the same name before does not count
				rec.TLSDetails = &r.blk.tls
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

func (r *recordReader) userIdentity(i, depth int) (end int, h uint64, ok bool) {
	u := &r.blk.ui
	var seen uint64
	o := r.openObject(i)
	for !o.done {
		id, kh, v := r.member(&o, userIdentityFields)
		if o.done {
			break
		}
		if again(&seen, id) {
			r.duplicate("userIdentity." + userIdentityFields.name(id))
		}
		var vend int
		var vh uint64
		var ok bool
		switch id {
		case uiType:
			vend, vh, ok = r.str(&u.Type, "userIdentity.type", v, depth)
		case uiPrincipalID:
			vend, vh, ok = r.str(&u.PrincipalID, "userIdentity.principalId", v, depth)
		case uiARN:
			vend, vh, ok = r.str(&u.ARN, "userIdentity.arn", v, depth)
		case uiAccountID:
			vend, vh, ok = r.str(&u.AccountID, "userIdentity.accountId", v, depth)
		case uiInvokedBy:
			vend, vh, ok = r.str(&u.InvokedBy, "userIdentity.invokedBy", v, depth)
		case uiAccessKeyID:
			vend, vh, ok = r.str(&u.AccessKeyID, "userIdentity.accessKeyId", v, depth)
		case uiUserName:
			vend, vh, ok = r.str(&u.UserName, "userIdentity.userName", v, depth)
		case uiOnBehalfOf:
			if r.isObject(v) {
				u.OnBehalfOf = &OnBehalfOf{}
				vend, vh, ok = r.onBehalfOf(u.OnBehalfOf, v, depth+1)
			} else {
				vend, vh, ok = r.notObject("userIdentity.onBehalfOf", v, depth)
			}
		case uiSessionContext:
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

// stringMembers reads an object whose known members are all strings: the member t numbers k goes into dst[k-1],
// named names[k-1] in problems; other members are checked and skipped.
func (r *recordReader) stringMembers(t *fieldTable, dst []*String, names []string, i, depth int) (end int, h uint64, ok bool) {
	var seen uint64
	o := r.openObject(i)
	for !o.done {
		id, kh, v := r.member(&o, t)
		if o.done {
			break
		}
		var vend int
		var vh uint64
		var ok bool
		if id > 0 {
			if again(&seen, id) {
				r.duplicate(names[id-1])
			}
			vend, vh, ok = r.str(dst[id-1], names[id-1], v, depth)
		} else {
			vend, vh, ok = r.value(v, depth)
		}
		r.next(&o, kh, vh, vend, ok)
	}
	return o.end()
}

func (r *recordReader) onBehalfOf(ob *OnBehalfOf, i, depth int) (end int, h uint64, ok bool) {
	return r.stringMembers(onBehalfOfFields, []*String{&ob.UserID, &ob.IdentityStoreARN}, onBehalfOfNames[:], i, depth)
}

var onBehalfOfNames = [...]string{"userIdentity.onBehalfOf.userId", "userIdentity.onBehalfOf.identityStoreArn"}

func (r *recordReader) sessionContext(i, depth int) (end int, h uint64, ok bool) {
	c := &r.blk.sc
	var seen uint64
	o := r.openObject(i)
	for !o.done {
		id, kh, v := r.member(&o, sessionContextFields)
		if o.done {
			break
		}
		if again(&seen, id) {
			r.duplicate("userIdentity.sessionContext." + sessionContextFields.name(id))
		}
		var vend int
		var vh uint64
		var ok bool
		switch id {
		case scAttributes:
			// A value that is not an object leaves the attributes read before (from a member of the same name).
			if r.isObject(v) {
				vend, vh, ok = r.sessionAttributes(&r.blk.sa, v, depth+1)
				c.Attributes = &r.blk.sa
			} else {
				vend, vh, ok = r.notObject("userIdentity.sessionContext.attributes", v, depth)
			}
		case scSessionIssuer:
			if r.isObject(v) {
				vend, vh, ok = r.sessionIssuer(&r.blk.si, v, depth+1)
				c.SessionIssuer = &r.blk.si
			} else {
				vend, vh, ok = r.notObject("userIdentity.sessionContext.sessionIssuer", v, depth)
			}
		case scEC2RoleDelivery:
			vend, vh, ok = r.str(&c.EC2RoleDelivery, "userIdentity.sessionContext.ec2RoleDelivery", v, depth)
		case scWebIDFederationData:
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
	return r.stringMembers(sessionAttributesFields, []*String{&a.MFAAuthenticated, &a.CreationDate}, sessionAttributesNames[:], i, depth)
}

var sessionAttributesNames = [...]string{"userIdentity.sessionContext.attributes.mfaAuthenticated", "userIdentity.sessionContext.attributes.creationDate"}

func (r *recordReader) sessionIssuer(is *SessionIssuer, i, depth int) (end int, h uint64, ok bool) {
	return r.stringMembers(sessionIssuerFields, []*String{&is.Type, &is.PrincipalID, &is.ARN, &is.AccountID, &is.UserName}, sessionIssuerNames[:], i, depth)
}

var sessionIssuerNames = [...]string{"userIdentity.sessionContext.sessionIssuer.type", "userIdentity.sessionContext.sessionIssuer.principalId", "userIdentity.sessionContext.sessionIssuer.arn", "userIdentity.sessionContext.sessionIssuer.accountId", "userIdentity.sessionContext.sessionIssuer.userName"}

func (r *recordReader) webIDFederationData(w *WebIDFederationData, i, depth int) (end int, h uint64, ok bool) {
	var seen uint64
	o := r.openObject(i)
	for !o.done {
		id, kh, v := r.member(&o, webIDFederationDataFields)
		if o.done {
			break
		}
		if again(&seen, id) {
			r.duplicate("userIdentity.sessionContext.webIdFederationData." + webIDFederationDataFields.name(id))
		}
		var vend int
		var vh uint64
		var ok bool
		switch id {
		case wifFederatedProvider:
			vend, vh, ok = r.str(&w.FederatedProvider, "userIdentity.sessionContext.webIdFederationData.federatedProvider", v, depth)
		case wifAttributes:
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
	out := r.blk.res[:0] // most records have one or two resources
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
	return r.stringMembers(resourceMembers, []*String{&res.ARN, &res.AccountID, &res.Type}, names[1:], i, depth)
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
	return r.stringMembers(addendumFields, []*String{&a.Reason, &a.UpdatedFields, &a.OriginalRequestID, &a.OriginalEventID}, addendumNames[:], i, depth)
}

var addendumNames = [...]string{"addendum.reason", "addendum.updatedFields", "addendum.originalRequestID", "addendum.originalEventID"}

func (r *recordReader) tlsDetails(t *TLSDetails, i, depth int) (end int, h uint64, ok bool) {
	return r.stringMembers(tlsDetailsFields, []*String{&t.TLSVersion, &t.CipherSuite, &t.ClientProvidedHostHeader}, tlsDetailsNames[:], i, depth)
}

var tlsDetailsNames = [...]string{"tlsDetails.tlsVersion", "tlsDetails.cipherSuite", "tlsDetails.clientProvidedHostHeader"}
