package athena

import (
	"strings"
	"time"
)

// zonedFormat builds format_datetime(value, pattern) with Joda's zone letters printed for the value's zone: the
// zone literal of value AT TIME ZONE 'zone' (or at_timezone(value, 'zone'), translated to timezone('zone', x)),
// else UTC, the session's zone (from_iso8601_timestamp of CloudTrail's …Z times). DuckDB's strftime would print
// the session's +00 for a time Trino shows in Tokyo as +09:00.
func zonedFormat(c *converter, pos int, value []node, format string) []node {
	if !strings.Contains(format, "\x01") {
		return strftimeCall(c, pos, value, format)
	}
	instant, zone, ok := splitZone(value)
	if !ok {
		instant, zone = nil, "UTC"
	}
	if _, err := time.LoadLocation(zone); err != nil && instant != nil {
		c.fail(pos, "unknown time zone %q", zone)
		return nil
	}
	out := strftimeCall(c, pos, value, format)
	for i, mark := range zoneMarks {
		if !strings.Contains(format, mark) {
			continue
		}
		var repl []node
		switch {
		case i == 3 && zone != "UTC":
			c.fail(pos, "the pattern letter z (a zone's short name) is not supported by trailq for zones other than UTC: use ZZZ (the zone's id) or ZZ (its offset)")
			return nil
		case i == 3 || i == 2:
			repl = gen(pos, sqlString(zone))
		case instant == nil:
			repl = gen(pos, sqlString([]string{"+0000", "+00:00"}[i]))
		default:
			repl = call(pos, "athena_zone_offset", instant, gen(pos, sqlString(zone)), gen(pos, sqlString([]string{"", ":"}[i])))
		}
		out = call(pos, "replace", out, gen(pos, sqlString(mark)), repl)
	}
	return out
}

// splitZone reads value as x AT TIME ZONE 'zone' or timezone('zone', x), returning x and the zone.
func splitZone(value []node) ([]node, string, bool) {
	v := trimSpace(value)
	if len(v) == 2 && v[0].isKeyword("timezone") && v[1].group {
		if args := splitTop(v[1].kids); len(args) == 2 {
			if z, ok := stringLit(args[0]); ok {
				return trimSpace(args[1]), z, true
			}
		}
	}
	var sig []int
	for i, n := range v {
		if !n.isSpace() {
			sig = append(sig, i)
		}
	}
	if k := len(sig); k >= 5 && v[sig[k-4]].isKeyword("AT") && v[sig[k-3]].isKeyword("TIME") && v[sig[k-2]].isKeyword("ZONE") {
		if z, ok := stringLit(v[sig[k-1] : sig[k-1]+1]); ok {
			return trimSpace(v[:sig[k-4]]), z, true
		}
	}
	return nil, "", false
}
