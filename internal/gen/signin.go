package gen

import (
	"math/rand/v2"
	"time"
)

// idcUser is an IAM Identity Center user of the organization.
type idcUser struct {
	name, userID, store, credential string
}

// hidden is how CloudTrail names a user that does not exist (people type passwords into the user-name box).
const hidden = "HIDDEN_DUE_TO_SECURITY_REASONS"

// signinPatterns are the ways people sign in, each giving one or more records; weight is per sign-in.
var signinPatterns = []struct {
	name   string
	weight float64
	global bool // us-east-1 only (root; IAM Identity Center in this organization)
	mgmt   bool // the management account only
	fn     func(c *fileGen, t time.Time)
}{
	{"iam-mfa", 25, false, false, iamLoginMFA},
	{"iam-no-mfa", 12, false, false, iamLoginNoMFA},
	{"iam-wrong-password", 8, false, false, iamWrongPassword},
	{"root", 3, true, false, rootLogin},
	{"sso-console", 20, false, false, ssoConsoleLogin},
	{"switch-role", 8, false, false, switchRole},
	{"identity-center", 18, true, true, identityCenter},
	{"identity-center-failure", 3, true, true, identityCenterFailure},
}

// burstShare is the share of sign-in records that come from bursts of failed sign-ins; burstLen their mean length.
const burstShare, burstLen = 0.2, 17.5

// signins adds about budget sign-in records at random times of the file's window.
func (g *fileGen) signins(budget int) {
	region, mgmt := g.region, g.a.Management
	for budget > 0 && len(g.recs) < g.f.Records {
		sum := 0.0
		for _, p := range signinPatterns {
			if (!p.global || region == "us-east-1") && (!p.mgmt || mgmt) {
				sum += p.weight
			}
		}
		r := g.rng.Float64() * sum
		var fn func(*fileGen, time.Time)
		for _, p := range signinPatterns {
			if (!p.global || region == "us-east-1") && (!p.mgmt || mgmt) {
				if r < p.weight {
					fn = p.fn
					break
				}
				r -= p.weight
			}
		}
		if fn == nil {
			fn = iamLoginNoMFA
		}
		// A pattern is not cut short, but never holds more records than the file.
		// A pattern that overshoots the budget is kept with probability budget/length, so that the expected
		// number of sign-in records stays the budget.
		before, arena := len(g.recs), len(g.arena)
		g.limit = g.f.Records
		fn(g, g.eventTime())
		g.limit = 0
		added := len(g.recs) - before
		if added > budget && g.rng.Float64()*float64(added) >= float64(budget) {
			g.recs, g.arena = g.recs[:before], g.arena[:arena]
		}
		budget -= added
	}
}

// signin starts a console sign-in record.
func (g *fileGen) signin(t time.Time, name string, p *Principal) *rc {
	c := g.start(t)
	c.source = "signin.amazonaws.com"
	c.name = name
	c.eventType = "AwsConsoleSignIn"
	c.readOnly, c.hasRO = false, true
	c.noReqID = true
	c.tls = true
	if p != nil {
		c.setPrincipal(p)
		c.ua = c.pick(browserAgents)
		if len(p.IPs) > 0 {
			c.ip = c.pick(p.IPs)
		}
		c.console = true
	}
	return c
}

func loginTo(rng *rand.Rand, region string) string {
	return "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&region=" + region +
		"&state=hashArgsFromTB_" + region + "_" + randString(rng, 16, lowerHex)
}

func (g *fileGen) person() *Principal {
	var ps []*Principal
	for _, u := range g.a.Users {
		if u.Human {
			ps = append(ps, u)
		}
	}
	return ps[g.rng.IntN(len(ps))]
}

func consoleLogin(c *rc, result, mfa, mfaARN string) {
	c.response().str("ConsoleLogin", result)
	a := c.additional()
	a.str("LoginTo", loginTo(c.rng, c.region))
	a.str("MobileVersion", "No")
	if mfaARN != "" {
		a.str("MFAIdentifier", mfaARN)
	}
	a.str("MFAUsed", mfa)
	if result == "Failure" {
		c.errMsg = "Failed authentication"
	}
}

func iamLoginMFA(g *fileGen, t time.Time) {
	p := g.person()
	ip, ua := g.rng.IntN(len(p.IPs)), g.rng.IntN(len(browserAgents))
	mfaType := []string{"Virtual MFA", "U2F MFA", "Virtual MFA"}[g.rng.IntN(3)]
	c := g.signin(t, "CheckMfa", p)
	c.ip, c.ua, c.noARN = p.IPs[ip], browserAgents[ua], true
	c.response().str("CheckMfa", "Success")
	c.additional().str("MfaType", mfaType)
	g.finish(c)
	c = g.signin(t.Add(time.Duration(3+g.rng.IntN(20))*time.Second), "ConsoleLogin", p)
	c.ip, c.ua = p.IPs[ip], browserAgents[ua]
	consoleLogin(c, "Success", "Yes", "arn:aws:iam::"+g.a.ID+":mfa/"+p.Name)
	g.finish(c)
}

func iamLoginNoMFA(g *fileGen, t time.Time) {
	c := g.signin(t, "ConsoleLogin", g.person())
	consoleLogin(c, "Success", "No", "")
	g.finish(c)
}

func iamWrongPassword(g *fileGen, t time.Time) {
	p := g.person()
	c := g.signin(t, "ConsoleLogin", p)
	c.noARN = true
	ip, ua := c.ip, c.ua
	consoleLogin(c, "Failure", "No", "")
	g.finish(c)
	if g.rng.Float64() < 0.8 {
		c = g.signin(t.Add(time.Duration(10+g.rng.IntN(60))*time.Second), "ConsoleLogin", p)
		c.ip, c.ua = ip, ua
		consoleLogin(c, "Success", "No", "")
		g.finish(c)
	}
}

