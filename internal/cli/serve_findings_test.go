package cli

import (
	"net/http"
	"testing"
)

// TestServeFindings checks the wiring of the findings page: serve gives the web server the engine with the
// built-in rules, which run on the store without loading.
func TestServeFindings(t *testing.T) {
	u, _, _ := startServe(t, "127.0.0.1:0")
	code, rep := getJSON(t, u+"api/findings?from=2014-01-01&to=2025-12-31&tz=UTC", nil)
	if code != http.StatusOK {
		t.Fatalf("GET /api/findings: %d %v", code, rep)
	}
	set := builtinRules()
	if got, want := rep["rules"], float64(len(set.Rules)); got == nil || got.(float64) == 0 || got.(float64) > want {
		t.Errorf("rules run: %v, want between 1 and the %v built-in rules", got, want)
	}
	if n, _ := rep["total"].(float64); n == 0 {
		t.Errorf("no findings in the sample logs: %v", rep)
	}
	// serve keeps the findings before it holds the store: a period with every event reads them, one that leaves
	// events out computes its own.
	if rep["stored"] != true {
		t.Errorf("2014 to 2025, every event of the sample: stored %v, want read from the findings table", rep["stored"])
	}
	if code, part := getJSON(t, u+"api/findings?from=2020-01-01&to=2020-12-31&tz=UTC", nil); code != http.StatusOK || part["stored"] != false {
		t.Errorf("2020: %d, stored %v, want computed", code, part["stored"])
	}
	if code, rep := getJSON(t, u+"api/findings?severity=bogus", nil); code != http.StatusBadRequest {
		t.Errorf("severity=bogus: %d %v", code, rep)
	}
}
