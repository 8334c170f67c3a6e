package athena_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/athena"
	"github.com/trailq/trailq/internal/cloudtrail"
	"github.com/trailq/trailq/internal/ingest"
	"github.com/trailq/trailq/internal/pushdown"
	"github.com/trailq/trailq/internal/source/local"
	"github.com/trailq/trailq/internal/store"
	"github.com/trailq/trailq/internal/store/sqlguard"
)

// compatCase is one query of a testdata/*.test script.
//
// A script is a list of cases separated by blank lines. A case starts with "query NAME [ordered]" or
// "error NAME", then the Athena SQL, then a line "----", then the expected rows (columns separated by " | ",
// NULL for null; timestamps as Athena prints them) or, for error cases, a text the error message must contain.
// Rows are compared as a multiset unless the case says ordered. Lines starting with # are comments.
type compatCase struct {
	file    string
	line    int
	name    string
	wantErr bool
	ordered bool
	sql     string
	want    []string
}

func readCases(t *testing.T, path string) []compatCase {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []compatCase
	var cur *compatCase
	inResult := false
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case cur == nil && (strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#")):
		case cur == nil:
			fields := strings.Fields(line)
			if len(fields) < 2 || fields[0] != "query" && fields[0] != "error" {
				t.Fatalf("%s:%d: expected \"query NAME\" or \"error NAME\", got %q", path, n, line)
			}
			cur = &compatCase{file: filepath.Base(path), line: n, name: fields[1], wantErr: fields[0] == "error",
				ordered: len(fields) > 2 && fields[2] == "ordered"}
			inResult = false
		case !inResult && line == "----":
			inResult = true
		case !inResult:
			cur.sql += line + "\n"
		case strings.TrimSpace(line) == "":
			cases = append(cases, *cur)
			cur = nil
		default:
			cur.want = append(cur.want, line)
		}
	}
	if cur != nil {
		if !inResult {
			t.Fatalf("%s:%d: case %s has no ----", path, cur.line, cur.name)
		}
		cases = append(cases, *cur)
	}
	return cases
}

