package output

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Format is an output format.
type Format string

// The formats.
const (
	Table Format = "table"
	CSV   Format = "csv"
	TSV   Format = "tsv"
	JSON  Format = "json"
	JSONL Format = "jsonl"
	// XLSX is an Excel workbook (see xlsx.go): binary, for a file, not a terminal.
	XLSX Format = "xlsx"
)

// Formats lists the accepted format names.
var Formats = []Format{Table, CSV, TSV, JSON, JSONL, XLSX}

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == strings.ToLower(s) {
			return f, nil
		}
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown format %q: use one of %s", s, strings.Join(names, ", "))
}

// Writer receives a result row by row. Values are nil, string, int64, float64, bool, time.Time or json.RawMessage.
type Writer interface {
	Header(columns []string) error
	Row(values []any) error
	// Close finishes the output (the table is written here, once its widths are known).
	Close() error
}

// Options tune a Writer.
type Options struct {
	// MaxWidth truncates table cells to this many characters (0: no limit).
	MaxWidth int
	// Location is the zone time values are shown in; nil means UTC.
	Location *time.Location
	// RawCSV turns off the neutralising of spreadsheet formulas in CSV and TSV (see Neutralize).
	RawCSV bool
}

// New returns a Writer for format f on w.
func New(w io.Writer, f Format, opts Options) Writer {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	switch f {
	case CSV:
		return &csvWriter{bw: bw, w: csv.NewWriter(bw), opts: opts}
	case TSV:
		return &tsvWriter{bw: bw, opts: opts}
	case JSON:
		return &jsonWriter{bw: bw, opts: opts, array: true}
	case JSONL:
		return &jsonWriter{bw: bw, opts: opts}
	case XLSX:
		return newXLSX(w, opts)
	}
	return &tableWriter{bw: bw, opts: opts}
}

// Text renders one value as text: JSON stays JSON text, times carry their zone, NULL is empty.
func Text(v any, loc *time.Location) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.RawMessage:
		return string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return FormatTime(x, loc)
	}
	return fmt.Sprint(v)
}

// Typed gives a value of a result column of SQL type dbType (DuckDB's name for it) the form Athena prints: a
// DATE as "2024-09-16" and a TIMESTAMP without a time zone as "2024-09-16 10:00:00.000" (a clock time, printed
// as it is, in no zone: --tz does not move it, and no zone is added to it), a TIME as "10:00:00.000". Other
// values, and timestamps with a time zone, are returned unchanged.
func Typed(dbType string, v any) any {
	t, ok := v.(time.Time)
	if !ok {
		return v
	}
	switch dbType {
	case "DATE":
		return t.Format("2006-01-02")
	case "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATETIME":
		return t.Format("2006-01-02 15:04:05.000")
	case "TIME":
		return t.Format("15:04:05.000")
	}
	return v
}

// FormatTime shows t in loc with its zone, e.g. "2024-09-01 09:00:00.000 JST" or "… +0900" for zones without
// an abbreviation.
func FormatTime(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	zone, _ := t.Zone()
	if zone == "" || zone[0] == '+' || zone[0] == '-' {
		return t.Format("2006-01-02 15:04:05.000 -0700")
	}
	return t.Format("2006-01-02 15:04:05.000 MST")
}

// Neutralize keeps a spreadsheet from reading a text cell as a formula (CSV injection): a value that starts with
// = + - @, a tab or a carriage return gets a leading apostrophe, which spreadsheets show as text. Numbers are
// not text cells and are not changed.
func Neutralize(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// Visible shows the characters that would act on a terminal as escapes: control characters (ESC, BEL, …, and
// the C1 range), and the invisible format characters that reorder or hide text (bidirectional overrides, zero
// widths). A newline is \n, a tab a space; invalid UTF-8 bytes are \xNN. Table output is for people; the other
// formats keep the bytes exact.
func Visible(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x200b && r <= 0x200f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0xfeff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

type tableWriter struct {
	bw     *bufio.Writer
	opts   Options
	header []string
	rows   [][]string
}

func (t *tableWriter) Header(cols []string) error {
	t.header = make([]string, len(cols))
	for i, c := range cols {
		t.header[i] = Visible(c)
	}
	return nil
}

func (t *tableWriter) Row(vals []any) error {
	row := make([]string, len(vals))
	for i, v := range vals {
		s := Visible(Text(v, t.opts.Location))
		if t.opts.MaxWidth > 0 && utf8.RuneCountInString(s) > t.opts.MaxWidth {
			r := []rune(s)
			s = string(r[:t.opts.MaxWidth-1]) + "…"
		}
		row[i] = s
	}
	t.rows = append(t.rows, row)
	return nil
}

func (t *tableWriter) Close() error {
	widths := make([]int, len(t.header))
	for i, h := range t.header {
		widths[i] = utf8.RuneCountInString(h)
	}
	for _, r := range t.rows {
		for i, c := range r {
			if n := utf8.RuneCountInString(c); n > widths[i] {
				widths[i] = n
			}
		}
	}
	line := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				t.bw.WriteString("  ")
			}
			t.bw.WriteString(c)
			if i < len(cells)-1 {
				t.bw.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)))
			}
		}
		t.bw.WriteByte('\n')
	}
	if len(t.header) > 0 {
		line(t.header)
		sep := make([]string, len(widths))
		for i, w := range widths {
			sep[i] = strings.Repeat("-", w)
		}
		line(sep)
	}
	for _, r := range t.rows {
		line(r)
	}
	return t.bw.Flush()
}

