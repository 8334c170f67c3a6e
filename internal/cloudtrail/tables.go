package cloudtrail

// The members of each kind of object the decoder reads (see fieldTable): the names of the fields it decodes, and
// of a few it skips that are common in CloudTrail logs (id 0), so that they too are found by their spelling.
// The lower-case form of each name is what the decoder matched before the tables, and must stay so: a key is
// matched whatever its case.

// Members of record, as recordReader.record switches on them.
const (
	_ = iota
	recEventVersion
	recUserIdentity
	recEventTime
	recEventSource
	recEventName
	recAWSRegion
	recSourceIPAddress
	recUserAgent
	recErrorCode
	recErrorMessage
	recRequestParameters
	recResponseElements
	recAdditionalEventData
	recRequestID
	recEventID
	recReadOnly
	recResources
	recEventType
	recAPIVersion
	recRecipientAccountID
	recServiceEventDetails
	recSharedEventID
	recVPCEndpointID
	recVPCEndpointAccountID
	recEventCategory
	recAddendum
	recSessionCredentialFromConsole
	recEdgeDeviceDetails
	recTLSDetails
)

var recordFields = newFieldTable(
	fieldName{"eventVersion", recEventVersion},
	fieldName{"userIdentity", recUserIdentity},
	fieldName{"eventTime", recEventTime},
	fieldName{"eventSource", recEventSource},
	fieldName{"eventName", recEventName},
	fieldName{"awsRegion", recAWSRegion},
	fieldName{"sourceIPAddress", recSourceIPAddress},
	fieldName{"userAgent", recUserAgent},
	fieldName{"errorCode", recErrorCode},
	fieldName{"errorMessage", recErrorMessage},
	fieldName{"requestParameters", recRequestParameters},
	fieldName{"responseElements", recResponseElements},
	fieldName{"additionalEventData", recAdditionalEventData},
	fieldName{"requestID", recRequestID},
	fieldName{"eventID", recEventID},
	fieldName{"readOnly", recReadOnly},
	fieldName{"resources", recResources},
	fieldName{"eventType", recEventType},
	fieldName{"apiVersion", recAPIVersion},
	fieldName{"recipientAccountId", recRecipientAccountID},
	fieldName{"serviceEventDetails", recServiceEventDetails},
	fieldName{"sharedEventID", recSharedEventID},
	fieldName{"vpcEndpointId", recVPCEndpointID},
	fieldName{"vpcEndpointAccountId", recVPCEndpointAccountID},
	fieldName{"eventCategory", recEventCategory},
	fieldName{"addendum", recAddendum},
	fieldName{"sessionCredentialFromConsole", recSessionCredentialFromConsole},
	fieldName{"edgeDeviceDetails", recEdgeDeviceDetails},
	fieldName{"tlsDetails", recTLSDetails},
	fieldName{"managementEvent", 0},
	fieldName{"insightDetails", 0},
)

// Members of userIdentity, as recordReader.userIdentity switches on them.
const (
	_ = iota
	uiType
	uiPrincipalID
	uiARN
	uiAccountID
	uiInvokedBy
	uiAccessKeyID
	uiUserName
	uiOnBehalfOf
	uiSessionContext
)

var userIdentityFields = newFieldTable(
	fieldName{"type", uiType},
	fieldName{"principalId", uiPrincipalID},
	fieldName{"arn", uiARN},
	fieldName{"accountId", uiAccountID},
	fieldName{"invokedBy", uiInvokedBy},
	fieldName{"accessKeyId", uiAccessKeyID},
	fieldName{"userName", uiUserName},
	fieldName{"onBehalfOf", uiOnBehalfOf},
	fieldName{"sessionContext", uiSessionContext},
	fieldName{"credentialId", 0},
)

// Members of onBehalfOf, in the order of the fields recordReader.onBehalfOf hands to stringMembers.
const (
	_ = iota
	oboUserID
	oboIdentityStoreARN
)

var onBehalfOfFields = newFieldTable(
	fieldName{"userId", oboUserID},
	fieldName{"identityStoreArn", oboIdentityStoreARN},
)

// Members of sessionContext, as recordReader.sessionContext switches on them.
const (
	_ = iota
	scAttributes
	scSessionIssuer
	scEC2RoleDelivery
	scWebIDFederationData
)

var sessionContextFields = newFieldTable(
	fieldName{"attributes", scAttributes},
	fieldName{"sessionIssuer", scSessionIssuer},
	fieldName{"ec2RoleDelivery", scEC2RoleDelivery},
	fieldName{"webIdFederationData", scWebIDFederationData},
	fieldName{"sourceIdentity", 0},
)

// Members of sessionAttributes, in the order of the fields recordReader.sessionAttributes hands to stringMembers.
const (
	_ = iota
	saMFAAuthenticated
	saCreationDate
)

var sessionAttributesFields = newFieldTable(
	fieldName{"mfaAuthenticated", saMFAAuthenticated},
	fieldName{"creationDate", saCreationDate},
)

// Members of sessionIssuer, in the order of the fields recordReader.sessionIssuer hands to stringMembers.
const (
	_ = iota
	siType
	siPrincipalID
	siARN
	siAccountID
	siUserName
)

var sessionIssuerFields = newFieldTable(
	fieldName{"type", siType},
	fieldName{"principalId", siPrincipalID},
	fieldName{"arn", siARN},
	fieldName{"accountId", siAccountID},
	fieldName{"userName", siUserName},
)

// Members of webIDFederationData, as recordReader.webIDFederationData switches on them.
const (
	_ = iota
	wifFederatedProvider
	wifAttributes
)

var webIDFederationDataFields = newFieldTable(
	fieldName{"federatedProvider", wifFederatedProvider},
	fieldName{"attributes", wifAttributes},
)

// Members of resource, in the order of the fields recordReader.resource hands to stringMembers.
const (
	_ = iota
	resARN
	resAccountID
	resType
)

var resourceMembers = newFieldTable(
	fieldName{"ARN", resARN},
	fieldName{"accountId", resAccountID},
	fieldName{"type", resType},
	fieldName{"arn", resARN},
)

// Members of addendum, in the order of the fields recordReader.addendum hands to stringMembers.
const (
	_ = iota
	addReason
	addUpdatedFields
	addOriginalRequestID
	addOriginalEventID
)

var addendumFields = newFieldTable(
	fieldName{"reason", addReason},
	fieldName{"updatedFields", addUpdatedFields},
	fieldName{"originalRequestID", addOriginalRequestID},
	fieldName{"originalEventID", addOriginalEventID},
)

// Members of tlsDetails, in the order of the fields recordReader.tlsDetails hands to stringMembers.
const (
	_ = iota
	tlsTLSVersion
	tlsCipherSuite
	tlsClientProvidedHostHeader
)

var tlsDetailsFields = newFieldTable(
	fieldName{"tlsVersion", tlsTLSVersion},
	fieldName{"cipherSuite", tlsCipherSuite},
	fieldName{"clientProvidedHostHeader", tlsClientProvidedHostHeader},
)
