package signin

import (
	"context"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/source/local"
	"github.com/trailq/trailq/internal/store"
	"github.com/trailq/trailq/internal/timewin"
)

// The classified table answers every query exactly as classifying the rows as they are read does, on the real
// sign-in samples (and the rest of the corpus), and it follows replacements of the rows it came from.
func TestClassifiedAnswersAsRaw(t *testing.T) {
	ctx := context.Background()
	defer func(n int) { classifyBatch = n }(classifyBatch)
	classifyBatch = 7 // many batches
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	st, err := store.Open(ctx, storePath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i, dir := range []string{"../../testdata/cloudtrail/real", "../../testdata/sample/AWSLogs"} {
		src, err := local.New(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ingest.Run(ctx, src, st, ingest.Options{}); err != nil {
			t.Fatal(err)
		}
		if i == 0 && classifiedCurrent(ctx, st) {
			t.Fatal("the classified table is current before Classify ran")
		}
		if err := Classify(ctx, st); err != nil {
			t.Fatal(err)
		}
		if !classifiedCurrent(ctx, st) {
			t.Fatal("the classified table is not current after Classify")
		}
	}
	pfx := netip.MustParsePrefix("192.0.2.0/24")
	queries := []*Query{
		{}, {All: true}, {Failed: true}, {NoMFA: true}, {Root: true}, {Kinds: []string{"CheckMfa", "SwitchRole"}},
		{Accounts: []string{"111122223333"}}, {Regions: []string{"us-east-1"}}, {Users: []string{"anaya", "*Identity*"}},
		{IPs: []netip.Prefix{pfx}}, {All: true, Period: timewin.Period{Start: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)}},
	}
	compare := func(when string) {
		t.Helper()
		total := 0
		for i, q := range queries {
			raw, err := fetchRaw(ctx, st, rawSQL(q), q)
			if err != nil {
				t.Fatal(err)
			}
			fast, err := fetchClassified(ctx, st, q)
			if err != nil {
				t.Fatal(err)
			}
			sortFound(raw)
			sortFound(fast)
			if diff := cmp.Diff(raw, fast); diff != "" {
				t.Errorf("%s, query %d %+v: classified differs from raw (-raw +classified):\n%s", when, i, q, diff)
			}
			total += len(raw)
		}
		if total < 100 {
			t.Errorf("%s: only %d events over the queries: the comparison shows little", when, total)
		}
	}
	compare("after loading")

	// Rows that go (a replaced object) leave the classified table out of date until Classify runs again.
	if err := st.Exec(ctx, `DELETE FROM `+store.SignInRowsTable+` WHERE _file_id = (SELECT min(_file_id) FROM `+store.SignInRowsTable+`)`); err != nil {
		t.Fatal(err)
	}
	if classifiedCurrent(ctx, st) {
		t.Error("the classified table is current with rows of a deleted object")
	}
	if err := Classify(ctx, st); err != nil {
		t.Fatal(err)
	}
	if !classifiedCurrent(ctx, st) {
		t.Error("the classified table is not current after Classify")
	}
	compare("after a deletion")
}

// rawSQL is the Query's SQL as Fetch gets it: over the store's sign-in view.
func rawSQL(q *Query) string {
	return strings.Replace(q.SQL(), "FROM cloudtrail_logs\n", "FROM "+store.SignInsView+"\n", 1)
}
