package output

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func write(t *testing.T, f Format, opts Options, rows ...[]any) string {
	t.Helper()
	var b bytes.Buffer
	w := New(&b, f, opts)
	if err := w.Header([]string{"name", "n", "when", "obj"}); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Row(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var when = time.Date(2024, 9, 1, 0, 30, 0, 0, time.UTC)

func rows() [][]any {
	return [][]any{
		{"a, \"quoted\"\nline", int64(3), when, json.RawMessage(`{"type":"Root","arn":null}`)},
		{nil, 1.5, nil, nil},
	}
}

func TestCSV(t *testing.T) {
	out := write(t, CSV, Options{}, rows()...)
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := recs[1][0], "a, \"quoted\"\nline"; got != want {
		t.Errorf("CSV cell %q, want %q", got, want)
	}
	if got, want := recs[1][2], "2024-09-01 00:30:00.000 UTC"; got != want {
		t.Errorf("time %q, want %q", got, want)
	}
	if got, want := recs[1][3], `{"type":"Root","arn":null}`; got != want {
		t.Errorf("struct %q, want its JSON %q", got, want)
	}
	if recs[2][0] != "" || recs[2][1] != "1.5" {
		t.Errorf("NULL and float row = %q", recs[2])
	}
}

func TestTSVEscapes(t *testing.T) {
	out := write(t, TSV, Options{}, []any{"tab\there", int64(1), nil, nil})
	if lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n"); len(lines) != 2 || lines[1] != `tab\there	1		` {
		t.Errorf("TSV = %q", out)
	}
}

func TestJSONAndJSONL(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	var arr []map[string]any
	if err := json.Unmarshal([]byte(write(t, JSON, Options{Location: tokyo}, rows()...)), &arr); err != nil {
		t.Fatal(err)
	}
	if len(arr) != 2 || arr[0]["n"] != 3.0 || arr[0]["when"] != "2024-09-01T09:30:00+09:00" {
		t.Errorf("JSON rows = %v", arr)
	}
	if obj, ok := arr[0]["obj"].(map[string]any); !ok || obj["type"] != "Root" {
		t.Errorf("struct is not embedded as a JSON object: %v", arr[0]["obj"])
	}
	if arr[1]["name"] != nil {
		t.Errorf("NULL = %v, want null", arr[1]["name"])
	}
	if empty := write(t, JSON, Options{}); strings.TrimSpace(empty) != "[]" {
		t.Errorf("no rows = %q, want []", empty)
	}
	lines := strings.Split(strings.TrimSpace(write(t, JSONL, Options{}, rows()...)), "\n")
	if len(lines) != 2 || !json.Valid([]byte(lines[0])) || !json.Valid([]byte(lines[1])) {
		t.Errorf("JSONL = %q", lines)
	}
}

func TestTable(t *testing.T) {
	out := write(t, Table, Options{MaxWidth: 10}, []any{"a very long value indeed", int64(12345), when, nil}, []any{"x", int64(1), nil, nil})
	lines := strings.Split(out, "\n")
	if len(lines) < 4 || !strings.HasPrefix(lines[0], "name") || !strings.HasPrefix(lines[1], "----") {
		t.Fatalf("table = %q", out)
	}
	if !strings.Contains(lines[2], "a very lo…") || strings.Contains(out, "indeed") {
		t.Errorf("long value not shortened to 10: %q", lines[2])
	}
	// Columns line up: the second column starts at the same character on every line.
	at := func(line, s string) int { return utf8.RuneCountInString(line[:strings.Index(line, s)]) }
	col := at(lines[0], "n ")
	if at(lines[2], "12345") != col || at(lines[3], "1 ") != col {
		t.Errorf("columns do not line up:\n%s", out)
	}
}

func TestFormatTimeZones(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	if got, want := FormatTime(when, tokyo), "2024-09-01 09:30:00.000 JST"; got != want {
		t.Errorf("FormatTime(Tokyo) = %q, want %q", got, want)
	}
	if got, want := FormatTime(when, time.FixedZone("", 5*3600+1800)), "2024-09-01 06:00:00.000 +0530"; got != want {
		t.Errorf("FormatTime(+05:30) = %q, want %q", got, want)
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error("ParseFormat(xml) accepted")
	}
}

func TestNeutralizeFormulas(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")", "+1": "'+1", "-2+3": "'-2+3", "@SUM(A1)": "'@SUM(A1)",
		"\tx": "'\tx", "\rx": "'\rx", "plain": "plain", "": "", "a=b": "a=b",
	} {
		if got := Neutralize(in); got != want {
			t.Errorf("Neutralize(%q) = %q, want %q", in, got, want)
		}
	}
	var b strings.Builder
	w := New(&b, CSV, Options{})
	w.Header([]string{"=a", "n"})
	w.Row([]any{"=1+1", int64(-5)})
	w.Close()
	if got, want := b.String(), "'=a,n\n'=1+1,-5\n"; got != want {
		t.Errorf("CSV %q, want %q (numbers are not text cells)", got, want)
	}
	b.Reset()
	w = New(&b, CSV, Options{RawCSV: true})
	w.Header([]string{"a"})
	w.Row([]any{"=1+1"})
	w.Close()
	if got, want := b.String(), "a\n=1+1\n"; got != want {
		t.Errorf("raw CSV %q, want %q", got, want)
	}
	b.Reset()
	w = New(&b, TSV, Options{})
	w.Header([]string{"a"})
	w.Row([]any{"@x"})
	w.Close()
	if got, want := b.String(), "a\n'@x\n"; got != want {
		t.Errorf("TSV %q, want %q", got, want)
	}
}

