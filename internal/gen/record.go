package gen

import (
	"math/rand/v2"
	"strings"
	"time"
)

// rc is the record being built: the caller, the call's parts, and scratch encoders reused across records.
type rc struct {
	rng    *rand.Rand
	a      *Account
	region string
	t      time.Time

	version   string
	source    string
	name      string
	eventType string // AwsApiCall unless set
	readOnly  bool
	hasRO     bool
	data      bool // a data event (eventCategory Data, managementEvent false)
	apiVer    string
	tls       bool
	noReqID   bool

	// caller
	p        *Principal // nil for an AWS service
	svc      string     // invokedBy of an AWSService caller
	session  string
	ip, ua   string
	console  bool
	userName string // overrides the identity's userName (HIDDEN_DUE_TO_SECURITY_REASONS)
	noARN    bool
	mfa      string // sessionContext.attributes.mfaAuthenticated for console sessions
	idc      *idcUser

	errCode, errMsg string
	shared          string
	hostHeader      string // tlsDetails.clientProvidedHostHeader when not the service endpoint
	vpce            string

	req, resp, add, res, details enc
	reqSet, respSet, addSet      bool
	resSet, detailsSet           bool
}

func (c *rc) reset(t time.Time) {
	*c = rc{rng: c.rng, a: c.a, region: c.region, t: t,
		req: c.req, resp: c.resp, add: c.add, res: c.res, details: c.details}
	c.req.reset()
	c.resp.reset()
	c.add.reset()
	c.res.reset()
	c.details.reset()
	c.version = "1.09"
	c.eventType = "AwsApiCall"
}

// request returns the encoder of requestParameters' members (without braces).
func (c *rc) request() *enc  { c.reqSet = true; return &c.req }
func (c *rc) response() *enc { c.respSet = true; return &c.resp }
func (c *rc) additional() *enc {
	c.addSet = true
	return &c.add
}

// resource adds an element to resources.
func (c *rc) resource(arn, account, typ string) {
	c.resSet = true
	e := &c.res
	e.elem()
	if account != "" {
		e.str("accountId", account)
	}
	if typ != "" {
		e.str("type", typ)
	}
	e.str("ARN", arn)
	e.end()
}

func (c *rc) pick(s []string) string { return s[c.rng.IntN(len(s))] }

func (c *rc) chance(p float64) bool { return c.rng.Float64() < p }

// who says which callers a call can have.
type who uint8

const (
	bySvc who = 1 << iota
	byRole
	byUser
	byHuman // only people (SSO roles, IAM users who are people)
)

// caller picks a principal for a call.
func (c *rc) caller(w who, svcs []string) {
	type choice struct {
		p *Principal
		w float64
	}
	var choices []choice
	total := 0.0
	add := func(ps []*Principal, share float64) {
		sum := 0.0
		for _, p := range ps {
			if w&byHuman == 0 || p.Human {
				sum += p.Weight
			}
		}
		for _, p := range ps {
			if (w&byHuman == 0 || p.Human) && sum > 0 {
				choices = append(choices, choice{p, share * p.Weight / sum})
				total += share * p.Weight / sum
			}
		}
	}
	if w&byRole != 0 || w&byHuman != 0 {
		add(c.a.Roles, 0.65)
	}
	if w&byUser != 0 || w&byHuman != 0 {
		add(c.a.Users, 0.15)
	}
	svcShare := 0.0
	if w&bySvc != 0 && len(svcs) > 0 {
		svcShare = 0.2
		if w&(byRole|byUser|byHuman) == 0 {
			svcShare = 1
		}
	}
	r := c.rng.Float64() * (total + svcShare)
	if r >= total || len(choices) == 0 {
		c.svc = c.pick(svcs)
		c.ip, c.ua = c.svc, c.svc
		return
	}
	p := choices[len(choices)-1].p
	for _, ch := range choices {
		if r < ch.w {
			p = ch.p
			break
		}
		r -= ch.w
	}
	if p.Human && c.chance(0.0005) {
		p = c.a.Root
	}
	c.setPrincipal(p)
}

