package gen

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// call models one AWS API call as CloudTrail logs it.
type call struct {
	source, name string
	weight       float64 // in busy traffic
	quiet        float64 // in background traffic (quiet regions)
	readOnly     bool
	data         bool // a data event
	global       bool // logged in us-east-1 only (IAM, Organizations)
	who          who
	svcs         []string // AWS services that make this call themselves
	fill         func(c *rc)
}

const accessDeniedRate, throttleRate = 0.03, 0.006

var calls = []call{
	{source: "sts", name: "AssumeRole", weight: 10, quiet: 4, readOnly: true, who: bySvc | byRole | byUser,
		svcs: []string{"lambda.amazonaws.com", "ec2.amazonaws.com", "ecs-tasks.amazonaws.com", "config.amazonaws.com"}, fill: assumeRole},
	{source: "s3", name: "GetObject", weight: 14, readOnly: true, data: true, who: byRole | byUser, fill: s3Object},
	{source: "s3", name: "PutObject", weight: 6, data: true, who: byRole | byUser, fill: s3Object},
	{source: "s3", name: "HeadObject", weight: 3, readOnly: true, data: true, who: byRole | byUser, fill: s3Object},
	{source: "s3", name: "ListBuckets", weight: 1, readOnly: true, who: byHuman, fill: listBuckets},
	{source: "s3", name: "GetBucketAcl", weight: 1.5, quiet: 1, readOnly: true, who: bySvc | byRole,
		svcs: []string{"config.amazonaws.com", "cloudtrail.amazonaws.com"}, fill: bucketOp},
	{source: "ec2", name: "DescribeInstances", weight: 6, quiet: 2, readOnly: true, who: bySvc | byRole | byUser,
		svcs: []string{"autoscaling.amazonaws.com", "ssm.amazonaws.com"}, fill: describeInstances},
	{source: "ec2", name: "RunInstances", weight: 0.3, who: byRole | byUser | bySvc, svcs: []string{"autoscaling.amazonaws.com"}, fill: runInstances},
	{source: "ec2", name: "TerminateInstances", weight: 0.2, who: byRole | byUser | bySvc, svcs: []string{"autoscaling.amazonaws.com"}, fill: terminateInstances},
	{source: "ec2", name: "DescribeSecurityGroups", weight: 2, quiet: 1, readOnly: true, who: byRole | byUser | bySvc,
		svcs: []string{"config.amazonaws.com"}, fill: describeSecurityGroups},
	{source: "ec2", name: "CreateTags", weight: 0.5, who: byRole | byUser, fill: createTags},
	{source: "ec2", name: "DescribeVolumes", weight: 1.5, quiet: 1, readOnly: true, who: byRole | bySvc, svcs: []string{"config.amazonaws.com"}, fill: describeVolumes},
	{source: "iam", name: "CreateUser", weight: 0.05, global: true, who: byHuman | byUser, fill: createUser},
	{source: "iam", name: "AttachRolePolicy", weight: 0.1, global: true, who: byHuman | byUser, fill: attachRolePolicy},
	{source: "iam", name: "GetRole", weight: 1.5, global: true, readOnly: true, who: byRole | byUser, fill: getRole},
	{source: "iam", name: "ListRoles", weight: 0.5, global: true, readOnly: true, who: byRole | byUser, fill: listRoles},
	{source: "iam", name: "CreateAccessKey", weight: 0.03, global: true, who: byHuman, fill: createAccessKey},
	{source: "iam", name: "PutRolePolicy", weight: 0.05, global: true, who: byHuman | byUser, fill: putRolePolicy},
	{source: "kms", name: "Decrypt", weight: 8, readOnly: true, who: bySvc | byRole,
		svcs: []string{"s3.amazonaws.com", "secretsmanager.amazonaws.com", "dynamodb.amazonaws.com"}, fill: kmsCall},
	{source: "kms", name: "GenerateDataKey", weight: 4, readOnly: true, who: bySvc | byRole, svcs: []string{"s3.amazonaws.com", "logs.amazonaws.com"}, fill: kmsCall},
	{source: "kms", name: "Encrypt", weight: 1, readOnly: true, who: byRole, fill: kmsCall},
	{source: "secretsmanager", name: "GetSecretValue", weight: 3, readOnly: true, who: byRole | byUser, fill: getSecretValue},
	{source: "lambda", name: "Invoke", weight: 3, data: true, who: byRole | bySvc,
		svcs: []string{"apigateway.amazonaws.com", "events.amazonaws.com", "s3.amazonaws.com"}, fill: invoke},
	{source: "logs", name: "CreateLogStream", weight: 3, who: byRole, fill: createLogStream},
	{source: "logs", name: "DescribeLogGroups", weight: 1, readOnly: true, who: byRole | byUser, fill: describeLogGroups},
	{source: "dynamodb", name: "DescribeTable", weight: 2, quiet: 0.5, readOnly: true, who: byRole | bySvc,
		svcs: []string{"application-autoscaling.amazonaws.com"}, fill: describeTable},
	{source: "dynamodb", name: "GetItem", weight: 3, readOnly: true, data: true, who: byRole, fill: getItem},
	{source: "ssm", name: "UpdateInstanceInformation", weight: 5, quiet: 1, who: byRole, fill: updateInstanceInformation},
	{source: "ssm", name: "GetParameter", weight: 2, readOnly: true, who: byRole | byUser, fill: getParameter},
	{source: "ecr", name: "GetAuthorizationToken", weight: 1.5, readOnly: true, who: byRole | byUser, fill: noParams},
	{source: "monitoring", name: "GetMetricData", weight: 3, readOnly: true, who: byRole | byUser | bySvc,
		svcs: []string{"application-autoscaling.amazonaws.com"}, fill: getMetricData},
	{source: "cloudtrail", name: "LookupEvents", weight: 0.2, readOnly: true, who: byHuman, fill: lookupEvents},
	{source: "sts", name: "GetCallerIdentity", weight: 3, quiet: 1, readOnly: true, who: byRole | byUser, fill: noParams},
	{source: "elasticloadbalancing", name: "DescribeTargetHealth", weight: 1.5, readOnly: true, who: byRole | bySvc,
		svcs: []string{"ecs.amazonaws.com"}, fill: describeTargetHealth},
	{source: "rds", name: "DescribeDBInstances", weight: 0.8, quiet: 0.3, readOnly: true, who: byRole | byUser | bySvc,
		svcs: []string{"config.amazonaws.com"}, fill: describeDBInstances},
	{source: "organizations", name: "DescribeOrganization", weight: 0.2, global: true, readOnly: true, who: byRole | bySvc,
		svcs: []string{"sso.amazonaws.com", "config.amazonaws.com"}, fill: noParams},
	{source: "config", name: "PutEvaluations", weight: 1, quiet: 1, who: byRole, fill: putEvaluations},
}

