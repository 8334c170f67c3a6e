package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestUnauthorizedPage asks without the token: a browser's navigation gets a page that says how to get in,
// the API (and a client asking for JSON) gets JSON.
func TestUnauthorizedPage(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.Token = "s3cret-token" })
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
	for _, tc := range []struct {
		name, path, accept string
		html               bool
	}{
		{"browser", "/", browser, true},
		{"browser, asset", "/assets/app.js", browser, true},
		{"no Accept", "/", "", false},
		{"JSON client", "/", "application/json", false},
		{"page's own fetch", "/api/data", "*/*", false},
		{"API in a browser tab", "/api/data", browser, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := ts.do(t, "GET", tc.path, "", map[string]string{"Accept": tc.accept})
			if res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d", res.StatusCode)
			}
			ct := res.Header.Get("Content-Type")
			if tc.html {
				if !strings.HasPrefix(ct, "text/html") || !strings.Contains(string(body), "?token=") ||
					!strings.Contains(string(body), "<h1>trailq needs its access token</h1>") {
					t.Errorf("want the page: %s\n%s", ct, body)
				}
				if strings.Contains(string(body), "<script") || strings.Contains(string(body), "s3cret-token") {
					t.Errorf("the page holds a script or the token:\n%s", body)
				}
				return
			}
			var e apiError
			if !strings.HasPrefix(ct, "application/json") || json.Unmarshal(body, &e) != nil || !strings.Contains(e.Error, "access token") {
				t.Errorf("want JSON: %s %s", ct, body)
			}
		})
	}
}
