package web

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/progress"
	"github.com/trailq/trailq/internal/source/local"
	"github.com/trailq/trailq/internal/store"
)

const sampleDir = "../../testdata/sample/AWSLogs"

// hostileUA is the user agent of the hostile test record: the page must show it as text.
const hostileUA = `<img src=x onerror=alert(1)>`

// hostileUser is its user name.
const hostileUser = `<script>alert(2)</script>`

// writeHostileLogs writes a log tree with one log file (name is part of its key) holding one console sign-in whose user agent and user name are HTML.
func writeHostileLogs(t *testing.T, name string) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "AWSLogs", "111122223333", "CloudTrail", "us-east-1", "2024", "09", "15")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rec := map[string]any{
		"eventVersion": "1.08",
		"userIdentity": map[string]any{
			"type": "IAMUser", "principalId": "AIDAHOSTILE", "arn": "arn:aws:iam::111122223333:user/" + hostileUser,
			"accountId": "111122223333", "userName": hostileUser,
		},
		"eventTime":           "2024-09-15T10:00:00Z",
		"eventSource":         "signin.amazonaws.com",
		"eventName":           "ConsoleLogin",
		"awsRegion":           "us-east-1",
		"sourceIPAddress":     "198.51.100.66",
		"userAgent":           hostileUA,
		"requestParameters":   nil,
		"responseElements":    map[string]any{"ConsoleLogin": "Success"},
		"additionalEventData": map[string]any{"LoginTo": "https://console.aws.amazon.com/", "MobileVersion": "No", "MFAUsed": "No"},
		"eventID":             "hostile-0001",
		"readOnly":            false,
		"eventType":           "AwsConsoleSignIn",
		"managementEvent":     true,
		"recipientAccountId":  "111122223333",
		"eventCategory":       "Management",
	}
	b, err := json.Marshal(map[string]any{"Records": []any{rec}})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "111122223333_CloudTrail_us-east-1_20240915T1005Z_"+name+".json")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "AWSLogs")
}

