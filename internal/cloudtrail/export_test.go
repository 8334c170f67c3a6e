package cloudtrail

// Hooks for the tests of package cloudtrail_test (which can import internal/gen, as this package cannot).

// OldDecoder is the decoder as it was before the one-pass rewrite: the reference of the differential tests.
type OldDecoder = oldDecoder

// NewOldDecoder returns an OldDecoder.
func NewOldDecoder() *OldDecoder { return oldNewDecoder() }

// RecordsOf returns the raw elements of the Records array of doc, found as the old decoder finds them, or nil
// when doc is not a valid document.
func RecordsOf(doc []byte) [][]byte {
	d := oldNewDecoder()
	if !d.scanDocument(doc) || !d.sawRecords {
		return nil
	}
	var out [][]byte
	for _, sp := range d.records {
		out = append(out, doc[sp.start:sp.end])
	}
	return out
}
