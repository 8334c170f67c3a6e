package athena

import (
	"errors"
	"strings"
	"testing"
)

var testTables = Tables{Logs: "cloudtrail_logs", LogsExt: "cloudtrail_logs_ext"}

func TestLexRoundTrip(t *testing.T) {
	for _, q := range []string{
		"SELECT \"a\"\"b\", 'it''s', x.y[1].z -- c\n/* d */ FROM t WHERE a <> 1.5e3",
		"SELECT json_extract_scalar(requestparameters, '$[\"a\"]') FROM cloudtrail_logs_x",
	} {
		toks, err := Lex(q)
		if err != nil {
			t.Fatal(err)
		}
		if got := Join(toks); got != q {
			t.Errorf("round trip: got %q, want %q", got, q)
		}
	}
}

func TestTranslate(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string // substrings of the translation
		not      []string // substrings that must not appear
	}{
		{"unnamed columns", "SELECT eventname, count(*), useridentity.arn, x AS y, upper(eventname) u FROM cloudtrail_logs_b",
			[]string{"count(*) AS _col1", `useridentity.arn AS "arn"`, "x AS y,", "upper(eventname) u FROM cloudtrail_logs"},
			[]string{"_col0", "_col3", "_col4", "y AS"}},
		{"alias that is a unit word", "SELECT date_format(x, '%H') AS hour, count(*) FROM t GROUP BY 1",
			[]string{"AS hour, count(*) AS _col1"}, []string{"hour AS"}},
		{"row value", "SELECT DISTINCT (eventname, awsregion) FROM cloudtrail_logs",
			[]string{`struct_pack("eventname" := eventname, "awsregion" := awsregion) AS _col0`}, nil},
		{"function names", "SELECT regexp_like(a, 'x'), approx_distinct(b), arbitrary(c), cardinality(d) FROM t",
			[]string{"regexp_matches(a, 'x')", "count(DISTINCT b)", "any_value(c)", "len(d)"}, nil},
		{"nested calls and commas in brackets", "SELECT contains(ARRAY['a', 'b'], json_extract_scalar(p, '$.x')) FROM t",
			[]string{"list_contains(ARRAY['a', 'b'], athena_json_extract_scalar(p, '$.x'))"}, nil},
		{"json path brackets", `SELECT json_extract(p, '$["a b"].c[0]') FROM t`, []string{`athena_json_extract(p, '$."a b".c[0]')`}, nil},
		{"constant date format", "SELECT date_parse(eventtime, '%Y-%m-%dT%H:%i:%sZ') FROM t",
			[]string{"strptime(eventtime, '%Y-%m-%dT%H:%M:%SZ')"}, nil},
		{"run-time date format", "SELECT date_format(ts, f) FROM t", []string{"athena_date_format(ts, f)"}, nil},
		{"java pattern", "SELECT format_datetime(ts, 'yyyy-MM-dd''T''HH:mm:ss.SSS') FROM t",
			[]string{"strftime(ts, '%Y-%m-%dT%H:%M:%S.%g')"}, nil},
		{"casts", "SELECT CAST(a AS VARCHAR(10)), TRY_CAST(b AS ARRAY(MAP(VARCHAR, BIGINT))), CAST(c AS TIMESTAMP(3) WITH TIME ZONE), CAST(d AS ROW(x INTEGER, y DOUBLE)) FROM t",
			[]string{"CAST(a AS VARCHAR)", "TRY_CAST(b AS MAP(VARCHAR, BIGINT)[])", "CAST(c AS TIMESTAMPTZ)", `CAST(d AS STRUCT("x" INTEGER, "y" DOUBLE))`}, nil},
		{"ip address", "SELECT * FROM t WHERE CAST(ip AS IPADDRESS) = IPADDRESS '::ffff:10.0.0.1' AND contains('10.0.0.0/8', CAST(ip AS IPADDRESS))",
			[]string{"athena_ip_key(athena_ipaddress(ip)) = athena_ip_key(athena_ipaddress('10.0.0.1'))", "athena_cidr_contains('10.0.0.0/8', athena_ipaddress(ip))"}, nil},
		{"dates stay dates", "SELECT current_date - INTERVAL '7' DAY, DATE '2024-01-01' + INTERVAL '1' MONTH, date_add('day', 1, current_date) FROM t",
			[]string{"CAST(current_date - INTERVAL '7' DAY AS DATE)", "CAST(DATE '2024-01-01' + INTERVAL '1' MONTH AS DATE)",
				"CAST(athena_date_add('day', 1, current_date) AS DATE)"}, nil},
		{"timestamp with zone literal", "SELECT TIMESTAMP '2024-01-01 00:00:00 UTC', TIMESTAMP '2024-01-01 00:00:00' FROM t",
			[]string{"TIMESTAMPTZ '2024-01-01 00:00:00 UTC'", "TIMESTAMP '2024-01-01 00:00:00'"}, nil},
		{"aggregate filter clause", "SELECT count(*) FILTER (WHERE errorcode IS NOT NULL), filter(ARRAY[1], x -> x > 0) FROM t",
			[]string{"count(*) FILTER (WHERE errorcode IS NOT NULL)", "list_filter(ARRAY[1], x -> x > 0)"}, nil},
		{"is distinct from in the select list", "SELECT a IS DISTINCT FROM b, c FROM t",
			[]string{"SELECT a IS DISTINCT FROM b AS _col0, c FROM t"}, nil},
		{"cardinality of lists and maps", "SELECT cardinality(resources), cardinality(useridentity.sessioncontext.webidfederationdata.attributes) FROM t",
			[]string{"len(resources)", "cardinality(useridentity.sessioncontext.webidfederationdata.attributes)"}, nil},
		{"tablesample percent", "SELECT count(*) FROM cloudtrail_logs TABLESAMPLE BERNOULLI (10)",
			[]string{"TABLESAMPLE BERNOULLI (10 PERCENT)"}, nil},
		{"field names are not functions", "SELECT t.date, x.contains FROM t", nil, []string{"CAST", "list_contains"}},
		{"partition projection", `SELECT "timestamp" FROM default.cloudtrail_logs_p WHERE "$path" LIKE '%x'`,
			[]string{"FROM cloudtrail_logs_ext AS \"cloudtrail_logs_p\""}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewTranslator(testTables).Translate(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("translation of %s\n  %s\nlacks %q", tt.in, got, w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(got, w) {
					t.Errorf("translation of %s\n  %s\nhas %q", tt.in, got, w)
				}
			}
		})
	}
}