// mix is a cumulative weight table over calls.
type mix struct {
	idx []int
	cum []float64
}

func newMix(quiet, global bool) mix {
	var m mix
	sum := 0.0
	for i, cl := range calls {
		w := cl.weight
		if quiet {
			w = cl.quiet
		}
		if w == 0 || cl.global && !global {
			continue
		}
		sum += w
		m.idx = append(m.idx, i)
		m.cum = append(m.cum, sum)
	}
	return m
}

func (m mix) pick(r float64) *call {
	r *= m.cum[len(m.cum)-1]
	for i, c := range m.cum {
		if r < c {
			return &calls[m.idx[i]]
		}
	}
	return &calls[m.idx[len(m.idx)-1]]
}

// Mixes by traffic kind and by whether global services log in the region.
var mixes = [2][2]mix{{newMix(false, false), newMix(false, true)}, {newMix(true, false), newMix(true, true)}}

// apiCall fills c with one API call from the mix.
func (c *rc) apiCall(quiet bool) {
	global := c.region == "us-east-1"
	q := 0
	if quiet {
		q = 1
	}
	g := 0
	if global {
		g = 1
	}
	cl := mixes[q][g].pick(c.rng.Float64())
	c.source = cl.source + ".amazonaws.com"
	c.name = cl.name
	c.readOnly, c.hasRO = cl.readOnly, true
	c.data = cl.data
	if cl.data && cl.source == "s3" {
		c.version = "1.10"
	}
	c.tls = true
	c.caller(cl.who, cl.svcs)
	cl.fill(c)
	c.maybeFail()
}

