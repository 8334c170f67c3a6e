package athena

import (
	"strings"
	"testing"
)

func TestImplicitAliasesThatAreDuckDBKeywords(t *testing.T) {
	tr := NewTranslator(Tables{Logs: "cloudtrail_logs", LogsExt: "cloudtrail_logs_ext"})
	tests := []struct{ in, want string }{
		{"SELECT min(eventtime) first, max(eventtime) last FROM t",
			`SELECT min(eventtime) AS "first", max(eventtime) AS "last" FROM t`},
		{"SELECT useridentity.type type, eventname name FROM t",
			`SELECT useridentity.type AS "type", eventname AS "name" FROM t`},
		{"SELECT CASE WHEN true THEN 1 END value, 'x' key, 2 day",
			`SELECT CASE WHEN true THEN 1 END AS "value", 'x' AS "key", 2 AS "day"`},
		{"SELECT (SELECT max(eventtime) user FROM t) AS x",
			`SELECT (SELECT max(eventtime) AS "user" FROM t) AS x`},
		// Left alone: column names that are keywords, ORDER BY directions, aliases with AS, reserved words.
		{"SELECT DISTINCT type, name FROM t ORDER BY name DESC, type", "SELECT DISTINCT type, name FROM t ORDER BY name DESC, type"},
		{"SELECT x AS first FROM t", "SELECT x AS first FROM t"},
		// (Unnamed expressions get Athena's _colN names.)
		{"SELECT x IS NULL, y FROM t", "SELECT x IS NULL AS _col0, y FROM t"},
		{"SELECT INTERVAL '7' DAY, INTERVAL 1 hour FROM t", "SELECT INTERVAL '7' DAY AS _col0, INTERVAL 1 hour AS _col1 FROM t"},
		{"SELECT eventname FROM t WHERE a = b AND c = d", "SELECT eventname FROM t WHERE a = b AND c = d"},
		{"SELECT row_number() OVER (ORDER BY x DESC) rn FROM t", "SELECT row_number() OVER (ORDER BY x DESC) rn FROM t"},
	}
	for _, tt := range tests {
		got, err := tr.Translate(tt.in)
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if strings.TrimSpace(got) != tt.want {
			t.Errorf("Translate(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}
