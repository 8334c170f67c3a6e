package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// Problem is something wrong with one record of a file that did not stop the record from being loaded
// (a field of the wrong type is stored as NULL) or that made the decoder skip it (Skipped).
type Problem struct {
	Record  int    // index in Records, from 0
	Field   string // JSON field name, "" for the whole record
	Msg     string
	Skipped bool // the record was not loaded
}

func (p Problem) String() string {
	s := "record " + strconv.Itoa(p.Record)
	if p.Field != "" {
		s += " field " + p.Field
	}
	s += ": " + p.Msg
	if p.Skipped {
		s += " (record skipped)"
	}
	return s
}

// ErrNoRecords is returned for a JSON document that has no Records array.
var ErrNoRecords = errors.New("no Records array: not a CloudTrail log file")

// ErrDigest is returned for a CloudTrail digest file, which has no events.
var ErrDigest = errors.New("a CloudTrail digest file, not a log file")

// MaxRecordBytes bounds the size of one record; a larger one is reported and skipped.
const MaxRecordBytes = 64 << 20

// Decoder reads {"Records":[…]} documents.
type Decoder struct{}

// NewDecoder returns a Decoder. A Decoder is not safe for concurrent use; use one per goroutine.
func NewDecoder() *Decoder { return &Decoder{} }

// Decode reads one CloudTrail log document from r and calls fn for each record that is an object, in order, with
// the record's index and the problems found in it. It stops at fn's first error. Records that are not objects are
// reported through problem and skipped. The error it returns (other than fn's) says why the rest of the document
// could not be read; the records before that point have already been passed to fn.
func (d *Decoder) Decode(r io.Reader, fn func(index int, rec *Record, problems []Problem) error, problem func(Problem)) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return syntaxErr("read document start", dec, err)
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '{' {
		return fmt.Errorf("document is not a JSON object: %w", ErrNoRecords)
	}
	sawRecords := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return syntaxErr("read top-level key", dec, err)
		}
		name, _ := tok.(string)
		if name == "digestStartTime" || name == "logFiles" && !sawRecords {
			return ErrDigest
		}
		if name != "Records" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return syntaxErr("read "+name, dec, err)
			}
			continue
		}
		sawRecords = true
		tok, err = dec.Token()
		if err != nil {
			return syntaxErr("read Records", dec, err)
		}
		if delim, ok := tok.(json.Delim); !ok || delim != '[' {
			if tok == nil {
				continue // "Records": null — an empty log
			}
			return fmt.Errorf("Records is %s, not an array", jsonKind(tok))
		}
		for i := 0; dec.More(); i++ {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return syntaxErr(fmt.Sprintf("read record %d", i), dec, err)
			}
			if len(raw) > MaxRecordBytes {
				problem(Problem{Record: i, Msg: fmt.Sprintf("record of %d bytes exceeds the %d-byte limit", len(raw), MaxRecordBytes), Skipped: true})
				continue
			}
			rec, problems, err := d.DecodeRecord(raw, i)
			if err != nil {
				problem(Problem{Record: i, Msg: err.Error(), Skipped: true})
				continue
			}
			if err := fn(i, rec, problems); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil { // ']'
			return syntaxErr("read end of Records", dec, err)
		}
	}
	if !sawRecords {
		return ErrNoRecords
	}
	return nil
}

func syntaxErr(what string, dec *json.Decoder, err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%s: invalid JSON at byte %d: %v", what, se.Offset, se)
	}
	return fmt.Errorf("%s at byte %d: %w", what, dec.InputOffset(), err)
}

