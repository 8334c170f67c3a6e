package sqlguard_test

import (
	"context"
	"strings"
	"testing"

	"github.com/trailq/trailq/internal/store/sqlguard"
	"github.com/trailq/trailq/internal/store/storetest"
)

// TestParseRefusesTheCorpus checks the store-less check that the CLI runs before loading: every attack is
// refused, or is a syntax error (left to the run, which refuses it with DuckDB's message and place).
func TestParseRefusesTheCorpus(t *testing.T) {
	for _, a := range storetest.Attacks("/s/s.duckdb", "part-1.parquet", "/out") {
		if strings.HasPrefix(a.Name, "a huge allocation") {
			continue // a query: stopped by the memory limit as it runs
		}
		st, err := sqlguard.Parse(context.Background(), a.SQL)
		if err == nil && !strings.Contains(string(st.Tree), `"error":true`) {
			t.Errorf("%s: Parse allowed it\n%s", a.Name, a.SQL)
		}
	}
}
