package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

const (
	alnum    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	upperNum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	lowerHex = "0123456789abcdef"
)

func randString(rng *rand.Rand, n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

// Principal is someone or something that calls AWS in an account.
type Principal struct {
	Kind        string // IAMUser, AssumedRole, Root
	Name        string // user or role name
	PrincipalID string // AIDA… or AROA…
	ARN         string // user or role ARN
	// Sessions are the role session names seen (a person's e-mail for SSO roles, an instance ID, a function name).
	Sessions []string
	Agents   []string // user agents
	IPs      []string // source IPs ("" means the call comes from inside AWS: an AWS service name is used)
	Human    bool     // a person (console, CLI), as opposed to a workload
	Weight   float64
}

// Account is one AWS account of a generated tree.
type Account struct {
	ID         string
	Home       string // the region its applications run in
	Management bool   // the organization's management account (IAM Identity Center lives here)
	weight     float64
	Users      []*Principal // IAM users
	Roles      []*Principal // roles, assumed
	Root       *Principal
	Buckets    []string
	Keys       []string // KMS key IDs
	Instances  []string
	Functions  []string
	Tables     []string
	Secrets    []string
	// attackers are source IPs of bursts of failed console sign-ins.
	attackers []string
	// ssoRoles are the AWSReservedSSO_* roles of the account.
	ssoRoles []*Principal
}

// people of the organization: IAM Identity Center users and, in older accounts, IAM users.
var people = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar"}

var (
	cliAgents = []string{
		"aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/macos#23.5.0 md/arch#arm64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off md/command#s3.ls",
		"aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1016-aws exe/x86_64.ubuntu.22 prompt/off command/ec2.describe-instances",
		"aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/windows#10 md/arch#amd64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#sts.get-caller-identity",
	}
	consoleAgents = []string{
		"AWS Internal",
		"console.amazonaws.com",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36",
	}
	browserAgents = []string{
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.0.0 Safari/537.36 Edg/127.0.0.0",
		"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:129.0) Gecko/20100101 Firefox/129.0",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
	}
	terraformAgents = []string{
		"APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.64.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.30.4 ua/2.0 os/linux lang/go#1.22.6 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.173.0",
	}
	lambdaAgents = []string{
		"Boto3/1.34.162 md/Botocore#1.34.162 ua/2.0 os/linux#5.10.224-233.876.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.5 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.162",
		"aws-sdk-nodejs/3.637.0 ua/2.1 os/linux#5.10.224-233.876.amzn2.x86_64 lang/js md/nodejs#20.16.0 exec-env/AWS_Lambda_nodejs20.x api/dynamodb#3.637.0",
	}
	appAgents = []string{
		"aws-sdk-java/2.26.25 Linux/5.10.223-212.873.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/21.0.4+7-LTS Java/21.0.4 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy",
		"aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.58.2",
	}
	ssmAgents = []string{"aws-sdk-go/1.44.260 (go1.20.10; linux; amd64) amazon-ssm-agent/3.3.859.0"}
	ciAgents  = []string{
		"aws-cli/2.17.18 md/awscrt#0.20.11 ua/2.0 os/linux#6.5.0-1025-azure md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython md/installer#exe md/distrib#ubuntu.22 md/prompt#off md/command#s3.cp",
		"aws-sdk-go-v2/1.30.4 ua/2.0 os/linux lang/go#1.22.6 md/GOOS#linux md/GOARCH#amd64 exec-env/GitHubActions api/sts#1.30.4",
	}
)

// randIP returns an address in a public-looking range (cloud providers, ISPs).
func randIP(rng *rand.Rand) string {
	firsts := []int{3, 18, 34, 35, 44, 52, 54, 62, 78, 81, 85, 88, 91, 93, 109, 151, 176, 185, 188, 212, 217}
	return fmt.Sprintf("%d.%d.%d.%d", firsts[rng.IntN(len(firsts))], rng.IntN(256), rng.IntN(256), 1+rng.IntN(254))
}

func newAccount(rng *rand.Rand, i int, opts Options) *Account {
	a := &Account{
		ID:         fmt.Sprintf("%d%011d", 1+rng.IntN(9), rng.Int64N(1e11)),
		Management: i == 0,
		// Zipf-like sizes: a few busy accounts, a tail of quiet ones.
		weight: 1 / math.Pow(float64(i+1), 0.8),
	}
	a.Home = homeRegions[rng.IntN(len(homeRegions))]
	if i == 0 {
		a.Home = "us-east-1"
	}
	alias := []string{"acme", "orders", "payments", "data", "shared", "sandbox", "audit", "web", "ml", "infra"}[i%10]
	if i >= 10 {
		alias = fmt.Sprintf("%s%d", alias, i/10)
	}
	office := []string{randIP(rng), randIP(rng), randIP(rng)}
	homes := []string{randIP(rng), randIP(rng), randIP(rng), randIP(rng)}
	ci := []string{randIP(rng), randIP(rng), randIP(rng), randIP(rng), randIP(rng)}
	a.Root = &Principal{Kind: "Root", Name: "root", PrincipalID: a.ID, ARN: "arn:aws:iam::" + a.ID + ":root",
		Agents: browserAgents, IPs: office, Human: true}

	// IAM users: a few people (older accounts) and machine users.
	nPeople := 2 + rng.IntN(4)
	for k := range nPeople {
		name := people[(i+k*3)%len(people)]
		a.Users = append(a.Users, &Principal{Kind: "IAMUser", Name: name, PrincipalID: "AIDA" + randString(rng, 17, upperNum),
			ARN: "arn:aws:iam::" + a.ID + ":user/" + name, Agents: append(append([]string{}, cliAgents...), consoleAgents...),
			IPs: append(append([]string{}, office...), homes[k%len(homes)]), Human: true, Weight: 1})
	}
	for _, name := range []string{"ci-deploy", "terraform", "backup-bot", "legacy-app"} {
		agents := ciAgents
		ips := ci
		switch name {
		case "terraform":
			agents = terraformAgents
		case "legacy-app", "backup-bot":
			agents, ips = appAgents, []string{randIP(rng)}
		}
		a.Users = append(a.Users, &Principal{Kind: "IAMUser", Name: name, PrincipalID: "AIDA" + randString(rng, 17, upperNum),
			ARN: "arn:aws:iam::" + a.ID + ":user/" + name, Agents: agents, IPs: ips, Weight: 2})
	}

	// Roles: workloads (no source IP of their own: calls come from inside AWS) and people through SSO.
	role := func(name string, sessions, agents, ips []string, human bool, w float64) *Principal {
		return &Principal{Kind: "AssumedRole", Name: name, PrincipalID: "AROA" + randString(rng, 17, upperNum),
			ARN: "arn:aws:iam::" + a.ID + ":role/" + name, Sessions: sessions, Agents: agents, IPs: ips, Human: human, Weight: w}
	}
	var instances []string
	for range 4 + rng.IntN(8) {
		instances = append(instances, "i-0"+randString(rng, 16, lowerHex))
	}
	a.Instances = instances
	for _, fn := range []string{"orders-api", "thumbnailer", "nightly-report", "webhook-handler", "etl-loader"} {
		a.Functions = append(a.Functions, alias+"-"+fn)
	}
	vpcIPs := []string{fmt.Sprintf("10.%d.%d.%d", rng.IntN(256), rng.IntN(256), 1+rng.IntN(254)), fmt.Sprintf("10.%d.%d.%d", rng.IntN(256), rng.IntN(256), 1+rng.IntN(254))}
	a.Roles = append(a.Roles,
		role(alias+"-lambda-exec", a.Functions, lambdaAgents, []string{randIP(rng), randIP(rng), randIP(rng)}, false, 6),
		role(alias+"-ec2-web", instances, append(appAgents, ssmAgents...), vpcIPs, false, 5),
		role("ecs-task-api", []string{randString(rng, 32, lowerHex), randString(rng, 32, lowerHex)}, appAgents, vpcIPs, false, 3),
		role("github-actions-deploy", []string{"GitHubActions"}, ciAgents, ci, false, 2),
		role("OrganizationAccountAccessRole", people[:3], cliAgents, office, true, 0.3),
		role("AWSServiceRoleForConfig", []string{"AWSConfig-Describe"}, []string{"config.amazonaws.com"}, nil, false, 0.2),
	)
	emails := make([]string, 0, 5)
	for k := range 5 {
		emails = append(emails, people[(i+k)%len(people)]+"@example.com")
	}
	for _, perm := range []string{"AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess"} {
		r := role("AWSReservedSSO_"+perm+"_"+randString(rng, 16, lowerHex), emails, append(append([]string{}, consoleAgents...), cliAgents...),
			append(append([]string{}, office...), homes...), true, 1.5)
		r.ARN = "arn:aws:iam::" + a.ID + ":role/aws-reserved/sso.amazonaws.com/" + r.Name
		a.Roles = append(a.Roles, r)
		a.ssoRoles = append(a.ssoRoles, r)
	}

	for _, b := range []string{alias + "-app-data", alias + "-logs", alias + "-backups", "cdk-hnb659fds-assets-" + a.ID + "-" + a.Home} {
		a.Buckets = append(a.Buckets, b)
	}
	for range 3 {
		a.Keys = append(a.Keys, uuid(rng))
	}
	a.Tables = []string{alias + "-orders", alias + "-sessions", alias + "-events"}
	a.Secrets = []string{"prod/" + alias + "/db", "prod/" + alias + "/api-key", "ci/github-token"}
	for range 2 + rng.IntN(3) {
		a.attackers = append(a.attackers, randIP(rng))
	}
	return a
}

// busy is the account's weight of busy traffic in region ri: its home region gets three times its share.
func (a *Account) busy(ri int) float64 {
	w := regions[ri].busy
	if regions[ri].name == a.Home {
		w = w*3 + 10
	}
	return w
}

func uuid(rng *rand.Rand) string {
	var b [36]byte
	for i := range b {
		switch i {
		case 8, 13, 18, 23:
			b[i] = '-'
		case 14:
			b[i] = '4'
		default:
			b[i] = lowerHex[rng.IntN(16)]
		}
	}
	return string(b[:])
}

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