// maybeFail turns about 3 % of calls into access denials and a few into throttling, with each service's codes.
func (c *rc) maybeFail() {
	u := c.rng.Float64()
	if u >= accessDeniedRate+throttleRate || c.p == nil {
		return
	}
	svc := strings.TrimSuffix(c.source, ".amazonaws.com")
	action := svc + ":" + c.name
	if svc == "monitoring" {
		action = "cloudwatch:" + c.name
	}
	who := c.p.ARN
	if c.p.Kind == "AssumedRole" {
		who = "arn:aws:sts::" + c.a.ID + ":assumed-role/" + c.p.Name + "/" + c.session
	}
	if u < accessDeniedRate {
		msg := "User: " + who + " is not authorized to perform: " + action + " because no identity-based policy allows the " + action + " action"
		switch svc {
		case "s3":
			c.errCode, c.errMsg = "AccessDenied", "Access Denied"
		case "ec2":
			c.errCode, c.errMsg = "Client.UnauthorizedOperation", "You are not authorized to perform this operation. User: "+who+" is not authorized to perform: "+action+" because no identity-based policy allows the "+action+" action"
		case "iam", "sts", "cloudtrail", "organizations", "elasticloadbalancing", "rds":
			c.errCode, c.errMsg = "AccessDenied", msg
		default:
			c.errCode, c.errMsg = "AccessDeniedException", msg
		}
		return
	}
	switch svc {
	case "s3":
		c.errCode, c.errMsg = "SlowDown", "Please reduce your request rate."
	case "ec2":
		c.errCode, c.errMsg = "Client.RequestLimitExceeded", "Request limit exceeded."
	case "iam", "sts", "elasticloadbalancing", "rds":
		c.errCode, c.errMsg = "Throttling", "Rate exceeded"
	default:
		c.errCode, c.errMsg = "ThrottlingException", "Rate exceeded"
	}
}

// AWS's verbose time format in IAM and STS responses.
func awsDate(t time.Time) string { return t.UTC().Format("Jan 2, 2006, 3:04:05 PM") }

func noParams(c *rc) {}

func assumeRole(c *rc) {
	target := c.a.Roles[c.rng.IntN(len(c.a.Roles))]
	session := c.pick(target.Sessions)
	r := c.request()
	r.str("roleArn", target.ARN)
	r.str("roleSessionName", session)
	if c.chance(0.5) {
		r.num("durationSeconds", 3600)
	}
	w := c.response()
	w.obj("credentials")
	w.str("accessKeyId", c.accessKey(true))
	w.str("sessionToken", randString(c.rng, 48, alnum)+"=")
	w.str("expiration", awsDate(c.t.Add(time.Hour)))
	w.end()
	w.obj("assumedRoleUser")
	w.strs("assumedRoleId", target.PrincipalID, ":", session)
	w.strs("arn", "arn:aws:sts::", c.a.ID, ":assumed-role/", target.Name, "/", session)
	w.end()
	c.resource(target.ARN, c.a.ID, "AWS::IAM::Role")
	if c.p == nil {
		c.shared = uuid(c.rng)
	}
}

var objectKeys = []string{"uploads/2024/%s/%s.jpg", "exports/orders-%s-%s.csv.gz", "AWSLogs/%s/elasticloadbalancing/%s.log.gz",
	"reports/daily/%s-%s.parquet", "assets/js/app.%s.%s.js", "backups/db/%s/%s.sql.zst"}

func s3Object(c *rc) {
	bucket := c.pick(c.a.Buckets)
	objKey := fmt.Sprintf(c.pick(objectKeys), c.t.Format("2006-01-02"), randString(c.rng, 10, lowerHex))
	host := bucket + ".s3." + c.region + ".amazonaws.com"
	c.hostHeader = host
	r := c.request()
	r.str("bucketName", bucket)
	r.str("Host", host)
	r.str("key", objKey)
	if c.name == "PutObject" {
		w := c.response()
		w.str("x-amz-server-side-encryption", "aws:kms")
		w.str("x-amz-server-side-encryption-aws-kms-key-id", "arn:aws:kms:"+c.region+":"+c.a.ID+":key/"+c.a.Keys[0])
		w.boolean("x-amz-server-side-encryption-bucket-key-enabled", true)
	}
	a := c.additional()
	a.str("SignatureVersion", "SigV4")
	a.str("CipherSuite", "TLS_AES_128_GCM_SHA256")
	in, out := int64(0), int64(0)
	size := int64(200 + c.rng.IntN(5<<20))
	switch c.name {
	case "PutObject":
		in = size
	case "GetObject":
		out = size
	}
	a.num("bytesTransferredIn", in)
	a.str("AuthenticationMethod", "AuthHeader")
	a.str("x-amz-id-2", randString(c.rng, 56, alnum)+"=")
	a.num("bytesTransferredOut", out)
	c.resource("arn:aws:s3:::"+bucket+"/"+objKey, "", "AWS::S3::Object")
	c.resource("arn:aws:s3:::"+bucket, c.a.ID, "AWS::S3::Bucket")
	if c.p != nil && c.p.Kind == "AssumedRole" && strings.HasSuffix(c.p.Name, "-ec2-web") {
		c.vpce = "vpce-0" + randString(c.rng, 16, lowerHex)
	}
}

