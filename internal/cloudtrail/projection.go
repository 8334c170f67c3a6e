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
		switch id {
		case recEventVersion:
			r.EventVersion = String{}
		case recUserIdentity:
			r.UserIdentity = nil
		case recEventTime:
			r.EventTime = String{}
		case recEventSource:
			r.EventSource = String{}
		case recEventName:
			r.EventName = String{}
		case recAWSRegion:
			r.AWSRegion = String{}
		case recSourceIPAddress:
			r.SourceIPAddress = String{}
		case recUserAgent:
			r.UserAgent = String{}
		case recErrorCode:
			r.ErrorCode = String{}
		case recErrorMessage:
			r.ErrorMessage = String{}
		case recRequestParameters:
			r.RequestParameters = String{}
		case recResponseElements:
			r.ResponseElements = String{}
		case recAdditionalEventData:
			r.AdditionalEventData = String{}
		case recRequestID:
			r.RequestID = String{}
		case recEventID:
			r.EventID = String{}
		case recReadOnly:
			r.ReadOnly = String{}
		case recResources:
			r.Resources = nil
		case recEventType:
			r.EventType = String{}
		case recAPIVersion:
			r.APIVersion = String{}
		case recRecipientAccountID:
			r.RecipientAccountID = String{}
		case recServiceEventDetails:
			r.ServiceEventDetails = String{}
		case recSharedEventID:
			r.SharedEventID = String{}
		case recVPCEndpointID:
			r.VPCEndpointID = String{}
		case recVPCEndpointAccountID:
			r.VPCEndpointAccountID = String{}
		case recEventCategory:
			r.EventCategory = String{}
		case recAddendum:
			r.Addendum = nil
		case recSessionCredentialFromConsole:
			r.SessionCredentialFromConsole = String{}
		case recEdgeDeviceDetails:
			r.EdgeDeviceDetails = String{}
		case recTLSDetails:
			r.TLSDetails = nil
		}
	}
}

// TextField returns the getter of the record's text field for an Athena column (eventtype, eventtime, …; the
// JSON-text columns too, as stored), or false for columns that are not one (useridentity, resources, …).
func TextField(column string) (func(*Record) String, bool) {
	id, ok := recordFields.byName[strings.ToLower(column)]
	if !ok {
		return nil, false
	}
	var f func(*Record) *String
	switch id {
	case recEventVersion:
		f = func(r *Record) *String { return &r.EventVersion }
	case recEventTime:
		f = func(r *Record) *String { return &r.EventTime }
	case recEventSource:
		f = func(r *Record) *String { return &r.EventSource }
	case recEventName:
		f = func(r *Record) *String { return &r.EventName }
	case recAWSRegion:
		f = func(r *Record) *String { return &r.AWSRegion }
	case recSourceIPAddress:
		f = func(r *Record) *String { return &r.SourceIPAddress }
	case recUserAgent:
		f = func(r *Record) *String { return &r.UserAgent }
	case recErrorCode:
		f = func(r *Record) *String { return &r.ErrorCode }
	case recErrorMessage:
		f = func(r *Record) *String { return &r.ErrorMessage }
	case recRequestParameters:
		f = func(r *Record) *String { return &r.RequestParameters }
	case recResponseElements:
		f = func(r *Record) *String { return &r.ResponseElements }
	case recAdditionalEventData:
		f = func(r *Record) *String { return &r.AdditionalEventData }
	case recRequestID:
		f = func(r *Record) *String { return &r.RequestID }
	case recEventID:
		f = func(r *Record) *String { return &r.EventID }
	case recReadOnly:
		f = func(r *Record) *String { return &r.ReadOnly }
	case recEventType:
		f = func(r *Record) *String { return &r.EventType }
	case recAPIVersion:
		f = func(r *Record) *String { return &r.APIVersion }
	case recRecipientAccountID:
		f = func(r *Record) *String { return &r.RecipientAccountID }
	case recServiceEventDetails:
		f = func(r *Record) *String { return &r.ServiceEventDetails }
	case recSharedEventID:
		f = func(r *Record) *String { return &r.SharedEventID }
	case recVPCEndpointID:
		f = func(r *Record) *String { return &r.VPCEndpointID }
	case recVPCEndpointAccountID:
		f = func(r *Record) *String { return &r.VPCEndpointAccountID }
	case recEventCategory:
		f = func(r *Record) *String { return &r.EventCategory }
	case recSessionCredentialFromConsole:
		f = func(r *Record) *String { return &r.SessionCredentialFromConsole }
	case recEdgeDeviceDetails:
		f = func(r *Record) *String { return &r.EdgeDeviceDetails }
	default:
		return nil, false
	}
	return func(r *Record) String { return *f(r) }, true
}
