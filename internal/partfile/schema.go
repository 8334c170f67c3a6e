package partfile

import (
	"strings"

	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// The leaf columns of a part file, in the file's order. The store's events table has the same columns in the
// same order (DuckDB reads optional byte arrays as VARCHAR, groups as STRUCTs, the list as a LIST of STRUCTs, the
// map as a MAP, uint64 as UBIGINT).
const (
	colEventVersion = iota
	colUIType
	colUIPrincipalID
	colUIARN
	colUIAccountID
	colUIInvokedBy
	colUIAccessKeyID
	colUIUserName
	colOBOUserID
	colOBOIdentityStoreARN
	colAttrMFAAuthenticated
	colAttrCreationDate
	colIssuerType
	colIssuerPrincipalID
	colIssuerARN
	colIssuerAccountID
	colIssuerUserName
	colEC2RoleDelivery
	colWebFederatedProvider
	colWebAttrKey
	colWebAttrValue
	colEventTime
	colEventSource
	colEventName
	colAWSRegion
	colSourceIPAddress
	colUserAgent
	colErrorCode
	colErrorMessage
	colRequestParameters
	colResponseElements
	colAdditionalEventData
	colRequestID
	colEventID
	colResARN
	colResAccountID
	colResType
	colEventType
	colAPIVersion
	colReadOnly
	colRecipientAccountID
	colServiceEventDetails
	colSharedEventID
	colVPCEndpointID
	colVPCEndpointAccountID
	colEventCategory
	colAddReason
	colAddUpdatedFields
	colAddOriginalRequestID
	colAddOriginalEventID
	colSessionCredentialFromConsole
	colEdgeDeviceDetails
	colTLSVersion
	colTLSCipherSuite
	colTLSClientProvidedHostHeader
	colRegion
	colYear
	colMonth
	colDay
	colAccount
	colPath
	colFileID
	colHash
	numColumns
)

// Prefixes of the groups whose leaves are contiguous: a missing group makes all of them NULL at once.
const (
	uiFirst, uiLast             = colUIType, colWebAttrValue
	oboFirst, oboLast           = colOBOUserID, colOBOIdentityStoreARN
	scFirst, scLast             = colAttrMFAAuthenticated, colWebAttrValue
	attrFirst, attrLast         = colAttrMFAAuthenticated, colAttrCreationDate
	issuerFirst, issuerLast     = colIssuerType, colIssuerUserName
	webFirst, webLast           = colWebFederatedProvider, colWebAttrValue
	addendumFirst, addendumLast = colAddReason, colAddOriginalEventID
	tlsFirst, tlsLast           = colTLSVersion, colTLSClientProvidedHostHeader
)

// leafKind is the physical and logical type of a leaf column.
type leafKind uint8

const (
	kindString leafKind = iota // BYTE_ARRAY, String
	kindInt64                  // INT64, signed 64-bit Integer
	kindUint64                 // INT64, unsigned 64-bit Integer
)

// leaf describes one leaf column: its dotted path in the schema, its type, whether its values are
// dictionary-encoded (low-cardinality columns), and whether they are random identifiers (whose pages are
// compressed as literals only, see literals.go).
type leaf struct {
	path   string
	kind   leafKind
	dict   bool
	random bool
}

// leaves lists the columns by the constants above; the schema's groups follow from the paths.
var leaves = [numColumns]leaf{
	colEventVersion:                 {path: "eventversion", dict: true},
	colUIType:                       {path: "useridentity.type", dict: true},
	colUIPrincipalID:                {path: "useridentity.principalid"},
	colUIARN:                        {path: "useridentity.arn"},
	colUIAccountID:                  {path: "useridentity.accountid", dict: true},
	colUIInvokedBy:                  {path: "useridentity.invokedby", dict: true},
	colUIAccessKeyID:                {path: "useridentity.accesskeyid"},
	colUIUserName:                   {path: "useridentity.username"},
	colOBOUserID:                    {path: "useridentity.onbehalfof.userid"},
	colOBOIdentityStoreARN:          {path: "useridentity.onbehalfof.identitystorearn"},
	colAttrMFAAuthenticated:         {path: "useridentity.sessioncontext.attributes.mfaauthenticated", dict: true},
	colAttrCreationDate:             {path: "useridentity.sessioncontext.attributes.creationdate"},
	colIssuerType:                   {path: "useridentity.sessioncontext.sessionissuer.type", dict: true},
	colIssuerPrincipalID:            {path: "useridentity.sessioncontext.sessionissuer.principalid"},
	colIssuerARN:                    {path: "useridentity.sessioncontext.sessionissuer.arn"},
	colIssuerAccountID:              {path: "useridentity.sessioncontext.sessionissuer.accountid", dict: true},
	colIssuerUserName:               {path: "useridentity.sessioncontext.sessionissuer.username"},
	colEC2RoleDelivery:              {path: "useridentity.sessioncontext.ec2roledelivery"},
	colWebFederatedProvider:         {path: "useridentity.sessioncontext.webidfederationdata.federatedprovider"},
	colWebAttrKey:                   {path: "useridentity.sessioncontext.webidfederationdata.attributes.key_value.key"},
	colWebAttrValue:                 {path: "useridentity.sessioncontext.webidfederationdata.attributes.key_value.value"},
	colEventTime:                    {path: "eventtime"},
	colEventSource:                  {path: "eventsource", dict: true},
	colEventName:                    {path: "eventname", dict: true},
	colAWSRegion:                    {path: "awsregion", dict: true},
	colSourceIPAddress:              {path: "sourceipaddress"},
	colUserAgent:                    {path: "useragent"},
	colErrorCode:                    {path: "errorcode", dict: true},
	colErrorMessage:                 {path: "errormessage"},
	colRequestParameters:            {path: "requestparameters"},
	colResponseElements:             {path: "responseelements"},
	colAdditionalEventData:          {path: "additionaleventdata"},
	colRequestID:                    {path: "requestid", random: true},
	colEventID:                      {path: "eventid", random: true},
	colResARN:                       {path: "resources.list.element.arn"},
	colResAccountID:                 {path: "resources.list.element.accountid"},
	colResType:                      {path: "resources.list.element.type"},
	colEventType:                    {path: "eventtype", dict: true},
	colAPIVersion:                   {path: "apiversion", dict: true},
	colReadOnly:                     {path: "readonly", dict: true},
	colRecipientAccountID:           {path: "recipientaccountid", dict: true},
	colServiceEventDetails:          {path: "serviceeventdetails"},
	colSharedEventID:                {path: "sharedeventid", random: true},
	colVPCEndpointID:                {path: "vpcendpointid", dict: true},
	colVPCEndpointAccountID:         {path: "vpcendpointaccountid", dict: true},
	colEventCategory:                {path: "eventcategory", dict: true},
	colAddReason:                    {path: "addendum.reason"},
	colAddUpdatedFields:             {path: "addendum.updatedfields"},
	colAddOriginalRequestID:         {path: "addendum.originalrequestid"},
	colAddOriginalEventID:           {path: "addendum.originaleventid"},
	colSessionCredentialFromConsole: {path: "sessioncredentialfromconsole", dict: true},
	colEdgeDeviceDetails:            {path: "edgedevicedetails"},
	colTLSVersion:                   {path: "tlsdetails.tlsversion", dict: true},
	colTLSCipherSuite:               {path: "tlsdetails.ciphersuite", dict: true},
	colTLSClientProvidedHostHeader:  {path: "tlsdetails.clientprovidedhostheader"},
	colRegion:                       {path: "region", dict: true},
	colYear:                         {path: "year", dict: true},
	colMonth:                        {path: "month", dict: true},
	colDay:                          {path: "day", dict: true},
	colAccount:                      {path: "account", dict: true},
	colPath:                         {path: "_path", dict: true},
	colFileID:                       {path: "_file_id", kind: kindInt64},
	colHash:                         {path: "_hash", kind: kindUint64},
}

// rootName is the name of the schema's root (the Go type parquet-go named it after when it wrote part files).
const rootName = "pqRow"

// Groups that are not plain optional structs: the resources LIST (a repeated group of required elements) and the
// webidfederationdata.attributes MAP (a repeated group of required keys and values).
var (
	groupTypes = map[string]format.LogicalTypeValue{
		"resources": &format.ListType{},
		"useridentity.sessioncontext.webidfederationdata.attributes": &format.MapType{},
	}
	repetitions = map[string]format.FieldRepetitionType{
		"resources.list":         format.Repeated,
		"resources.list.element": format.Required,
		"useridentity.sessioncontext.webidfederationdata.attributes.key_value":       format.Repeated,
		"useridentity.sessioncontext.webidfederationdata.attributes.key_value.key":   format.Required,
		"useridentity.sessioncontext.webidfederationdata.attributes.key_value.value": format.Required,
		"_file_id": format.Required,
		"_hash":    format.Required,
	}
)

// repetition returns the repetition of the field at path (optional unless listed).
func repetition(path string) format.FieldRepetitionType {
	if r, ok := repetitions[path]; ok {
		return r
	}
	return format.Optional
}

// levels returns the maximum definition and repetition levels of the leaf at path.
func levels(path string) (maxDef, maxRep uint8) {
	parts := strings.Split(path, ".")
	for i := range parts {
		switch repetition(strings.Join(parts[:i+1], ".")) {
		case format.Optional:
			maxDef++
		case format.Repeated:
			maxDef++
			maxRep++
		}
	}
	return maxDef, maxRep
}

// node is one field of the schema tree: a group with children, or a leaf column.
type node struct {
	name, path string
	children   []*node
	leaf       *leaf
}

// schemaTree builds the schema's tree from the leaves' paths: consecutive leaves that share a prefix share its
// groups.
func schemaTree() *node {
	root := &node{name: rootName}
	for i := range leaves {
		parts := strings.Split(leaves[i].path, ".")
		n := root
		for j, name := range parts[:len(parts)-1] {
			if k := len(n.children); k > 0 && n.children[k-1].leaf == nil && n.children[k-1].name == name {
				n = n.children[k-1]
				continue
			}
			g := &node{name: name, path: strings.Join(parts[:j+1], ".")}
			n.children = append(n.children, g)
			n = g
		}
		n.children = append(n.children, &node{name: parts[len(parts)-1], path: leaves[i].path, leaf: &leaves[i]})
	}
	return root
}

// schemaElements returns the file's schema as the footer lists it: depth first, each group followed by its fields.
func schemaElements() []format.SchemaElement {
	var out []format.SchemaElement
	var walk func(n *node, root bool)
	walk = func(n *node, root bool) {
		switch {
		case root:
			out = append(out, format.SchemaElement{Name: n.name, NumChildren: thrift.New(int32(len(n.children)))})
		case n.leaf != nil:
			out = append(out, leafElement(n.name, n.leaf.kind, repetition(n.path)))
		default:
			g := format.SchemaElement{Name: n.name, RepetitionType: thrift.New(repetition(n.path)),
				NumChildren: thrift.New(int32(len(n.children)))}
			switch t := groupTypes[n.path].(type) {
			case *format.ListType:
				g.LogicalType.Value, g.ConvertedType = t, thrift.New(deprecated.List)
			case *format.MapType:
				g.LogicalType.Value, g.ConvertedType = t, thrift.New(deprecated.Map)
			}
			out = append(out, g)
		}
		for _, c := range n.children {
			walk(c, false)
		}
	}
	walk(schemaTree(), true)
	return out
}

// leafElement returns the schema element of a leaf column.
func leafElement(name string, kind leafKind, rep format.FieldRepetitionType) format.SchemaElement {
	e := format.SchemaElement{Name: name, RepetitionType: thrift.New(rep)}
	switch kind {
	case kindString:
		e.Type = thrift.New(format.ByteArray)
		e.ConvertedType = thrift.New(deprecated.UTF8)
		e.LogicalType.Value = &format.StringType{}
	case kindInt64, kindUint64:
		signed := kind == kindInt64
		e.Type = thrift.New(format.Int64)
		e.TypeLength = thrift.New(int32(64))
		e.ConvertedType = thrift.New(deprecated.Uint64)
		if signed {
			e.ConvertedType = thrift.New(deprecated.Int64)
		}
		e.LogicalType.Value = &format.IntType{BitWidth: 64, IsSigned: signed}
	}
	return e
}