func listBuckets(c *rc) {
	c.request().str("Host", "s3."+c.region+".amazonaws.com")
	a := c.additional()
	a.str("SignatureVersion", "SigV4")
	a.str("CipherSuite", "TLS_AES_128_GCM_SHA256")
	a.num("bytesTransferredIn", 0)
	a.str("AuthenticationMethod", "AuthHeader")
	a.str("x-amz-id-2", randString(c.rng, 56, alnum)+"=")
	a.num("bytesTransferredOut", int64(300+c.rng.IntN(4000)))
}

func bucketOp(c *rc) {
	bucket := c.pick(c.a.Buckets)
	r := c.request()
	r.str("bucketName", bucket)
	r.str("Host", bucket+".s3."+c.region+".amazonaws.com")
	r.str("acl", "")
	c.resource("arn:aws:s3:::"+bucket, c.a.ID, "AWS::S3::Bucket")
}

func describeInstances(c *rc) {
	r := c.request()
	if c.chance(0.5) {
		r.items("instancesSet", "instanceId", c.pick(c.a.Instances))
	} else {
		r.obj("instancesSet")
		r.end()
	}
	r.obj("filterSet")
	r.arr("items")
	r.elem()
	r.str("name", "instance-state-name")
	r.items("valueSet", "value", "running", "pending")
	r.end()
	if c.chance(0.4) {
		r.elem()
		r.str("name", "tag:Environment")
		r.items("valueSet", "value", "prod")
		r.end()
	}
	r.endArr()
	r.end()
}

var instanceTypes = []string{"t3.micro", "t3.medium", "m7g.large", "c7i.xlarge", "r6i.2xlarge"}

func runInstances(c *rc) {
	ami := "ami-0" + randString(c.rng, 16, lowerHex)
	itype := c.pick(instanceTypes)
	sg := "sg-0" + randString(c.rng, 16, lowerHex)
	subnet := "subnet-0" + randString(c.rng, 16, lowerHex)
	n := 1 + c.rng.IntN(2)
	r := c.request()
	r.obj("instancesSet")
	r.arr("items")
	r.elem()
	r.str("imageId", ami)
	r.num("minCount", int64(n))
	r.num("maxCount", int64(n))
	r.end()
	r.endArr()
	r.end()
	r.str("instanceType", itype)
	r.obj("blockDeviceMapping")
	r.arr("items")
	r.elem()
	r.str("deviceName", "/dev/xvda")
	r.obj("ebs")
	r.num("volumeSize", 8+int64(c.rng.IntN(4))*8)
	r.boolean("deleteOnTermination", true)
	r.str("volumeType", "gp3")
	r.boolean("encrypted", true)
	r.end()
	r.end()
	r.endArr()
	r.end()
	r.obj("monitoring")
	r.boolean("enabled", false)
	r.end()
	r.boolean("disableApiTermination", false)
	r.items("networkInterfaceSet", "subnetId", subnet)
	r.obj("tagSpecificationSet")
	r.arr("items")
	r.elem()
	r.str("resourceType", "instance")
	r.arr("tags")
	r.elem()
	r.str("key", "Name")
	r.str("value", "web-"+randString(c.rng, 4, lowerHex))
	r.end()
	r.elem()
	r.str("key", "Environment")
	r.str("value", "prod")
	r.end()
	r.endArr()
	r.end()
	r.endArr()
	r.end()
	w := c.response()
	w.str("requestId", uuid(c.rng))
	w.str("reservationId", "r-0"+randString(c.rng, 16, lowerHex))
	w.str("ownerId", c.a.ID)
	w.items("groupSet", "groupId", sg)
	w.obj("instancesSet")
	w.arr("items")
	for i := range n {
		w.elem()
		w.str("instanceId", "i-0"+randString(c.rng, 16, lowerHex))
		w.str("imageId", ami)
		w.obj("instanceState")
		w.num("code", 0)
		w.str("name", "pending")
		w.end()
		w.str("privateDnsName", fmt.Sprintf("ip-10-0-%d-%d.%s.compute.internal", c.rng.IntN(256), c.rng.IntN(256), c.region))
		w.num("amiLaunchIndex", int64(i))
		w.obj("productCodes")
		w.end()
		w.str("instanceType", itype)
		w.num("launchTime", c.t.UnixMilli())
		w.obj("placement")
		w.str("availabilityZone", c.region+"a")
		w.str("tenancy", "default")
		w.end()
		w.obj("monitoring")
		w.str("state", "disabled")
		w.end()
		w.str("subnetId", subnet)
		w.str("architecture", "x86_64")
		w.str("rootDeviceType", "ebs")
		w.str("rootDeviceName", "/dev/xvda")
		w.str("virtualizationType", "hvm")
		w.str("hypervisor", "xen")
		w.items("groupSet", "groupId", sg)
		w.end()
	}
	w.endArr()
	w.end()
}

