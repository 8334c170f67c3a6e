package partfile

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/trailq/trailq/internal/cloudtrail"
)

// pqRow is one row of a part file: the store's events table's columns, in its order and with its types (DuckDB reads
// optional byte arrays as VARCHAR, groups as STRUCTs, the list as a LIST of STRUCTs, uint64 as UBIGINT). Strings
// point into the decoded record; nothing is copied until the writer encodes the row.
type pqRow struct {
	EventVersion                 *string         `parquet:"eventversion,optional,dict"`
	UserIdentity                 *pqUserIdentity `parquet:"useridentity,optional"`
	EventTime                    *string         `parquet:"eventtime,optional"`
	EventSource                  *string         `parquet:"eventsource,optional,dict"`
	EventName                    *string         `parquet:"eventname,optional,dict"`
	AWSRegion                    *string         `parquet:"awsregion,optional,dict"`
	SourceIPAddress              *string         `parquet:"sourceipaddress,optional"`
	UserAgent                    *string         `parquet:"useragent,optional"`
	ErrorCode                    *string         `parquet:"errorcode,optional,dict"`
	ErrorMessage                 *string         `parquet:"errormessage,optional"`
	RequestParameters            *string         `parquet:"requestparameters,optional"`
	ResponseElements             *string         `parquet:"responseelements,optional"`
	AdditionalEventData          *string         `parquet:"additionaleventdata,optional"`
	RequestID                    *string         `parquet:"requestid,optional"`
	EventID                      *string         `parquet:"eventid,optional"`
	Resources                    []pqResource    `parquet:"resources,list,optional"`
	EventType                    *string         `parquet:"eventtype,optional,dict"`
	APIVersion                   *string         `parquet:"apiversion,optional,dict"`
	ReadOnly                     *string         `parquet:"readonly,optional,dict"`
	RecipientAccountID           *string         `parquet:"recipientaccountid,optional,dict"`
	ServiceEventDetails          *string         `parquet:"serviceeventdetails,optional"`
	SharedEventID                *string         `parquet:"sharedeventid,optional"`
	VPCEndpointID                *string         `parquet:"vpcendpointid,optional,dict"`
	VPCEndpointAccountID         *string         `parquet:"vpcendpointaccountid,optional,dict"`
	EventCategory                *string         `parquet:"eventcategory,optional,dict"`
	Addendum                     *pqAddendum     `parquet:"addendum,optional"`
	SessionCredentialFromConsole *string         `parquet:"sessioncredentialfromconsole,optional,dict"`
	EdgeDeviceDetails            *string         `parquet:"edgedevicedetails,optional"`
	TLSDetails                   *pqTLS          `parquet:"tlsdetails,optional"`
	Region                       *string         `parquet:"region,optional,dict"`
	Year                         *string         `parquet:"year,optional,dict"`
	Month                        *string         `parquet:"month,optional,dict"`
	Day                          *string         `parquet:"day,optional,dict"`
	Account                      *string         `parquet:"account,optional,dict"`
	Path                         *string         `parquet:"_path,optional,dict"`
	FileID                       int64           `parquet:"_file_id"`
	Hash                         uint64          `parquet:"_hash"`
}

type pqUserIdentity struct {
	Type           *string           `parquet:"type,optional,dict"`
	PrincipalID    *string           `parquet:"principalid,optional"`
	ARN            *string           `parquet:"arn,optional"`
	AccountID      *string           `parquet:"accountid,optional,dict"`
	InvokedBy      *string           `parquet:"invokedby,optional,dict"`
	AccessKeyID    *string           `parquet:"accesskeyid,optional"`
	UserName       *string           `parquet:"username,optional"`
	OnBehalfOf     *pqOnBehalfOf     `parquet:"onbehalfof,optional"`
	SessionContext *pqSessionContext `parquet:"sessioncontext,optional"`
}

type pqOnBehalfOf struct {
	UserID           *string `parquet:"userid,optional"`
	IdentityStoreARN *string `parquet:"identitystorearn,optional"`
}

