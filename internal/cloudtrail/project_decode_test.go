package cloudtrail_test

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/trailq/trailq/internal/cloudtrail"
)

// decodeAll decodes doc with dec and returns copies of its records (nil on a document that breaks off: such
// records come from the streaming decoder, which does not project).
func decodeAll(dec *cloudtrail.Decoder, doc []byte) ([]cloudtrail.Record, error) {
	var recs []cloudtrail.Record
	err := dec.Decode(bytes.NewReader(doc), func(_ int, r *cloudtrail.Record, _ []cloudtrail.Problem) error {
		recs = append(recs, *r)
		return nil
	}, func(cloudtrail.Problem) {})
	return recs, err
}

// TestProjectedDecodeKeepsHashesAndFields decodes the repository's files, odd and broken documents and
// generated files with projections (and recycled record memory): every record has the content hash of its full decoding (a load and an answer
// first leave out the same duplicates), and the fields the projection keeps as the full decoding has them.
func TestProjectedDecodeKeepsHashesAndFields(t *testing.T) {
	projections := [][]string{
		nil, // only the fields the partition columns need
		{"eventtime", "eventname", "useridentity", "sourceipaddress", "useragent", "responseelements", "eventtype"},
		{"requestparameters", "resources", "tlsdetails", "addendum"},
		{"eventid", "errorcode", "errormessage", "additionaleventdata", "serviceeventdetails", "readonly"},
	}
	docs := testdataDocs(t)
	for i, d := range genDocs(t, 40) {
		docs[fmt.Sprint("generated ", i)] = d
	}
	full := cloudtrail.NewDecoder()
	records := 0
	for _, cols := range projections {
		p := cloudtrail.NewProjection(cols)
		dec := cloudtrail.NewDecoder()
		dec.Project(p)
		dec.Recycle() // as the first read of an answer first: each document's records are compared before the next
		for name, doc := range docs {
			want, wantErr := decodeAll(full, doc)
			got, gotErr := decodeAll(dec, doc)
			if (wantErr == nil) != (gotErr == nil) {
				t.Errorf("%s [%s]: error %v, full decoding %v", name, strings.Join(cols, ","), gotErr, wantErr)
				continue
			}
			if len(got) != len(want) {
				t.Errorf("%s [%s]: %d records, full decoding %d", name, strings.Join(cols, ","), len(got), len(want))
				continue
			}
			for i := range want {
				w, g := want[i], got[i]
				p.Apply(&w)
				p.Apply(&g) // records of the streaming decoder (large or broken files) are not projected
				if !reflect.DeepEqual(g, w) {
					t.Errorf("%s [%s] record %d:\n got %+v\nwant %+v", name, strings.Join(cols, ","), i, g, w)
					break
				}
				records++
			}
		}
	}
	if records < 4000 {
		t.Errorf("only %d records compared", records)
	}
}
