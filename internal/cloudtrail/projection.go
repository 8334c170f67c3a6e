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