func jsonKind(tok json.Token) string {
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

// rawRecord receives a record's fields before they are checked and converted.
// encoding/json matches the keys case-insensitively, as Athena's JSON SerDe does.
type rawRecord struct {
	EventVersion                 json.RawMessage `json:"eventVersion"`
	UserIdentity                 json.RawMessage `json:"userIdentity"`
	EventTime                    json.RawMessage `json:"eventTime"`
	EventSource                  json.RawMessage `json:"eventSource"`
	EventName                    json.RawMessage `json:"eventName"`
	AWSRegion                    json.RawMessage `json:"awsRegion"`
	SourceIPAddress              json.RawMessage `json:"sourceIPAddress"`
	UserAgent                    json.RawMessage `json:"userAgent"`
	ErrorCode                    json.RawMessage `json:"errorCode"`
	ErrorMessage                 json.RawMessage `json:"errorMessage"`
	RequestParameters            json.RawMessage `json:"requestParameters"`
	ResponseElements             json.RawMessage `json:"responseElements"`
	AdditionalEventData          json.RawMessage `json:"additionalEventData"`
	RequestID                    json.RawMessage `json:"requestID"`
	EventID                      json.RawMessage `json:"eventID"`
	ReadOnly                     json.RawMessage `json:"readOnly"`
	Resources                    json.RawMessage `json:"resources"`
	EventType                    json.RawMessage `json:"eventType"`
	APIVersion                   json.RawMessage `json:"apiVersion"`
	RecipientAccountID           json.RawMessage `json:"recipientAccountId"`
	ServiceEventDetails          json.RawMessage `json:"serviceEventDetails"`
	SharedEventID                json.RawMessage `json:"sharedEventID"`
	VPCEndpointID                json.RawMessage `json:"vpcEndpointId"`
	VPCEndpointAccountID         json.RawMessage `json:"vpcEndpointAccountId"`
	EventCategory                json.RawMessage `json:"eventCategory"`
	Addendum                     json.RawMessage `json:"addendum"`
	SessionCredentialFromConsole json.RawMessage `json:"sessionCredentialFromConsole"`
	EdgeDeviceDetails            json.RawMessage `json:"edgeDeviceDetails"`
	TLSDetails                   json.RawMessage `json:"tlsDetails"`
}

// fieldReader converts raw JSON values and collects the problems found on the way.
type fieldReader struct {
	index    int
	problems []Problem
}

func (f *fieldReader) add(field, msg string) {
	f.problems = append(f.problems, Problem{Record: f.index, Field: field, Msg: msg})
}

// str converts a value for a STRING column that should hold a JSON string. Numbers and booleans keep their text
// (Athena's SerDe does the same: readOnly true reads as "true"); objects and arrays keep their JSON text and are
// reported.
func (f *fieldReader) str(field string, raw json.RawMessage) String {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return String{}
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			f.add(field, "bad string: "+err.Error())
			return String{}
		}
		if !utf8.ValidString(s) {
			f.add(field, "invalid UTF-8 replaced")
			s = string(bytes.ToValidUTF8([]byte(s), []byte("\uFFFD")))
		}
		return Str(s)
	case '{', '[':
		f.add(field, "expected a string, got "+rawKind(raw)+"; kept as JSON text")
		return Str(compactString(raw))
	default:
		return Str(string(raw))
	}
}

// jsonText converts a value for a STRING column that holds JSON text (requestParameters, responseElements, …).
// A JSON string is stored as its content.
func (f *fieldReader) jsonText(field string, raw json.RawMessage) String {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return String{}
	}
	if raw[0] == '"' {
		return f.str(field, raw)
	}
	if !utf8.Valid(raw) {
		f.add(field, "invalid UTF-8 replaced")
		raw = bytes.ToValidUTF8(raw, []byte("\uFFFD"))
	}
	return Str(compactString(raw))
}

// object unmarshals an object-valued field into v. It returns false (and reports) when the value is not an object.
func (f *fieldReader) object(field string, raw json.RawMessage, v any) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return false
	}
	if raw[0] != '{' {
		f.add(field, "expected an object, got "+rawKind(raw)+"; stored as NULL")
		return false
	}
	if err := json.Unmarshal(raw, v); err != nil {
		f.add(field, "bad object: "+err.Error()+"; stored as NULL")
		return false
	}
	return true
}

func rawKind(raw []byte) string {
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

func compactString(raw []byte) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}

