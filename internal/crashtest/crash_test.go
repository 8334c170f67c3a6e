package crashtest

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/cli"
	"github.com/trailq/trailq/internal/store"
)

var trials = flag.Int("crash-trials", 3, "how many loads to kill (make crash runs 50)")

// TestMain lets the test binary stand in for trailq: run with TRAILQ_CHILD=1 it is the command.
func TestMain(m *testing.M) {
	if os.Getenv("TRAILQ_CHILD") == "1" {
		os.Exit(cli.Main())
	}
	os.Exit(m.Run())
}

const (
	files          = 60
	recordsPerFile = 1500
)

// makeLogs writes files x recordsPerFile records with distinct eventIDs, and returns their eventIDs.
func makeLogs(t *testing.T, dir string) {
	t.Helper()
	for f := range files {
		day := fmt.Sprintf("2024/09/%02d", 1+f%28)
		key := fmt.Sprintf("AWSLogs/111122223333/CloudTrail/us-east-1/%s/111122223333_CloudTrail_us-east-1_%sT%02d%02dZ_f%03d.json.gz",
			day, strings.ReplaceAll(day, "/", ""), f%24, f%60, f)
		var recs []string
		for r := range recordsPerFile {
			recs = append(recs, fmt.Sprintf(`{"eventVersion":"1.08","eventID":"e-%03d-%05d","eventTime":"%sT%02d:%02d:%02dZ","eventName":"GetObject","eventSource":"s3.amazonaws.com","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","userName":"u%d","arn":"arn:aws:iam::111122223333:user/u%d"},"requestParameters":{"bucketName":"b","key":"k%d"},"resources":[{"ARN":"arn:aws:s3:::b/k%d","type":"AWS::S3::Object"}]}`,
				f, r, strings.ReplaceAll(day, "/", "-"), r/3600%24, r/60%60, r%60, r%7, r%7, r, r))
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		fmt.Fprintf(zw, `{"Records":[%s]}`, strings.Join(recs, ","))
		zw.Close()
		p := filepath.Join(dir, filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func child(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), "TRAILQ_CHILD=1")
	return cmd
}

// check opens the store and verifies that every record is there exactly once.
func check(t *testing.T, storePath string) {
	t.Helper()
	st, err := store.Open(context.Background(), storePath, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("open the store after the crash: %v", err)
	}
	defer st.Close()
	rows, err := st.Query(context.Background(), `SELECT count(*), count(DISTINCT eventid),
		(SELECT count(*) FROM trailq_objects WHERE outcome = 'loaded') FROM cloudtrail_logs`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	rows.Next()
	v, err := rows.Values()
	if err != nil {
		t.Fatal(err)
	}
	want := int64(files * recordsPerFile)
	if v[0] != want || v[1] != want || v[2] != int64(files) {
		t.Errorf("after the crash and a new load: %v rows, %v distinct eventIDs, %v files loaded; want %d, %d, %d",
			v[0], v[1], v[2], want, want, files)
	}
}

// TestKilledLoad kills a load with SIGKILL at random moments; the store must open, answer, and after the next
// load hold every record exactly once.
func TestKilledLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	dir := t.TempDir()
	makeLogs(t, dir)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for trial := range *trials {
		storePath := filepath.Join(t.TempDir(), "s.duckdb")
		// Small batches: many commits, so kills land between and inside them.
		cmd := child(context.Background(), "load", "--source", dir, "--store", storePath, "--workers", "2")
		cmd.Env = append(cmd.Env, "TRAILQ_BATCH_RECORDS=5000")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		delay := time.Duration(50+rng.IntN(1500)) * time.Millisecond
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		// The store opens and answers a query as it is.
		var out, errOut bytes.Buffer
		q := child(context.Background(), "query", "--store", storePath, "--format", "csv", "SELECT count(*) FROM cloudtrail_logs")
		q.Stdout, q.Stderr = &out, &errOut
		if err := q.Run(); err != nil && !strings.Contains(errOut.String(), "no such file") {
			t.Errorf("trial %d (killed after %v): query on the killed store: %v: %s", trial, delay, err, errOut.String())
		}
		// A new load finishes the job.
		if b, err := child(context.Background(), "load", "--source", dir, "--store", storePath).CombinedOutput(); err != nil {
			t.Fatalf("trial %d: load after the crash: %v: %s", trial, err, b)
		}
		check(t, storePath)
		if t.Failed() {
			t.Fatalf("trial %d failed (killed after %v)", trial, delay)
		}
	}
}

// TestQueryDuringLoad runs a query while another process loads: it gets an answer or a clear message that the
// store is in use, never a hang or a wrong answer.
func TestQueryDuringLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	dir := t.TempDir()
	makeLogs(t, dir)
	storePath := filepath.Join(t.TempDir(), "s.duckdb")
	ld := child(context.Background(), "load", "--source", dir, "--store", storePath)
	ld.Env = append(ld.Env, "TRAILQ_BATCH_RECORDS=5000")
	if err := ld.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	q := child(ctx, "query", "--store", storePath, "--format", "csv", "SELECT count(*) FROM cloudtrail_logs")
	q.Stdout, q.Stderr = &out, &errOut
	err := q.Run()
	if ctx.Err() != nil {
		t.Fatal("the query hung while a load ran")
	}
	if err != nil && !strings.Contains(errOut.String(), "in use by another trailq process") {
		t.Errorf("query during a load: %v: %s; want an answer or a message that the store is in use", err, errOut.String())
	}
	// A second load at the same time is told the same (or, if the first has finished, finds nothing new).
	var out2, errOut2 bytes.Buffer
	ld2 := child(ctx, "load", "--source", dir, "--store", storePath)
	ld2.Stdout, ld2.Stderr = &out2, &errOut2
	err2 := ld2.Run()
	if ctx.Err() != nil {
		t.Fatal("the second load hung")
	}
	if err2 != nil && (!strings.Contains(errOut2.String(), "in use by another trailq process") || !strings.Contains(errOut2.String(), "Try: if it is 'trailq serve'")) {
		t.Errorf("second load during a load: %v: %s; want the store in use, and what to do", err2, errOut2.String())
	}
	if err := ld.Wait(); err != nil {
		t.Fatalf("load: %v", err)
	}
	check(t, storePath)
}
