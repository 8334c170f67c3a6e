package cloudtrail

import (
	"math/bits"
	"strings"
)

// Projection says which of a record's fields a question needs, by Athena column name (eventtime, useridentity,
// …): Apply clears the others, so that a writer of the record spends nothing on them. The fields the partition
// columns are taken from when the key has none (awsregion, eventtime, recipientaccountid) are always kept.
type Projection struct {
	keep uint64 // bit i: the record member with id i (recEventVersion … recTLSDetails)
}

// NewProjection returns the projection that keeps the named columns. Names that are not Athena's CloudTrail
// columns (partition and internal columns, which come from the key) are ignored.
func NewProjection(columns []string) Projection {
	p := Projection{keep: 1<<recAWSRegion | 1<<recEventTime | 1<<recRecipientAccountID}
	for _, c := range columns {
		if id, ok := recordFields.byName[strings.ToLower(c)]; ok && id != 0 {
			p.keep |= 1 << id
		}
	}
	return p
}

// All reports whether the projection keeps every field.
func (p Projection) All() bool { return p.keep == allMembers }

// Columns returns the names of the Athena columns the projection keeps, in Athena's order.
func (p Projection) Columns() []string {
	var out []string
	for id := 1; id <= recTLSDetails; id++ {
		if p.keep&(1<<id) != 0 {
			out = append(out, columnNames[id])
		}
	}
	return out
}

const allMembers = 1<<(recTLSDetails+1) - 2 // bits 1 … recTLSDetails

// columnNames are Athena's column names (CloudTrail's member names in lower case), by member id.
var columnNames = func() []string {
	names := make([]string, recTLSDetails+1)
	for _, f := range recordFields.fields {
		if f.id != 0 {
			names[f.id] = strings.ToLower(f.name)
		}
	}
	return names
}()

// Apply clears the fields of r that p does not keep (the content hash stays).
func (p Projection) Apply(r *Record) {
	drop := ^p.keep & allMembers
	if drop == 0 {
		return
	}
	for drop != 0 {
		id := bits.TrailingZeros64(drop)
		drop &= drop - 1
		if f := textFields[id]; f != nil {
			*f(r) = String{}
			continue
		}
		switch id {
		case recUserIdentity:
			r.UserIdentity = nil
		case recResources:
			r.Resources = nil
		case recAddendum:
			r.Addendum = nil
		case recTLSDetails:
			r.TLSDetails = nil
		}
	}
}

// TextField returns the getter of the record's text field for an Athena column (eventtype, eventtime, …; the
// JSON-text columns too, as stored), or false for columns that are not one (useridentity, resources, …).
func TextField(column string) (func(*Record) String, bool) {
	id, ok := recordFields.byName[strings.ToLower(column)]
	if !ok || textFields[id] == nil {
		return nil, false
	}
	f := textFields[id]
	return func(r *Record) String { return *f(r) }, true
}

// textFields are the getters of the record's text fields, by member id (nil for the other members).
var textFields = [recTLSDetails + 1]func(*Record) *String{
	recEventVersion:                 func(r *Record) *String { return &r.EventVersion },
	recEventTime:                    func(r *Record) *String { return &r.EventTime },
	recEventSource:                  func(r *Record) *String { return &r.EventSource },
	recEventName:                    func(r *Record) *String { return &r.EventName },
	recAWSRegion:                    func(r *Record) *String { return &r.AWSRegion },
	recSourceIPAddress:              func(r *Record) *String { return &r.SourceIPAddress },
	recUserAgent:                    func(r *Record) *String { return &r.UserAgent },
	recErrorCode:                    func(r *Record) *String { return &r.ErrorCode },
	recErrorMessage:                 func(r *Record) *String { return &r.ErrorMessage },
	recRequestParameters:            func(r *Record) *String { return &r.RequestParameters },
	recResponseElements:             func(r *Record) *String { return &r.ResponseElements },
	recAdditionalEventData:          func(r *Record) *String { return &r.AdditionalEventData },
	recRequestID:                    func(r *Record) *String { return &r.RequestID },
	recEventID:                      func(r *Record) *String { return &r.EventID },
	recReadOnly:                     func(r *Record) *String { return &r.ReadOnly },
	recEventType:                    func(r *Record) *String { return &r.EventType },
	recAPIVersion:                   func(r *Record) *String { return &r.APIVersion },
	recRecipientAccountID:           func(r *Record) *String { return &r.RecipientAccountID },
	recServiceEventDetails:          func(r *Record) *String { return &r.ServiceEventDetails },
	recSharedEventID:                func(r *Record) *String { return &r.SharedEventID },
	recVPCEndpointID:                func(r *Record) *String { return &r.VPCEndpointID },
	recVPCEndpointAccountID:         func(r *Record) *String { return &r.VPCEndpointAccountID },
	recEventCategory:                func(r *Record) *String { return &r.EventCategory },
	recSessionCredentialFromConsole: func(r *Record) *String { return &r.SessionCredentialFromConsole },
	recEdgeDeviceDetails:            func(r *Record) *String { return &r.EdgeDeviceDetails },
}
