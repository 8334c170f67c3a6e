package sigma

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// shape describes a column of Athena's CloudTrail table, or a part of one, for mapping Sigma's field names
// (CloudTrail's record keys, like userIdentity.sessionContext.sessionIssuer.userName) to SQL.
type shape struct {
	kind   shapeKind
	fields map[string]*shape // struct fields, by lower-case name
	names  map[string]string // lower-case name → CloudTrail's spelling, for messages
}

type shapeKind int

const (
	text   shapeKind = iota // VARCHAR
	jsonT                   // VARCHAR holding JSON (requestParameters, …): sub-fields are JSON paths
	object                  // STRUCT
	strMap                  // MAP(VARCHAR, VARCHAR): sub-field is a key
	list                    // ARRAY of STRUCT (resources): a match is a match of any element
)

func leaf() *shape { return &shape{kind: text} }

func obj(fields ...any) *shape {
	s := &shape{kind: object, fields: map[string]*shape{}, names: map[string]string{}}
	for i := 0; i+1 < len(fields); i += 2 {
		name := fields[i].(string)
		s.fields[strings.ToLower(name)] = fields[i+1].(*shape)
		s.names[strings.ToLower(name)] = name
	}
	return s
}

// columns is the CloudTrail record as Athena's table has it (declared in internal/schema; a test checks this
// copy against the store's columns), with CloudTrail's names.
var columns = obj(
	"eventVersion", leaf(),
	"userIdentity", obj(
		"type", leaf(), "principalId", leaf(), "arn", leaf(), "accountId", leaf(), "invokedBy", leaf(),
		"accessKeyId", leaf(), "userName", leaf(),
		"onBehalfOf", obj("userId", leaf(), "identityStoreArn", leaf()),
		"sessionContext", obj(
			"attributes", obj("mfaAuthenticated", leaf(), "creationDate", leaf()),
			"sessionIssuer", obj("type", leaf(), "principalId", leaf(), "arn", leaf(), "accountId", leaf(), "userName", leaf()),
			"ec2RoleDelivery", leaf(),
			"webIdFederationData", obj("federatedProvider", leaf(), "attributes", &shape{kind: strMap}))),
	"eventTime", leaf(),
	"eventSource", leaf(),
	"eventName", leaf(),
	"awsRegion", leaf(),
	"sourceIPAddress", leaf(),
	"userAgent", leaf(),
	"errorCode", leaf(),
	"errorMessage", leaf(),
	"requestParameters", &shape{kind: jsonT},
	"responseElements", &shape{kind: jsonT},
	"additionalEventData", &shape{kind: jsonT},
	"requestID", leaf(),
	"eventID", leaf(),
	"resources", &shape{kind: list, fields: map[string]*shape{"arn": leaf(), "accountid": leaf(), "type": leaf()},
		names: map[string]string{"arn": "ARN", "accountid": "accountId", "type": "type"}},
	"eventType", leaf(),
	"apiVersion", leaf(),
	"readOnly", leaf(),
	"recipientAccountId", leaf(),
	"serviceEventDetails", &shape{kind: jsonT},
	"sharedEventID", leaf(),
	"vpcEndpointId", leaf(),
	"vpcEndpointAccountId", leaf(),
	"eventCategory", leaf(),
	"addendum", obj("reason", leaf(), "updatedFields", leaf(), "originalRequestID", leaf(), "originalEventID", leaf()),
	"sessionCredentialFromConsole", leaf(),
	"edgeDeviceDetails", &shape{kind: jsonT},
	"tlsDetails", obj("tlsVersion", leaf(), "cipherSuite", leaf(), "clientProvidedHostHeader", leaf()),
)

// field is a Sigma field mapped to SQL.
type field struct {
	name string // as the rule writes it
	// expr is the field's value as text (VARCHAR), NULL when the record lacks it. For a field of a list element
	// it is over the lambda variable r, and list is the list column.
	expr string
	list string
}

// each wraps a condition on the field (over expr) so that it holds when it holds for any element of a list.
func (f field) each(cond string) string {
	if f.list == "" {
		return cond
	}
	return "any_match(" + f.list + ", r -> " + cond + ")"
}

// isNull is the SQL for "the record has no value for the field".
func (f field) isNull() string {
	if f.list == "" {
		return f.expr + " IS NULL"
	}
	return "NOT coalesce(any_match(" + f.list + ", r -> " + f.expr + " IS NOT NULL), false)"
}

var jsonKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// mapField maps a Sigma field name to SQL. Names are matched without regard to case up to a JSON-text column;
// inside one (requestParameters.bucketName) the keys are JSON's, matched as written.
func mapField(name string) (field, error) {
	if name == "" {
		return field{}, fmt.Errorf("a field name is empty")
	}
	parts := strings.Split(name, ".")
	s, expr, path := columns, "", ""
	for i, p := range parts {
		switch s.kind {
		case object:
			sub, ok := s.fields[strings.ToLower(p)]
			if !ok {
				if i == 0 {
					return field{}, fmt.Errorf("field %s is not a field of CloudTrail records (nor a column of Athena's CloudTrail table)%s", name, suggest(p, s))
				}
				return field{}, fmt.Errorf("field %s: %s has no field %s in Athena's CloudTrail table%s", name, path, p, suggest(p, s))
			}
			col := strings.ToLower(p)
			if sub.kind == list {
				return mapListField(name, expr, col, sub, parts[i+1:])
			}
			if expr == "" {
				expr = col
			} else {
				expr += "." + col
			}
			if path == "" {
				path = s.names[col]
			} else {
				path += "." + s.names[col]
			}
			s = sub
		case jsonT:
			return field{name: name, expr: jsonValue(expr, parts[i:])}, nil
		case strMap:
			key := strings.Join(parts[i:], ".")
			return field{name: name, expr: "element_at(" + expr + ", " + quote(key) + ")"}, nil
		case text:
			return field{}, fmt.Errorf("field %s: %s is a text value, it has no field %s", name, path, p)
		}
	}
	switch s.kind {
	case object:
		return field{}, fmt.Errorf("field %s is a structure: name one of its fields (%s)", name, fieldNames(s))
	case strMap:
		return field{}, fmt.Errorf("field %s is a map: name a key of it (%s.key)", name, name)
	}
	return field{name: name, expr: expr}, nil
}

func mapListField(name, prefix, col string, elem *shape, rest []string) (field, error) {
	listCol := col
	if prefix != "" {
		listCol = prefix + "." + col
	}
	if len(rest) != 1 {
		return field{}, fmt.Errorf("field %s: name one field of the elements of %s (%s)", name, col, fieldNames(elem))
	}
	sub := strings.ToLower(rest[0])
	if _, ok := elem.fields[sub]; !ok {
		return field{}, fmt.Errorf("field %s: the elements of %s have no field %s (they have %s)", name, col, rest[0], fieldNames(elem))
	}
	return field{name: name, expr: "r." + sub, list: listCol}, nil
}

// jsonValue is the value at a path of a JSON-text column: a scalar as its text (true, 12, "x" → x), an object or
// array as its JSON text, NULL when missing or JSON null. Sigma matches a list by any element; here a list or an
// object is matched as its JSON text, so contains and wildcards see its elements but a plain value does not
// equal one of them, and a path does not pass through lists.
func jsonValue(col string, keys []string) string {
	if len(keys) == 0 {
		return col
	}
	var b strings.Builder
	b.WriteString("$")
	for _, k := range keys {
		if jsonKey.MatchString(k) {
			b.WriteString("." + k)
		} else {
			b.WriteString(`["` + strings.ReplaceAll(strings.ReplaceAll(k, `\`, `\\`), `"`, `\"`) + `"]`)
		}
	}
	p := quote(b.String())
	return "coalesce(json_extract_scalar(" + col + ", " + p + "), nullif(json_format(json_extract(" + col + ", " + p + ")), 'null'))"
}

func fieldNames(s *shape) string {
	var names []string
	for k := range s.fields {
		names = append(names, s.names[k])
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// suggest names the closest field, or lists them.
func suggest(p string, s *shape) string {
	best, bestD := "", max(2, len(p)/3+1)
	keys := make([]string, 0, len(s.fields))
	for k := range s.fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if d := distance(strings.ToLower(p), k); d < bestD {
			best, bestD = s.names[k], d
		}
	}
	if best != "" {
		return ": did you mean " + best + "?"
	}
	if len(s.fields) > 12 {
		return ""
	}
	return " (its fields: " + fieldNames(s) + ")"
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev = cur
	}
	return prev[len(b)]
}

// quote is a SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
