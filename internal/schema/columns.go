package schema

import "github.com/trailq/trailq/internal/cloudtrail"

type (
	rec = cloudtrail.Record
	val = cloudtrail.String
)

// storage is how a part file stores a leaf (Column's Dict, Random and Document).
type storage uint8

const (
	plain    storage = 0
	dict     storage = 1 << 0
	random   storage = 1 << 1
	document storage = 1 << 2
)

// text declares a String column or struct field.
func text(name string, s storage, get func(*rec) *val) Column {
	return Column{Name: name, Type: TypeString, Dict: s&dict != 0, Random: s&random != 0,
		Document: s&document != 0, Str: get}
}

// group declares a Struct column or struct field.
func group(name string, has func(*rec) bool, fields ...Column) Column {
	return Column{Name: name, Type: &Type{Kind: Struct, Fields: fields}, Has: has}
}

// item declares a String field of a List's struct elements.
func item(name string, get func(*rec, int) *val) Column {
	return Column{Name: name, Type: TypeString, Item: get}
}

// Athena are the columns of Athena's CloudTrail table (the AWS documentation's CREATE EXTERNAL TABLE, and
// cloudtrail.Record), in its order.
var Athena = []Column{
	text("eventversion", dict, func(r *rec) *val { return &r.EventVersion }),
	group("useridentity", func(r *rec) bool { return r.UserIdentity != nil },
		text("type", dict, func(r *rec) *val { return &r.UserIdentity.Type }),
		text("principalid", dict, func(r *rec) *val { return &r.UserIdentity.PrincipalID }),
		text("arn", dict, func(r *rec) *val { return &r.UserIdentity.ARN }),
		text("accountid", dict, func(r *rec) *val { return &r.UserIdentity.AccountID }),
		text("invokedby", dict, func(r *rec) *val { return &r.UserIdentity.InvokedBy }),
		text("accesskeyid", plain, func(r *rec) *val { return &r.UserIdentity.AccessKeyID }),
		text("username", dict, func(r *rec) *val { return &r.UserIdentity.UserName }),
		group("onbehalfof", func(r *rec) bool { return r.UserIdentity.OnBehalfOf != nil },
			text("userid", plain, func(r *rec) *val { return &r.UserIdentity.OnBehalfOf.UserID }),
			text("identitystorearn", plain, func(r *rec) *val { return &r.UserIdentity.OnBehalfOf.IdentityStoreARN }),
		),
		group("sessioncontext", func(r *rec) bool { return r.UserIdentity.SessionContext != nil },
			group("attributes", func(r *rec) bool { return r.UserIdentity.SessionContext.Attributes != nil },
				text("mfaauthenticated", dict, func(r *rec) *val { return &r.UserIdentity.SessionContext.Attributes.MFAAuthenticated }),
				text("creationdate", plain, func(r *rec) *val { return &r.UserIdentity.SessionContext.Attributes.CreationDate }),
			),
			group("sessionissuer", func(r *rec) bool { return r.UserIdentity.SessionContext.SessionIssuer != nil },
				text("type", dict, func(r *rec) *val { return &r.UserIdentity.SessionContext.SessionIssuer.Type }),
				text("principalid", dict, func(r *rec) *val { return &r.UserIdentity.SessionContext.SessionIssuer.PrincipalID }),
				text("arn", dict, func(r *rec) *val { return &r.UserIdentity.SessionContext.SessionIssuer.ARN }),
				text("accountid", dict, func(r *rec) *val { return &r.UserIdentity.SessionContext.SessionIssuer.AccountID }),
				text("username", dict, func(r *rec) *val { return &r.UserIdentity.SessionContext.SessionIssuer.UserName }),
			),
			text("ec2roledelivery", dict, func(r *rec) *val { return &r.UserIdentity.SessionContext.EC2RoleDelivery }),
			group("webidfederationdata", func(r *rec) bool { return r.UserIdentity.SessionContext.WebIDFederationData != nil },
				text("federatedprovider", plain, func(r *rec) *val {
					return &r.UserIdentity.SessionContext.WebIDFederationData.FederatedProvider
				}),
				Column{Name: "attributes", Type: &Type{Kind: Map, Key: TypeString, Value: TypeString},
					KVs: func(r *rec) []cloudtrail.KV { return r.UserIdentity.SessionContext.WebIDFederationData.Attributes }},
			),
		),
	),
	text("eventtime", plain, func(r *rec) *val { return &r.EventTime }),
	text("eventsource", dict, func(r *rec) *val { return &r.EventSource }),
	text("eventname", dict, func(r *rec) *val { return &r.EventName }),
	text("awsregion", dict, func(r *rec) *val { return &r.AWSRegion }),
	text("sourceipaddress", dict, func(r *rec) *val { return &r.SourceIPAddress }),
	text("useragent", dict, func(r *rec) *val { return &r.UserAgent }),
	text("errorcode", dict, func(r *rec) *val { return &r.ErrorCode }),
	text("errormessage", dict, func(r *rec) *val { return &r.ErrorMessage }),
	text("requestparameters", document, func(r *rec) *val { return &r.RequestParameters }),
	text("responseelements", document, func(r *rec) *val { return &r.ResponseElements }),
	text("additionaleventdata", document, func(r *rec) *val { return &r.AdditionalEventData }),
	text("requestid", random, func(r *rec) *val { return &r.RequestID }),
	text("eventid", random, func(r *rec) *val { return &r.EventID }),
	{Name: "resources",
		Type: &Type{Kind: List, Elem: &Type{Kind: Struct, Fields: []Column{
			item("arn", func(r *rec, i int) *val { return &r.Resources[i].ARN }),
			item("accountid", func(r *rec, i int) *val { return &r.Resources[i].AccountID }),
			item("type", func(r *rec, i int) *val { return &r.Resources[i].Type }),
		}}},
		Len: func(r *rec) int {
			if r.Resources == nil {
				return -1
			}
			return len(r.Resources)
		}},
	text("eventtype", dict, func(r *rec) *val { return &r.EventType }),
	text("apiversion", dict, func(r *rec) *val { return &r.APIVersion }),
	text("readonly", dict, func(r *rec) *val { return &r.ReadOnly }),
	text("recipientaccountid", dict, func(r *rec) *val { return &r.RecipientAccountID }),
	text("serviceeventdetails", document, func(r *rec) *val { return &r.ServiceEventDetails }),
	text("sharedeventid", random, func(r *rec) *val { return &r.SharedEventID }),
	text("vpcendpointid", dict, func(r *rec) *val { return &r.VPCEndpointID }),
	text("vpcendpointaccountid", dict, func(r *rec) *val { return &r.VPCEndpointAccountID }),
	text("eventcategory", dict, func(r *rec) *val { return &r.EventCategory }),
	group("addendum", func(r *rec) bool { return r.Addendum != nil },
		text("reason", plain, func(r *rec) *val { return &r.Addendum.Reason }),
		text("updatedfields", plain, func(r *rec) *val { return &r.Addendum.UpdatedFields }),
		text("originalrequestid", plain, func(r *rec) *val { return &r.Addendum.OriginalRequestID }),
		text("originaleventid", plain, func(r *rec) *val { return &r.Addendum.OriginalEventID }),
	),
	text("sessioncredentialfromconsole", dict, func(r *rec) *val { return &r.SessionCredentialFromConsole }),
	text("edgedevicedetails", document, func(r *rec) *val { return &r.EdgeDeviceDetails }),
	group("tlsdetails", func(r *rec) bool { return r.TLSDetails != nil },
		text("tlsversion", dict, func(r *rec) *val { return &r.TLSDetails.TLSVersion }),
		text("ciphersuite", dict, func(r *rec) *val { return &r.TLSDetails.CipherSuite }),
		text("clientprovidedhostheader", dict, func(r *rec) *val { return &r.TLSDetails.ClientProvidedHostHeader }),
	),
}

// Partition are the partition columns, after Athena's in the events table, indexed by Region … Day. Their values
// come from the object's key, or, for a file not named as CloudTrail names them, from the record (awsregion and
// eventtime).
var Partition = []Column{
	Region: {Name: "region", Type: TypeString, Dict: true},
	Year:   {Name: "year", Type: TypeString, Dict: true},
	Month:  {Name: "month", Type: TypeString, Dict: true},
	Day:    {Name: "day", Type: TypeString, Dict: true},
}

// Positions of the partition columns in Partition.
const (
	Region = iota
	Year
	Month
	Day
)

// Internal are the columns that close the events table, indexed by Account … Hash.
var Internal = []Column{
	Account: {Name: "account", Type: TypeString, Dict: true},    // the key's account, else recipientaccountid
	Path:    {Name: "_path", Type: TypeString, Dict: true},      // Athena's "$path": where the record came from
	FileID:  {Name: "_file_id", Type: TypeInt64, NotNull: true}, // the object's id in the manifest
	Hash:    {Name: "_hash", Type: TypeUint64, NotNull: true},   // cloudtrail.Record.Hash: identical records are stored once
}

// Positions of the internal columns in Internal.
const (
	Account = iota
	Path
	FileID
	Hash
)