// DecodeRecord converts one record's JSON. It fails only when raw is not a JSON object; fields of the wrong type
// become NULL (or keep their JSON text) and are listed in problems. index is used in the problems.
func (d *Decoder) DecodeRecord(raw []byte, index int) (*Record, []Problem, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, nil, fmt.Errorf("record is %s, not an object", rawKind(raw))
	}
	var rr rawRecord
	if err := json.Unmarshal(raw, &rr); err != nil {
		return nil, nil, fmt.Errorf("bad record: %w", err)
	}
	f := &fieldReader{index: index}
	rec := &Record{
		EventVersion:                 f.str("eventVersion", rr.EventVersion),
		EventTime:                    f.str("eventTime", rr.EventTime),
		EventSource:                  f.str("eventSource", rr.EventSource),
		EventName:                    f.str("eventName", rr.EventName),
		AWSRegion:                    f.str("awsRegion", rr.AWSRegion),
		SourceIPAddress:              f.str("sourceIPAddress", rr.SourceIPAddress),
		UserAgent:                    f.str("userAgent", rr.UserAgent),
		ErrorCode:                    f.str("errorCode", rr.ErrorCode),
		ErrorMessage:                 f.str("errorMessage", rr.ErrorMessage),
		RequestParameters:            f.jsonText("requestParameters", rr.RequestParameters),
		ResponseElements:             f.jsonText("responseElements", rr.ResponseElements),
		AdditionalEventData:          f.jsonText("additionalEventData", rr.AdditionalEventData),
		RequestID:                    f.str("requestID", rr.RequestID),
		EventID:                      f.str("eventID", rr.EventID),
		ReadOnly:                     f.str("readOnly", rr.ReadOnly),
		EventType:                    f.str("eventType", rr.EventType),
		APIVersion:                   f.str("apiVersion", rr.APIVersion),
		RecipientAccountID:           f.str("recipientAccountId", rr.RecipientAccountID),
		ServiceEventDetails:          f.jsonText("serviceEventDetails", rr.ServiceEventDetails),
		SharedEventID:                f.str("sharedEventID", rr.SharedEventID),
		VPCEndpointID:                f.str("vpcEndpointId", rr.VPCEndpointID),
		VPCEndpointAccountID:         f.str("vpcEndpointAccountId", rr.VPCEndpointAccountID),
		EventCategory:                f.str("eventCategory", rr.EventCategory),
		SessionCredentialFromConsole: f.str("sessionCredentialFromConsole", rr.SessionCredentialFromConsole),
		EdgeDeviceDetails:            f.jsonText("edgeDeviceDetails", rr.EdgeDeviceDetails),
	}
	rec.UserIdentity = f.userIdentity(rr.UserIdentity)
	rec.Resources = f.resources(rr.Resources)
	rec.Addendum = f.addendum(rr.Addendum)
	rec.TLSDetails = f.tlsDetails(rr.TLSDetails)
	if !rec.EventTime.Valid {
		f.add("eventTime", "missing")
	} else if _, ok := rec.Time(); !ok {
		f.add("eventTime", fmt.Sprintf("%q is not an ISO-8601 time", rec.EventTime.S))
	}
	if !rec.EventID.Valid {
		f.add("eventID", "missing")
	}
	rec.Hash = hashRecord(rec)
	return rec, f.problems, nil
}

type rawUserIdentity struct {
	Type           json.RawMessage `json:"type"`
	PrincipalID    json.RawMessage `json:"principalId"`
	ARN            json.RawMessage `json:"arn"`
	AccountID      json.RawMessage `json:"accountId"`
	InvokedBy      json.RawMessage `json:"invokedBy"`
	AccessKeyID    json.RawMessage `json:"accessKeyId"`
	UserName       json.RawMessage `json:"userName"`
	OnBehalfOf     json.RawMessage `json:"onBehalfOf"`
	SessionContext json.RawMessage `json:"sessionContext"`
}

func (f *fieldReader) userIdentity(raw json.RawMessage) *UserIdentity {
	var r rawUserIdentity
	if !f.object("userIdentity", raw, &r) {
		return nil
	}
	u := &UserIdentity{
		Type:        f.str("userIdentity.type", r.Type),
		PrincipalID: f.str("userIdentity.principalId", r.PrincipalID),
		ARN:         f.str("userIdentity.arn", r.ARN),
		AccountID:   f.str("userIdentity.accountId", r.AccountID),
		InvokedBy:   f.str("userIdentity.invokedBy", r.InvokedBy),
		AccessKeyID: f.str("userIdentity.accessKeyId", r.AccessKeyID),
		UserName:    f.str("userIdentity.userName", r.UserName),
	}
	var ob struct {
		UserID           json.RawMessage `json:"userId"`
		IdentityStoreARN json.RawMessage `json:"identityStoreArn"`
	}
	if f.object("userIdentity.onBehalfOf", r.OnBehalfOf, &ob) {
		u.OnBehalfOf = &OnBehalfOf{
			UserID:           f.str("userIdentity.onBehalfOf.userId", ob.UserID),
			IdentityStoreARN: f.str("userIdentity.onBehalfOf.identityStoreArn", ob.IdentityStoreARN),
		}
	}
	var sc struct {
		Attributes          json.RawMessage `json:"attributes"`
		SessionIssuer       json.RawMessage `json:"sessionIssuer"`
		EC2RoleDelivery     json.RawMessage `json:"ec2RoleDelivery"`
		WebIDFederationData json.RawMessage `json:"webIdFederationData"`
	}
	if f.object("userIdentity.sessionContext", r.SessionContext, &sc) {
		ctx := &SessionContext{EC2RoleDelivery: f.str("userIdentity.sessionContext.ec2RoleDelivery", sc.EC2RoleDelivery)}
		var at struct {
			MFAAuthenticated json.RawMessage `json:"mfaAuthenticated"`
			CreationDate     json.RawMessage `json:"creationDate"`
		}
		if f.object("userIdentity.sessionContext.attributes", sc.Attributes, &at) {
			ctx.Attributes = &SessionAttributes{
				MFAAuthenticated: f.str("userIdentity.sessionContext.attributes.mfaAuthenticated", at.MFAAuthenticated),
				CreationDate:     f.str("userIdentity.sessionContext.attributes.creationDate", at.CreationDate),
			}
		}
		var is struct {
			Type        json.RawMessage `json:"type"`
			PrincipalID json.RawMessage `json:"principalId"`
			ARN         json.RawMessage `json:"arn"`
			AccountID   json.RawMessage `json:"accountId"`
			UserName    json.RawMessage `json:"userName"`
		}
		if f.object("userIdentity.sessionContext.sessionIssuer", sc.SessionIssuer, &is) {
			ctx.SessionIssuer = &SessionIssuer{
				Type:        f.str("userIdentity.sessionContext.sessionIssuer.type", is.Type),
				PrincipalID: f.str("userIdentity.sessionContext.sessionIssuer.principalId", is.PrincipalID),
				ARN:         f.str("userIdentity.sessionContext.sessionIssuer.arn", is.ARN),
				AccountID:   f.str("userIdentity.sessionContext.sessionIssuer.accountId", is.AccountID),
				UserName:    f.str("userIdentity.sessionContext.sessionIssuer.userName", is.UserName),
			}
		}
		var wf struct {
			FederatedProvider json.RawMessage `json:"federatedProvider"`
			Attributes        json.RawMessage `json:"attributes"`
		}
		if f.object("userIdentity.sessionContext.webIdFederationData", sc.WebIDFederationData, &wf) {
			w := &WebIDFederationData{FederatedProvider: f.str("userIdentity.sessionContext.webIdFederationData.federatedProvider", wf.FederatedProvider)}
			w.Attributes = f.stringMap("userIdentity.sessionContext.webIdFederationData.attributes", wf.Attributes)
			ctx.WebIDFederationData = w
		}
		u.SessionContext = ctx
	}
	return u
}

