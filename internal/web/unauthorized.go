package web

import (
	"html/template"
	"mime"
	"net/http"
	"strings"
)

// unauthorizedMessage is the 401's message for API clients (JSON).
const unauthorizedMessage = "this server needs its access token: open the URL printed by 'trailq serve' (it ends in ?token=…)"

// unauthorizedPage is the 401's page for a browser: how to get in. It has no script, style or link (nothing
// but the page itself may load before the token is given).
var unauthorizedPage = template.Must(template.New("401").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>trailq: access token needed</title><link rel="icon" href="data:,"></head>
<body>
<main>
<h1>trailq needs its access token</h1>
<p>This trailq server ({{.}}) lets in only those who have its access token.</p>
<ul>
<li>Open the address that <code>trailq serve</code> printed when it started: it ends in <code>?token=…</code>.
After that, this browser keeps the token (in a cookie for this address), and the plain address works too.</li>
<li>If you do not have it, ask whoever runs the server, or start your own with <code>trailq serve</code>
(on this machine's loopback address it needs no token).</li>
<li>A token that no longer works: the server was started again with a new one; open its new address.</li>
</ul>
<p>Programs calling the API give the token in the <code>X-Trailq-Token</code> header.</p>
</main>
</body>
</html>
`))

// wantsHTML reports whether a request prefers a page to JSON: a browser's navigation (Accept: text/html …),
// not the page's own API calls (Accept: */*) nor a client that asks for JSON.
func wantsHTML(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		return false
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err == nil && (mt == "text/html" || mt == "application/xhtml+xml") {
			return true
		}
	}
	return false
}

// writeUnauthorized answers a request without the token: a page that says how to get in for a browser,
// JSON for others.
func writeUnauthorized(w http.ResponseWriter, r *http.Request) {
	if !wantsHTML(r) {
		writeError(w, http.StatusUnauthorized, unauthorizedMessage)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusUnauthorized)
	unauthorizedPage.Execute(w, r.Host)
}
