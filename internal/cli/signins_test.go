package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailq/trailq/internal/store"
)

func init() {
	// Golden files are rewritten with: go test ./internal/cli/ -run Signins -update
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// signinsNow is the pinned "now" of the sign-in tests.
var signinsNow = time.Date(2025, 1, 15, 12, 0, 0, 0, time.UTC)

// signinsRun runs a trailq command line with a pinned clock and environment (TZ, cache folder).
func signinsRun(t *testing.T, env map[string]string, args ...string) runResult {
	t.Helper()
	var out, errOut bytes.Buffer
	f := NewFactory(strings.NewReader(""), &out, &errOut, func(k string) string { return env[k] })
	f.Now = func() time.Time { return signinsNow }
	code := Run(context.Background(), f, args)
	return runResult{code, out.String(), errOut.String()}
}

// realSigninFiles are the public examples of sign-in events.
var realSigninFiles = []string{
	"awsdocs__cloudtrail-user-guide__console-sign-in-events.json",
	"awsdocs__iam-user-guide.json",
	"awsdocs__iam-identity-center-user-guide.json",
	"panther-analysis__aws_console_signin.json",
	"stratus-red-team__detonation-logs.json",
}

// realSigninSource copies the sign-in examples into a new folder, as they are.
func realSigninSource(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range realSigninFiles {
		b, err := os.ReadFile(filepath.Join("../../testdata/cloudtrail/real", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "signin", name)
	if updating() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got; -update rewrites it):\n%s", path, diff)
	}
}

func TestSigninsGolden(t *testing.T) {
	src := realSigninSource(t)
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	base := []string{"signins", "--source", src, "--store", storePath, "--since", "2010-01-01", "--tz", "Asia/Tokyo"}
	tests := []struct {
		golden string
		args   []string
	}{
		{"all.table.golden", []string{"--all", "--format", "table"}},
		{"attempts.csv.golden", []string{"--format", "csv"}},
		{"all.json.golden", []string{"--all", "--format", "json"}},
		{"summary.table.golden", []string{"--summary", "--format", "table"}},
		{"summary.csv.golden", []string{"--summary", "--format", "csv"}},
		{"failed-root.tsv.golden", []string{"--failed", "--root", "--format", "tsv"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			r := signinsRun(t, nil, append(append([]string{}, base...), tt.args...)...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.errOut)
			}
			golden(t, tt.golden, r.out)
		})
	}
}

func TestSigninsSQL(t *testing.T) {
	r := signinsRun(t, nil, "signins", "--since", "2024-09-01", "--until", "2024-09-30", "--tz", "Asia/Tokyo",
		"--account", "111122223333", "--failed", "--sql")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	golden(t, "sql.golden", r.out)
}

// The SQL that --sql prints is what signins runs: trailq query gives the same events (before the filters
// trailq applies afterwards, here none with --all).
func TestSigninsSQLRunsInQuery(t *testing.T) {
	src := realSigninSource(t)
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	args := []string{"--since", "2010-01-01", "--utc", "--all"}
	sql := signinsRun(t, nil, append([]string{"signins", "--sql"}, args...)...)
	if sql.code != 0 {
		t.Fatalf("exit %d: %s", sql.code, sql.errOut)
	}
	list := signinsRun(t, nil, append([]string{"signins", "--source", src, "--store", storePath, "--format", "csv"}, args...)...)
	if list.code != 0 {
		t.Fatalf("exit %d: %s", list.code, list.errOut)
	}
	// The notes are SQL comments that begin with "--": after "--" they are not flags.
	q := signinsRun(t, nil, "query", "--store", storePath, "--format", "csv", "--", sql.out)
	if q.code != 0 {
		t.Fatalf("query exit %d: %s", q.code, q.errOut)
	}
	ids := func(out, col string) []string {
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		idx := -1
		for i, h := range recs[0] {
			if h == col {
				idx = i
			}
		}
		if idx < 0 {
			t.Fatalf("no column %s in %v", col, recs[0])
		}
		var v []string
		for _, r := range recs[1:] {
			v = append(v, r[idx])
		}
		sort.Strings(v)
		return v
	}
	got, want := ids(list.out, "event_id"), ids(q.out, "eventid")
	if len(want) < 50 {
		t.Fatalf("query found only %d events", len(want))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("signins and query differ (-query +signins):\n%s", diff)
	}
}

