package output

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// TestXLSX writes a workbook and reads it back with excelize: account IDs and formula-looking text stay text,
// numbers are numbers, a time is a date-time cell showing the output zone's clock and naming the zone, an
// over-long value is cut and says so, and NULL is an empty cell.
func TestXLSX(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", maxCellChars+10)
	var buf bytes.Buffer
	w := New(&buf, XLSX, Options{Location: tokyo})
	if err := w.Header([]string{"account", "formula", "n", "f", "ok", "at", "json", "long", "null"}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 9, 1, 0, 45, 18, 250_000_000, time.UTC)
	if err := w.Row([]any{"012345678901", "=HYPERLINK(\"http://x\")", int64(42), 1.5, true, at,
		json.RawMessage(`{"a":1}`), long, nil}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatalf("the workbook does not open: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows(sheetName)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || strings.Join(rows[0], ",") != "account,formula,n,f,ok,at,json,long,null" {
		t.Fatalf("rows: %q", rows)
	}
	got := rows[1]
	for i, want := range []string{"012345678901", `=HYPERLINK("http://x")`, "42", "1.5", "TRUE", "", `{"a":1}`} {
		if want != "" && got[i] != want {
			t.Errorf("column %s shows %q, want %q", rows[0][i], got[i], want)
		}
	}
	if !strings.HasSuffix(got[7], "…[cut: 32777 characters in all; --format json keeps the whole value]") || len([]rune(got[7])) > maxCellChars {
		t.Errorf("the long value: %d characters ending %q", len([]rune(got[7])), got[7][len(got[7])-80:])
	}
	if len(got) > 8 && got[8] != "" {
		t.Errorf("NULL shows %q", got[8])
	}
	for cell, want := range map[string]excelize.CellType{"A2": excelize.CellTypeInlineString, "B2": excelize.CellTypeInlineString,
		"C2": excelize.CellTypeUnset, "F2": excelize.CellTypeUnset} {
		if typ, err := f.GetCellType(sheetName, cell); err != nil || typ != want {
			t.Errorf("%s: type %v, want %v (%v)", cell, typ, want, err)
		}
	}
	if formula, _ := f.GetCellFormula(sheetName, "B2"); formula != "" {
		t.Errorf("B2 became the formula %q", formula)
	}
	// The cell shows Tokyo's clock and says JST (excelize renders the format without the milliseconds Excel
	// shows); it holds the serial date-time of 2024-09-01 09:45:18.25: 45536 + 35118.25/86400.
	if !strings.HasPrefix(got[5], "2024-09-01 09:45:18") || !strings.HasSuffix(got[5], " JST") {
		t.Errorf("the time shows %q, want 2024-09-01 09:45:18… JST", got[5])
	}
	if raw, _ := f.GetCellValue(sheetName, "F2", excelize.Options{RawCellValue: true}); !strings.HasPrefix(raw, "45536.406461") {
		t.Errorf("the time cell holds %q, want 45536.406461… (2024-09-01 09:45:18.25)", raw)
	}
}

func TestXLSXEmpty(t *testing.T) {
	var buf bytes.Buffer
	w := New(&buf, XLSX, Options{})
	if err := w.Header([]string{"a"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if rows, _ := f.GetRows(sheetName); len(rows) != 1 || rows[0][0] != "a" {
		t.Errorf("rows %q", rows)
	}
}
