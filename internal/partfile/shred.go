package partfile

import (
	"cmp"
	"slices"
	"time"

	"github.com/trailq/trailq/internal/cloudtrail"
)

// shred adds the record r of object o to the columns: a value or a NULL (with its definition level) to every
// leaf column, and as many entries as the resources list and the attributes map have to theirs.
func (p *Writer) shred(r *cloudtrail.Record, o *Object) {
	c := &p.b.cols
	c[colEventVersion].str(&r.EventVersion)
	p.userIdentity(r.UserIdentity)
	c[colEventTime].str(&r.EventTime)
	c[colEventSource].str(&r.EventSource)
	c[colEventName].str(&r.EventName)
	c[colAWSRegion].str(&r.AWSRegion)
	c[colSourceIPAddress].str(&r.SourceIPAddress)
	c[colUserAgent].str(&r.UserAgent)
	c[colErrorCode].str(&r.ErrorCode)
	c[colErrorMessage].str(&r.ErrorMessage)
	c[colRequestParameters].str(&r.RequestParameters)
	c[colResponseElements].str(&r.ResponseElements)
	c[colAdditionalEventData].str(&r.AdditionalEventData)
	c[colRequestID].str(&r.RequestID)
	c[colEventID].str(&r.EventID)
	p.resources(r.Resources)
	c[colEventType].str(&r.EventType)
	c[colAPIVersion].str(&r.APIVersion)
	c[colReadOnly].str(&r.ReadOnly)
	c[colRecipientAccountID].str(&r.RecipientAccountID)
	c[colServiceEventDetails].str(&r.ServiceEventDetails)
	c[colSharedEventID].str(&r.SharedEventID)
	c[colVPCEndpointID].str(&r.VPCEndpointID)
	c[colVPCEndpointAccountID].str(&r.VPCEndpointAccountID)
	c[colEventCategory].str(&r.EventCategory)
	if a := r.Addendum; a == nil {
		p.nulls(addendumFirst, addendumLast, 0)
	} else {
		c[colAddReason].str(&a.Reason)
		c[colAddUpdatedFields].str(&a.UpdatedFields)
		c[colAddOriginalRequestID].str(&a.OriginalRequestID)
		c[colAddOriginalEventID].str(&a.OriginalEventID)
	}
	c[colSessionCredentialFromConsole].str(&r.SessionCredentialFromConsole)
	c[colEdgeDeviceDetails].str(&r.EdgeDeviceDetails)
	if t := r.TLSDetails; t == nil {
		p.nulls(tlsFirst, tlsLast, 0)
	} else {
		c[colTLSVersion].str(&t.TLSVersion)
		c[colTLSCipherSuite].str(&t.CipherSuite)
		c[colTLSClientProvidedHostHeader].str(&t.ClientProvidedHostHeader)
	}
	p.partition(r, o)
	c[colFileID].int(o.ID)
	c[colHash].int(int64(r.Hash))
}

// nulls adds a NULL defined down to level d to the columns first to last.
func (p *Writer) nulls(first, last int, d uint8) {
	for i := first; i <= last; i++ {
		p.b.cols[i].null(d)
	}
}

func (p *Writer) userIdentity(u *cloudtrail.UserIdentity) {
	if u == nil {
		p.nulls(uiFirst, uiLast, 0)
		return
	}
	c := &p.b.cols
	c[colUIType].str(&u.Type)
	c[colUIPrincipalID].str(&u.PrincipalID)
	c[colUIARN].str(&u.ARN)
	c[colUIAccountID].str(&u.AccountID)
	c[colUIInvokedBy].str(&u.InvokedBy)
	c[colUIAccessKeyID].str(&u.AccessKeyID)
	c[colUIUserName].str(&u.UserName)
	if o := u.OnBehalfOf; o == nil {
		p.nulls(oboFirst, oboLast, 1)
	} else {
		c[colOBOUserID].str(&o.UserID)
		c[colOBOIdentityStoreARN].str(&o.IdentityStoreARN)
	}
	sc := u.SessionContext
	if sc == nil {
		p.nulls(scFirst, scLast, 1)
		return
	}
	if a := sc.Attributes; a == nil {
		p.nulls(attrFirst, attrLast, 2)
	} else {
		c[colAttrMFAAuthenticated].str(&a.MFAAuthenticated)
		c[colAttrCreationDate].str(&a.CreationDate)
	}
	if i := sc.SessionIssuer; i == nil {
		p.nulls(issuerFirst, issuerLast, 2)
	} else {
		c[colIssuerType].str(&i.Type)
		c[colIssuerPrincipalID].str(&i.PrincipalID)
		c[colIssuerARN].str(&i.ARN)
		c[colIssuerAccountID].str(&i.AccountID)
		c[colIssuerUserName].str(&i.UserName)
	}
	c[colEC2RoleDelivery].str(&sc.EC2RoleDelivery)
	w := sc.WebIDFederationData
	if w == nil {
		p.nulls(webFirst, webLast, 2)
		return
	}
	c[colWebFederatedProvider].str(&w.FederatedProvider)
	p.webAttributes(w.Attributes)
}