func (c *rc) setPrincipal(p *Principal) {
	c.p = p
	if len(p.Sessions) > 0 {
		c.session = c.pick(p.Sessions)
	}
	c.ua = c.pick(p.Agents)
	if len(p.IPs) > 0 {
		c.ip = c.pick(p.IPs)
	} else {
		c.ip = "AWS Internal"
	}
	if c.ua == "config.amazonaws.com" {
		c.ip = c.ua
	}
	c.console = c.ua == "AWS Internal" || c.ua == "console.amazonaws.com" || strings.HasPrefix(c.ua, "Mozilla/")
	if c.console && p.Kind == "AssumedRole" && p.Human {
		c.ip = c.pick(p.IPs)
	}
}

// accessKey is a long-term (AKIA) or temporary (ASIA) access key ID.
func (c *rc) accessKey(temporary bool) string {
	if temporary {
		return "ASIA" + randString(c.rng, 16, upperNum)
	}
	return "AKIA" + randString(c.rng, 16, upperNum)
}

// identity writes userIdentity.
func (c *rc) identity(e *enc) {
	e.obj("userIdentity")
	switch {
	case c.idc != nil:
		e.str("type", "IdentityCenterUser")
		e.str("accountId", c.a.ID)
		e.obj("onBehalfOf")
		e.str("userId", c.idc.userID)
		e.str("identityStoreArn", c.idc.store)
		e.end()
		e.str("credentialId", c.idc.credential)
	case c.p == nil:
		e.str("type", "AWSService")
		e.str("invokedBy", c.svc)
	case c.p.Kind == "Root":
		e.str("type", "Root")
		e.str("principalId", c.a.ID)
		if !c.noARN {
			e.str("arn", c.p.ARN)
		}
		e.str("accountId", c.a.ID)
		if c.source != "signin.amazonaws.com" {
			e.str("accessKeyId", c.accessKey(true))
			c.sessionAttrs(e)
		} else {
			e.str("accessKeyId", "")
		}
	case c.p.Kind == "IAMUser":
		e.str("type", "IAMUser")
		e.str("principalId", c.p.PrincipalID)
		if !c.noARN {
			e.str("arn", c.p.ARN)
		}
		e.str("accountId", c.a.ID)
		if c.source == "signin.amazonaws.com" {
			e.str("accessKeyId", "")
		} else {
			e.str("accessKeyId", c.accessKey(c.console))
		}
		name := c.p.Name
		if c.userName != "" {
			name = c.userName
		}
		e.str("userName", name)
		if c.console && c.source != "signin.amazonaws.com" {
			c.sessionAttrs(e)
		}
	default: // AssumedRole
		e.str("type", "AssumedRole")
		e.strs("principalId", c.p.PrincipalID, ":", c.session)
		roleName := c.p.Name
		e.strs("arn", "arn:aws:sts::", c.a.ID, ":assumed-role/", roleName, "/", c.session)
		e.str("accountId", c.a.ID)
		e.str("accessKeyId", c.accessKey(true))
		e.obj("sessionContext")
		e.obj("sessionIssuer")
		e.str("type", "Role")
		e.str("principalId", c.p.PrincipalID)
		e.str("arn", c.p.ARN)
		e.str("accountId", c.a.ID)
		e.str("userName", roleName)
		e.end()
		e.obj("attributes")
		e.str("creationDate", isoTime(c.t.Add(-time.Duration(c.rng.IntN(3600))*time.Second)))
		e.str("mfaAuthenticated", "false")
		e.end()
		if strings.HasSuffix(roleName, "-ec2-web") {
			e.str("ec2RoleDelivery", "2.0")
		}
		e.end()
	}
	e.end()
}

