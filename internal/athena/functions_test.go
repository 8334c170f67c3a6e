package athena_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/trailq/trailq/internal/athena"
	"github.com/trailq/trailq/internal/store"
)

// openEmpty returns an empty store opened read-only with the Athena macros. The process time zone is set to one
// far from UTC first, so that tests show the session time zone is UTC whatever the machine's is.
func openEmpty(t *testing.T) *store.Store {
	t.Helper()
	t.Setenv("TZ", "America/New_York")
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "empty.duckdb")
	st, err := store.Open(ctx, path, store.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	st, err = store.Open(ctx, path, store.Options{ReadOnly: true, Threads: 1, InitSQL: athena.InitSQL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestFunctionEdgeCases runs one Athena expression per case and compares its value as Athena prints it.
func TestFunctionEdgeCases(t *testing.T) {
	st := openEmpty(t)
	tr := athena.NewTranslator(athena.Tables{Logs: store.LogsView, LogsExt: store.LogsExtView})
	cases := []struct{ expr, want string }{
		// json_extract_scalar: scalars as text, NULL for objects, arrays, JSON null and missing paths.
		{`json_extract_scalar('{"a":{"b":1}}', '$.a')`, "NULL"},
		{`json_extract_scalar('{"a":[1]}', '$.a')`, "NULL"},
		{`json_extract_scalar('{"a":null}', '$.a')`, "NULL"},
		{`json_extract_scalar('{"a":"x"}', '$.b')`, "NULL"},
		{`json_extract_scalar('{"a":{"b":"deep"}}', '$.a.b')`, "deep"},
		{`json_extract_scalar('{"a":[10,20]}', '$.a[1]')`, "20"},
		{`json_extract_scalar('{"a b":"s"}', '$["a b"]')`, "s"},
		{`json_extract_scalar('{"k":"v"}', '$[''k'']')`, "v"},
		{`json_extract_scalar(NULL, '$.a')`, "NULL"},
		{`json_extract_scalar('{"n":true}', '$.n')`, "true"},
		{`json_extract_scalar('{"n":12}', '$.n')`, "12"},
		{`json_extract_scalar('{"s":"a\"b"}', '$.s')`, `a"b`},
		{`json_extract_scalar('not json', '$.a')`, "NULL"},
		{`json_extract_scalar('{"s":"{not an object"}', '$.s')`, "{not an object"},
		{`json_extract_scalar('{"s":"[1]"}', '$.s')`, "[1]"},
		{`json_extract('{"a":', '$.a')`, "NULL"},
		// json_extract and friends return JSON.
		{`json_format(json_extract('{"a":[1,2]}', '$.a'))`, "[1,2]"},
		{`json_extract('{"a":1}', '$.b')`, "NULL"},
		{`json_format(json_parse('[1, {"k": "v"}]'))`, `[1,{"k":"v"}]`},
		{`json_array_contains('[1,2]', 2)`, "true"},
		{`json_array_contains('[]', 2)`, "false"},
		{`json_array_contains(NULL, 1)`, "NULL"},
		{`json_array_contains('["a"]', 'a')`, "true"},
		{`json_array_contains('[true]', true)`, "true"},
		{`json_array_length('[1,[2,3]]')`, "2"},
		{`json_array_length('"x"')`, "NULL"},
		{`json_format(json_array_get('["a","b"]', 1))`, `"b"`},
		{`json_array_get('["a"]', 5)`, "NULL"},
		{`json_size('{"a":{"x":1,"y":2}}', '$.a')`, "2"},
		{`json_size('{"a":1}', '$.a')`, "0"},
		{`CAST(json_extract('{"a":"x"}', '$.a') AS VARCHAR)`, "x"},
		{`CAST(json_extract('{"a":5}', '$.a') AS VARCHAR)`, "5"},
		{`CAST(json_extract('{"a":[1,2]}', '$.a') AS ARRAY(BIGINT))`, "[1,2]"},
		{`json_format(CAST('x' AS JSON))`, `"x"`},
		// ISO 8601 and the UTC session.
		{`from_iso8601_timestamp('2024-03-15T10:20:30.123Z')`, "2024-03-15 10:20:30.123 UTC"},
		{`from_iso8601_timestamp('2024-03-15T10:20:30+02:00')`, "2024-03-15 08:20:30.000 UTC"},
		{`from_iso8601_timestamp(NULL)`, "NULL"},
		{`from_iso8601_date('2024-02-29')`, "2024-02-29"},
		{`to_iso8601(from_iso8601_timestamp('2024-03-15T10:20:30.5Z'))`, "2024-03-15T10:20:30.500Z"},
		{`to_iso8601(DATE '2024-03-15')`, "2024-03-15"},
		{`current_setting('TimeZone')`, "UTC"},
		{`hour(from_iso8601_timestamp('2024-03-16T01:30:00Z'))`, "1"},
		{`date_format(from_iso8601_timestamp('2024-03-16T01:30:00Z'), '%Y-%m-%d')`, "2024-03-16"},
		{`date_trunc('day', from_iso8601_timestamp('2024-03-16T01:30:00Z'))`, "2024-03-16 00:00:00.000 UTC"},
		{`TIMESTAMP '2024-03-15 10:00:00 UTC'`, "2024-03-15 10:00:00.000 UTC"},
		// MySQL-style formats, constant and at run time.
		{`date_parse('2024-03-15 10:20:30.123456', '%Y-%m-%d %H:%i:%s.%f')`, "2024-03-15 10:20:30.123"},
		{`date_parse('15/03/2024', '%d/%m/%Y')`, "2024-03-15 00:00:00.000"},
		{`date_parse('03:04 PM', '%h:%i %p')`, "1970-01-01 15:04:00.000"},
		{`date_parse(NULL, '%Y')`, "NULL"},
		{`date_format(TIMESTAMP '2024-03-05 07:08:09.123', '%Y-%m-%d %H:%i:%s')`, "2024-03-05 07:08:09"},
		{`date_format(TIMESTAMP '2024-03-05 17:08:09', '%c/%e %l%p %W %b %%')`, "3/5 5PM Tuesday Mar %"},
		{`(SELECT date_parse(s, f) FROM (VALUES ('5 Mar 2024 7:08:09.5 pm', '%e %b %Y %l:%i:%s.%f %p')) AS t(s, f))`, "2024-03-05 19:08:09.500"},
		{`(SELECT date_parse(s, f) FROM (VALUES ('24-03-05', '%y-%m-%d')) AS t(s, f))`, "2024-03-05 00:00:00.000"},
		{`(SELECT date_format(TIMESTAMP '2024-03-05 17:08:09.25', f) FROM (VALUES ('%Y%m%d-%H%i%s.%f %j')) AS t(f))`, "20240305-170809.250000 065"},
		{`(SELECT date_parse(NULL, f) FROM (VALUES ('%Y')) AS t(f))`, "NULL"},
		// Java patterns.
		{`parse_datetime('2024-03-15 10:20:30', 'yyyy-MM-dd HH:mm:ss')`, "2024-03-15 10:20:30.000 UTC"},
		{`format_datetime(from_iso8601_timestamp('2024-03-05T07:08:09Z'), 'd MMMM yyyy, h:mm a')`, "5 March 2024, 7:08 AM"},
		{`format_datetime(from_iso8601_timestamp('2024-03-05T07:08:09.120Z'), 'yyyyMMdd''T''HHmmss.SSS')`, "20240305T070809.120"},
		{`(SELECT format_datetime(from_iso8601_timestamp('2024-03-05T07:08:09Z'), p) FROM (VALUES ('EEE, dd MMM yyyy HH:mm:ss')) AS t(p))`, "Tue, 05 Mar 2024 07:08:09"},
		// Date arithmetic.
		{`date_add('month', 1, from_iso8601_timestamp('2024-01-31T00:00:00Z'))`, "2024-02-29 00:00:00.000 UTC"},
		{`date_add('day', -1, DATE '2024-03-01')`, "2024-02-29"},
		{`date_add('millisecond', 250, TIMESTAMP '2024-03-15 10:00:00')`, "2024-03-15 10:00:00.250"},
		{`date_add('quarter', 1, TIMESTAMP '2024-03-15 10:00:00')`, "2024-06-15 10:00:00.000"},
		{`date_diff('day', DATE '2024-03-01', DATE '2024-03-15')`, "14"},
		{`date_diff('day', from_iso8601_timestamp('2024-03-15T23:00:00Z'), from_iso8601_timestamp('2024-03-16T22:59:59Z'))`, "0"},
		{`date_diff('second', from_iso8601_timestamp('2024-03-15T23:00:00Z'), from_iso8601_timestamp('2024-03-15T22:59:00Z'))`, "-60"},
		{`DATE '2024-03-01' - INTERVAL '1' DAY`, "2024-02-29"},
		{`from_unixtime(0)`, "1970-01-01 00:00:00.000 UTC"},
		{`from_unixtime(1.5)`, "1970-01-01 00:00:01.500 UTC"},
		{`to_unixtime(from_iso8601_timestamp('1970-01-01T00:00:01.5Z'))`, "1.5"},
		// Regular expressions: partial matches, NULL when nothing matches, every match replaced, $n groups.
		{`regexp_like('abc', 'b')`, "true"},
		{`regexp_like(NULL, 'a')`, "NULL"},
		{`regexp_extract('abc', 'z')`, "NULL"},
		{`regexp_extract('a1b2', '\d')`, "1"},
		{`regexp_extract('user/bob', 'user/(\w+)', 1)`, "bob"},
		{`regexp_extract_all('a1b2', '\d')`, `["1","2"]`},
		{`regexp_replace('a1b2', '\d')`, "ab"},
		{`regexp_replace('a1b2', '(\d)', '<$1>')`, "a<1>b<2>"},
		{`(SELECT regexp_replace('a1b2', '(\d)', r) FROM (VALUES ('[$1]')) AS t(r))`, "a[1]b[2]"},
		// Arrays and maps: 1-based, NULL out of range.
		{`cardinality(ARRAY['a', 'b'])`, "2"},
		{`cardinality(NULL)`, "NULL"},
		{`cardinality(MAP(ARRAY['a', 'b'], ARRAY[1, 2]))`, "2"},
		{`cardinality(split_to_map('a=1', '&', '='))`, "1"},
		{`element_at(ARRAY['a', 'b'], 3)`, "NULL"},
		{`element_at(ARRAY['a', 'b'], -2)`, "a"},
		{`ARRAY['a', 'b'][2]`, "b"},
		{`element_at(MAP(ARRAY['k'], ARRAY['v']), 'missing')`, "NULL"},
		{`element_at(MAP(ARRAY['k'], ARRAY['v']), 'k')`, "v"},
		{`array_join(ARRAY[1, 2, NULL], '-')`, "1-2"},
		{`array_join(ARRAY['a', NULL], ',', '?')`, "a,?"},
		{`contains(ARRAY[1, 2], 3)`, "false"},
		{`contains(ARRAY['a', NULL], 'a')`, "true"},
		{`array_position(ARRAY['a', 'b'], 'b')`, "2"},
		{`array_position(ARRAY['a', 'b'], 'c')`, "0"},
		{`array_distinct(ARRAY['b', 'a', 'b'])`, `["b","a"]`},
		{`slice(ARRAY[1, 2, 3, 4], -2, 2)`, "[3,4]"},
		{`slice(ARRAY[1, 2, 3, 4], 2, 2)`, "[2,3]"},
		{`split_part('a.b', '.', 5)`, "NULL"},
		{`split_part('a..b', '.', 3)`, "b"},
		{`split('a,b', ',')[2]`, "b"},
		{`all_match(ARRAY[2, 4], x -> x % 2 = 0)`, "true"},
		// URLs.
		{`url_extract_host('http://example.com/path')`, "example.com"},
		{`url_extract_host('not a url')`, "NULL"},
		{`url_extract_path('https://h.example/a/b?c=d')`, "/a/b"},
		{`url_extract_port('https://h/')`, "NULL"},
		{`url_extract_query('https://h/p')`, "NULL"},
		{`url_extract_protocol('HTTPS://h/p')`, "HTTPS"},
		{`url_extract_parameter('https://h/p?a=1&b=x%2Fy', 'b')`, "x/y"},
		// IP addresses and CIDR tests.
		{`CAST('::ffff:10.1.2.3' AS IPADDRESS) = IPADDRESS '10.1.2.3'`, "true"},
		{`CAST('2001:DB8::1' AS IPADDRESS) = IPADDRESS '2001:db8::1'`, "true"},
		{`contains('192.168.0.0/16', CAST('192.169.0.1' AS IPADDRESS))`, "false"},
		{`contains('192.168.0.0/16', CAST('192.168.255.1' AS IPADDRESS))`, "true"},
		{`contains('0.0.0.0/0', CAST('8.8.8.8' AS IPADDRESS))`, "true"},
		{`contains('::/0', CAST('2001:db8::1' AS IPADDRESS))`, "true"},
		{`contains('2001:db8:abcd::/48', CAST('2001:db8:abcd:12::1' AS IPADDRESS))`, "true"},
		{`contains('2001:db8:abcd::/48', CAST('2001:db8:abce::1' AS IPADDRESS))`, "false"},
		{`contains('10.0.0.0/8', CAST('2001:db8::1' AS IPADDRESS))`, "false"},
		{`contains('10.0.0.0/8', NULL)`, "NULL"},
		{`TRY_CAST('300.1.1.1' AS IPADDRESS)`, "NULL"},
		{`CAST('172.2.0.1' AS IPADDRESS) > IPADDRESS '172.16.0.0'`, "false"},
		{`CAST('10.0.0.10' AS IPADDRESS) > IPADDRESS '10.0.0.9'`, "true"},
		{`CAST('10.20.0.1' AS IPADDRESS) BETWEEN IPADDRESS '10.3.0.0' AND IPADDRESS '10.100.0.0'`, "true"},
		{`CAST('2001:DB8:0:0::1' AS IPADDRESS) = IPADDRESS '2001:db8::1'`, "true"},
		{`IPADDRESS '::1' < IPADDRESS '0.0.0.1'`, "true"},
		{`CAST('10.1.2.3' AS IPADDRESS)`, "10.1.2.3"},
		{`(SELECT array_agg(ip) FROM (SELECT ip FROM (VALUES ('10.0.0.10'), ('10.0.0.9'), ('::1')) AS t(ip) ORDER BY CAST(ip AS IPADDRESS) DESC, ip))`, `["10.0.0.10","10.0.0.9","::1"]`},
		{`date_add('day', 1, from_iso8601_date('2024-02-28'))`, "2024-02-29"},
		{`is_subnet_of(IPPREFIX '10.0.0.0/8', IPADDRESS '10.9.8.7')`, "true"},
		// Bytes, hashes and odds and ends.
		{`to_hex(sha256(to_utf8('abc')))`, "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"},
		{`to_hex(md5(to_utf8('abc')))`, "900150983CD24FB0D6963F7D28E17F72"},
		{`from_utf8(from_base64(to_base64(to_utf8('hi'))))`, "hi"},
		{`millisecond(TIMESTAMP '2024-01-01 00:00:05.250')`, "250"},
		{`element_at(split_to_map('a=1&b=x=y', '&', '='), 'b')`, "x=y"},
		{`current_timezone()`, "UTC"},
		{`if(1 > 2, 'x')`, "NULL"},
		{`concat('a', NULL)`, "NULL"},
		{`concat('a', 'b', 'c')`, "abc"},
		{`concat(ARRAY[1], ARRAY[2, 3])`, "[1,2,3]"},
		{`strpos('a.b.c', '.', 2)`, "4"},
		{`strpos('a.b.c', '.', 3)`, "0"},
		{`strpos('abc', 'c')`, "3"},
		{`replace('a.b.c', '.')`, "abc"},
		{`greatest(1, NULL, 3)`, "NULL"},
		{`least(4, 2, 3)`, "2"},
		{`hamming_distance('abc', 'abd')`, "1"},
		{`at_timezone(from_iso8601_timestamp('2024-01-01T00:00:00Z'), 'Asia/Tokyo')`, "2024-01-01 09:00:00.000"},
		// Joda's zone letters print the value's zone (Trino), not the session's.
		{`format_datetime(from_iso8601_timestamp('2024-09-01T00:45:18Z') AT TIME ZONE 'Asia/Tokyo', 'yyyy-MM-dd HH:mm ZZ')`, "2024-09-01 09:45 +09:00"},
		{`format_datetime(from_iso8601_timestamp('2024-09-01T00:45:18Z') AT TIME ZONE 'Asia/Tokyo', 'HH:mm Z ZZZ')`, "09:45 +0900 Asia/Tokyo"},
		{`format_datetime(at_timezone(from_iso8601_timestamp('2024-01-15T12:00:00Z'), 'America/New_York'), 'HH:mm ZZ')`, "07:00 -05:00"},
		{`format_datetime(at_timezone(from_iso8601_timestamp('2024-07-15T12:00:00Z'), 'America/New_York'), 'HH:mm ZZ')`, "08:00 -04:00"},
		{`format_datetime(from_iso8601_timestamp('2024-09-01T00:45:18Z') AT TIME ZONE 'Asia/Kolkata', 'HH:mm ZZ')`, "06:15 +05:30"},
		{`format_datetime(from_iso8601_timestamp('2024-09-01T00:45:18Z'), 'HH:mm ZZ z')`, "00:45 +00:00 UTC"},
		// Trino's integer division.
		{`7 / 2`, "3"},
		{`-7 / 2`, "-3"},
		{`7 / 2.0`, "3.5"},
		{`CAST(7 AS DOUBLE) / 2`, "3.5"},
		// Aggregates.
		{`(SELECT approx_distinct(x) FROM (VALUES (1), (NULL), (1), (2)) AS t(x))`, "2"},
		{`(SELECT arbitrary(x) FROM (VALUES (NULL), (5)) AS t(x))`, "5"},
		{`(SELECT count_if(x > 1) FROM (VALUES (1), (2), (3)) AS t(x))`, "2"},
		{`(SELECT max_by(y, x) FROM (VALUES (1, 'a'), (3, 'c'), (NULL, 'n')) AS t(x, y))`, "c"},
		{`(SELECT approx_percentile(x, 0.9) FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10)) AS t(x))`, "9"},
	}
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			got, err := runCase(st, tr, "SELECT "+c.expr)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0] != c.want {
				q, _ := tr.Translate("SELECT " + c.expr)
				t.Fatalf("SELECT %s\ntranslated: %s\ngot %q, want %q", c.expr, q, got, c.want)
			}
		})
	}
}
