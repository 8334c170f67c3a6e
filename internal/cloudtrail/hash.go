package cloudtrail

import (
	"encoding/binary"
	"encoding/json"
	"strings"

	"github.com/zeebo/xxh3"
)

// hashRecord computes Record.Hash over every stored field, so that the same event serialized with its keys in
// another order (or with other white space) has the same hash.
func hashRecord(r *Record) uint64 {
	h := hasher{h: xxh3.New()}
	h.strs(r.EventVersion, r.EventTime, r.EventSource, r.EventName, r.AWSRegion, r.SourceIPAddress, r.UserAgent,
		r.ErrorCode, r.ErrorMessage, r.RequestID,
		r.EventID, r.ReadOnly, r.EventType, r.APIVersion, r.RecipientAccountID,
		r.SharedEventID, r.VPCEndpointID, r.VPCEndpointAccountID, r.EventCategory, r.SessionCredentialFromConsole)
	// JSON text is hashed in a canonical form (object keys sorted), so key order does not matter.
	h.strs(canonical(r.RequestParameters), canonical(r.ResponseElements), canonical(r.AdditionalEventData),
		canonical(r.ServiceEventDetails), canonical(r.EdgeDeviceDetails))
	if u := r.UserIdentity; u != nil {
		h.mark(1)
		h.strs(u.Type, u.PrincipalID, u.ARN, u.AccountID, u.InvokedBy, u.AccessKeyID, u.UserName)
		if o := u.OnBehalfOf; o != nil {
			h.mark(2)
			h.strs(o.UserID, o.IdentityStoreARN)
		}
		if c := u.SessionContext; c != nil {
			h.mark(3)
			h.strs(c.EC2RoleDelivery)
			if a := c.Attributes; a != nil {
				h.mark(4)
				h.strs(a.MFAAuthenticated, a.CreationDate)
			}
			if i := c.SessionIssuer; i != nil {
				h.mark(5)
				h.strs(i.Type, i.PrincipalID, i.ARN, i.AccountID, i.UserName)
			}
			if w := c.WebIDFederationData; w != nil {
				h.mark(6)
				h.strs(w.FederatedProvider)
				for _, kv := range w.Attributes {
					h.strs(Str(kv.K), Str(kv.V))
				}
			}
		}
	}
	if r.Resources != nil {
		h.mark(7)
		for _, res := range r.Resources {
			h.strs(res.ARN, res.AccountID, res.Type)
		}
	}
	if a := r.Addendum; a != nil {
		h.mark(8)
		h.strs(a.Reason, a.UpdatedFields, a.OriginalRequestID, a.OriginalEventID)
	}
	if t := r.TLSDetails; t != nil {
		h.mark(9)
		h.strs(t.TLSVersion, t.CipherSuite, t.ClientProvidedHostHeader)
	}
	return h.h.Sum64()
}

type hasher struct {
	h   *xxh3.Hasher
	buf [9]byte
}

func (h *hasher) mark(b byte) { h.h.Write([]byte{0xff, b}) }

func (h *hasher) strs(ss ...String) {
	for _, s := range ss {
		if !s.Valid {
			h.h.Write([]byte{0})
			continue
		}
		h.buf[0] = 1
		binary.LittleEndian.PutUint64(h.buf[1:], uint64(len(s.S)))
		h.h.Write(h.buf[:])
		h.h.WriteString(s.S)
	}
}

// canonical returns JSON text with object keys sorted; other text is returned as it is.
func canonical(s String) String {
	if !s.Valid || s.S == "" || (s.S[0] != '{' && s.S[0] != '[') {
		return s
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(s.S))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return s
	}
	return Str(string(b))
}
