package sigma

import (
	"sort"
	"strings"
	"testing"

	"github.com/trailq/trailq/internal/store"
)

// leaves lists the Sigma names of every field the mapping knows, with CloudTrail's spelling.
func leaves(prefix string, s *shape) []string {
	var out []string
	for k, sub := range s.fields {
		name := s.names[k]
		if prefix != "" {
			name = prefix + "." + name
		}
		switch sub.kind {
		case object, list:
			out = append(out, leaves(name, sub)...)
		case strMap:
			out = append(out, name+".someKey")
		case jsonT:
			out = append(out, name, name+".some.path", name+".key with space")
		default:
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// TestFieldsAreTheTable: every column of Athena's CloudTrail table has a Sigma name, and the SQL of every
// field the mapping knows runs on a real store.
func TestFieldsAreTheTable(t *testing.T) {
	var missing []string
	for _, c := range store.AthenaColumns() {
		if columns.fields[c] == nil {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 || len(columns.fields) != len(store.AthenaColumns()) {
		t.Errorf("columns without a Sigma name: %q (%d names, %d columns)", missing, len(columns.fields), len(store.AthenaColumns()))
	}
	st := openStore(t, writeRecords(t, matchRecords()))
	var exprs []string
	for _, name := range leaves("", columns) {
		f, err := mapField(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		exprs = append(exprs, f.each(f.expr+" IS NOT NULL"))
		// Any case of the names up to JSON text maps to the same SQL.
		if g, err := mapField(strings.ToLower(name)); err != nil || !strings.Contains(name, "some") && g.expr != f.expr {
			t.Errorf("%s in lower case: %v, %s", name, err, g.expr)
		}
	}
	run(t, st, "SELECT "+strings.Join(exprs, ", ")+" FROM cloudtrail_logs")
	for name, want := range map[string]string{
		"userIdentity.sessionContext.sessionIssuer.userName": "useridentity.sessioncontext.sessionissuer.username",
		"eventName":                     "eventname",
		"responseElements.ConsoleLogin": "coalesce(json_extract_scalar(responseelements, '$.ConsoleLogin'), nullif(json_format(json_extract(responseelements, '$.ConsoleLogin')), 'null'))",
		"requestParameters.a b":         `coalesce(json_extract_scalar(requestparameters, '$["a b"]'), nullif(json_format(json_extract(requestparameters, '$["a b"]')), 'null'))`,
		"resources.ARN":                 "r.arn",
		"userIdentity.sessionContext.webIdFederationData.attributes.x.y": "element_at(useridentity.sessioncontext.webidfederationdata.attributes, 'x.y')",
	} {
		if f, err := mapField(name); err != nil || f.expr != want {
			t.Errorf("%s: %s, %v; want %s", name, f.expr, err, want)
		}
	}
}
