package hiveddl_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailq/trailq/internal/hiveddl"
)

// TestHiveGrammar parses the DDL with Apache Hive's grammar (dt-sql-parser's HiveSQL, an ANTLR build of it, run
// by Node): the raw-logs table, the export's with MSCK REPAIR and with projection. It needs node and
// testdata/hiveparse's npm packages (npm ci there, as .ci/run does); without them it is skipped, saying so, but
// under CI, where it fails. A DDL with a stray
// bracket is refused, so that the test can fail.
func TestHiveGrammar(t *testing.T) {
	dir := filepath.Join("testdata", "hiveparse")
	// Under CI (.ci/run installs it) a missing parser fails the test; elsewhere it is skipped, saying so.
	skip := t.Skipf
	if os.Getenv("CI") != "" {
		skip = t.Fatalf
	}
	node, err := exec.LookPath("node")
	if err != nil {
		skip("no node on PATH: Hive's grammar is not checked")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "dt-sql-parser")); err != nil {
		skip("no dt-sql-parser: run npm ci in internal/hiveddl/%s to check the DDL with Hive's grammar", dir)
	}
	logs, err := hiveddl.Logs(logsTable())
	if err != nil {
		t.Fatal(err)
	}
	l := hiveddl.ExportLayout{Accounts: []string{"111"}, Regions: []string{"us-east-1"}, FirstYear: "2020", Unplaced: 1}
	for name, ddl := range map[string]string{
		"logs":             logs + "\n" + logs,
		"export":           hiveddl.ExportRepair("ct", "s3://analytics/ct/"),
		"export projected": hiveddl.ExportProjected("ct", "s3://analytics/ct/", l),
	} {
		if errs := hiveErrors(t, node, dir, ddl); len(errs) > 0 {
			t.Errorf("%s: Hive's grammar refuses it: %v\n%s", name, errs, ddl)
		}
	}
	bad := strings.Replace(logs, "STRUCT<tlsversion:STRING", "STRUCT<<tlsversion:STRING", 1)
	if errs := hiveErrors(t, node, dir, bad); len(errs) == 0 {
		t.Errorf("Hive's grammar takes a DDL with a stray bracket: the check proves nothing")
	}
}

// hiveErrors returns the syntax errors Hive's grammar finds in ddl.
func hiveErrors(t *testing.T, node, dir, ddl string) []map[string]any {
	t.Helper()
	cmd := exec.Command(node, "--import", "./register.mjs", "check.mjs")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(ddl)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("run Hive's grammar: %v", err)
	}
	var errs []map[string]any
	if err := json.Unmarshal(out, &errs); err != nil {
		t.Fatalf("read Hive's grammar's answer %q: %v", out, err)
	}
	return errs
}
