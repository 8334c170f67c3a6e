package web

import (
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/progress"
)

//go:embed assets
var assets embed.FS

// CSRFHeader must be present on every state-changing request (POST). Browsers do not let another site's page
// set a custom header on a cross-origin request without a CORS preflight, which this server never grants.
const CSRFHeader = "X-Trailq-Request"

// Limits of the API.
const (
	maxBodyBytes     = 1 << 20  // request bodies (a query's SQL)
	defaultQueryRows = 1000     // rows returned to the result grid unless asked otherwise
	maxQueryRows     = 100_000  // rows the grid may ask for; downloads are not limited
	maxSignInRows    = 20_000   // sign-ins listed in the dashboard table
	maxGridBytes     = 16 << 20 // JSON bytes of the rows returned to the grid; downloads are not limited
	// defaultQueueWait is how long a query waits for a free slot before it is answered 429.
	defaultQueueWait = 10 * time.Second
)

// OpenFunc opens the store file, read-only or read-write.
type OpenFunc func(ctx context.Context, readOnly bool) (*engine.Store, error)

// LoadFunc loads what is new in the source into st (opened read-write), updating c as it goes.
type LoadFunc func(ctx context.Context, st *engine.Store, c *progress.Counter) (*engine.Report, error)

// Options configure a Server.
type Options struct {
	// Open opens the store; required.
	Open OpenFunc
	// Load, when set, enables the "load new logs" action.
	Load LoadFunc
	// Detect, when set, runs the built-in rules for the findings page (GET /api/findings).
	Detect DetectFunc
	// Follow, when set, tells what the follower keeping the store current has done (serve --follow); its loads
	// come through LoadWith.
	Follow FollowFunc
	// Source names the logs' source, for the data page.
	Source string
	// Token, when set, must accompany every request: as ?token=, the X-Trailq-Token header, or the cookie the
	// server sets after the first request that carried it.
	Token string
	// QueryTimeout bounds every SQL query; 0 means one minute.
	QueryTimeout time.Duration
	// MaxQueries is how many users' queries (POST /api/query) run at once; 0 means 2. Others wait up to
	// QueueWait (0: 10 s) for a slot, then get 429.
	MaxQueries int
	QueueWait  time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives request errors; nil discards them.
	Log *slog.Logger
}

// Server is the web UI's HTTP handler.
type Server struct {
	opts  Options
	slots chan struct{} // one per query running
	// gridBytes bounds the JSON rows of a grid answer (maxGridBytes; tests set less).
	gridBytes int
	db        *handle
	mux       *http.ServeMux
	files     http.Handler
}

// New returns a Server over the store opened by opts.Open (read-only).
// Close releases the store.
func New(ctx context.Context, opts Options) (*Server, error) {
	if opts.QueryTimeout <= 0 {
		opts.QueryTimeout = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxQueries <= 0 {
		opts.MaxQueries = 2
	}
	if opts.QueueWait <= 0 {
		opts.QueueWait = defaultQueueWait
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		return nil, err
	}
	db, err := openHandle(ctx, opts.Open, opts.Load, opts.Now)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, db: db, slots: make(chan struct{}, opts.MaxQueries), gridBytes: maxGridBytes, mux: http.NewServeMux(), files: http.FileServerFS(sub)}
	s.routes()
	return s, nil
}

// Close waits for a running load and closes the store.
func (s *Server) Close() error { return s.db.close() }

func (s *Server) routes() {
	s.mux.HandleFunc("GET /api/signins", s.handleSignIns)
	s.mux.HandleFunc("GET /api/events", s.handleEvent)
	s.mux.HandleFunc("GET /api/findings", s.handleFindings)
	s.mux.HandleFunc("GET /api/trace", s.handleTrace)
	s.mux.HandleFunc("POST /api/query", s.handleQuery)
	s.mux.HandleFunc("GET /api/presets", s.handlePresets)
	s.mux.HandleFunc("GET /api/data", s.handleData)
	s.mux.HandleFunc("GET /api/load", s.handleLoadStatus)
	s.mux.HandleFunc("POST /api/load", s.handleLoadStart)
	s.mux.HandleFunc("GET /{$}", s.handleIndex)
	s.mux.HandleFunc("GET /assets/{file}", func(w http.ResponseWriter, r *http.Request) {
		// Files only: no directory listings.
		http.StripPrefix("/assets/", s.files).ServeHTTP(w, r)
	})
}

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	b, err := assets.ReadFile("assets/index.html")
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}