type csvWriter struct {
	bw   *bufio.Writer
	w    *csv.Writer
	opts Options
	rec  []string
}

func (c *csvWriter) Header(cols []string) error {
	c.rec = c.rec[:0]
	for _, n := range cols {
		c.rec = append(c.rec, c.cell(n))
	}
	return c.w.Write(c.rec)
}

func (c *csvWriter) Row(vals []any) error {
	c.rec = c.rec[:0]
	for _, v := range vals {
		s := Text(v, c.opts.Location)
		if _, text := v.(string); text || isRaw(v) {
			s = c.cell(s)
		}
		c.rec = append(c.rec, s)
	}
	return c.w.Write(c.rec)
}

func isRaw(v any) bool { _, ok := v.(json.RawMessage); return ok }

func (c *csvWriter) cell(s string) string {
	if c.opts.RawCSV {
		return s
	}
	return Neutralize(s)
}

func (c *csvWriter) Close() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	return c.bw.Flush()
}

type tsvWriter struct {
	bw   *bufio.Writer
	opts Options
}

var tsvEscaper = strings.NewReplacer("\\", `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)

func (t *tsvWriter) Header(cols []string) error {
	for i, c := range cols {
		if i > 0 {
			t.bw.WriteByte('\t')
		}
		t.bw.WriteString(tsvEscaper.Replace(t.cell(c)))
	}
	return t.bw.WriteByte('\n')
}

func (t *tsvWriter) Row(vals []any) error {
	for i, v := range vals {
		if i > 0 {
			t.bw.WriteByte('\t')
		}
		s := Text(v, t.opts.Location)
		if _, text := v.(string); text || isRaw(v) {
			s = t.cell(s)
		}
		t.bw.WriteString(tsvEscaper.Replace(s))
	}
	return t.bw.WriteByte('\n')
}

func (t *tsvWriter) cell(s string) string {
	if t.opts.RawCSV {
		return s
	}
	return Neutralize(s)
}

func (t *tsvWriter) Close() error { return t.bw.Flush() }

type jsonWriter struct {
	bw    *bufio.Writer
	opts  Options
	array bool
	cols  []string
	n     int
}

func (j *jsonWriter) Header(cols []string) error {
	j.cols = cols
	if j.array {
		j.bw.WriteString("[")
	}
	return nil
}

func (j *jsonWriter) Row(vals []any) error {
	if j.array {
		if j.n > 0 {
			j.bw.WriteString(",")
		}
		j.bw.WriteString("\n  ")
	}
	j.n++
	j.bw.WriteByte('{')
	for i, v := range vals {
		if i > 0 {
			j.bw.WriteByte(',')
		}
		k, _ := json.Marshal(j.cols[i])
		j.bw.Write(k)
		j.bw.WriteByte(':')
		switch x := v.(type) {
		case json.RawMessage:
			j.bw.Write(x)
		case time.Time:
			b, _ := json.Marshal(x.In(j.opts.Location).Format(time.RFC3339Nano))
			j.bw.Write(b)
		default:
			b, err := json.Marshal(x)
			if err != nil {
				b, _ = json.Marshal(fmt.Sprint(x))
			}
			j.bw.Write(b)
		}
	}
	j.bw.WriteByte('}')
	if !j.array {
		j.bw.WriteByte('\n')
	}
	return nil
}

func (j *jsonWriter) Close() error {
	if j.array {
		if j.n > 0 {
			j.bw.WriteString("\n")
		}
		j.bw.WriteString("]\n")
	}
	return j.bw.Flush()
}
