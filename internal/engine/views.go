package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/trailq/trailq/internal/athena"
	"github.com/trailq/trailq/internal/hint"
	"github.com/trailq/trailq/internal/store"
	"github.com/trailq/trailq/internal/store/sqlguard"
)

// A user's views (CREATE VIEW v AS SELECT …) are kept beside the store, in FILE.views.json, never in it: the
// store holds the evidence, and nothing the query box says changes it. Every sandboxed reader creates them as
// temporary views when it opens (their SQL checked by the sandbox's guard like any query), so that later queries,
// the web UI and other views read them.

// View is a user's view.
type View struct {
	Name    string    `json:"name"`
	Athena  string    `json:"athena"` // the view's query as written
	SQL     string    `json:"sql"`    // its DuckDB translation, which the reader creates
	Created time.Time `json:"created"`
}

// Definition is a statement about views (athena.ParseDefinition).
type Definition = athena.Definition

// ParseDefinition reports whether sql is CREATE VIEW, DROP VIEW or SHOW TABLES, and reads it.
func ParseDefinition(sql string) (Definition, bool, error) { return athena.ParseDefinition(sql) }

// ViewsPath is the file that keeps the views of the store at path.
func ViewsPath(path string) string { return path + ".views.json" }

// Views reads the views of the store at path (none when it has none).
func Views(path string) ([]View, error) {
	b, err := os.ReadFile(ViewsPath(path))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read views: %w", err)
	}
	var vs []View
	if err := json.Unmarshal(b, &vs); err != nil {
		return nil, hint.With(fmt.Errorf("read views %s: %w", ViewsPath(path), err), "the file is not what trailq wrote: move it away, and the store opens without its views")
	}
	return vs, nil
}

func saveViews(path string, vs []View) error {
	b, err := json.MarshalIndent(vs, "", "  ")
	if err != nil {
		return fmt.Errorf("save views: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(ViewsPath(path))+".*")
	if err != nil {
		return fmt.Errorf("save views: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("save views: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save views: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save views: %w", err)
	}
	if err := os.Rename(tmp.Name(), ViewsPath(path)); err != nil {
		return fmt.Errorf("save views: %w", err)
	}
	return nil
}

// checkedViews reads the views of the store at path and checks each as the query box checks a query: the file
// beside the store is not trusted more than what a user types.
func checkedViews(ctx context.Context, path string) ([]View, error) {
	vs, err := Views(path)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		bad := !athenaViewName(v.Name)
		if !bad {
			_, err = sqlguard.Parse(ctx, v.SQL)
			bad = err != nil
		}
		if bad {
			return nil, hint.With(fmt.Errorf("read views %s: view %q is not a query trailq allows: %v", ViewsPath(path), v.Name, err),
				"the file is not what trailq wrote: move it away (or DROP VIEW), and the store opens without it")
		}
	}
	return vs, nil
}

// athenaViewName reports whether name is one CREATE VIEW takes.
func athenaViewName(name string) bool {
	d, ok, err := athena.ParseDefinition("DROP VIEW " + name)
	return ok && err == nil && d.Name == name
}

// viewSQL are the statements that create the views on a reader's connections.
func viewSQL(vs []View) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = `CREATE OR REPLACE TEMP VIEW "` + v.Name + `" AS ` + v.SQL
	}
	return out
}