type pqSessionContext struct {
	Attributes          *pqAttributes `parquet:"attributes,optional"`
	SessionIssuer       *pqIssuer     `parquet:"sessionissuer,optional"`
	EC2RoleDelivery     *string       `parquet:"ec2roledelivery,optional"`
	WebIDFederationData *pqWebID      `parquet:"webidfederationdata,optional"`
}

type pqAttributes struct {
	MFAAuthenticated *string `parquet:"mfaauthenticated,optional,dict"`
	CreationDate     *string `parquet:"creationdate,optional"`
}

type pqIssuer struct {
	Type        *string `parquet:"type,optional,dict"`
	PrincipalID *string `parquet:"principalid,optional"`
	ARN         *string `parquet:"arn,optional"`
	AccountID   *string `parquet:"accountid,optional,dict"`
	UserName    *string `parquet:"username,optional"`
}

type pqWebID struct {
	FederatedProvider *string `parquet:"federatedprovider,optional"`
	// Attributes is a MAP; its keys come out sorted (the log's order is not kept in a part file).
	Attributes map[string]string `parquet:"attributes,optional"`
}

type pqResource struct {
	ARN       *string `parquet:"arn,optional"`
	AccountID *string `parquet:"accountid,optional"`
	Type      *string `parquet:"type,optional"`
}

type pqAddendum struct {
	Reason            *string `parquet:"reason,optional"`
	UpdatedFields     *string `parquet:"updatedfields,optional"`
	OriginalRequestID *string `parquet:"originalrequestid,optional"`
	OriginalEventID   *string `parquet:"originaleventid,optional"`
}

type pqTLS struct {
	TLSVersion               *string `parquet:"tlsversion,optional,dict"`
	CipherSuite              *string `parquet:"ciphersuite,optional,dict"`
	ClientProvidedHostHeader *string `parquet:"clientprovidedhostheader,optional"`
}

// partBatch is how many rows are converted before they are handed to the encoder.
const partBatch = 1024

// refWriter writes a part file with parquet-go's GenericWriter: the writer part files had before the column
// encoder, kept as the reference that the encoder's files must read back the same as.
type refWriter struct {
	name string // file name in the parts folder
	path string
	f    *os.File
	w    *parquet.GenericWriter[pqRow]
	rows int64
	ids  map[int64]bool // objects with rows in the file
	b    rowBatch
}

// createRef starts the reference part file name in dir, with row groups of rowGroup rows.
func createRef(dir, name string, rowGroup int) (*refWriter, error) {
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create part file: %w", err)
	}
	w := parquet.NewGenericWriter[pqRow](f,
		parquet.Compression(&zstd.Codec{Level: zstd.SpeedFastest}),
		parquet.MaxRowsPerRowGroup(int64(rowGroup)))
	return &refWriter{name: name, path: path, f: f, w: w, ids: map[int64]bool{}}, nil
}

// Name returns the file's name.
func (p *refWriter) Name() string { return p.name }

// Rows returns how many rows were added.
func (p *refWriter) Rows() int64 { return p.rows + int64(len(p.b.rows)) }

// Objects returns the ids of the objects with rows in the file, in order.
func (p *refWriter) Objects() []int64 { return slices.Sorted(maps.Keys(p.ids)) }

// Add converts r, which came from the object o, and encodes it when a batch is full. r must not change until
// the file is finished.
func (p *refWriter) Add(r *cloudtrail.Record, o *Origin) error {
	p.ids[o.ID] = true
	p.b.add(r, o)
	if len(p.b.rows) == partBatch {
		return p.flush()
	}
	return nil
}

// flush encodes the converted rows.
func (p *refWriter) flush() error {
	if len(p.b.rows) == 0 {
		return nil
	}
	if _, err := p.w.Write(p.b.rows); err != nil {
		return fmt.Errorf("write part file %s: %w", p.name, err)
	}
	p.rows += int64(len(p.b.rows))
	p.b.reset()
	return nil
}