func TestTableShowsControlCharacters(t *testing.T) {
	hostile := "Mozilla\x1b]0;pwned\x07\x1b[2K\x9b31m\u202egnp.exe\u200b\xff"
	var b strings.Builder
	w := New(&b, Table, Options{})
	w.Header([]string{"ua\x1b[1m"})
	w.Row([]any{hostile})
	w.Close()
	out := b.String()
	for i := 0; i < len(out); i++ {
		if c := out[i]; c < 0x20 && c != '\n' || c == 0x7f {
			t.Fatalf("table output holds control byte %#x: %q", c, out)
		}
	}
	for _, want := range []string{`\x1b]0;pwned\x07\x1b[2K`, `\x9b31m`, `\u202egnp.exe\u200b`, `\xff`, `ua\x1b[1m`} {
		if !strings.Contains(out, want) {
			t.Errorf("table output %q does not show %q", out, want)
		}
	}
	// JSON keeps the bytes exact.
	b.Reset()
	w = New(&b, JSONL, Options{})
	w.Header([]string{"ua"})
	w.Row([]any{"a\x1bb"})
	w.Close()
	if !strings.Contains(b.String(), `a\u001bb`) {
		t.Errorf("JSON %q", b.String())
	}
}

func TestTyped(t *testing.T) {
	ts := time.Date(2024, 9, 16, 10, 0, 1, 250_000_000, time.UTC)
	for _, c := range []struct {
		typ  string
		v    any
		want any
	}{
		{"DATE", ts, "2024-09-16"},
		{"TIMESTAMP", ts, "2024-09-16 10:00:01.250"},
		{"TIMESTAMP_NS", ts, "2024-09-16 10:00:01.250"},
		{"TIME", ts, "10:00:01.250"},
		{"TIMESTAMP WITH TIME ZONE", ts, ts},
		{"DATE", nil, nil},
		{"VARCHAR", "2024-09-16", "2024-09-16"},
	} {
		if got := Typed(c.typ, c.v); got != c.want {
			t.Errorf("Typed(%s, %v) = %v, want %v", c.typ, c.v, got, c.want)
		}
	}
}