func (c *rc) sessionAttrs(e *enc) {
	e.obj("sessionContext")
	e.obj("attributes")
	e.str("creationDate", isoTime(c.t.Add(-time.Duration(c.rng.IntN(7200))*time.Second)))
	mfa := c.mfa
	if mfa == "" {
		mfa = "false"
		if c.chance(0.7) {
			mfa = "true"
		}
	}
	e.str("mfaAuthenticated", mfa)
	e.end()
	e.end()
}

// write appends the record as JSON, in CloudTrail's field order.
func (c *rc) write(b []byte) []byte {
	e := enc{b: b}
	e.b = append(e.b, '{')
	e.str("eventVersion", c.version)
	c.identity(&e)
	e.str("eventTime", isoTime(c.t))
	e.str("eventSource", c.source)
	e.str("eventName", c.name)
	e.str("awsRegion", c.region)
	e.str("sourceIPAddress", c.ip)
	e.str("userAgent", c.ua)
	if c.errCode != "" {
		e.str("errorCode", c.errCode)
	}
	if c.errMsg != "" {
		e.str("errorMessage", c.errMsg)
	}
	wrapped := func(k string, set bool, part *enc) {
		if !set {
			e.null(k)
			return
		}
		e.key(k)
		e.b = append(e.b, '{')
		e.b = append(e.b, part.b...)
		e.b = append(e.b, '}')
		e.need = true
	}
	wrapped("requestParameters", c.reqSet, &c.req)
	if c.errCode != "" {
		c.respSet = false
	}
	wrapped("responseElements", c.respSet, &c.resp)
	if c.addSet {
		wrapped("additionalEventData", true, &c.add)
	}
	if !c.noReqID {
		e.str("requestID", c.requestID())
	}
	e.str("eventID", uuid(c.rng))
	if c.hasRO {
		e.boolean("readOnly", c.readOnly)
	}
	if c.resSet {
		e.key("resources")
		e.b = append(e.b, '[')
		e.b = append(e.b, c.res.b...)
		e.b = append(e.b, ']')
		e.need = true
	}
	e.str("eventType", c.eventType)
	if c.apiVer != "" {
		e.str("apiVersion", c.apiVer)
	}
	e.boolean("managementEvent", !c.data)
	e.str("recipientAccountId", c.a.ID)
	if c.shared != "" {
		e.str("sharedEventID", c.shared)
	}
	if c.vpce != "" {
		e.str("vpcEndpointId", c.vpce)
		e.str("vpcEndpointAccountId", c.a.ID)
	}
	if c.detailsSet {
		wrapped("serviceEventDetails", true, &c.details)
	}
	if c.data {
		e.str("eventCategory", "Data")
	} else {
		e.str("eventCategory", "Management")
	}
	if c.tls && c.p != nil {
		e.obj("tlsDetails")
		e.str("tlsVersion", "TLSv1.3")
		e.str("cipherSuite", "TLS_AES_128_GCM_SHA256")
		if c.hostHeader != "" {
			e.str("clientProvidedHostHeader", c.hostHeader)
		} else {
			e.str("clientProvidedHostHeader", c.host())
		}
		e.end()
	}
	if c.console && c.p != nil && c.source != "signin.amazonaws.com" {
		e.str("sessionCredentialFromConsole", "true")
	}
	e.b = append(e.b, '}')
	return e.b
}

// requestID looks like the service's request IDs: S3 uses 16 upper-case hex digits, others a UUID.
func (c *rc) requestID() string {
	if c.source == "s3.amazonaws.com" {
		return randString(c.rng, 16, "0123456789ABCDEF")
	}
	return uuid(c.rng)
}

// host is the endpoint host the client called.
func (c *rc) host() string {
	svc := strings.TrimSuffix(c.source, ".amazonaws.com")
	switch svc {
	case "signin":
		if c.region == "us-east-1" {
			return "signin.aws.amazon.com"
		}
		return c.region + ".signin.aws.amazon.com"
	case "iam", "organizations":
		return svc + ".amazonaws.com"
	case "monitoring":
		return "monitoring." + c.region + ".amazonaws.com"
	}
	return svc + "." + c.region + ".amazonaws.com"
}