func terminateInstances(c *rc) {
	id := c.pick(c.a.Instances)
	c.request().items("instancesSet", "instanceId", id)
	w := c.response()
	w.str("requestId", uuid(c.rng))
	w.obj("instancesSet")
	w.arr("items")
	w.elem()
	w.str("instanceId", id)
	w.obj("currentState")
	w.num("code", 32)
	w.str("name", "shutting-down")
	w.end()
	w.obj("previousState")
	w.num("code", 16)
	w.str("name", "running")
	w.end()
	w.end()
	w.endArr()
	w.end()
}

func describeSecurityGroups(c *rc) {
	r := c.request()
	r.obj("securityGroupSet")
	r.end()
	r.obj("securityGroupIdSet")
	r.arr("items")
	for range 1 + c.rng.IntN(3) {
		r.elem()
		r.str("groupId", "sg-0"+randString(c.rng, 16, lowerHex))
		r.end()
	}
	r.endArr()
	r.end()
	r.obj("filterSet")
	r.end()
}

func createTags(c *rc) {
	r := c.request()
	r.items("resourcesSet", "resourceId", c.pick(c.a.Instances))
	r.obj("tagSet")
	r.arr("items")
	r.elem()
	r.str("key", "Owner")
	r.str("value", c.pick(people))
	r.end()
	r.elem()
	r.str("key", "CostCenter")
	r.str("value", strconv.Itoa(1000+c.rng.IntN(9000)))
	r.end()
	r.endArr()
	r.end()
	w := c.response()
	w.str("requestId", uuid(c.rng))
	w.boolean("_return", true)
}

func describeVolumes(c *rc) {
	r := c.request()
	r.obj("volumeSet")
	r.end()
	r.obj("filterSet")
	r.arr("items")
	r.elem()
	r.str("name", "attachment.instance-id")
	r.items("valueSet", "value", c.pick(c.a.Instances))
	r.end()
	r.endArr()
	r.end()
	r.num("maxResults", 500)
}

func createUser(c *rc) {
	name := c.pick([]string{"svc-reporting", "temp-contractor", "vendor-integration", "break-glass"}) + "-" + randString(c.rng, 4, lowerHex)
	r := c.request()
	r.str("userName", name)
	r.arr("tags")
	r.elem()
	r.str("key", "CreatedBy")
	r.str("value", "platform-team")
	r.end()
	r.endArr()
	w := c.response()
	w.obj("user")
	w.str("path", "/")
	w.str("userName", name)
	w.str("userId", "AIDA"+randString(c.rng, 17, upperNum))
	w.str("arn", "arn:aws:iam::"+c.a.ID+":user/"+name)
	w.str("createDate", awsDate(c.t))
	w.end()
}