func TestDescribeStatements(t *testing.T) {
	for in, want := range map[string]string{
		`DESCRIBE "default"."cloudtrail_logs_x"`:   "DESCRIBE cloudtrail_logs",
		"SHOW COLUMNS FROM cloudtrail_logs_x;":     "DESCRIBE cloudtrail_logs",
		"SHOW COLUMNS IN db.cloudtrail":            "DESCRIBE cloudtrail_logs",
		"SHOW PARTITIONS cloudtrail_logs_mybucket": "SELECT DISTINCT 'region=' || region",
		"DESCRIBE other_table":                     "DESCRIBE other_table",
	} {
		got, err := NewTranslator(testTables).Translate(in)
		if err != nil || !strings.HasPrefix(got, want) {
			t.Errorf("%s: got %q, %v; want %q…", in, got, err, want)
		}
	}
}

func TestTranslateErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT hmac_sha256(a, 'k') FROM t", "line 1:8: Athena function hmac_sha256 is not supported by trailq"},
		{"SELECT 1,\n  json_value(a, 'lax $.x') FROM t", "line 2:3: Athena function json_value is not supported by trailq (use json_extract_scalar)"},
		{"SELECT date_format(x, '%U') FROM t", "line 1:23: date format specifier %U is not supported by trailq"},
		{"SELECT parse_datetime(x, 'yyyy GG') FROM t", "pattern letter G is not supported by trailq"},
		{"SELECT date_add('fortnight', 1, x) FROM t", `line 1:17: unknown unit "fortnight" for date_add`},
		{"SELECT CAST(x AS IPADDRESS), IPADDRESS 'nope' FROM t", "line 1:40: invalid IP address 'nope'"},
		{"SELECT contains('10.0.0.0/33', x) FROM t", "line 1:17: invalid CIDR"},
		{"SELECT approx_percentile(x, w, 0.5) FROM t", "approx_percentile with 3 arguments (weights or accuracy) is not supported"},
		{"SELECT (a FROM t", "line 1:8: unbalanced parenthesis"},
		{"SELECT 'abc FROM t", "line 1:8: unterminated string literal"},
	}
	for _, tt := range tests {
		_, err := NewTranslator(testTables).Translate(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestMapError(t *testing.T) {
	in := "SELECT eventname,\n       json_extract_scalar(requestparameters, '$.bucketName') AS bucket\nFROM cloudtrail_logs\nWHERE nosuchcolumn = 1"
	q, err := NewTranslator(testTables).TranslateQuery(in)
	if err != nil {
		t.Fatal(err)
	}
	// The error DuckDB gives for the translated text, with its position line shortened as DuckDB does.
	line4 := strings.Split(q.SQL, "\n")[3]
	col := strings.Index(line4, "nosuchcolumn")
	duck := errors.New("Binder Error: Referenced column \"nosuchcolumn\" not found in FROM clause!\n" +
		"Candidate bindings: \"eventname\"\n\nLINE 4: ..." + line4[3:] + "\n" + strings.Repeat(" ", len("LINE 4: ")+col) + "^")
	got := q.MapError(duck).Error()
	if !strings.HasPrefix(got, "line 4:7: Binder Error: Referenced column \"nosuchcolumn\" not found") {
		t.Errorf("got %q", got)
	}
	if strings.Contains(got, "LINE 4") || strings.Contains(got, "athena_") {
		t.Errorf("DuckDB's view of the translation leaked: %q", got)
	}

	// A position inside a rewritten call maps to the call in the user's SQL.
	line2 := strings.Split(q.SQL, "\n")[1]
	col = strings.Index(line2, "athena_json_extract_scalar")
	duck = errors.New("Binder Error: something about athena_json_extract_scalar\n\nLINE 2: " + line2 + "\n" +
		strings.Repeat(" ", len("LINE 2: ")+col) + "^")
	if got := q.MapError(duck).Error(); !strings.HasPrefix(got, "line 2:8: Binder Error: something about json_extract_scalar") {
		t.Errorf("got %q", got)
	}

	// A query cut short is reported at its end.
	duck = errors.New("Parser Error: syntax error at end of input")
	if got := q.MapError(duck).Error(); !strings.HasPrefix(got, "line 4:23: Parser Error: syntax error at end of input") {
		t.Errorf("got %q", got)
	}

	// Unknown functions are named as the user wrote them.
	duck = errors.New("Catalog Error: Scalar Function with name foo does not exist!\nDid you mean \"floor\"?")
	if got := q.MapError(duck).Error(); got != "function foo is not supported by trailq (neither an Athena function trailq translates nor a DuckDB one)" {
		t.Errorf("got %q", got)
	}
}

func TestMySQLAndJavaFormats(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"%Y-%m-%d %H:%i:%s.%f", "%Y-%m-%d %H:%M:%S.%f"},
		{"%T %r", "%H:%M:%S %I:%M:%S %p"},
		{"%c/%e %k %l %M %W %%", "%-m/%-d %-H %-I %B %A %%"},
		{"100%q", "100q"},
	} {
		if got, err := mysqlToStrftime(tt.in, false); err != nil || got != tt.want {
			t.Errorf("mysql %q: got %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, tt := range []struct{ in, want string }{
		{"yyyy-MM-dd'T'HH:mm:ss.SSSZ", "%Y-%m-%dT%H:%M:%S.%g%z"},
		{"d MMM yy h:m:s a", "%-d %b %y %-I:%-M:%-S %p"},
		{"EEEE, MMMM d 'o''clock' 100%", "%A, %B %-d o'clock 100%%"},
	} {
		if got, err := javaToStrptime(tt.in); err != nil || got != tt.want {
			t.Errorf("java %q: got %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// FuzzTranslate checks that no input makes the translator panic, and that every position it reports lies in the
// user's SQL.
func FuzzTranslate(f *testing.F) {
	for _, s := range []string{
		"SELECT json_extract_scalar(requestparameters, '$.a') FROM cloudtrail_logs_x WHERE eventname = 'x'",
		"SELECT DISTINCT (a, b), count(*) FILTER (WHERE c) FROM t CROSS JOIN UNNEST(r) AS u(x, y) ORDER BY 1",
		"SELECT CAST(x AS ARRAY(ROW(a VARCHAR))), IPADDRESS '1.2.3.4' < CAST(ip AS IPADDRESS) FROM t",
		"WITH a AS (SELECT date_add('day', -1, current_date) - INTERVAL '1' DAY) SELECT * FROM a",
		"SELECT date_parse(x, '%Y'), format_datetime(y, 'yyyy''T'''), concat(), if(a), strpos(b)",
	} {
		f.Add(s)
	}
	tr := NewTranslator(testTables)
	f.Fuzz(func(t *testing.T, sql string) {
		q, err := tr.TranslateQuery(sql)
		if err != nil {
			var e *Error
			if errors.As(err, &e) && (e.Pos < 0 || e.Pos > len(sql)) {
				t.Fatalf("error position %d outside the %d-byte query: %v", e.Pos, len(sql), err)
			}
			return
		}
		for off := 0; off < len(q.SQL); off += 7 {
			if p := q.Original(off); p < 0 || p > len(sql) {
				t.Fatalf("offset %d maps to %d, outside the %d-byte query", off, p, len(sql))
			}
		}
	})
}