// ServeHTTP applies the security checks, then routes the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if s.opts.Token == "" && !loopbackHost(r.Host) {
		// Without a token the server trusts whoever reaches 127.0.0.1; a page served under another name that
		// resolves here (DNS rebinding) must not get in.
		writeError(w, http.StatusMisdirectedRequest, "this server answers only to localhost addresses (Host "+r.Host+")")
		return
	}
	if _, err := url.ParseQuery(r.URL.RawQuery); err != nil {
		// net/url leaves out a pair it cannot read (a ';' between parameters, a bad escape): answered without
		// it, a filter would silently disappear.
		writeError(w, http.StatusBadRequest, "read the query string: "+err.Error()+
			": separate parameters with &, and write a ; inside a value as %3B (and a % as %25)")
		return
	}
	if !s.authorized(w, r) {
		writeUnauthorized(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions {
		if msg := checkCSRF(r); msg != "" {
			writeError(w, http.StatusForbidden, msg)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		// Every answer says what the store lacks (log files lost with a damaged part, not read again since).
		if ws := s.db.currentWarnings(); len(ws) > 0 {
			h.Set(WarningHeader, strings.Join(ws, " | "))
		}
	}
	s.mux.ServeHTTP(w, r)
}

// WarningHeader carries, on every API response, what the store's answers lack (several joined by " | ").
const WarningHeader = "Trailq-Warning"

// tokenCookie names the token's cookie after the port the request came to: cookies are not kept apart by port,
// and two servers on one host must not overwrite each other's token.
func tokenCookie(r *http.Request) string {
	_, port, err := net.SplitHostPort(r.Host)
	if err != nil || port == "" {
		port = "80"
	}
	return "trailq_token_" + port
}

// authorized checks the access token, when there is one. A valid ?token= sets a cookie so that the page's own
// requests (and reloads without the query string) carry it.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if s.opts.Token == "" {
		return true
	}
	if q := r.URL.Query().Get("token"); q != "" {
		if !tokenEqual(q, s.opts.Token) {
			return false
		}
		http.SetCookie(w, &http.Cookie{Name: tokenCookie(r), Value: s.opts.Token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		return true
	}
	if t := r.Header.Get("X-Trailq-Token"); t != "" {
		return tokenEqual(t, s.opts.Token)
	}
	if c, err := r.Cookie(tokenCookie(r)); err == nil {
		return tokenEqual(c.Value, s.opts.Token)
	}
	return false
}

// loopbackHost reports whether a Host header names this machine's loopback interface.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func tokenEqual(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// checkCSRF returns why a state-changing request is refused, or "".
func checkCSRF(r *http.Request) string {
	if r.Header.Get(CSRFHeader) == "" {
		return "missing " + CSRFHeader + " header (requests must come from the trailq page)"
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return "cross-site request refused"
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || !strings.EqualFold(u.Host, r.Host) {
			return "cross-origin request refused (Origin " + origin + ")"
		}
	}
	return ""
}

// apiError is the body of every error response.
type apiError struct {
	Error string `json:"error"`
	// Position is the 1-based line and column of a SQL error in the query as written, when known.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
	// Offset is the error's byte offset in the query as written (-1 or absent when unknown).
	Offset *int `json:"offset,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, apiError{Error: msg})
}

// decodeBody reads a JSON request body into v, answering the error itself when it cannot.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, "send the request body as application/json")
		return false
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "request body too large (the limit is 1 MiB)")
			return false
		}
		writeError(w, http.StatusBadRequest, "read request: "+err.Error())
		return false
	}
	return true
}

// reading gives a handler the store, under the read lock that keeps a load from changing it meanwhile, and a
// context with the query timeout; when the store cannot be had it answers 503 itself and ok is false. done
// releases both.
func (s *Server) reading(w http.ResponseWriter, r *http.Request) (ctx context.Context, st *engine.Store, done func(), ok bool) {
	st, release, err := s.db.acquire()
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return nil, nil, nil, false
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.QueryTimeout)
	return ctx, st, func() { cancel(); release() }, true
}