var managedPolicies = []string{"arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy/ReadOnlyAccess",
	"arn:aws:iam::aws:policy/AmazonS3FullAccess", "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}

func attachRolePolicy(c *rc) {
	r := c.request()
	r.str("roleName", c.a.Roles[c.rng.IntN(len(c.a.Roles))].Name)
	r.str("policyArn", c.pick(managedPolicies))
}

func getRole(c *rc) {
	role := c.a.Roles[c.rng.IntN(len(c.a.Roles))]
	c.request().str("roleName", role.Name)
}

func listRoles(c *rc) {
	r := c.request()
	if c.chance(0.5) {
		r.str("pathPrefix", "/aws-reserved/sso.amazonaws.com/")
	}
	r.num("maxItems", 1000)
}

func createAccessKey(c *rc) {
	u := c.a.Users[c.rng.IntN(len(c.a.Users))]
	c.request().str("userName", u.Name)
	w := c.response()
	w.obj("accessKey")
	w.str("userName", u.Name)
	w.str("accessKeyId", c.accessKey(false))
	w.str("status", "Active")
	w.str("createDate", awsDate(c.t))
	w.end()
}

func putRolePolicy(c *rc) {
	role := c.a.Roles[c.rng.IntN(len(c.a.Roles))]
	bucket := c.pick(c.a.Buckets)
	r := c.request()
	r.str("roleName", role.Name)
	r.str("policyName", "inline-s3-access")
	// A JSON document inside a string, with its newlines: the kind of escaping real logs carry.
	r.str("policyDocument", "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": [\"s3:GetObject\", \"s3:PutObject\"],\n      \"Resource\": \"arn:aws:s3:::"+bucket+"/*\"\n    }\n  ]\n}")
}

func kmsCall(c *rc) {
	keyARN := "arn:aws:kms:" + c.region + ":" + c.a.ID + ":key/" + c.pick(c.a.Keys)
	r := c.request()
	if c.name != "Decrypt" || c.chance(0.5) {
		r.str("keyId", keyARN)
	}
	r.str("encryptionAlgorithm", "SYMMETRIC_DEFAULT")
	r.obj("encryptionContext")
	switch {
	case c.svc == "s3.amazonaws.com" || c.chance(0.3):
		r.str("aws:s3:arn", "arn:aws:s3:::"+c.pick(c.a.Buckets)+"/"+randString(c.rng, 12, lowerHex))
	case c.svc == "secretsmanager.amazonaws.com":
		r.str("SecretARN", "arn:aws:secretsmanager:"+c.region+":"+c.a.ID+":secret:"+c.pick(c.a.Secrets)+"-"+randString(c.rng, 6, alnum))
		r.str("SecretVersionId", uuid(c.rng))
	case c.svc == "dynamodb.amazonaws.com":
		r.str("aws:dynamodb:tableName", c.pick(c.a.Tables))
		r.str("aws:dynamodb:subscriberId", c.a.ID)
	case c.svc == "logs.amazonaws.com":
		r.str("aws:logs:arn", "arn:aws:logs:"+c.region+":"+c.a.ID+":log-group:/aws/lambda/"+c.pick(c.a.Functions))
	default:
		r.str("aws:lambda:FunctionArn", "arn:aws:lambda:"+c.region+":"+c.a.ID+":function:"+c.pick(c.a.Functions))
	}
	r.end()
	if c.name == "GenerateDataKey" {
		r.str("keySpec", "AES_256")
	}
	c.resource(keyARN, c.a.ID, "AWS::KMS::Key")
}

func getSecretValue(c *rc) {
	arn := "arn:aws:secretsmanager:" + c.region + ":" + c.a.ID + ":secret:" + c.pick(c.a.Secrets) + "-" + randString(c.rng, 6, alnum)
	c.request().str("secretId", arn)
	c.resource(arn, c.a.ID, "AWS::SecretsManager::Secret")
}

func invoke(c *rc) {
	arn := "arn:aws:lambda:" + c.region + ":" + c.a.ID + ":function:" + c.pick(c.a.Functions)
	r := c.request()
	r.str("functionName", arn)
	if c.p == nil {
		r.str("sourceArn", "arn:aws:execute-api:"+c.region+":"+c.a.ID+":"+randString(c.rng, 10, "abcdefghijklmnopqrstuvwxyz0123456789")+"/prod/POST/orders")
	}
	c.additional().str("functionVersion", arn+":$LATEST")
	c.resource(arn, c.a.ID, "AWS::Lambda::Function")
	c.apiVer = "2015-03-31"
}

func createLogStream(c *rc) {
	r := c.request()
	r.str("logGroupName", "/aws/lambda/"+c.pick(c.a.Functions))
	r.str("logStreamName", c.t.Format("2006/01/02")+"/[$LATEST]"+randString(c.rng, 32, lowerHex))
}

func describeLogGroups(c *rc) {
	r := c.request()
	r.str("logGroupNamePrefix", "/aws/lambda/")
	r.num("limit", 50)
}

func describeTable(c *rc) {
	c.request().str("tableName", c.pick(c.a.Tables))
	c.apiVer = "2012-08-10"
}

func getItem(c *rc) {
	table := c.pick(c.a.Tables)
	r := c.request()
	r.str("tableName", table)
	r.obj("key")
	r.obj("pk")
	r.str("S", "ORDER#"+strconv.Itoa(c.rng.IntN(1_000_000)))
	r.end()
	r.obj("sk")
	r.str("S", "v0")
	r.end()
	r.end()
	r.boolean("consistentRead", c.chance(0.2))
	r.str("projectionExpression", "pk, sk, #s, total")
	c.resource("arn:aws:dynamodb:"+c.region+":"+c.a.ID+":table/"+table, c.a.ID, "AWS::DynamoDB::Table")
	c.apiVer = "2012-08-10"
}

func updateInstanceInformation(c *rc) {
	inst := c.pick(c.a.Instances)
	if c.p != nil && c.p.Kind == "AssumedRole" && strings.HasPrefix(c.session, "i-") {
		inst = c.session
	}
	c.ua = ssmAgents[0]
	r := c.request()
	r.str("instanceId", inst)
	r.str("agentVersion", "3.3.859.0")
	r.str("agentStatus", "Active")
	r.str("platformType", "Linux")
	r.str("platformName", "Amazon Linux")
	r.str("platformVersion", "2023")
	r.str("iPAddress", c.ip)
	r.str("computerName", "ip-"+strings.ReplaceAll(c.ip, ".", "-")+"."+c.region+".compute.internal")
	r.str("agentName", "amazon-ssm-agent")
	r.str("availabilityZone", c.region+"b")
	r.str("availabilityZoneId", "use1-az"+strconv.Itoa(1+c.rng.IntN(6)))
}

func getParameter(c *rc) {
	r := c.request()
	r.str("name", "/"+c.pick([]string{"prod", "staging"})+"/"+c.pick(c.a.Functions)+"/"+c.pick([]string{"db-host", "feature-flags", "api-url"}))
	r.boolean("withDecryption", c.chance(0.5))
}

func getMetricData(c *rc) {
	r := c.request()
	r.arr("metricDataQueries")
	for i := range 1 + c.rng.IntN(3) {
		r.elem()
		r.str("id", "m"+strconv.Itoa(i))
		r.obj("metricStat")
		r.obj("metric")
		r.str("namespace", "AWS/EC2")
		r.str("metricName", c.pick([]string{"CPUUtilization", "NetworkIn", "StatusCheckFailed"}))
		r.arr("dimensions")
		r.elem()
		r.str("name", "InstanceId")
		r.str("value", c.pick(c.a.Instances))
		r.end()
		r.endArr()
		r.end()
		r.num("period", 300)
		r.str("stat", "Average")
		r.end()
		r.boolean("returnData", true)
		r.end()
	}
	r.endArr()
	r.str("startTime", awsDate(c.t.Add(-3*time.Hour)))
	r.str("endTime", awsDate(c.t))
}

func lookupEvents(c *rc) {
	r := c.request()
	r.arr("lookupAttributes")
	r.elem()
	r.str("attributeKey", "EventName")
	r.str("attributeValue", "ConsoleLogin")
	r.end()
	r.endArr()
	r.num("maxResults", 50)
}

func describeTargetHealth(c *rc) {
	c.request().str("targetGroupArn", "arn:aws:elasticloadbalancing:"+c.region+":"+c.a.ID+":targetgroup/web-tg/"+randString(c.rng, 16, lowerHex))
}

func describeDBInstances(c *rc) {
	r := c.request()
	r.num("maxRecords", 100)
	if c.chance(0.5) {
		r.str("dBInstanceIdentifier", c.pick(c.a.Tables)+"-db")
	}
}

func putEvaluations(c *rc) {
	r := c.request()
	r.arr("evaluations")
	r.elem()
	r.str("complianceResourceType", "AWS::S3::Bucket")
	r.str("complianceResourceId", c.pick(c.a.Buckets))
	r.str("complianceType", c.pick([]string{"COMPLIANT", "NON_COMPLIANT"}))
	r.str("orderingTimestamp", awsDate(c.t.Add(-time.Minute)))
	r.end()
	r.endArr()
	r.str("resultToken", randString(c.rng, 64, alnum))
	r.boolean("testMode", false)
	c.ua = "config.amazonaws.com"
	c.ip = "config.amazonaws.com"
}