// newFixtureStore creates a store at path (one DuckDB thread) and opens testdata/fixture as a source.
func newFixtureStore(t *testing.T, path string) (*store.Store, *local.Local) {
	t.Helper()
	st, err := store.Open(context.Background(), path, store.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	src, err := local.New("testdata/fixture")
	if err != nil {
		t.Fatal(err)
	}
	return st, src
}

// openFixture loads testdata/fixture through the real ingest path into a fresh store and reopens it read-only
// with the Athena macros, as trailq query does.
func openFixture(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "fixture.duckdb")
	st, src := newFixtureStore(t, path)
	rep, err := ingest.Run(ctx, src, st, ingest.Options{Workers: 1, Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Inserted != 22 {
		t.Fatalf("fixture: %d rows inserted, want 22", rep.Inserted)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = store.Open(ctx, path, store.Options{ReadOnly: true, Threads: 1, InitSQL: athena.InitSQL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestCompatibility(t *testing.T) {
	st := openFixture(t)
	files, err := filepath.Glob("testdata/*.test")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/*.test scripts (%v)", err)
	}
	tr := athena.NewTranslator(athena.Tables{Logs: store.LogsView, LogsExt: store.LogsExtView})
	total := 0
	for _, file := range files {
		for _, c := range readCases(t, file) {
			total++
			t.Run(fmt.Sprintf("%s:%d:%s", c.file, c.line, c.name), func(t *testing.T) {
				got, err := runCase(st, tr, c.sql)
				if c.wantErr {
					if err == nil {
						t.Fatalf("%s\nwant an error containing %q, got rows %q", c.sql, strings.Join(c.want, "\n"), got)
					}
					if want := strings.Join(c.want, "\n"); !strings.Contains(err.Error(), want) {
						t.Fatalf("%s\nerror %q\nwant it to contain %q", c.sql, err, want)
					}
					return
				}
				if err != nil {
					t.Fatalf("%s\n%v", c.sql, err)
				}
				want := append([]string{}, c.want...)
				if !c.ordered {
					sort.Strings(got)
					sort.Strings(want)
				}
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					q, _ := tr.Translate(c.sql)
					t.Fatalf("%s\ntranslated: %s\ngot:\n%s\nwant:\n%s", c.sql, q, strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
			})
		}
	}
	if total < 60 {
		t.Errorf("the corpus has %d queries, want at least 60", total)
	}
}

func runCase(st *store.Store, tr *athena.Translator, sql string) ([]string, error) {
	q, err := tr.TranslateQuery(strings.TrimSpace(sql))
	if err != nil {
		return nil, err
	}
	rows, err := st.Query(context.Background(), q.SQL)
	if err != nil {
		return nil, q.MapError(err)
	}
	defer rows.Close()
	cols := rows.Columns()
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, q.MapError(err)
		}
		cells := make([]string, len(vals))
		for i, v := range vals {
			cells[i] = render(v, cols[i].Type)
		}
		out = append(out, strings.Join(cells, " | "))
	}
	if err := rows.Err(); err != nil {
		return nil, q.MapError(err)
	}
	return out, nil
}

// render prints a value the way Athena's console does.
func render(v any, typ string) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case json.RawMessage:
		return string(x)
	case time.Time:
		switch typ {
		case "DATE":
			return x.Format("2006-01-02")
		case "TIMESTAMPTZ":
			return x.UTC().Format("2006-01-02 15:04:05.000") + " UTC"
		}
		return x.Format("2006-01-02 15:04:05.000")
	}
	return fmt.Sprint(v)
}

// TestCompatibilityAnswerFirst runs the corpus as trailq query --answer-first answers it: some logs are in the
// store, the rest only in preview files that hold just the columns each query reads (store.ScanColumns). Every
// query must give the rows it gives from a full store: a column that ScanColumns missed would read as NULL.
func TestCompatibilityAnswerFirst(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "half.duckdb")
	st, src := newFixtureStore(t, path)
	stored := func(key string, _ cloudtrail.Key) bool {
		return strings.Contains(key, "111122223333/CloudTrail/us-east-1")
	}
	rep, err := ingest.Run(ctx, src, st, ingest.Options{Workers: 1, Strict: true, Filter: stored})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Inserted == 0 || rep.Inserted >= 22 {
		t.Fatalf("the stored half has %d of the fixture's 22 rows", rep.Inserted)
	}
	plan, err := ingest.PlanLoad(ctx, src, st, ingest.Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	hashes, err := st.ContentHashes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("testdata/*.test")
	tr := athena.NewTranslator(athena.Tables{Logs: store.LogsView, LogsExt: store.LogsExtView})
	// The cases by the columns they read: one preview for each set.
	byColumns := map[string][]compatCase{}
	previews := map[string]ingest.PreviewOptions{}
	partial, filtered := 0, 0
	for _, file := range files {
		for _, c := range readCases(t, file) {
			if c.wantErr {
				continue
			}
			q, err := tr.TranslateQuery(strings.TrimSpace(c.sql))
			if err != nil {
				t.Fatalf("%s:%d: %v", c.file, c.line, err)
			}
			cols, err := store.ScanColumns(ctx, q.SQL, athena.InitSQL())
			if err != nil {
				t.Errorf("%s:%d:%s: ScanColumns: %v", c.file, c.line, c.name, err)
				continue
			}
			proj := cloudtrail.NewProjection(cols)
			if !proj.All() {
				partial++
			}
			tree, err := sqlguard.SyntaxTree(ctx, q.SQL)
			if err != nil {
				t.Fatal(err)
			}
			var keep func(*cloudtrail.Record) bool
			if sc, ok, err := pushdown.Analyze(tree, store.LogsView, store.LogsExtView); err != nil {
				t.Fatal(err)
			} else if ok {
				keep = sc.RecordFilter()
			}
			if keep != nil {
				filtered++
				// A query whose WHERE clause lets the first read leave records out gets a preview of its own.
				k := c.file + ":" + c.name
				byColumns[k] = append(byColumns[k], c)
				previews[k] = ingest.PreviewOptions{Projection: proj, Keep: keep}
				continue
			}
			k := strings.Join(proj.Columns(), ",")
			byColumns[k] = append(byColumns[k], c)
			previews[k] = ingest.PreviewOptions{Projection: proj}
		}
	}
	for k, cases := range byColumns {
		t.Run(k, func(t *testing.T) {
			dir, rel := store.PreviewDir(path)
			defer os.RemoveAll(dir)
			po := previews[k]
			po.Dir, po.Stored = dir, hashes
			prep, err := ingest.Preview(ctx, src, plan, ingest.Options{Workers: 2}, po)
			if err != nil {
				t.Fatal(err)
			}
			if prep.Rows+prep.Left+rep.Inserted != 22 {
				t.Fatalf("preview wrote %d rows and left out %d beside the %d stored, want 22 in all", prep.Rows, prep.Left, rep.Inserted)
			}
			var extra []string
			for _, n := range prep.Files {
				extra = append(extra, filepath.Join(rel, n))
			}
			pst, err := store.Open(ctx, path, store.Options{ReadOnly: true, Sandbox: true, Threads: 1, InitSQL: athena.InitSQL(), ExtraParts: extra})
			if err != nil {
				t.Fatal(err)
			}
			defer pst.Close()
			for _, c := range cases {
				got, err := runCase(pst, tr, c.sql)
				if err != nil {
					t.Errorf("%s:%d:%s: %s\n%v", c.file, c.line, c.name, c.sql, err)
					continue
				}
				want := append([]string{}, c.want...)
				if !c.ordered {
					sort.Strings(got)
					sort.Strings(want)
				}
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("%s:%d:%s: %s\ngot:\n%s\nwant:\n%s", c.file, c.line, c.name, c.sql, strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
			}
		})
	}
	if filtered < 20 {
		t.Errorf("only %d queries let the first read leave records out: the test does not exercise the filters", filtered)
	}
	if partial < 40 {
		t.Errorf("only %d queries read fewer than all columns: the test does not exercise projections", partial)
	}
}
