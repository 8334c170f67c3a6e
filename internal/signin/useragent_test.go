package signin_test

import (
	"testing"

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