// testStore loads the sample logs and the hostile record into a new store file with the real ingest.
func testStore(t *testing.T) (path string, dirs []string) {
	t.Helper()
	ctx := context.Background()
	path = filepath.Join(t.TempDir(), "store.duckdb")
	st, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dirs = []string{copySample(t), writeHostileLogs(t, "hostile")}
	for _, d := range dirs {
		src, err := local.New(d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ingest.Run(ctx, src, st, ingest.Options{Workers: 2}); err != nil {
			t.Fatal(err)
		}
	}
	return path, dirs
}

// copySample copies the sample log tree, leaving out the files that hold Panther's exported records: their
// records differ only in Panther's p_* fields, which makes "identical records are stored once" a question of
// which fields count, and the reference counts of these tests should not depend on that.
func copySample(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "AWSLogs")
	err := filepath.Walk(sampleDir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".gz") {
			zr, err := gzip.NewReader(strings.NewReader(string(b)))
			if err == nil {
				if plain, err := io.ReadAll(zr); err == nil && strings.Contains(string(plain), `"p_log_type"`) {
					return nil
				}
			}
		}
		rel, err := filepath.Rel(sampleDir, p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func opener(path string) OpenFunc {
	return func(ctx context.Context, readOnly bool) (*store.Store, error) {
		return store.Open(ctx, path, store.Options{ReadOnly: readOnly, Sandbox: readOnly})
	}
}

// loader loads dir into the store.
func loader(dir string) LoadFunc {
	return func(ctx context.Context, st *store.Store, c *progress.Counter) (*ingest.Report, error) {
		src, err := local.New(dir)
		if err != nil {
			return nil, err
		}
		return ingest.Run(ctx, src, st, ingest.Options{Workers: 2, Progress: c})
	}
}

// fixedNow is the clock of the tests: the default period (30 days to 2024-09-20) holds the hostile record.
var fixedNow = time.Date(2024, 9, 20, 12, 0, 0, 0, time.UTC)

type testServer struct {
	*httptest.Server
	srv  *Server
	path string
	dirs []string
}

func newTestServer(t *testing.T, mod func(*Options)) *testServer {
	t.Helper()
	path, dirs := testStore(t)
	opts := Options{Open: opener(path), Source: "test", Now: func() time.Time { return fixedNow }}
	if mod != nil {
		mod(&opts)
	}
	if opts.Detect == nil {
		opts.Detect = detector(path)
	}
	if opts.Open == nil {
		// The handles trailq serve opens: sandboxed, with the Athena macros and a memory limit.
		opts.Open = sandboxOpener(path)
	}
	srv, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	return &testServer{Server: ts, srv: srv, path: path, dirs: dirs}
}

// do sends a request; POSTs carry the CSRF header and a JSON content type unless hdr overrides them.
func (ts *testServer) do(t *testing.T, method, path, body string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set(CSRFHeader, "1")
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

// getJSON sends a request, checks the status and decodes the body into v.
func (ts *testServer) call(t *testing.T, method, path, body string, wantStatus int, v any) []byte {
	t.Helper()
	res, b := ts.do(t, method, path, body, nil)
	if res.StatusCode != wantStatus {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, path, res.StatusCode, wantStatus, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return b
}

// refSignIns reads the sign-in attempts of the log trees with encoding/json (the reference the dashboard is
// checked against): ConsoleLogin and UserAuthentication events, and failed CredentialVerification ones, of the
// sign-in services, in [from, to), keeping one copy of records that the store keeps once.
func refSignIns(t *testing.T, dirs []string, from, to time.Time) []map[string]any {
	t.Helper()
	return refRecords(t, dirs, from, to, func(rec map[string]any) bool {
		src, _ := rec["eventSource"].(string)
		if rec["eventType"] != "AwsConsoleSignIn" && src != "signin.amazonaws.com" && src != "sso.amazonaws.com" {
			return false
		}
		switch rec["eventName"] {
		case "ConsoleLogin", "UserAuthentication":
			return true
		case "CredentialVerification":
			return refResult(rec) == "Failure"
		}
		return false
	})
}

// refSignInEvents returns every AwsConsoleSignIn event in [from, to), as the seed query selects them.
func refSignInEvents(t *testing.T, dirs []string, from, to time.Time) []map[string]any {
	t.Helper()
	return refRecords(t, dirs, from, to, func(rec map[string]any) bool { return rec["eventType"] == "AwsConsoleSignIn" })
}

// refResult is Success or Failure as responseElements or serviceEventDetails record it under the event's name,
// else Failure when there is an error.
func refResult(rec map[string]any) string {
	name, _ := rec["eventName"].(string)
	for _, k := range []string{"responseElements", "serviceEventDetails"} {
		if m, ok := rec[k].(map[string]any); ok {
			if v, ok := m[name].(string); ok && v != "" {
				return strings.ToUpper(v[:1]) + strings.ToLower(v[1:])
			}
		}
	}
	if rec["errorCode"] != nil || rec["errorMessage"] != nil {
		return "Failure"
	}
	return ""
}

func refRecords(t *testing.T, dirs []string, from, to time.Time, keep func(map[string]any) bool) []map[string]any {
	t.Helper()
	seen := map[string]bool{}
	var out []map[string]any
	for _, d := range dirs {
		err := filepath.Walk(d, func(p string, fi os.FileInfo, err error) error {
			if err != nil || fi.IsDir() || !strings.Contains(p, "/CloudTrail/") {
				return err
			}
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			var r io.Reader = f
			if strings.HasSuffix(p, ".gz") {
				zr, err := gzip.NewReader(f)
				if err != nil {
					return err
				}
				r = zr
			}
			var doc struct{ Records []json.RawMessage }
			if err := json.NewDecoder(r).Decode(&doc); err != nil {
				return nil // not a log file
			}
			for _, raw := range doc.Records {
				var rec map[string]any
				if json.Unmarshal(raw, &rec) != nil || !keep(rec) {
					continue
				}
				ts, _ := rec["eventTime"].(string)
				tm, err := time.Parse(time.RFC3339, ts)
				if err != nil || tm.Before(from) || !tm.Before(to) {
					continue
				}
				// Identical records are stored once.
				canon, _ := json.Marshal(rec)
				if seen[string(canon)] {
					continue
				}
				seen[string(canon)] = true
				out = append(out, rec)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// refSummary computes the headline numbers that need no interpretation from reference records: sign-ins,
// successes, failures, root sign-ins and source addresses. Users and NoMFA (principal names and MFA for
// federated sign-ins are internal/signin's reading) are left at -1.
func refSummary(recs []map[string]any) SignInSummary {
	s := SignInSummary{Users: -1, NoMFA: -1}
	ips := map[string]bool{}
	for _, r := range recs {
		s.SignIns++
		switch refResult(r) {
		case "Success":
			s.Successes++
		case "Failure":
			s.Failures++
		}
		if id, _ := r["userIdentity"].(map[string]any); id != nil && id["type"] == "Root" {
			s.Root++
		}
		if ip, _ := r["sourceIPAddress"].(string); ip != "" {
			ips[ip] = true
		}
	}
	s.IPs = len(ips)
	return s
}
