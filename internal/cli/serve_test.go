package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for the server's goroutine and the test's.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServe runs trailq serve on the sample logs until the test ends and returns the page's URL.
func startServe(t *testing.T, addr string) (pageURL string, out, errOut *lockedBuffer) {
	t.Helper()
	out, errOut = &lockedBuffer{}, &lockedBuffer{}
	f := NewFactory(strings.NewReader(""), out, errOut, func(string) string { return "" })
	ready := make(chan string, 1)
	opts := &ServeOptions{
		SourceOptions: SourceOptions{Source: sampleDir, Store: filepath.Join(t.TempDir(), "s.duckdb")},
		Addr:          addr,
		QueryTimeout:  time.Minute,
		ready:         func(u string) { ready <- u },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, f, opts) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v after Ctrl-C, want nil", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	})
	select {
	case u := <-ready:
		return u, out, errOut
	case err := <-done:
		t.Fatalf("serve: %v\n%s", err, errOut.String())
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not start")
	}
	return "", nil, nil
}

func getJSON(t *testing.T, u string, hdr map[string]string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

func TestServeLoopback(t *testing.T) {
	u, out, errOut := startServe(t, "127.0.0.1:0")
	if !strings.HasPrefix(u, "http://127.0.0.1:") || strings.Contains(u, "token") {
		t.Fatalf("URL %s", u)
	}
	if !strings.Contains(out.String(), "trailq is serving "+u) {
		t.Errorf("stdout %q", out.String())
	}
	if !strings.Contains(errOut.String(), "Loaded ") {
		t.Errorf("no load summary on stderr: %q", errOut.String())
	}
	code, data := getJSON(t, u+"api/data", nil)
	if code != 200 || data["records"].(float64) == 0 || data["can_load"] != true {
		t.Errorf("GET /api/data: %d %v", code, data)
	}
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Errorf("GET /: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

func TestServeElsewhereNeedsToken(t *testing.T) {
	u, _, errOut := startServe(t, "0.0.0.0:0")
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	token := pu.Query().Get("token")
	if len(token) < 32 {
		t.Fatalf("URL %s has no access token", u)
	}
	if !strings.Contains(errOut.String(), "needs the token") {
		t.Errorf("no warning on stderr: %q", errOut.String())
	}
	base := "http://" + net.JoinHostPort("127.0.0.1", pu.Port())
	if code, _ := getJSON(t, base+"/api/data", nil); code != http.StatusUnauthorized {
		t.Errorf("without token: %d", code)
	}
	if code, _ := getJSON(t, base+"/api/data?token=wrong", nil); code != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", code)
	}
	if code, _ := getJSON(t, base+"/api/data?token="+token, nil); code != 200 {
		t.Errorf("with token: %d", code)
	}
	// With a token, any Host may be used (the server is reached by name from other machines).
	if code, _ := getJSON(t, base+"/api/data", map[string]string{"X-Trailq-Token": token, "Host": "trailq.example"}); code != 200 {
		t.Errorf("token header: %d", code)
	}
}

func TestServeUsage(t *testing.T) {
	cache := t.TempDir()
	for _, args := range [][]string{
		{"serve", "--source", sampleDir, "--addr", "8080"},
		{"serve", "--source", sampleDir, "--query-timeout", "0s"},
		{"serve", "extra"},
	} {
		if r := run(t, cache, "", args...); r.code != ExitUsage {
			t.Errorf("%v: exit %d, want %d; %s", args, r.code, ExitUsage, r.errOut)
		}
	}
}

func TestServeAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	r := run(t, t.TempDir(), "", "serve", "--source", sampleDir, "--addr", ln.Addr().String())
	if r.code != ExitError || !strings.Contains(r.errOut, "listen on") || !strings.Contains(r.errOut, "Try: pick another port") {
		t.Errorf("exit %d: %s", r.code, r.errOut)
	}
}

// "Load new logs" reads the source the way the first load did: here an S3 bucket on another endpoint, which the
// default client would not reach.
func TestServeLoadsFromTheSameS3Endpoint(t *testing.T) {
	url := s3Sample(t)
	out, errOut := &lockedBuffer{}, &lockedBuffer{}
	f := NewFactory(strings.NewReader(""), out, errOut, func(string) string { return "" })
	ready := make(chan string, 1)
	opts := &ServeOptions{
		SourceOptions: SourceOptions{Source: "s3://trail/AWSLogs", Store: filepath.Join(t.TempDir(), "s.duckdb"),
			S3: S3Options{EndpointURL: url}},
		Addr:         "127.0.0.1:0",
		QueryTimeout: time.Minute,
		ready:        func(u string) { ready <- u },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, f, opts) }()
	defer func() {
		cancel()
		<-done
	}()
	var u string
	select {
	case u = <-ready:
	case err := <-done:
		t.Fatalf("serve: %v\n%s", err, errOut.String())
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not start")
	}
	req, _ := http.NewRequest("POST", u+"api/load", nil)
	req.Header.Set("X-Trailq-Request", "1")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /api/load: %d", res.StatusCode)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, st := getJSON(t, u+"api/load", nil)
		if code == 200 && st["running"] == false && st["finished"] != nil {
			if st["error"] != nil {
				t.Fatalf("load new logs: %v", st["error"])
			}
			rep, _ := st["report"].(map[string]any)
			if rep["unchanged"].(float64) == 0 {
				t.Errorf("the second load found nothing unchanged: %v", rep)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the load did not finish: %d %v", code, st)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
