package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/progress"
	"github.com/trailq/trailq/internal/source"
	"github.com/trailq/trailq/internal/timewin"
	"github.com/trailq/trailq/internal/web"
)

// ServeOptions are the flags of trailq serve.
type ServeOptions struct {
	SourceOptions
	Addr         string
	Open         bool
	QueryTimeout time.Duration
	MaxQueries   int
	FollowOptions

	// ready, when set (tests), is called with the page's URL once the server listens.
	ready func(url string)
}

const defaultServeAddr = "127.0.0.1:8080"

// NewCmdServe builds "trailq serve".
func NewCmdServe(f *Factory, runF func(context.Context, *ServeOptions) error) *cobra.Command {
	opts := &ServeOptions{}
	cmd := &cobra.Command{
		Use:   "serve --source PATH [--addr HOST:PORT] [--open]",
		Short: "Open the web UI: sign-in dashboard, query editor, data page",
		Long: `Serve loads what is new in the source, then serves a local web app: the console sign-in dashboard, an
Athena SQL editor over the same table as 'trailq query', and a data page with what the store holds, its
broken files and a "load new logs" action. The pages work offline: nothing is fetched from the internet.

By default the server listens on 127.0.0.1 only. With --addr on any other address, every request must carry
an access token: serve makes a random one and prints it in the URL to open. Queries run on a read-only
handle of the store and stop after --query-timeout.

With --follow, serve keeps the store current as CloudTrail delivers, as load --follow does (a poll every
--interval, each trail's current and previous UTC day listed from the last key seen; a whole listing every
--full-every): the page's header says "following: last poll 12 s ago, 3 new objects", and the page's
numbers (the data page, the findings, the sign-ins) are read again after a poll that loaded something.

EXIT STATUS
  0  stopped with Ctrl-C (input the load could not read is named when it starts and on the data page)
  1  an error (the address is in use, the store cannot be opened, …)
  2  a usage error`,
		Example: `  trailq serve --source ./AWSLogs --open
  trailq serve --store ./audit.duckdb --addr 127.0.0.1:9000
  trailq serve --source ./AWSLogs --addr 0.0.0.0:8080     # prints http://HOST:8080/?token=…
  trailq serve --source s3://trail-bucket/ --follow        # and load new logs as CloudTrail delivers them`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("serve takes no arguments (got %q): give the logs with --source", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.QueryTimeout <= 0 {
				return usageErrorf("--query-timeout %s: give a positive duration that a query may run, e.g. 1m (the default) or 30s", opts.QueryTimeout)
			}
			if opts.MaxQueries < 1 {
				return usageErrorf("--max-queries %d: give at least 1 query at once (the default is 2)", opts.MaxQueries)
			}
			if err := opts.FollowOptions.check(cmd, &opts.SourceOptions); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runServe(cmd.Context(), f, opts)
		},
	}
	addSourceFlags(cmd, &opts.SourceOptions)
	cmd.Flags().StringVar(&opts.Addr, "addr", defaultServeAddr, "`HOST:PORT` to listen on; anything but a loopback address needs the access token printed at start-up")
	cmd.Flags().BoolVar(&opts.Open, "open", false, "open the page in the default browser")
	cmd.Flags().DurationVar(&opts.QueryTimeout, "query-timeout", time.Minute, "stop any SQL query that runs longer than this")
	cmd.Flags().IntVar(&opts.MaxQueries, "max-queries", 2, "SQL queries of the query page that run at once; more wait up to 10s, then get \"busy\" (HTTP 429)")
	addFollowFlags(cmd, &opts.FollowOptions, "load new logs while serving")
	return cmd
}

func runServe(ctx context.Context, f *Factory, opts *ServeOptions) error {
	host, _, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		return usageErrorf("--addr %q: want HOST:PORT, e.g. 127.0.0.1:8080", opts.Addr)
	}
	loopback := isLoopback(host)
	wopts, follower, err := f.webOptions(ctx, opts)
	if err != nil {
		return err
	}
	if !loopback {
		if wopts.Token, err = newToken(); err != nil {
			return err
		}
	}
	srv, err := web.New(ctx, wopts)
	if err != nil {
		return err
	}
	defer srv.Close()
	if follower != nil {
		stop := follower.start(ctx, srv)
		defer stop()
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return withHint(fmt.Errorf("listen on %s: %w", opts.Addr, err), "pick another port: --addr 127.0.0.1:8081 (or :0 for any free port)")
	}
	pageURL := serveURL(ln.Addr(), host, wopts.Token)
	fmt.Fprintf(f.IO.Out, "trailq is serving %s\n", pageURL)
	if !loopback {
		fmt.Fprintf(f.IO.ErrOut, "Listening on %s: anyone who can reach it needs the token in this URL; keep it secret.\n", opts.Addr)
	}
	fmt.Fprintln(f.IO.ErrOut, "Press Ctrl-C to stop.")
	if opts.Open {
		if err := openBrowser(pageURL); err != nil {
			fmt.Fprintf(f.IO.ErrOut, "Could not open a browser (%v): open the URL above.\n", err)
		}
	}
	if opts.ready != nil {
		opts.ready(pageURL)
	}
	return serveUntilDone(ctx, srv, ln)
}

