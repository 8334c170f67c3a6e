package athena

import (
	"fmt"
	"strings"
)

// mysqlSpecifiers maps the specifiers of Trino's date_parse/date_format (MySQL's) to DuckDB's strftime/strptime.
// Parsing is lenient about zero padding in DuckDB, so %c and %e parse like %m and %d.
var mysqlSpecifiers = map[byte][2]string{ // {format, parse}
	'a': {"%a", "%a"}, 'b': {"%b", "%b"}, 'c': {"%-m", "%m"}, 'd': {"%d", "%d"}, 'e': {"%-d", "%d"},
	'f': {"%f", "%f"}, 'H': {"%H", "%H"}, 'h': {"%I", "%I"}, 'I': {"%I", "%I"}, 'i': {"%M", "%M"},
	'j': {"%j", "%j"}, 'k': {"%-H", "%H"}, 'l': {"%-I", "%I"}, 'M': {"%B", "%B"}, 'm': {"%m", "%m"},
	'p': {"%p", "%p"}, 'r': {"%I:%M:%S %p", "%I:%M:%S %p"}, 'S': {"%S", "%S"}, 's': {"%S", "%S"},
	'T': {"%H:%M:%S", "%H:%M:%S"}, 'W': {"%A", "%A"}, 'w': {"%w", "%w"}, 'Y': {"%Y", "%Y"}, 'y': {"%y", "%y"},
	'%': {"%%", "%%"},
}

// mysqlToStrftime converts a MySQL-style format (%Y-%m-%d %H:%i:%s) into a DuckDB strftime (or, with parse,
// strptime) format.
func mysqlToStrftime(f string, parse bool) (string, error) {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(f) {
			return "", fmt.Errorf("date format %q ends with a lone %%", f)
		}
		i++
		s, ok := mysqlSpecifiers[f[i]]
		if !ok {
			switch f[i] {
			case 'D', 'U', 'u', 'V', 'v', 'X', 'x':
				return "", fmt.Errorf("date format specifier %%%c is not supported by trailq", f[i])
			}
			// MySQL: any other character stands for itself.
			if f[i] == '%' {
				b.WriteString("%%")
			} else {
				b.WriteByte(f[i])
			}
			continue
		}
		if parse {
			b.WriteString(s[1])
		} else {
			b.WriteString(s[0])
		}
	}
	return b.String(), nil
}

// javaToStrftime converts a Joda-Time pattern (yyyy-MM-dd'T'HH:mm:ss.SSSZ), as parse_datetime and format_datetime
// take, into a DuckDB strftime/strptime format.
func javaToStrftime(p string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\'':
			if i+1 < len(p) && p[i+1] == '\'' {
				b.WriteByte('\'')
				i += 2
				continue
			}
			j := i + 1
			for {
				if j >= len(p) {
					return "", fmt.Errorf("date pattern %q has an unterminated quote", p)
				}
				if p[j] == '\'' {
					if j+1 < len(p) && p[j+1] == '\'' {
						b.WriteByte('\'') // '' inside quotes
						j += 2
						continue
					}
					break
				}
				if p[j] == '%' {
					b.WriteString("%%")
				} else {
					b.WriteByte(p[j])
				}
				j++
			}
			i = j + 1
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			n := 1
			for i+n < len(p) && p[i+n] == c {
				n++
			}
			s, err := javaField(c, n)
			if err != nil {
				return "", fmt.Errorf("date pattern %q: %w", p, err)
			}
			b.WriteString(s)
			i += n
		case c == '%':
			b.WriteString("%%")
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

func javaField(c byte, n int) (string, error) {
	switch c {
	case 'y', 'Y', 'u':
		if n == 2 {
			return "%y", nil
		}
		return "%Y", nil
	case 'M':
		switch n {
		case 1:
			return "%-m", nil
		case 2:
			return "%m", nil
		case 3:
			return "%b", nil
		}
		return "%B", nil
	case 'd':
		if n == 1 {
			return "%-d", nil
		}
		return "%d", nil
	case 'D':
		return "%j", nil
	case 'H':
		if n == 1 {
			return "%-H", nil
		}
		return "%H", nil
	case 'h':
		if n == 1 {
			return "%-I", nil
		}
		return "%I", nil
	case 'm':
		if n == 1 {
			return "%-M", nil
		}
		return "%M", nil
	case 's':
		if n == 1 {
			return "%-S", nil
		}
		return "%S", nil
	case 'S':
		switch n {
		case 3:
			return "%g", nil
		case 6:
			return "%f", nil
		case 9:
			return "%n", nil
		}
		return "", fmt.Errorf("fraction of second with %d digits is not supported by trailq (use S, SSS, SSSSSS or SSSSSSSSS)", n)
	case 'a':
		return "%p", nil
	case 'E':
		if n >= 4 {
			return "%A", nil
		}
		return "%a", nil
	case 'Z':
		return zoneMarks[min(n, 3)-1], nil
	case 'z':
		return zoneMarks[3], nil
	}
	return "", fmt.Errorf("pattern letter %c is not supported by trailq", c)
}

// zoneMarks stand in a converted pattern for Joda's zone letters (Z: +0900, ZZ: +09:00, ZZZ: the zone's id, z:
// its short name) until the call is built: strftime knows only the session's zone (UTC), while Trino prints the
// value's own — the zone an AT TIME ZONE or at_timezone gave it (zonedFormat).
var zoneMarks = [4]string{"\x01Z1\x01", "\x01Z2\x01", "\x01Z3\x01", "\x01z\x01"}

// javaToStrptime is javaToStrftime for parsing: DuckDB's strptime reads an offset with %z and a zone name with %Z.
func javaToStrptime(p string) (string, error) {
	f, err := javaToStrftime(p)
	for i, m := range zoneMarks {
		f = strings.ReplaceAll(f, m, [4]string{"%z", "%z", "%Z", "%Z"}[i])
	}
	return f, err
}