// writeSigninTree writes ConsoleLogin records into CloudTrail's key layout: files maps
// "account/region/YYYYMMDDTHHmmZ" (the delivery time) to "eventID@eventTime" entries.
func writeSigninTree(t *testing.T, files map[string][]string) string {
	t.Helper()
	root := t.TempDir()
	for spec, events := range files {
		parts := strings.Split(spec, "/")
		account, region, delivered := parts[0], parts[1], parts[2]
		d, err := time.Parse("20060102T1504Z", delivered)
		if err != nil {
			t.Fatal(err)
		}
		var recs []map[string]any
		for _, ev := range events {
			id, at, _ := strings.Cut(ev, "@")
			result := "Success"
			if strings.HasPrefix(id, "fail") {
				result = "Failure"
			}
			recs = append(recs, map[string]any{
				"eventVersion": "1.08",
				"userIdentity": map[string]any{"type": "IAMUser", "principalId": "AIDACKCEVSQ6C2EXAMPLE",
					"arn": "arn:aws:iam::" + account + ":user/alice", "accountId": account, "userName": "alice"},
				"eventTime": at, "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
				"awsRegion": region, "sourceIPAddress": "198.51.100.7",
				"userAgent":         "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
				"requestParameters": nil, "responseElements": map[string]any{"ConsoleLogin": result},
				"additionalEventData": map[string]any{"LoginTo": "https://console.aws.amazon.com/console/home",
					"MobileVersion": "No", "MFAUsed": "Yes"},
				"eventID": id, "eventType": "AwsConsoleSignIn", "recipientAccountId": account,
			})
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if err := json.NewEncoder(zw).Encode(map[string]any{"Records": recs}); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(root, "AWSLogs", account, "CloudTrail", region, d.Format("2006/01/02"))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("%s_CloudTrail_%s_%s_%s.json.gz", account, region, delivered, strings.ReplaceAll(events[0], ":", ""))
		name = strings.NewReplacer("@", "", "-", "").Replace(name)
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(root, "AWSLogs")
}

// tokyoDayFiles surround the Tokyo day 2024-09-01 = [2024-08-31T15:00Z, 2024-09-01T15:00Z).
var tokyoDayFiles = map[string][]string{
	"111122223333/us-east-1/20240830T1010Z": {"before-by-days@2024-08-30T10:00:00Z"},
	"111122223333/us-east-1/20240831T1505Z": {
		"jst-0831-2359@2024-08-31T14:59:59Z", // the last second of the day before, in Tokyo
		"jst-0901-0000@2024-08-31T15:00:00Z", // the first second of the day
	},
	// Written before UTC midnight, delivered after it.
	"111122223333/us-east-1/20240901T0004Z": {"fail-utc-0831-2358@2024-08-31T23:58:00Z"},
	"444455556666/eu-north-1/20240901T1505Z": {
		"jst-0901-2359@2024-09-01T14:59:59Z", // the last second of the day, in Tokyo
		"jst-0902-0000@2024-09-01T15:00:00Z", // the next day
	},
	// Delivered two hours late.
	"444455556666/eu-north-1/20240901T1720Z": {"late@2024-09-01T14:58:00Z"},
	"444455556666/eu-north-1/20240902T0010Z": {"after-by-a-day@2024-09-02T00:05:00Z"},
	"444455556666/eu-north-1/20240903T0010Z": {"after-by-days@2024-09-03T00:05:00Z"},
}

func TestSigninsTokyoDay(t *testing.T) {
	src := writeSigninTree(t, tokyoDayFiles)
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	// The zone comes from $TZ when --tz is not given.
	r := signinsRun(t, map[string]string{"TZ": "Asia/Tokyo"}, "signins", "--source", src, "--store", storePath,
		"--since", "2024-09-01", "--until", "2024-09-01", "--format", "csv")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	recs, err := csv.NewReader(strings.NewReader(r.out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ id, local, utc, result string }
	var got []row
	for _, rec := range recs[1:] {
		got = append(got, row{rec[19], rec[0], rec[1], rec[5]})
	}
	want := []row{
		{"jst-0901-0000", "2024-09-01T00:00:00+09:00", "2024-08-31T15:00:00Z", "Success"},
		{"fail-utc-0831-2358", "2024-09-01T08:58:00+09:00", "2024-08-31T23:58:00Z", "Failure"},
		{"late", "2024-09-01T23:58:00+09:00", "2024-09-01T14:58:00Z", "Success"},
		{"jst-0901-2359", "2024-09-01T23:59:59+09:00", "2024-09-01T14:59:59Z", "Success"},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(row{})); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if !strings.Contains(r.errOut, "Loaded 4 new objects") {
		t.Errorf("load summary: %s", r.errOut)
	}
	if !strings.Contains(r.errOut, "4 sign-in events (1 failed)") || !strings.Contains(r.errOut, "Asia/Tokyo") {
		t.Errorf("summary line: %s", r.errOut)
	}
	// Only the files of the two UTC days the Tokyo day spans were read.
	st, err := store.Open(context.Background(), storePath, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.Query(context.Background(), "SELECT key FROM trailq_objects ORDER BY key")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var days []string
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		k := v[0].(string)
		i := strings.Index(k, "/20")
		days = append(days, k[i+1:i+11])
	}
	sort.Strings(days)
	if diff := cmp.Diff([]string{"2024/08/31", "2024/09/01", "2024/09/01", "2024/09/01"}, days); diff != "" {
		t.Errorf("day folders read (-want +got):\n%s", diff)
	}
}

func TestSigninsFiltersAndSummaryByIP(t *testing.T) {
	src := realSigninSource(t)
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	run := func(args ...string) []string {
		t.Helper()
		r := signinsRun(t, nil, append([]string{"signins", "--source", src, "--store", storePath, "--since", "2010-01-01",
			"--utc", "--format", "csv"}, args...)...)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.errOut)
		}
		recs, err := csv.NewReader(strings.NewReader(r.out)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, rec := range recs[1:] {
			out = append(out, strings.Join(rec, "|"))
		}
		return out
	}
	// The unknown user name is its own group, keyed by the source IP.
	var masked []string
	for _, l := range run("--summary") {
		if strings.Contains(l, "hidden") {
			masked = append(masked, l)
		}
	}
	if diff := cmp.Diff([]string{"123456789012|(hidden user name) from 192.0.2.101|IAMUser|1|1||2015-03-31T22:20:42Z|2015-03-31T22:20:42Z|1|1|"}, masked); diff != "" {
		t.Errorf("masked summary (-want +got):\n%s", diff)
	}
	if got := run("--ip", "192.0.2.101"); len(got) != 1 || !strings.Contains(got[0], "No username found in supplied account|IAMUser|(hidden user name)||true|") {
		t.Errorf("--ip 192.0.2.101: %q", got)
	}
	if got := run("--user", "JANEDOE", "--failed"); len(got) != 1 || !strings.Contains(got[0], "|JaneDoe|") {
		t.Errorf("--user JANEDOE --failed: %q", got)
	}
	if got := run("--kind", "switchrole"); len(got) != 0 {
		t.Errorf("--kind switchrole: %q", got)
	}
	if got := run("--region", "eu-west-2r"); len(got) != 1 || !strings.Contains(got[0], "stratus-red-team") {
		t.Errorf("--region eu-west-2r: %q", got)
	}
}

// svgDoc is what the chart test reads of the SVG.
type svgDoc struct {
	XMLName xml.Name `xml:"http://www.w3.org/2000/svg svg"`
	Groups  []struct {
		Class  string `xml:"class,attr"`
		Series string `xml:"data-series,attr"`
		Rects  []struct {
			Count int    `xml:"data-count,attr"`
			Title string `xml:"title"`
		} `xml:"rect"`
	} `xml:"g"`
}

func TestSigninsChart(t *testing.T) {
	src := writeSigninTree(t, tokyoDayFiles)
	chart := filepath.Join(t.TempDir(), "signins.svg")
	r := signinsRun(t, nil, "signins", "--source", src, "--store", filepath.Join(t.TempDir(), "s.duckdb"),
		"--since", "2024-09-01", "--until", "2024-09-01", "--tz", "Asia/Tokyo", "--chart", chart)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	b, err := os.ReadFile(chart)
	if err != nil {
		t.Fatal(err)
	}
	var doc svgDoc
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("not valid SVG: %v\n%s", err, b)
	}
	got := map[string][]string{}
	for _, g := range doc.Groups {
		if g.Class != "series" {
			continue
		}
		got[g.Series] = []string{}
		for _, r := range g.Rects {
			got[g.Series] = append(got[g.Series], r.Title)
		}
	}
	// One Tokyo day in hours: 00:00 and 23:00 (two) succeeded, 08:00 failed.
	want := map[string][]string{
		"Success": {"2024-09-01 00:00 Success: 1", "2024-09-01 23:00 Success: 2"},
		"Failure": {"2024-09-01 08:00 Failure: 1"},
		"Unknown": {},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("series (-want +got):\n%s", diff)
	}
	r = signinsRun(t, nil, "signins", "--store", filepath.Join(t.TempDir(), "s.duckdb"), "--chart", "x.jpg")
	if r.code != ExitUsage {
		t.Errorf("--chart x.jpg: exit %d", r.code)
	}
}

// The PNG chart is the SVG's, drawn: 960×360, a plot area from x 56 to 944 and y 52 to 304, 24 hour bars of
// 37 pixels for the Tokyo day, a y axis up to 4 (62 pixels a sign-in); Success #2e7d32, Failure #c62828.
func TestSigninsChartPNG(t *testing.T) {
	src := writeSigninTree(t, tokyoDayFiles)
	chart := filepath.Join(t.TempDir(), "signins.PNG")
	r := signinsRun(t, nil, "signins", "--source", src, "--store", filepath.Join(t.TempDir(), "s.duckdb"),
		"--since", "2024-09-01", "--until", "2024-09-01", "--tz", "Asia/Tokyo", "--chart", chart)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	f, err := os.Open(chart)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if got, want := img.Bounds(), image.Rect(0, 0, 960, 360); got != want {
		t.Fatalf("size %v, want %v", got, want)
	}
	var (
		white   = color.RGBA{0xff, 0xff, 0xff, 0xff}
		success = color.RGBA{0x2e, 0x7d, 0x32, 0xff}
		failure = color.RGBA{0xc6, 0x28, 0x28, 0xff}
	)
	at := func(x, y int) color.RGBA { return color.RGBAModel.Convert(img.At(x, y)).(color.RGBA) }
	// Bar centres: 56 + 37*(hour+0.5).
	for _, p := range []struct {
		what string
		x, y int
		want color.RGBA
	}{
		{"00:00, one success", 74, 280, success},
		{"above it", 74, 230, white},
		{"08:00, one failure", 370, 280, failure},
		{"above it", 370, 230, white},
		{"23:00, two successes", 925, 200, success},
		{"above them", 925, 170, white},
		{"04:00, nothing", 222, 280, white},
	} {
		if got := at(p.x, p.y); got != p.want {
			t.Errorf("%s: pixel (%d,%d) is %v, want %v", p.what, p.x, p.y, got, p.want)
		}
	}
	// Each series' colour is in its bars only (and its legend square, above the plot).
	count := func(c color.RGBA, r image.Rectangle) int {
		n := 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if at(x, y) == c {
					n++
				}
			}
		}
		return n
	}
	plot := image.Rect(56, 52, 944, 304)
	bars := count(success, image.Rect(56, 52, 56+37, 304)) + count(success, image.Rect(56+23*37, 52, 944, 304))
	if all := count(success, plot); all == 0 || all != bars {
		t.Errorf("success pixels: %d in the plot, %d in the 00:00 and 23:00 bars", all, bars)
	}
	if all, bar := count(failure, plot), count(failure, image.Rect(56+8*37, 52, 56+9*37, 304)); all == 0 || all != bar {
		t.Errorf("failure pixels: %d in the plot, %d in the 08:00 bar", all, bar)
	}
	// Text: the counts left of the y axis, the hours under the time axis, the title.
	dark := func(r image.Rectangle) int {
		n := 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if c := at(x, y); int(c.R)+int(c.G)+int(c.B) < 3*0x60 {
					n++
				}
			}
		}
		return n
	}
	for _, a := range []struct {
		what string
		r    image.Rectangle
	}{
		{"y axis labels", image.Rect(0, 45, 54, 310)},
		{"time axis labels", image.Rect(56, 306, 944, 326)},
		{"axis caption", image.Rect(0, 335, 960, 360)},
		{"title", image.Rect(0, 0, 960, 24)},
	} {
		if n := dark(a.r); n < 20 {
			t.Errorf("%s: %d text pixels", a.what, n)
		}
	}
}

func TestSigninsUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--tz", "Mars/Olympus"},
		{"--tz", "Asia/Tokyo", "--utc"},
		{"--since", "last tuesday"},
		{"--since", "2024-09-02", "--until", "2024-09-01", "--utc"},
		{"--ip", "300.1.1.1"},
		{"--all", "--kind", "CheckMfa"},
		{"--format", "xml"},
	} {
		r := signinsRun(t, nil, append([]string{"signins", "--sql"}, args...)...)
		if r.code != ExitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, r.code, ExitUsage, r.errOut)
		}
	}
}

// TestSigninsAnswerFirst: on never-loaded logs, --answer-first always answers from a first read that keeps only
// the records that can be sign-ins, then stores the logs; the answer is the one the store gives afterwards.
func TestSigninsAnswerFirst(t *testing.T) {
	args := []string{"signins", "--source", sampleDir, "--since", "2010-01-01", "--utc", "--format", "csv", "--all"}
	first := run(t, t.TempDir(), "", append(args, "--answer-first", "always")...)
	if first.code != 0 || !strings.Contains(first.errOut, "Answering from a first read") {
		t.Fatalf("exit %d: want an answer from a first read: %s", first.code, first.errOut)
	}
	cache := t.TempDir()
	stored := run(t, cache, "", append(args, "--answer-first", "never")...)
	if stored.code != 0 || strings.Contains(stored.errOut, "Answering from a first read") {
		t.Fatalf("exit %d: %s", stored.code, stored.errOut)
	}
	if first.out != stored.out || strings.Count(first.out, "\n") < 10 {
		t.Errorf("the first read's answer differs from the store's:\n%s\nstore:\n%s", first.out, stored.out)
	}
	again := run(t, cache, "", append(args, "--no-load")...)
	if again.out != stored.out {
		t.Errorf("after the load the store answers differently")
	}
	if r := run(t, cache, "", append(args, "--answer-first", "sometimes")...); r.code != ExitUsage {
		t.Errorf("--answer-first sometimes: exit %d", r.code)
	}
}