// webOptions loads what is new first, as every command does (the server then owns the store file), and gives
// the web server the same engine: its sandboxed reader for requests, its sync for "load new logs". With
// --follow, the first load is the follower's, and the follower is returned, to start once the server is.
func (f *Factory) webOptions(ctx context.Context, opts *ServeOptions) (web.Options, *serveFollower, error) {
	eo, err := f.engineOptions(ctx, &opts.SourceOptions, nil)
	if err != nil {
		return web.Options{}, nil, err
	}
	e := f.Engine()
	// A server stopped with Ctrl-C ends 0: what its first load could not read is named here and on the data
	// page, not in the exit status.
	e.Loaded = func(rep *engine.Report, src source.Source) { f.printLoad(rep, src, false) }
	var sf *serveFollower
	switch {
	case opts.Follow && eo.Source == nil:
		return web.Options{}, nil, usageErrorf("--follow needs --source (a folder or s3://bucket/prefix) to follow")
	case opts.Follow:
		if sf, err = f.newServeFollower(ctx, e, eo, &opts.FollowOptions); err != nil {
			return web.Options{}, nil, err
		}
	case eo.Source != nil && !eo.NoLoad:
		if _, err := e.Sync(ctx, eo); err != nil {
			return web.Options{}, nil, err
		}
	default:
		if _, err := os.Stat(eo.StorePath); err != nil {
			return web.Options{}, nil, withHint(fmt.Errorf("open store %s: %w", eo.StorePath, err), "load logs first with --source")
		}
	}
	keepFindings(ctx, e, eo)
	wopts := web.Options{
		Open: func(ctx context.Context, readOnly bool) (*engine.Store, error) {
			if readOnly {
				return e.Reader(ctx, eo)
			}
			return e.Writer(ctx, eo.StorePath)
		},
		Detect:       detectFunc(e, eo, f.Now),
		QueryTimeout: opts.QueryTimeout,
		MaxQueries:   opts.MaxQueries,
		Now:          f.Now,
		Log:          f.Logger(),
	}
	if eo.Source != nil {
		// The same source and load options as the first load: S3 profile, endpoint and concurrency included.
		wopts.Source = eo.Source.String()
		wopts.Load = func(ctx context.Context, st *engine.Store, c *progress.Counter) (*engine.Report, error) {
			return e.SyncStore(ctx, st, eo, c)
		}
	}
	if sf != nil {
		wopts.Follow = sf.Status
	}
	return wopts, sf, nil
}

// keepFindings brings the store's findings table up to date before the server holds the file (a detect over
// the whole store keeps them, and cannot write beside the server's handle): the findings page then answers a
// period that holds every event from it at once. Only the first start after a load computes anything; a
// failure is left to the page, which computes the findings as it answers.
func keepFindings(ctx context.Context, e *engine.Engine, eo engine.Options) {
	if e.Rules == nil {
		return
	}
	quiet := *e
	quiet.Notify = nil
	eo.NoLoad = true
	if _, err := quiet.Detect(ctx, eo, e.Rules(), engine.DetectOptions{}); err != nil && e.Log != nil {
		e.Log.Debug("findings not kept", "err", err)
	}
}

// detectFunc runs the built-in rules over the store for the findings page, on the engine's sandboxed reader, as
// trailq detect --period does: never a load (the server owns the store's loads), and the store's warnings are
// left to the web server, which puts them on every answer.
func detectFunc(e *engine.Engine, eo engine.Options, now func() time.Time) web.DetectFunc {
	quiet := *e
	quiet.Notify = nil
	eo.NoLoad = true
	rules := e.Rules
	if rules == nil {
		rules = engineRules()
	}
	return func(ctx context.Context, p timewin.Period) (*engine.DetectResult, error) {
		return quiet.Detect(ctx, eo, rules(), engine.DetectOptions{Period: p, Now: now()})
	}
}

// serveUntilDone serves on ln until ctx is done, then stops the server (5 s for requests to finish).
func serveUntilDone(ctx context.Context, srv http.Handler, ln net.Listener) error {
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("stop server: %w", err)
	}
	// Ctrl-C is how a server stops: not an error.
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func newToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make access token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// serveURL is the URL to open: the listener's address (with the real port when :0 was asked for), a name the
// user can reach for wildcard addresses, and the token.
func serveURL(addr net.Addr, host, token string) string {
	_, port, _ := net.SplitHostPort(addr.String())
	switch host {
	case "", "0.0.0.0", "::":
		host = "localhost"
		if h, err := os.Hostname(); err == nil && h != "" {
			host = h
		}
	}
	u := url.URL{Scheme: "http", Host: net.JoinHostPort(host, port), Path: "/"}
	if token != "" {
		u.RawQuery = url.Values{"token": {token}}.Encode()
	}
	return u.String()
}

func openBrowser(u string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", u)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", u)
	default:
		cmd = exec.Command("xdg-open", u)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait()
	return nil
}