// Define runs a view statement on the store of o: CREATE VIEW checks the view's query (translated, guarded, and
// run once on the store with the other views) before keeping it; DROP VIEW refuses a view another reads. It
// returns what to tell the user. SHOW TABLES is not for Define (ShowTablesSQL).
func (e *Engine) Define(ctx context.Context, o Options, d Definition, defs ...*TableDef) (string, error) {
	vs, err := Views(o.StorePath)
	if err != nil {
		return "", err
	}
	i := slices.IndexFunc(vs, func(v View) bool { return v.Name == d.Name })
	switch d.Kind {
	case athena.DropView:
		if i < 0 {
			if d.IfExists {
				return "No view " + d.Name + ": nothing dropped.", nil
			}
			return "", fmt.Errorf("drop view %s: no such view (%s)", d.Name, viewNames(vs))
		}
		for _, v := range vs {
			if v.Name != d.Name && readsView(v.SQL, d.Name) {
				return "", hint.With(fmt.Errorf("drop view %s: view %s reads it", d.Name, v.Name), "drop "+v.Name+" first")
			}
		}
		if err := saveViews(o.StorePath, slices.Delete(vs, i, i+1)); err != nil {
			return "", err
		}
		return "View " + d.Name + " dropped.", nil
	case athena.CreateView:
		if i >= 0 && !d.OrReplace {
			return "", hint.With(fmt.Errorf("create view %s: it exists", d.Name), "CREATE OR REPLACE VIEW replaces it")
		}
		v, err := e.checkView(ctx, o, d, vs, defs)
		if err != nil {
			return "", err
		}
		if i >= 0 {
			vs[i] = v
		} else {
			vs = append(vs, v)
		}
		if err := saveViews(o.StorePath, vs); err != nil {
			return "", err
		}
		return "View " + d.Name + " created: SELECT … FROM " + d.Name + " reads it.", nil
	}
	return "", fmt.Errorf("define: %s is not a view statement", d.Kind)
}

// checkView translates the view's query and runs it once, with no rows, on the sandboxed reader.
func (e *Engine) checkView(ctx context.Context, o Options, d Definition, vs []View, defs []*TableDef) (View, error) {
	q, err := Translate(d.Select, Athena, defs...)
	if err != nil {
		return View{}, fmt.Errorf("create view %s: %w", d.Name, err)
	}
	if err := q.Check(ctx); err != nil {
		return View{}, fmt.Errorf("create view %s: %w", d.Name, err)
	}
	if readsView(q.SQL, d.Name) {
		return View{}, fmt.Errorf("create view %s: a view cannot read itself", d.Name)
	}
	st, err := e.Reader(ctx, o)
	if err != nil {
		return View{}, err
	}
	defer st.Close()
	rows, err := st.Query(ctx, `SELECT * FROM (`+q.SQL+`) AS trailq_view_check LIMIT 0`)
	if err != nil {
		return View{}, fmt.Errorf("create view %s: %w", d.Name, q.MapError(err))
	}
	rows.Close()
	return View{Name: d.Name, Athena: d.Select, SQL: q.SQL, Created: e.now().UTC()}, nil
}

// readsView reports whether the SQL names the view (as a word: a view name is letters, digits and _).
func readsView(sql, name string) bool {
	toks, err := athena.Lex(sql)
	if err != nil {
		return strings.Contains(strings.ToLower(sql), name)
	}
	for _, t := range toks {
		if (t.Kind == athena.TokIdent || t.Kind == athena.TokQuoted) && t.Name() == name {
			return true
		}
	}
	return false
}

func viewNames(vs []View) string {
	if len(vs) == 0 {
		return "the store has no views"
	}
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = v.Name
	}
	return "the views are " + strings.Join(names, ", ")
}

// ShowTablesSQL is the query SHOW TABLES runs: the table a CloudTrail query reads and the user's views.
func ShowTablesSQL(path string) (string, error) {
	vs, err := Views(path)
	if err != nil {
		return "", err
	}
	rows := []string{`('` + store.LogsView + `', 'table', 'the CloudTrail events (any cloudtrail… name reads it)')`}
	for _, v := range vs {
		rows = append(rows, `('`+v.Name+`', 'view', '`+strings.ReplaceAll(v.Athena, "'", "''")+`')`)
	}
	return `SELECT * FROM (VALUES ` + strings.Join(rows, ", ") + `) AS t(tab_name, kind, definition) ORDER BY kind, tab_name`, nil
}

// Definition kinds (athena.ParseDefinition).
const (
	CreateView = athena.CreateView
	DropView   = athena.DropView
	ShowTables = athena.ShowTables
)
