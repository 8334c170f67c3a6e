package athena

import "strings"

// InitSQL returns the statements that prepare a DuckDB connection for translated queries: Athena's session
// settings (time zone UTC, integer division) and the athena_* macros the translator calls. They create only
// temporary objects, so they work on read-only stores; pass them as store.Options.InitSQL.
func InitSQL() []string {
	out := []string{
		"SET SESSION TimeZone = 'UTC'",
		"SET integer_division = true",
	}
	for _, m := range macros {
		out = append(out, "CREATE OR REPLACE TEMP MACRO "+strings.TrimSpace(m))
	}
	return out
}

// mysqlTokenRegex lists what athena__fmt_tokens splits a MySQL-style format into; every known specifier has one
// capture group in a parse expression.
const mysqlKnown = `['%Y','%y','%m','%c','%d','%e','%H','%k','%h','%I','%l','%i','%s','%S','%f','%~','%p','%b','%M','%a','%W','%j']`

var macros = []string{
	// The offset of zone z at instant t, as +09:00 (sep ":") or +0900 (zoned.go).
	`athena_zone_offset(t, z, sep) AS (CASE WHEN timezone(z, t) < timezone('UTC', t) THEN '-' ELSE '+' END
		|| lpad(CAST(CAST(abs(epoch(timezone(z, t) - timezone('UTC', t))) AS BIGINT) // 3600 AS VARCHAR), 2, '0') || sep
		|| lpad(CAST(CAST(abs(epoch(timezone(z, t) - timezone('UTC', t))) AS BIGINT) % 3600 // 60 AS VARCHAR), 2, '0'))`,
	// Trino's integer and decimal division by zero is an error (see division.go).
	`athena_divisor(x, msg) AS (CASE WHEN x = 0 AND typeof(x) NOT IN ('DOUBLE', 'FLOAT') THEN error(msg) ELSE x END)`,
	// JSON: Trino returns NULL where DuckDB returns JSON text or 0.
	// Text that is not JSON gives NULL, as in Trino (DuckDB would fail the query).
	// json_extract_string alone is the fast path; the type is checked only when the text could be an object or an
	// array (a string value may start with { too). About 2x json_extract_string on a million rows.
	`athena_json_extract_scalar(j, p) AS try(CASE WHEN left(json_extract_string(j, p), 1) IN ('{', '[')
		AND json_type(json_extract(j, p)) IN ('OBJECT', 'ARRAY') THEN NULL ELSE json_extract_string(j, p) END)`,
	`athena_json_extract(j, p) AS try(json_extract(j, p))`,
	`athena_json_parse(s) AS CAST(s AS JSON)`,
	`athena_json_format(j) AS CAST(json(j) AS VARCHAR)`,
	`athena_json_to_varchar(j) AS (CASE WHEN json_type(j) IN ('OBJECT', 'ARRAY') THEN CAST(j AS VARCHAR)
		ELSE json_extract_string(j, '$') END)`,
	`athena_json_array_contains(j, v) AS (CASE WHEN json_type(json(j)) = 'ARRAY'
		THEN list_contains(list_transform(CAST(json(j) AS JSON[]), e -> CAST(e AS VARCHAR)), CAST(to_json(v) AS VARCHAR)) END)`,
	`athena_json_array_length(j) AS (CASE WHEN json_type(json(j)) = 'ARRAY' THEN CAST(json_array_length(json(j)) AS BIGINT) END)`,
	`athena_json_array_get(j, i) AS (CASE WHEN json_type(json(j)) = 'ARRAY' THEN json_extract(json(j),
		CASE WHEN i >= 0 THEN '$[' || i || ']' ELSE '$[#' || i || ']' END) END)`,
	`athena_json_size(j, p) AS (CASE WHEN json_extract(j, p) IS NULL THEN NULL
		WHEN json_type(json_extract(j, p)) = 'ARRAY' THEN CAST(json_array_length(json_extract(j, p)) AS BIGINT)
		WHEN json_type(json_extract(j, p)) = 'OBJECT' THEN len(json_keys(json_extract(j, p))) ELSE CAST(0 AS BIGINT) END)`,
	`athena_is_json_scalar(j) AS (json_type(json(j)) NOT IN ('ARRAY', 'OBJECT'))`,

	// Dates and times. The session time zone is UTC, so a timestamp with time zone prints as …Z.
	`athena_from_iso8601_date(s) AS CAST(s AS DATE)`,
	`athena_from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)`,
	`athena_to_iso8601(x) AS (CASE WHEN typeof(x) = 'DATE' THEN strftime(CAST(x AS DATE), '%Y-%m-%d')
		WHEN typeof(x) = 'TIMESTAMP WITH TIME ZONE' THEN strftime(CAST(x AS TIMESTAMPTZ), '%Y-%m-%dT%H:%M:%S.%gZ')
		ELSE strftime(CAST(x AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S.%g') END)`,
	`athena_date_add(u, n, t) AS (t + CASE lower(u)
		WHEN 'millisecond' THEN to_milliseconds(CAST(n AS BIGINT)) WHEN 'second' THEN to_seconds(CAST(n AS BIGINT))
		WHEN 'minute' THEN to_minutes(CAST(n AS BIGINT)) WHEN 'hour' THEN to_hours(CAST(n AS BIGINT))
		WHEN 'day' THEN to_days(CAST(n AS INTEGER)) WHEN 'week' THEN to_weeks(CAST(n AS INTEGER))
		WHEN 'month' THEN to_months(CAST(n AS INTEGER)) WHEN 'quarter' THEN to_months(CAST(3 * n AS INTEGER))
		WHEN 'year' THEN to_years(CAST(n AS INTEGER)) ELSE error('date_add: unknown unit ' || u) END)`,
	// Trino counts whole units elapsed, as DuckDB's date_sub does (DuckDB's date_diff counts boundaries).
	`athena_date_diff(u, a, b) AS date_sub(lower(u), a, b)`,

	// Formats known only at run time: split the format into tokens, build a regular expression with one group
	// per specifier, and pick the fields out by group number.
	`athena__fmt_tokens(f) AS regexp_extract_all(replace(replace(f, '%T', '%H:%i:%s'), '%r', '%h:%i:%s %p'), '%.|[^%]+')`,
	`athena__java_tokens(f) AS list_transform(regexp_extract_all(f,
		'yyyy|yy|y|MMMM|MMM|MM|M|dd|d|HH|H|hh|h|mm|m|ss|s|SSSSSSSSS|SSSSSS|SSS|a|EEEE|EEE|DDD|''[^'']*''|[^A-Za-z'']+|[A-Za-z]+'),
		t -> CASE t WHEN 'yyyy' THEN '%Y' WHEN 'y' THEN '%Y' WHEN 'yy' THEN '%y' WHEN 'MMMM' THEN '%M' WHEN 'MMM' THEN '%b'
		WHEN 'MM' THEN '%m' WHEN 'M' THEN '%c' WHEN 'dd' THEN '%d' WHEN 'd' THEN '%e' WHEN 'HH' THEN '%H' WHEN 'H' THEN '%k'
		WHEN 'hh' THEN '%h' WHEN 'h' THEN '%l' WHEN 'mm' THEN '%i' WHEN 'm' THEN '%i' WHEN 'ss' THEN '%s' WHEN 's' THEN '%s'
		WHEN 'SSS' THEN '%~' WHEN 'SSSSSS' THEN '%f' WHEN 'SSSSSSSSS' THEN '%f' WHEN 'a' THEN '%p' WHEN 'EEEE' THEN '%W'
		WHEN 'EEE' THEN '%a' WHEN 'DDD' THEN '%j' WHEN '''''' THEN ''''
		ELSE CASE WHEN starts_with(t, '''') THEN substr(t, 2, length(t) - 2) ELSE t END END)`,
	`athena__tok_regex(t) AS (CASE t WHEN '%Y' THEN '(\d{4})' WHEN '%y' THEN '(\d{2})' WHEN '%f' THEN '(\d{1,9})'
		WHEN '%~' THEN '(\d{3})' WHEN '%j' THEN '(\d{1,3})' WHEN '%p' THEN '([AaPp][Mm])' WHEN '%b' THEN '([A-Za-z]{3})'
		WHEN '%a' THEN '([A-Za-z]{3})' WHEN '%M' THEN '([A-Za-z]+)' WHEN '%W' THEN '([A-Za-z]+)' WHEN '%%' THEN '%'
		ELSE CASE WHEN list_contains(` + mysqlKnown + `, t) THEN '(\d{1,2})'
		WHEN starts_with(t, '%') THEN regexp_escape(substr(t, 2)) ELSE regexp_escape(t) END END)`,
	`athena__field(s, rx, groups, spec) AS (CASE WHEN list_position(groups, spec) IS NULL THEN NULL
		ELSE regexp_replace(s, rx, '\' || list_position(groups, spec)) END)`,
	`athena__parse_rx(s, rx, g) AS (CASE WHEN s IS NULL THEN NULL
		WHEN NOT regexp_full_match(s, rx) THEN error('Invalid format: "' || s || '"')
		ELSE make_timestamp(
		coalesce(CAST(athena__field(s, rx, g, '%Y') AS BIGINT), 2000 + CAST(athena__field(s, rx, g, '%y') AS BIGINT), 1970),
		coalesce(CAST(coalesce(athena__field(s, rx, g, '%m'), athena__field(s, rx, g, '%c')) AS BIGINT),
			list_position(['jan','feb','mar','apr','may','jun','jul','aug','sep','oct','nov','dec'],
				lower(left(coalesce(athena__field(s, rx, g, '%b'), athena__field(s, rx, g, '%M')), 3))), 1),
		coalesce(CAST(coalesce(athena__field(s, rx, g, '%d'), athena__field(s, rx, g, '%e')) AS BIGINT), 1),
		coalesce(CAST(coalesce(athena__field(s, rx, g, '%H'), athena__field(s, rx, g, '%k')) AS BIGINT),
			CAST(coalesce(athena__field(s, rx, g, '%h'), athena__field(s, rx, g, '%I'), athena__field(s, rx, g, '%l')) AS BIGINT) % 12
			+ CASE WHEN lower(athena__field(s, rx, g, '%p')) = 'pm' THEN 12 ELSE 0 END, 0),
		coalesce(CAST(athena__field(s, rx, g, '%i') AS BIGINT), 0),
		coalesce(CAST(coalesce(athena__field(s, rx, g, '%s'), athena__field(s, rx, g, '%S')) AS DOUBLE), 0)
			+ coalesce(CAST('0.' || coalesce(athena__field(s, rx, g, '%f'), athena__field(s, rx, g, '%~')) AS DOUBLE), 0))
		END)`,
	`athena__parse_tokens(s, toks) AS athena__parse_rx(s,
		'^' || array_to_string(list_transform(toks, t -> athena__tok_regex(t)), '') || '$',
		list_filter(toks, t -> list_contains(` + mysqlKnown + `, t)))`,
	`athena__format_tokens(ts, toks) AS array_to_string(list_transform(toks, t -> CASE t
		WHEN '%Y' THEN strftime(ts, '%Y') WHEN '%y' THEN strftime(ts, '%y') WHEN '%m' THEN strftime(ts, '%m')
		WHEN '%c' THEN strftime(ts, '%-m') WHEN '%d' THEN strftime(ts, '%d') WHEN '%e' THEN strftime(ts, '%-d')
		WHEN '%H' THEN strftime(ts, '%H') WHEN '%k' THEN strftime(ts, '%-H') WHEN '%h' THEN strftime(ts, '%I')
		WHEN '%I' THEN strftime(ts, '%I') WHEN '%l' THEN strftime(ts, '%-I') WHEN '%i' THEN strftime(ts, '%M')
		WHEN '%s' THEN strftime(ts, '%S') WHEN '%S' THEN strftime(ts, '%S') WHEN '%f' THEN strftime(ts, '%f')
		WHEN '%~' THEN strftime(ts, '%g') WHEN '%p' THEN strftime(ts, '%p') WHEN '%b' THEN strftime(ts, '%b')
		WHEN '%M' THEN strftime(ts, '%B') WHEN '%a' THEN strftime(ts, '%a') WHEN '%W' THEN strftime(ts, '%A')
		WHEN '%j' THEN strftime(ts, '%j') WHEN '%w' THEN strftime(ts, '%w') WHEN '%%' THEN '%'
		ELSE CASE WHEN starts_with(t, '%') THEN substr(t, 2) ELSE t END END), '')`,
	`athena_date_parse(s, f) AS athena__parse_tokens(s, athena__fmt_tokens(f))`,
	`athena_date_format(ts, f) AS athena__format_tokens(ts, athena__fmt_tokens(f))`,
	`athena_parse_datetime(s, f) AS CAST(athena__parse_tokens(s, athena__java_tokens(f)) AS TIMESTAMPTZ)`,
	`athena_format_datetime(ts, f) AS athena__format_tokens(ts, athena__java_tokens(f))`,

	`athena_millisecond(x) AS (millisecond(x) % 1000)`,
	// The position of the n-th occurrence (n >= 1), 0 when there are fewer.
	`athena_strpos(s, sub, n) AS (CASE WHEN n < 1 THEN error('strpos: instance must be positive')
		WHEN len(string_split(s, sub)) > n THEN length(array_to_string(list_slice(string_split(s, sub), 1, n), sub)) + 1
		ELSE 0 END)`,
	`athena_split_to_map(s, e, kv) AS map_from_entries(list_transform(string_split(s, e),
		x -> {'k': split_part(x, kv, 1), 'v': substr(x, length(split_part(x, kv, 1)) + length(kv) + 1)}))`,

	// Regular expressions: Trino returns NULL when nothing matches, and replaces every match.
	`athena_regexp_extract(s, p, g) AS (CASE WHEN regexp_matches(s, p) THEN regexp_extract(s, p, g) END)`,
	`athena_regexp_replace(s, p, r) AS regexp_replace(s, p,
		regexp_replace(replace(r, '\', '\\'), '\$(\d)', '\\\1', 'g'), 'g')`,
	`athena_regexp_count(s, p) AS len(regexp_extract_all(s, p))`,

	// Arrays.
	`athena_array_distinct(a) AS list_filter(a, (x, i) -> list_position(a, x) = i)`,
	`athena_array_position(a, x) AS coalesce(list_position(a, x), 0)`,
	`athena_array_remove(a, x) AS list_filter(a, e -> e IS DISTINCT FROM x)`,
	`athena_array_union(a, b) AS athena_array_distinct(list_concat(a, b))`,
	`athena_array_except(a, b) AS athena_array_distinct(list_filter(a, e -> NOT list_contains(b, e)))`,
	`athena_slice(a, s, n) AS (CASE WHEN s > 0 THEN list_slice(a, s, s + n - 1)
		ELSE list_slice(a, len(a) + s + 1, len(a) + s + n) END)`,
	`athena_array_join(a, sep, nullrep) AS array_to_string(list_transform(a, e -> coalesce(CAST(e AS VARCHAR), nullrep)), sep)`,
	`athena_split_part(s, d, i) AS (CASE WHEN i <= len(string_split(s, d)) THEN split_part(s, d, i) END)`,

	// URLs, as java.net.URI splits them.
	`athena_url_extract_protocol(u) AS nullif(regexp_extract(u, '^([A-Za-z][A-Za-z0-9+.\-]*):', 1), '')`,
	`athena_url_extract_host(u) AS nullif(regexp_extract(u,
		'^[A-Za-z][A-Za-z0-9+.\-]*://(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)', 1), '')`,
	`athena_url_extract_port(u) AS TRY_CAST(nullif(regexp_extract(u,
		'^[A-Za-z][A-Za-z0-9+.\-]*://(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*):(\d+)', 1), '') AS BIGINT)`,
	`athena_url_extract_path(u) AS regexp_extract(u, '^(?:[A-Za-z][A-Za-z0-9+.\-]*:)?(?://[^/?#]*)?([^?#]*)', 1)`,
	`athena_url_extract_query(u) AS (CASE WHEN regexp_matches(u, '^[^#]*\?') THEN regexp_extract(u, '^[^?#]*\?([^#]*)', 1) END)`,
	`athena_url_extract_fragment(u) AS (CASE WHEN contains(u, '#') THEN regexp_extract(u, '#(.*)$', 1) END)`,
	`athena_url_extract_parameter(u, name) AS (CASE
		WHEN regexp_matches(athena_url_extract_query(u), '(^|&)' || regexp_escape(name) || '(=|&|$)')
		THEN url_decode(regexp_extract(athena_url_extract_query(u), '(?:^|&)' || regexp_escape(name) || '=([^&]*)', 1)) END)`,

	// IP addresses are kept as their text (IPv4 dotted quads, IPv6 in lower case), which is what equality needs.
	`athena__is_ipv4(s) AS regexp_full_match(s, '((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])')`,
	`athena__is_ipv6(s) AS (regexp_full_match(s, '[0-9A-Fa-f:]*:[0-9A-Fa-f:]*') AND length(s) >= 2
		AND len(string_split(s, ':')) BETWEEN 3 AND 9)`,
	`athena_try_ipaddress(s) AS (CASE WHEN athena__is_ipv4(s) THEN s
		WHEN lower(s) LIKE '::ffff:%' AND athena__is_ipv4(substr(s, 8)) THEN substr(s, 8)
		WHEN athena__is_ipv6(s) THEN lower(s) END)`,
	`athena_ipaddress(s) AS (CASE WHEN s IS NULL THEN NULL
		WHEN athena_try_ipaddress(s) IS NULL THEN error('Cannot cast value to IPADDRESS: ' || s)
		ELSE athena_try_ipaddress(s) END)`,
	`athena_ipprefix(s) AS lower(s)`,
	`athena__ipv4_int(s) AS (TRY_CAST(split_part(s, '.', 1) AS BIGINT) * 16777216 + TRY_CAST(split_part(s, '.', 2) AS BIGINT) * 65536
		+ TRY_CAST(split_part(s, '.', 3) AS BIGINT) * 256 + TRY_CAST(split_part(s, '.', 4) AS BIGINT))`,
	`athena__ipv6_groups(s) AS (CASE WHEN contains(s, '::')
		THEN list_concat(
			CASE WHEN split_part(s, '::', 1) = '' THEN [] ELSE string_split(split_part(s, '::', 1), ':') END,
			list_transform(range(8 - len(CASE WHEN split_part(s, '::', 1) = '' THEN [] ELSE string_split(split_part(s, '::', 1), ':') END)
				- len(CASE WHEN split_part(s, '::', 2) = '' THEN [] ELSE string_split(split_part(s, '::', 2), ':') END)), x -> '0'),
			CASE WHEN split_part(s, '::', 2) = '' THEN [] ELSE string_split(split_part(s, '::', 2), ':') END)
		ELSE string_split(s, ':') END)`,
	`athena__ipv6_bits(s) AS array_to_string(list_transform(athena__ipv6_groups(lower(s)),
		g -> lpad(bin(TRY_CAST('0x' || g AS INTEGER)), 16, '0')), '')`,
	// A sortable, canonical form of an address for comparisons: the 16 bytes of its IPv6 form, in hex.
	`athena_ip_key(s) AS (CASE WHEN athena__is_ipv4(s)
		THEN '00000000000000000000ffff' || lpad(lower(hex(athena__ipv4_int(s))), 8, '0')
		WHEN athena__is_ipv6(s) THEN array_to_string(list_transform(athena__ipv6_groups(lower(s)), g -> lpad(g, 4, '0')), '') END)`,
	`athena_cidr_contains(net, ip) AS (CASE WHEN net IS NULL OR ip IS NULL THEN NULL
		WHEN athena__is_ipv4(split_part(net, '/', 1)) AND athena__is_ipv4(athena_try_ipaddress(ip))
		THEN athena__ipv4_int(athena_try_ipaddress(ip)) >> (32 - TRY_CAST(split_part(net, '/', 2) AS INTEGER))
			= athena__ipv4_int(split_part(net, '/', 1)) >> (32 - TRY_CAST(split_part(net, '/', 2) AS INTEGER))
		WHEN athena__is_ipv6(split_part(net, '/', 1)) AND athena__is_ipv6(athena_try_ipaddress(ip))
		THEN left(athena__ipv6_bits(athena_try_ipaddress(ip)), TRY_CAST(split_part(net, '/', 2) AS INTEGER))
			= left(athena__ipv6_bits(split_part(net, '/', 1)), TRY_CAST(split_part(net, '/', 2) AS INTEGER))
		ELSE false END)`,
}