func rootLogin(g *fileGen, t time.Time) {
	p := g.a.Root
	mfa := g.rng.Float64() < 0.7
	if g.rng.Float64() < 0.1 {
		c := g.signin(t, "ConsoleLogin", p)
		c.noARN = true
		consoleLogin(c, "Failure", "No", "")
		g.finish(c)
		return
	}
	if mfa {
		c := g.signin(t, "CheckMfa", p)
		c.response().str("CheckMfa", "Success")
		c.additional().str("MfaType", "U2F MFA")
		g.finish(c)
		c = g.signin(t.Add(5*time.Second), "ConsoleLogin", p)
		consoleLogin(c, "Success", "Yes", "arn:aws:iam::"+g.a.ID+":u2f/root/root-key-"+randString(g.rng, 26, upperNum))
		g.finish(c)
		return
	}
	c := g.signin(t, "ConsoleLogin", p)
	consoleLogin(c, "Success", "No", "")
	g.finish(c)
}

func ssoConsoleLogin(g *fileGen, t time.Time) {
	r := g.a.ssoRoles[g.rng.IntN(len(g.a.ssoRoles))]
	c := g.signin(t, "ConsoleLogin", r)
	c.mfa = "false"
	consoleLogin(c, "Success", "No", "")
	g.finish(c)
}

func switchRole(g *fileGen, t time.Time) {
	var target *Principal
	for _, r := range g.a.Roles {
		if r.Name == "OrganizationAccountAccessRole" {
			target = r
		}
	}
	from := g.person()
	c := g.signin(t, "SwitchRole", target)
	c.session = from.Name
	c.response().str("SwitchRole", "Success")
	a := c.additional()
	a.str("SwitchFrom", from.ARN)
	a.str("RedirectTo", "https://console.aws.amazon.com/console/home?region="+g.region)
	g.finish(c)
}

func (g *fileGen) idcUser() *idcUser {
	u := g.plan.idc[g.rng.IntN(len(g.plan.idc))]
	return &u
}

func identityCenterStep(g *fileGen, t time.Time, u *idcUser, ip, ua, flow, name, credType, result string) {
	c := g.signin(t, name, nil)
	c.eventType = "AwsServiceEvent"
	c.noReqID = false
	c.idc = u
	c.ip, c.ua = ip, ua
	c.console = true
	a := c.additional()
	a.str("AuthWorkflowID", flow)
	a.str("UserName", u.name)
	if name == "UserAuthentication" {
		a.str("LoginTo", "https://"+g.plan.idcPortal+".awsapps.com/start/")
	}
	a.str("CredentialType", credType)
	c.detailsSet = true
	c.details.str(name, result)
	g.finish(c)
}

func identityCenter(g *fileGen, t time.Time) {
	u := g.idcUser()
	ip, ua := randIP(g.rng), browserAgents[g.rng.IntN(len(browserAgents))]
	flow := uuid(g.rng)
	second := []string{"TOTP", "WEBAUTHN", "EMAIL_OTP"}[g.rng.IntN(3)]
	identityCenterStep(g, t, u, ip, ua, flow, "CredentialChallenge", "PASSWORD", "Success")
	identityCenterStep(g, t.Add(8*time.Second), u, ip, ua, flow, "CredentialVerification", "PASSWORD", "Success")
	identityCenterStep(g, t.Add(9*time.Second), u, ip, ua, flow, "CredentialChallenge", second, "Success")
	identityCenterStep(g, t.Add(25*time.Second), u, ip, ua, flow, "CredentialVerification", second, "Success")
	identityCenterStep(g, t.Add(25*time.Second), u, ip, ua, flow, "UserAuthentication", second, "Success")
}

func identityCenterFailure(g *fileGen, t time.Time) {
	u := g.idcUser()
	ip, ua := randIP(g.rng), browserAgents[g.rng.IntN(len(browserAgents))]
	flow := uuid(g.rng)
	identityCenterStep(g, t, u, ip, ua, flow, "CredentialChallenge", "PASSWORD", "Success")
	identityCenterStep(g, t.Add(6*time.Second), u, ip, ua, flow, "CredentialVerification", "PASSWORD", "Failure")
}

// failureBurst is a password-guessing run from one address: mostly unknown user names (hidden), some real ones.
func failureBurst(g *fileGen, t time.Time) {
	ip := g.a.attackers[g.rng.IntN(len(g.a.attackers))]
	ua := []string{"python-requests/2.31.0", browserAgents[0], "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:109.0) Gecko/20100101 Firefox/115.0"}[g.rng.IntN(3)]
	n := 5 + g.rng.IntN(26)
	ghost := &Principal{Kind: "IAMUser", Name: hidden, Agents: []string{ua}, IPs: []string{ip}}
	for i := range n {
		at := t.Add(time.Duration(i*(2+g.rng.IntN(10))) * time.Second)
		var c *rc
		if g.rng.Float64() < 0.8 {
			c = g.signin(at, "ConsoleLogin", ghost)
			consoleLogin(c, "Failure", "No", "")
			c.errMsg = "No username found in supplied account"
		} else {
			c = g.signin(at, "ConsoleLogin", g.person())
			consoleLogin(c, "Failure", "No", "")
		}
		c.noARN = true
		c.ip, c.ua = ip, ua
		if !g.finish(c) {
			return
		}
	}
}