// webAttributes adds the attributes MAP: NULL when nil, else its entries sorted by key, the last of equal keys
// kept (as a Go map of them has it).
func (p *Writer) webAttributes(kvs []cloudtrail.KV) {
	key, val := &p.b.cols[colWebAttrKey], &p.b.cols[colWebAttrValue]
	// The map's definition level: 4 is present, 5 an entry (key and value are required).
	switch {
	case kvs == nil:
		key.nullAt(3, 0)
		val.nullAt(3, 0)
		return
	case len(kvs) == 0:
		key.nullAt(4, 0)
		val.nullAt(4, 0)
		return
	}
	s := append(p.kvs[:0], kvs...)
	slices.SortStableFunc(s, func(a, b cloudtrail.KV) int { return cmp.Compare(a.K, b.K) })
	var rep uint8
	for i := range s {
		if i+1 < len(s) && s[i+1].K == s[i].K {
			continue
		}
		key.valAt(s[i].K, rep)
		val.valAt(s[i].V, rep)
		rep = 1
	}
	clear(s)
	p.kvs = s[:0]
}

// resources adds the resources LIST: NULL when nil, an empty list when empty.
func (p *Writer) resources(rs []cloudtrail.Resource) {
	c := &p.b.cols
	// The list's definition level: 1 is present, 2 an element (which is required), 3 its field.
	switch {
	case rs == nil:
		p.nulls(colResARN, colResType, 0)
		return
	case len(rs) == 0:
		for i := colResARN; i <= colResType; i++ {
			c[i].nullAt(1, 0)
		}
		return
	}
	var rep uint8
	for i := range rs {
		r := &rs[i]
		c[colResARN].strAt(&r.ARN, rep)
		c[colResAccountID].strAt(&r.AccountID, rep)
		c[colResType].strAt(&r.Type, rep)
		rep = 1
	}
}

// partition adds the partition columns and the path: from the object's key, or, for a file not named as
// CloudTrail names them, the region and date from the record itself.
func (p *Writer) partition(r *cloudtrail.Record, o *Object) {
	region, year, month, day, account := o.region, o.year, o.month, o.day, o.account
	if !o.fromKey {
		region, year, month, day = nil, nil, nil, nil
		if r.AWSRegion.Valid && r.AWSRegion.S != "" {
			region = &r.AWSRegion.S
		}
		if t, ok := r.Time(); ok {
			year, month, day = p.dates.of(t)
		}
	}
	if account == nil && r.RecipientAccountID.S != "" {
		account = &r.RecipientAccountID.S
	}
	c := &p.b.cols
	c[colRegion].ptr(region)
	c[colYear].ptr(year)
	c[colMonth].ptr(month)
	c[colDay].ptr(day)
	c[colAccount].ptr(account)
	c[colPath].ptr(o.path)
}

// dateCache keeps the partition values of the last date taken from a record's time.
type dateCache struct {
	y                int
	m                time.Month
	d                int
	year, month, day string
}

// of returns the year, month and day partition values of t.
func (c *dateCache) of(t time.Time) (year, month, day *string) {
	y, m, d := t.Date()
	if c.year == "" || y != c.y || m != c.m || d != c.d {
		c.y, c.m, c.d = y, m, d
		c.year, c.month, c.day = t.Format("2006"), t.Format("01"), t.Format("02")
	}
	return &c.year, &c.month, &c.day
}
