package athena_test

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/trailq/trailq/internal/athena"
	"github.com/trailq/trailq/internal/store"
)

// fixtureRecord is the part of a CloudTrail record the reference below reads, decoded with encoding/json.
type fixtureRecord struct {
	EventTime    string `json:"eventTime"`
	EventSource  string `json:"eventSource"`
	EventName    string `json:"eventName"`
	SourceIP     string `json:"sourceIPAddress"`
	ErrorCode    string `json:"errorCode"`
	UserIdentity struct {
		Type     string `json:"type"`
		UserName string `json:"userName"`
	} `json:"userIdentity"`
	ResponseElements map[string]any `json:"responseElements"`
	Resources        []struct {
		ARN  string `json:"ARN"`
		Type string `json:"type"`
	} `json:"resources"`
}

func readFixture(t *testing.T) []fixtureRecord {
	t.Helper()
	var recs []fixtureRecord
	err := filepath.WalkDir("testdata/fixture", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var doc struct{ Records []fixtureRecord }
		if err := json.Unmarshal(b, &doc); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		recs = append(recs, doc.Records...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestFixtureReference checks aggregate answers of Athena queries against the same answers computed in Go straight
// from the fixture's JSON, independently of the store and the translator.
func TestFixtureReference(t *testing.T) {
	recs := readFixture(t)
	st := openFixture(t)
	tr := athena.NewTranslator(athena.Tables{Logs: store.LogsView, LogsExt: store.LogsExtView})

	count := func(key func(r fixtureRecord) (string, bool)) []string {
		n := map[string]int{}
		for _, r := range recs {
			if k, ok := key(r); ok {
				n[k]++
			}
		}
		var out []string
		for k, v := range n {
			out = append(out, fmt.Sprintf("%s | %d", k, v))
		}
		sort.Strings(out)
		return out
	}
	distinctIPs := map[string]bool{}
	for _, r := range recs {
		distinctIPs[r.SourceIP] = true
	}

	tests := []struct {
		sql  string
		want []string
	}{
		{"SELECT eventsource, count(*) FROM cloudtrail_logs GROUP BY 1",
			count(func(r fixtureRecord) (string, bool) { return r.EventSource, true })},
		{"SELECT useridentity.type, count(*) FROM cloudtrail_logs GROUP BY 1",
			count(func(r fixtureRecord) (string, bool) { return r.UserIdentity.Type, true })},
		{"SELECT errorcode, count(*) FROM cloudtrail_logs WHERE errorcode IS NOT NULL GROUP BY 1",
			count(func(r fixtureRecord) (string, bool) { return r.ErrorCode, r.ErrorCode != "" })},
		{"SELECT json_extract_scalar(responseelements, '$.ConsoleLogin'), count(*) FROM cloudtrail_logs WHERE eventname = 'ConsoleLogin' GROUP BY 1",
			count(func(r fixtureRecord) (string, bool) {
				v, _ := r.ResponseElements["ConsoleLogin"].(string)
				return v, r.EventName == "ConsoleLogin"
			})},
		{"SELECT substr(eventtime, 1, 10), count(*) FROM cloudtrail_logs GROUP BY 1",
			count(func(r fixtureRecord) (string, bool) { return r.EventTime[:10], true })},
		{"SELECT useridentity.username, count(*) FROM cloudtrail_logs WHERE useridentity.username IS NOT NULL GROUP BY 1",
			count(func(r fixtureRecord) (string, bool) { return r.UserIdentity.UserName, r.UserIdentity.UserName != "" })},
		{"SELECT r.type, count(*) FROM cloudtrail_logs CROSS JOIN UNNEST(resources) AS u(r) GROUP BY 1",
			func() []string {
				n := map[string]int{}
				for _, r := range recs {
					for _, res := range r.Resources {
						n[res.Type]++
					}
				}
				var out []string
				for k, v := range n {
					out = append(out, fmt.Sprintf("%s | %d", k, v))
				}
				sort.Strings(out)
				return out
			}()},
		{"SELECT approx_distinct(sourceipaddress), count(*) FROM cloudtrail_logs",
			[]string{fmt.Sprintf("%d | %d", len(distinctIPs), len(recs))}},
	}
	for _, tt := range tests {
		got, err := runCase(st, tr, tt.sql)
		if err != nil {
			t.Fatalf("%s: %v", tt.sql, err)
		}
		sort.Strings(got)
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("%s\ngot:\n%s\nreference:\n%s", tt.sql, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
		}
	}
}
