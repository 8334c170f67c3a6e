package cloudtrail

import (
	"strings"
	"time"
)

// String is a nullable string: a JSON null or a missing field has Valid false.
type String struct {
	S     string
	Valid bool
}

// Str returns a valid String.
func Str(s string) String { return String{S: s, Valid: true} }

// Value returns the string, or nil when it is NULL (the form database drivers take).
func (s String) Value() any {
	if !s.Valid {
		return nil
	}
	return s.S
}

// Record is one CloudTrail event in the shape of Athena's CloudTrail table: every field Athena declares STRING is a
// String (JSON objects such as requestParameters keep their JSON text), nested objects are structs.
type Record struct {
	EventVersion                 String
	UserIdentity                 *UserIdentity
	EventTime                    String
	EventSource                  String
	EventName                    String
	AWSRegion                    String
	SourceIPAddress              String
	UserAgent                    String
	ErrorCode                    String
	ErrorMessage                 String
	RequestParameters            String
	ResponseElements             String
	AdditionalEventData          String
	RequestID                    String
	EventID                      String
	ReadOnly                     String
	Resources                    []Resource // nil when absent
	EventType                    String
	APIVersion                   String
	RecipientAccountID           String
	ServiceEventDetails          String
	SharedEventID                String
	VPCEndpointID                String
	VPCEndpointAccountID         String
	EventCategory                String
	Addendum                     *Addendum
	SessionCredentialFromConsole String
	EdgeDeviceDetails            String
	TLSDetails                   *TLSDetails

	// Hash identifies the record's content (every stored field): identical records (a global event written by several trails) have the
	// same hash; records that only share an eventID do not.
	Hash uint64
}

// Time parses EventTime (ISO-8601 as RFC 3339 has it: CloudTrail writes UTC, "Z"; an offset is converted to
// UTC, and a lower-case "t" or "z" is read as RFC 3339 allows). ok is false when it is missing or not ISO-8601.
func (r *Record) Time() (t time.Time, ok bool) {
	if !r.EventTime.Valid {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, r.EventTime.S)
	if err != nil && strings.ContainsAny(r.EventTime.S, "tz") {
		t, err = time.Parse(time.RFC3339Nano, strings.Map(func(c rune) rune {
			if c == 't' || c == 'z' {
				return c - 'a' + 'A'
			}
			return c
		}, r.EventTime.S))
	}
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// UserIdentity is the userIdentity element.
type UserIdentity struct {
	Type           String
	PrincipalID    String
	ARN            String
	AccountID      String
	InvokedBy      String
	AccessKeyID    String
	UserName       String
	OnBehalfOf     *OnBehalfOf
	SessionContext *SessionContext
}

// OnBehalfOf is userIdentity.onBehalfOf (IAM Identity Center users).
type OnBehalfOf struct {
	UserID           String
	IdentityStoreARN String
}

// SessionContext is userIdentity.sessionContext.
type SessionContext struct {
	Attributes          *SessionAttributes
	SessionIssuer       *SessionIssuer
	EC2RoleDelivery     String
	WebIDFederationData *WebIDFederationData
}

// SessionAttributes is userIdentity.sessionContext.attributes.
type SessionAttributes struct {
	MFAAuthenticated String
	CreationDate     String
}

// SessionIssuer is userIdentity.sessionContext.sessionIssuer.
type SessionIssuer struct {
	Type        String
	PrincipalID String
	ARN         String
	AccountID   String
	UserName    String
}

// WebIDFederationData is userIdentity.sessionContext.webIdFederationData.
type WebIDFederationData struct {
	FederatedProvider String
	// Attributes keeps the keys in the order of the log.
	Attributes []KV
}

// KV is one entry of a string map.
type KV struct{ K, V string }

// Resource is one element of resources.
type Resource struct {
	ARN       String
	AccountID String
	Type      String
}

// Addendum is the addendum element of a late-delivered or updated event.
type Addendum struct {
	Reason            String
	UpdatedFields     String
	OriginalRequestID String
	OriginalEventID   String
}

// TLSDetails is the tlsDetails element.
type TLSDetails struct {
	TLSVersion               String
	CipherSuite              String
	ClientProvidedHostHeader String
}