// stringMap reads an object of string values in document order.
func (f *fieldReader) stringMap(field string, raw json.RawMessage) []KV {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] != '{' {
		f.add(field, "expected an object, got "+rawKind(raw)+"; stored as NULL")
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil
	}
	kvs := []KV{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			f.add(field, "bad object: "+err.Error())
			return kvs
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			f.add(field, "bad object: "+err.Error())
			return kvs
		}
		s := f.str(field+"."+key, v)
		kvs = append(kvs, KV{K: key, V: s.S})
	}
	return kvs
}

func (f *fieldReader) resources(raw json.RawMessage) []Resource {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] != '[' {
		f.add("resources", "expected an array, got "+rawKind(raw)+"; stored as NULL")
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		f.add("resources", "bad array: "+err.Error()+"; stored as NULL")
		return nil
	}
	out := make([]Resource, 0, len(items))
	for i, item := range items {
		field := fmt.Sprintf("resources[%d]", i)
		var r struct {
			ARN       json.RawMessage `json:"ARN"`
			AccountID json.RawMessage `json:"accountId"`
			Type      json.RawMessage `json:"type"`
		}
		if !f.object(field, item, &r) {
			continue
		}
		out = append(out, Resource{
			ARN:       f.str(field+".ARN", r.ARN),
			AccountID: f.str(field+".accountId", r.AccountID),
			Type:      f.str(field+".type", r.Type),
		})
	}
	return out
}

func (f *fieldReader) addendum(raw json.RawMessage) *Addendum {
	var a struct {
		Reason            json.RawMessage `json:"reason"`
		UpdatedFields     json.RawMessage `json:"updatedFields"`
		OriginalRequestID json.RawMessage `json:"originalRequestID"`
		OriginalEventID   json.RawMessage `json:"originalEventID"`
	}
	if !f.object("addendum", raw, &a) {
		return nil
	}
	return &Addendum{
		Reason:            f.str("addendum.reason", a.Reason),
		UpdatedFields:     f.str("addendum.updatedFields", a.UpdatedFields),
		OriginalRequestID: f.str("addendum.originalRequestID", a.OriginalRequestID),
		OriginalEventID:   f.str("addendum.originalEventID", a.OriginalEventID),
	}
}

func (f *fieldReader) tlsDetails(raw json.RawMessage) *TLSDetails {
	var t struct {
		TLSVersion               json.RawMessage `json:"tlsVersion"`
		CipherSuite              json.RawMessage `json:"cipherSuite"`
		ClientProvidedHostHeader json.RawMessage `json:"clientProvidedHostHeader"`
	}
	if !f.object("tlsDetails", raw, &t) {
		return nil
	}
	return &TLSDetails{
		TLSVersion:               f.str("tlsDetails.tlsVersion", t.TLSVersion),
		CipherSuite:              f.str("tlsDetails.cipherSuite", t.CipherSuite),
		ClientProvidedHostHeader: f.str("tlsDetails.clientProvidedHostHeader", t.ClientProvidedHostHeader),
	}
}