// TestSigninsColumns: --columns writes the columns asked for, in order, in every format (client too); an unknown
// name lists the columns.
func TestSigninsColumns(t *testing.T) {
	cache := t.TempDir()
	args := []string{"signins", "--source", sampleDir, "--since", "2010-01-01", "--utc", "--columns", "principal,source_ip,client,mfa"}
	r := run(t, cache, "", append(args, "--format", "csv")...)
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	if r.code != 0 || lines[0] != "principal,source_ip,client,mfa" || len(lines) < 10 || strings.Count(lines[1], ",") != 3 {
		t.Fatalf("exit %d: %q %s", r.code, lines[:min(3, len(lines))], r.errOut)
	}
	all := run(t, cache, "", "signins", "--source", sampleDir, "--no-load", "--since", "2010-01-01", "--utc", "--format", "json")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(all.out), &rows); err != nil || len(rows) != len(lines)-1 {
		t.Fatalf("json: %v, %d rows for %d", err, len(rows), len(lines)-1)
	}
	if want := fmt.Sprintf("%v,%v", rows[0]["principal"], rows[0]["source_ip"]); !strings.HasPrefix(lines[1], want+",") {
		t.Errorf("first row %q, want it to start %q", lines[1], want)
	}
	if r := run(t, cache, "", append(args[:len(args)-1], "nosuch", "--no-load")...); r.code != ExitUsage || !strings.Contains(r.errOut, "failure_reason") {
		t.Errorf("an unknown column: exit %d: %s", r.code, r.errOut)
	}
}
