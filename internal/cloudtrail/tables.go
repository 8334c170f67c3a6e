package cloudtrail

// The members of each kind of object the decoder reads (see fieldTable).

// Members of record, as recordReader.record switches on them.
const (
	_ = iota
	recEventVersion
	recUserIdentity
	recEventTime
	recEventSource
	recEventName
	recAwsRegion
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
	recApiVersion
	recRecipientAccountId
	recServiceEventDetails
	recSharedEventID
	recVpcEndpointId
	recVpcEndpointAccountId
	recEventCategory
	recAddendum
	recSessionCredentialFromConsole
	recEdgeDeviceDetails
	recTlsDetails
)

var recordFields = newFieldTable(
	fieldName{"eventVersion", recEventVersion},
	fieldName{"userIdentity", recUserIdentity},
	fieldName{"eventTime", recEventTime},
	fieldName{"eventSource", recEventSource},
	fieldName{"eventName", recEventName},
	fieldName{"awsRegion", recAwsRegion},
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
	fieldName{"apiVersion", recApiVersion},
	fieldName{"recipientAccountId", recRecipientAccountId},
	fieldName{"serviceEventDetails", recServiceEventDetails},
	fieldName{"sharedEventID", recSharedEventID},
	fieldName{"vpcEndpointId", recVpcEndpointId},
	fieldName{"vpcEndpointAccountId", recVpcEndpointAccountId},
	fieldName{"eventCategory", recEventCategory},
	fieldName{"addendum", recAddendum},
	fieldName{"sessionCredentialFromConsole", recSessionCredentialFromConsole},
	fieldName{"edgeDeviceDetails", recEdgeDeviceDetails},
	fieldName{"tlsDetails", recTlsDetails},
	fieldName{"managementEvent", 0},
	fieldName{"insightDetails", 0},
)

// Members of userIdentity, as recordReader.userIdentity switches on them.
const (
	_ = iota
	uiType
	uiPrincipalId
	uiArn
	uiAccountId
	uiInvokedBy
	uiAccessKeyId
	uiUserName
	uiOnBehalfOf
	uiSessionContext
)

var userIdentityFields = newFieldTable(
	fieldName{"type", uiType},
	fieldName{"principalId", uiPrincipalId},
	fieldName{"arn", uiArn},
	fieldName{"accountId", uiAccountId},
	fieldName{"invokedBy", uiInvokedBy},
	fieldName{"accessKeyId", uiAccessKeyId},
	fieldName{"userName", uiUserName},
	fieldName{"onBehalfOf", uiOnBehalfOf},
	fieldName{"sessionContext", uiSessionContext},
	fieldName{"credentialId", 0},
)

// Members of onBehalfOf, as recordReader.onBehalfOf switches on them.
const (
	_ = iota
	oboUserId
	oboIdentityStoreArn
)

var onBehalfOfFields = newFieldTable(
	fieldName{"userId", oboUserId},
	fieldName{"identityStoreArn", oboIdentityStoreArn},
)

// Members of sessionContext, as recordReader.sessionContext switches on them.
const (
	_ = iota
	scAttributes
	scSessionIssuer
	scEc2RoleDelivery
	scWebIdFederationData
)

var sessionContextFields = newFieldTable(
	fieldName{"attributes", scAttributes},
	fieldName{"sessionIssuer", scSessionIssuer},
	fieldName{"ec2RoleDelivery", scEc2RoleDelivery},
	fieldName{"webIdFederationData", scWebIdFederationData},
	fieldName{"sourceIdentity", 0},
)

// Members of sessionAttributes, as recordReader.sessionAttributes switches on them.
const (
	_ = iota
	saMfaAuthenticated
	saCreationDate
)

var sessionAttributesFields = newFieldTable(
	fieldName{"mfaAuthenticated", saMfaAuthenticated},
	fieldName{"creationDate", saCreationDate},
)

// Members of sessionIssuer, as recordReader.sessionIssuer switches on them.
const (
	_ = iota
	siType
	siPrincipalId
	siArn
	siAccountId
	siUserName
)

var sessionIssuerFields = newFieldTable(
	fieldName{"type", siType},
	fieldName{"principalId", siPrincipalId},
	fieldName{"arn", siArn},
	fieldName{"accountId", siAccountId},
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

// Members of resource, as recordReader.resource switches on them.
const (
	_ = iota
	resARN
	resAccountId
	resType
)

var resourceMembers = newFieldTable(
	fieldName{"ARN", resARN},
	fieldName{"accountId", resAccountId},
	fieldName{"type", resType},
	fieldName{"arn", resARN},
)

// Members of addendum, as recordReader.addendum switches on them.
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

// Members of tlsDetails, as recordReader.tlsDetails switches on them.
const (
	_ = iota
	tlsTlsVersion
	tlsCipherSuite
	tlsClientProvidedHostHeader
)

var tlsDetailsFields = newFieldTable(
	fieldName{"tlsVersion", tlsTlsVersion},
	fieldName{"cipherSuite", tlsCipherSuite},
	fieldName{"clientProvidedHostHeader", tlsClientProvidedHostHeader},
)
