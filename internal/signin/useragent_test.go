package signin_test

import (
	"testing"
	"time"

	"github.com/trailq/trailq/internal/signin"
)

func TestParseUserAgent(t *testing.T) {
	tests := []struct{ ua, browser, os string }{
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/67.0.3396.99 Safari/537.36", "Chrome 67", "macOS 10.11.6"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.12; rv:62.0) Gecko/20100101 Firefox/62.0", "Firefox 62", "macOS 10.12"},
		{"Mozilla/5.0 (Windows NT 6.1; WOW64; rv:24.0) Gecko/20100101 Firefox/24.0", "Firefox 24", "Windows 7"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91", "Edge 120", "Windows 10/11"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1", "Safari 17.1", "iOS 17.1"},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36", "Chrome 119", "Android 14"},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox 128", "Linux"},
		{"console.amazonaws.com", "", ""},
		{"aws-cli/2.15.0 Python/3.11.6 Linux/6.2.0 exe/x86_64.ubuntu.22", "", ""},
		{"Mozilla", "", ""},
	}
	for _, tt := range tests {
		b, o := signin.ParseUserAgent(tt.ua)
		if b != tt.browser || o != tt.os {
			t.Errorf("ParseUserAgent(%q) = %q, %q; want %q, %q", tt.ua, b, o, tt.browser, tt.os)
		}
	}
}

func TestLoadWindow(t *testing.T) {
	now := time.Date(2024, 9, 10, 12, 0, 0, 0, time.UTC)
	day := func(s string) time.Time {
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if _, ok := signin.LoadWindow(signin.Window{}, now, signin.DefaultLag); ok {
		t.Error("a window without a start limits the load")
	}
	tests := []struct {
		name     string
		w        signin.Window
		lag      time.Duration
		from, to string
	}{
		// No end: up to now, plus the lag.
		{"open end", signin.Window{Start: day("2024-09-08")}, signin.DefaultLag, "2024-09-08", "2024-09-10"},
		{"open end near midnight", signin.Window{Start: day("2024-09-08")}, 13 * time.Hour, "2024-09-08", "2024-09-11"},
		// An end in the future is now.
		{"future end", signin.Window{Start: day("2024-09-08"), End: day("2024-12-01")}, signin.DefaultLag, "2024-09-08", "2024-09-10"},
		// A UTC day: the next day is read for files delivered after midnight.
		{"utc day", signin.Window{Start: day("2024-09-01"), End: day("2024-09-02")}, signin.DefaultLag, "2024-09-01", "2024-09-02"},
		{"utc day, no lag", signin.Window{Start: day("2024-09-01"), End: day("2024-09-02")}, 0, "2024-09-01", "2024-09-01"},
	}
	for _, tt := range tests {
		w, ok := signin.LoadWindow(tt.w, now, tt.lag)
		if !ok {
			t.Fatalf("%s: no window", tt.name)
		}
		days := w.Days()
		if got, want := days[0].Format("2006-01-02")+".."+days[len(days)-1].Format("2006-01-02"), tt.from+".."+tt.to; got != want {
			t.Errorf("%s: key dates %s, want %s", tt.name, got, want)
		}
	}
}
