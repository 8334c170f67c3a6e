package output

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
)

// XLSX output is a workbook for spreadsheets: text stays text (account IDs keep their leading zeros and never
// turn into 1.11122E+11, and a cell that starts with = is text, not a formula: no neutralising is needed), numbers
// are numbers, and times are date-time cells in the output's zone whose format names the zone
// ("2024-09-01 09:00:00.000 JST"), so they sort and filter as times.

// maxCellChars is the most characters (UTF-16 units) a cell holds, and maxRows the most rows of a worksheet.
const (
	maxCellChars = excelize.TotalCellChars
	maxRows      = excelize.TotalRows
)

type xlsxWriter struct {
	w      io.Writer
	opts   Options
	f      *excelize.File
	sw     *excelize.StreamWriter
	row    int
	zones  map[string]int // zone abbreviation → style of date-time cells
	header int
}

const sheetName = "trailq"

func newXLSX(w io.Writer, opts Options) *xlsxWriter {
	return &xlsxWriter{w: w, opts: opts, zones: map[string]int{}}
}

func (x *xlsxWriter) Header(columns []string) error {
	x.f = excelize.NewFile()
	if err := x.f.SetSheetName("Sheet1", sheetName); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	sw, err := x.f.NewStreamWriter(sheetName)
	if err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	x.sw = sw
	if x.header, err = x.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	cells := make([]any, len(columns))
	for i, c := range columns {
		cells[i] = excelize.Cell{StyleID: x.header, Value: c}
	}
	return x.setRow(cells)
}

func (x *xlsxWriter) setRow(cells []any) error {
	if x.row >= maxRows {
		return fmt.Errorf("write xlsx: more than %d rows, the most a worksheet holds: use --format csv, or a narrower query", maxRows-1)
	}
	x.row++
	cell, _ := excelize.CoordinatesToCellName(1, x.row)
	if err := x.sw.SetRow(cell, cells); err != nil {
		return fmt.Errorf("write xlsx row %d: %w", x.row, err)
	}
	return nil
}

func (x *xlsxWriter) Row(values []any) error {
	cells := make([]any, len(values))
	for i, v := range values {
		c, err := x.cell(v)
		if err != nil {
			return err
		}
		cells[i] = c
	}
	return x.setRow(cells)
}

// cell converts one value: text (cut, and said so, past a cell's limit), exact numbers (an integer Excel cannot
// hold exactly becomes text), date-times in the output's zone.
func (x *xlsxWriter) cell(v any) (any, error) {
	switch t := v.(type) {
	case nil:
		return nil, nil
	case string:
		return fitCell(t), nil
	case json.RawMessage:
		return fitCell(string(t)), nil
	case int64:
		if t > 1<<53 || t < -(1<<53) {
			return strconv.FormatInt(t, 10), nil
		}
		return t, nil
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return strconv.FormatFloat(t, 'g', -1, 64), nil
		}
		return t, nil
	case bool:
		return t, nil
	case time.Time:
		return x.timeCell(t)
	}
	return fitCell(fmt.Sprint(v)), nil
}

// timeCell is a date-time cell showing t's clock time in the output's zone, the zone named in its format.
func (x *xlsxWriter) timeCell(t time.Time) (any, error) {
	t = t.In(x.opts.Location)
	zone, _ := t.Zone()
	if zone == "" || zone[0] == '+' || zone[0] == '-' {
		zone = t.Format("-07:00")
	}
	style, ok := x.zones[zone]
	if !ok {
		format := `yyyy-mm-dd hh:mm:ss.000 "` + zone + `"`
		var err error
		if style, err = x.f.NewStyle(&excelize.Style{CustomNumFmt: &format}); err != nil {
			return nil, fmt.Errorf("write xlsx: %w", err)
		}
		x.zones[zone] = style
	}
	// Excel's date-times have no zone: the cell holds the clock time, which excelize reads from a UTC time.
	clock := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	return excelize.Cell{StyleID: style, Value: clock}, nil
}

// fitCell cuts text longer than a cell holds, and says so in the cell.
func fitCell(s string) string {
	if len(s) <= maxCellChars/3 || utf16Len(s) <= maxCellChars {
		return s
	}
	note := fmt.Sprintf(" …[cut: %d characters in all; --format json keeps the whole value]", len([]rune(s)))
	budget := maxCellChars - utf16Len(note)
	n := 0
	for i, r := range s {
		if n += len(utf16.Encode([]rune{r})); n > budget {
			return s[:i] + note
		}
	}
	return s
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += len(utf16.Encode([]rune{r}))
	}
	return n
}

func (x *xlsxWriter) Close() error {
	if x.f == nil {
		// No header was written: an empty sheet all the same.
		if err := x.Header(nil); err != nil {
			return err
		}
	}
	defer x.f.Close()
	if err := x.sw.Flush(); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	if _, err := x.f.WriteTo(x.w); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}