// Finish writes the file's footer and syncs it to disk.
func (p *refWriter) Finish() error {
	if err := p.flush(); err != nil {
		return err
	}
	if err := p.w.Close(); err != nil {
		return fmt.Errorf("write part file %s: %w", p.name, err)
	}
	if err := p.f.Sync(); err != nil {
		return fmt.Errorf("sync part file %s: %w", p.name, err)
	}
	if err := p.f.Close(); err != nil {
		return fmt.Errorf("write part file %s: %w", p.name, err)
	}
	p.f = nil
	return nil
}

// Discard removes an unfinished or uncommitted part file.
func (p *refWriter) Discard() {
	if p.f != nil {
		p.f.Close()
		p.f = nil
	}
	os.Remove(p.path)
}

// rowBatch converts records into pqRows. Nested values come from slabs that are reused from batch to batch;
// a slab is never grown in place (rows point into it), a full one is replaced.
type rowBatch struct {
	rows      []pqRow
	uis       []pqUserIdentity
	obos      []pqOnBehalfOf
	scs       []pqSessionContext
	attrs     []pqAttributes
	issuers   []pqIssuer
	webs      []pqWebID
	adds      []pqAddendum
	tlss      []pqTLS
	resources []pqResource
	strs      []string // partition values taken from the record
}

func (b *rowBatch) reset() {
	clear(b.rows) // drop the pointers into records
	b.rows = b.rows[:0]
	b.uis, b.obos, b.scs, b.attrs = b.uis[:0], b.obos[:0], b.scs[:0], b.attrs[:0]
	b.issuers, b.webs, b.adds, b.tlss = b.issuers[:0], b.webs[:0], b.adds[:0], b.tlss[:0]
	b.resources, b.strs = b.resources[:0], b.strs[:0]
}

// slot returns a pointer to a new zero element of *s, which has room for a whole batch.
func slot[T any](s *[]T) *T {
	if cap(*s) == 0 {
		*s = make([]T, 0, partBatch)
	}
	var zero T
	*s = append(*s, zero)
	return &(*s)[len(*s)-1]
}

func sp(v *cloudtrail.String) *string {
	if !v.Valid {
		return nil
	}
	return &v.S
}

func (b *rowBatch) str(v string) *string {
	if v == "" {
		return nil
	}
	if len(b.strs) == cap(b.strs) {
		b.strs = make([]string, 0, 4*partBatch)
	}
	b.strs = append(b.strs, v)
	return &b.strs[len(b.strs)-1]
}

func (b *rowBatch) add(r *cloudtrail.Record, o *Origin) {
	row := slot(&b.rows)
	*row = pqRow{
		EventVersion: sp(&r.EventVersion), EventTime: sp(&r.EventTime), EventSource: sp(&r.EventSource),
		EventName: sp(&r.EventName), AWSRegion: sp(&r.AWSRegion), SourceIPAddress: sp(&r.SourceIPAddress),
		UserAgent: sp(&r.UserAgent), ErrorCode: sp(&r.ErrorCode), ErrorMessage: sp(&r.ErrorMessage),
		RequestParameters: sp(&r.RequestParameters), ResponseElements: sp(&r.ResponseElements),
		AdditionalEventData: sp(&r.AdditionalEventData), RequestID: sp(&r.RequestID), EventID: sp(&r.EventID),
		EventType: sp(&r.EventType), APIVersion: sp(&r.APIVersion), ReadOnly: sp(&r.ReadOnly),
		RecipientAccountID: sp(&r.RecipientAccountID), ServiceEventDetails: sp(&r.ServiceEventDetails),
		SharedEventID: sp(&r.SharedEventID), VPCEndpointID: sp(&r.VPCEndpointID),
		VPCEndpointAccountID: sp(&r.VPCEndpointAccountID), EventCategory: sp(&r.EventCategory),
		SessionCredentialFromConsole: sp(&r.SessionCredentialFromConsole), EdgeDeviceDetails: sp(&r.EdgeDeviceDetails),
		FileID: o.ID, Hash: r.Hash,
	}
	if u := r.UserIdentity; u != nil {
		row.UserIdentity = b.userIdentity(u)
	}
	if r.Resources != nil {
		row.Resources = b.resourceList(r.Resources)
	}
	if a := r.Addendum; a != nil {
		p := slot(&b.adds)
		*p = pqAddendum{sp(&a.Reason), sp(&a.UpdatedFields), sp(&a.OriginalRequestID), sp(&a.OriginalEventID)}
		row.Addendum = p
	}
	if t := r.TLSDetails; t != nil {
		p := slot(&b.tlss)
		*p = pqTLS{sp(&t.TLSVersion), sp(&t.CipherSuite), sp(&t.ClientProvidedHostHeader)}
		row.TLSDetails = p
	}
	row.Region, row.Year, row.Month, row.Day, row.Account, row.Path = o.region, o.year, o.month, o.day, o.account, o.path
	if !o.fromKey {
		// A file not named as CloudTrail names them: take the partition values from the record itself.
		row.Region = sp(&r.AWSRegion)
		row.Year, row.Month, row.Day = nil, nil, nil
		if t, ok := r.Time(); ok {
			row.Year, row.Month, row.Day = b.str(t.Format("2006")), b.str(t.Format("01")), b.str(t.Format("02"))
		}
		if row.Region != nil && *row.Region == "" {
			row.Region = nil
		}
	}
	if row.Account == nil && r.RecipientAccountID.S != "" {
		row.Account = &r.RecipientAccountID.S
	}
}

func (b *rowBatch) userIdentity(u *cloudtrail.UserIdentity) *pqUserIdentity {
	p := slot(&b.uis)
	*p = pqUserIdentity{Type: sp(&u.Type), PrincipalID: sp(&u.PrincipalID), ARN: sp(&u.ARN), AccountID: sp(&u.AccountID),
		InvokedBy: sp(&u.InvokedBy), AccessKeyID: sp(&u.AccessKeyID), UserName: sp(&u.UserName)}
	if o := u.OnBehalfOf; o != nil {
		q := slot(&b.obos)
		*q = pqOnBehalfOf{sp(&o.UserID), sp(&o.IdentityStoreARN)}
		p.OnBehalfOf = q
	}
	c := u.SessionContext
	if c == nil {
		return p
	}
	sc := slot(&b.scs)
	*sc = pqSessionContext{EC2RoleDelivery: sp(&c.EC2RoleDelivery)}
	if a := c.Attributes; a != nil {
		q := slot(&b.attrs)
		*q = pqAttributes{sp(&a.MFAAuthenticated), sp(&a.CreationDate)}
		sc.Attributes = q
	}
	if i := c.SessionIssuer; i != nil {
		q := slot(&b.issuers)
		*q = pqIssuer{sp(&i.Type), sp(&i.PrincipalID), sp(&i.ARN), sp(&i.AccountID), sp(&i.UserName)}
		sc.SessionIssuer = q
	}
	if w := c.WebIDFederationData; w != nil {
		q := slot(&b.webs)
		*q = pqWebID{FederatedProvider: sp(&w.FederatedProvider)}
		if w.Attributes != nil {
			q.Attributes = make(map[string]string, len(w.Attributes))
			for _, kv := range w.Attributes {
				q.Attributes[kv.K] = kv.V
			}
		}
		sc.WebIDFederationData = q
	}
	p.SessionContext = sc
	return p
}

func (b *rowBatch) resourceList(rs []cloudtrail.Resource) []pqResource {
	if len(rs) == 0 {
		return []pqResource{} // an empty list, not NULL
	}
	if cap(b.resources)-len(b.resources) < len(rs) {
		b.resources = make([]pqResource, 0, max(4*partBatch, len(rs)))
	}
	start := len(b.resources)
	for i := range rs {
		r := &rs[i]
		b.resources = append(b.resources, pqResource{sp(&r.ARN), sp(&r.AccountID), sp(&r.Type)})
	}
	return b.resources[start:len(b.resources):len(b.resources)]
}
