package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/output"
	"github.com/trailq/trailq/internal/timewin"
)

// QueryOptions are the flags of trailq query.
type QueryOptions struct {
	SourceOptions
	SQL     string
	File    string
	Format  string
	Dialect string
	Explain bool
	Wide    bool
	RawCSV  bool
	Timeout time.Duration
	Lag     time.Duration
	AllLogs bool
	// AnswerFirst is auto, always or never (see answerFirst).
	AnswerFirst string
	// TableDDL are files holding the CREATE EXTERNAL TABLE of the user's own CloudTrail tables.
	TableDDL []string
}

// NewCmdQuery builds "trailq query".
func NewCmdQuery(f *Factory, runF func(context.Context, *QueryOptions) error) *cobra.Command {
	opts := &QueryOptions{}
	cmd := &cobra.Command{
		Use:   "query [SQL]",
		Short: "Run an Athena SQL query over the logs",
		Long: `Query runs one SQL statement, written as for Amazon Athena, over the CloudTrail table. Any table name a
CloudTrail table has in Athena works (cloudtrail_logs, cloudtrail_logs_mybucket, default.cloudtrail_logs_x,
"awsdatacatalog"."default"."cloudtrail_logs_x"), with Athena's columns (useridentity is a struct,
eventtime an ISO-8601 string, requestparameters JSON text, …) and the partition columns region, year, month,
day, and "$path". With --source, new logs are loaded first: when the query is one SELECT whose WHERE
clause bounds eventtime from below (eventtime >= '2024-09-01T00:00:00Z', BETWEEN …), only the log files
filed under the days it can read are loaded, plus a margin (--lag) for late delivery; partition conditions
(year = '2024' AND month = '09', "timestamp" >= '2024/09/01', region = …, account IN (…)) narrow the load
to those files exactly. --all-logs loads every file.

When much is new (32 MiB or more of logs), the query is answered first: the new logs are read once for
it (only the columns it reads, only the records its WHERE clause can keep), the answer is written and the
output closed, and then every column is stored for the next questions, which makes the command as a whole
a second read longer. --answer-first always does this for any amount, never stores first. S3 objects are
fetched once: the first read keeps a copy for the load (up to 4 GiB).

The SQL comes from the argument, from -f FILE, or from standard input.

Output is an aligned table on a terminal and CSV when piped; --format picks one of table, csv, tsv, json,
jsonl. The row count and time go to standard error.

EXIT STATUS
  0  the query ran (no rows is not an error)
  1  an error (a bad query, unreadable store, …)
  2  a usage error
  4  the query ran, but the load before it could not read some input (named): the answer lacks it
  130  interrupted`,
		Example: `  trailq query --source ./AWSLogs "SELECT eventname, count(*) FROM cloudtrail_logs GROUP BY 1 ORDER BY 2 DESC"
  trailq query --source ./AWSLogs -f signins.sql --format json
  echo "SELECT count(*) FROM cloudtrail_logs" | trailq query --store ./audit.duckdb`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.SQL = args[0]
			}
			if opts.Timeout < 0 {
				return usageErrorf("--timeout %s: must not be negative: give how long a query may run, e.g. 30m, or 0 for no limit", opts.Timeout)
			}
			if err := checkLag(opts.Lag); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runQuery(cmd.Context(), f, opts)
		},
	}
	addSourceFlags(cmd, &opts.SourceOptions)
	cmd.Flags().StringVarP(&opts.File, "file", "f", "", "read the SQL from `FILE` (- for standard input)")
	cmd.Flags().StringVar(&opts.Format, "format", "", "output format: table, csv, tsv, json, jsonl, xlsx (a workbook: redirect it to a file) (default: table on a terminal, csv otherwise)")
	cmd.Flags().StringVar(&opts.Dialect, "dialect", "athena", "SQL dialect: athena (translated) or duckdb (run as written)")
	cmd.Flags().StringArrayVar(&opts.TableDDL, "table-ddl", nil, "read the CREATE EXTERNAL TABLE of your own CloudTrail table in `FILE` (SHOW CREATE TABLE prints it): its name and partition columns (account_id, p_date, …) then work in queries (repeatable)")
	cmd.Flags().BoolVar(&opts.Explain, "explain", false, "print the DuckDB SQL the query is translated to, and do not run it")
	cmd.Flags().BoolVar(&opts.Wide, "wide", false, "do not shorten long values in the table format")
	cmd.Flags().BoolVar(&opts.RawCSV, "raw-csv", false, "write text cells that start with = + - @ as they are in CSV/TSV (by default they get a leading ' so that a spreadsheet does not run them as formulas)")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 10*time.Minute, "stop the query after this long (0: no limit)")
	cmd.Flags().DurationVar(&opts.Lag, "lag", timewin.DefaultLag, "with eventtime bounds, also load log files delivered this long after the last day")
	cmd.Flags().BoolVar(&opts.AllLogs, "all-logs", false, "load every log file, not only those the query's WHERE clause allows (eventtime bounds, partitions)")
	cmd.Flags().StringVar(&opts.AnswerFirst, "answer-first", "auto", "answer from a first read of the columns the query needs, then store the logs: auto (when 32 MiB or more of a folder's logs are new), always, never")
	return cmd
}

func (o *QueryOptions) readSQL(in io.Reader) (string, error) {
	switch {
	case o.SQL != "" && o.File != "":
		return "", usageErrorf("give the SQL as an argument or with -f, not both")
	case o.SQL == "-" || o.File == "-" || o.SQL == "" && o.File == "":
		b, err := io.ReadAll(in)
		if err != nil {
			return "", fmt.Errorf("read SQL from standard input: %w", err)
		}
		return string(b), nil
	case o.File != "":
		b, err := os.ReadFile(o.File)
		if err != nil {
			return "", fmt.Errorf("read SQL: %w", err)
		}
		return string(b), nil
	}
	return o.SQL, nil
}

func runQuery(ctx context.Context, f *Factory, opts *QueryOptions) error {
	format, err := f.OutputFormat(opts.Format)
	if err != nil {
		return err
	}
	if opts.Dialect != "athena" && opts.Dialect != "duckdb" {
		return usageErrorf("unknown --dialect %q: use athena or duckdb", opts.Dialect)
	}
	if opts.SQL == "" && opts.File == "" && f.IO.In == os.Stdin && isTerminal(os.Stdin) {
		return usageErrorf("no SQL: give it as an argument, with -f FILE, or on standard input")
	}
	sql, err := opts.readSQL(f.IO.In)
	if err != nil {
		return err
	}
	sql = strings.TrimSpace(sql)
	sql = strings.TrimSpace(strings.TrimSuffix(sql, ";"))
	if sql == "" {
		return usageErrorf("the SQL is empty")
	}
	var defs []*engine.TableDef
	for _, path := range opts.TableDDL {
		def, err := engine.ReadTableDDL(path)
		if err != nil {
			return err
		}
		defs = append(defs, def)
	}
	dialect := opts.Dialect
	if d, ok, err := engine.ParseDefinition(sql); ok && dialect == engine.Athena {
		if err != nil {
			return fmt.Errorf("query: %w", err)
		}
		if d.Kind != engine.ShowTables {
			return defineView(ctx, f, opts, d, defs)
		}
		eo, err := f.engineOptions(ctx, &opts.SourceOptions, nil)
		if err != nil {
			return err
		}
		if sql, err = engine.ShowTablesSQL(eo.StorePath); err != nil {
			return err
		}
		dialect = engine.DuckDB
	}
	q, err := engine.Translate(sql, dialect, defs...)
	if err != nil {
		return err
	}
	if opts.Explain {
		fmt.Fprintln(f.IO.Out, q.SQL)
		return nil
	}
	// Refused before anything is loaded: one query that the store's guard allows (it checks again as it runs).
	if err := q.Check(ctx); err != nil {
		return err
	}
	switch opts.AnswerFirst {
	case engine.AnswerFirstAuto, engine.AnswerFirstAlways, engine.AnswerFirstNever:
	default:
		return usageErrorf("unknown --answer-first %q: use auto, always or never", opts.AnswerFirst)
	}
	qo := engine.QueryOptions{AnswerFirst: opts.AnswerFirst, AllLogs: opts.AllLogs, Lag: opts.Lag, Now: f.Now(),
		Answer: func(ctx context.Context, st *engine.Store) error { return answerQuery(ctx, f, opts, format, q, st) }}
	eo, err := f.engineOptions(ctx, &opts.SourceOptions, nil)
	if err != nil {
		return err
	}
	e := f.Engine()
	if opts.DryRun && eo.Source != nil {
		p, err := e.PlanQuery(ctx, eo, q, qo)
		if err != nil {
			return err
		}
		return f.writeDryRun(eo, p)
	}
	_, err = e.Query(ctx, eo, q, qo)
	return err
}

// defineView runs CREATE VIEW or DROP VIEW on the store (loading what is new first, so that a first command
// can define a view), and says what it did.
func defineView(ctx context.Context, f *Factory, opts *QueryOptions, d engine.Definition, defs []*engine.TableDef) error {
	if opts.Explain || opts.DryRun {
		return usageErrorf("--explain and --dry-run are for queries, not for %s", strings.ToUpper(d.Kind))
	}
	eo, err := f.engineOptions(ctx, &opts.SourceOptions, nil)
	if err != nil {
		return err
	}
	e := f.Engine()
	if eo.Source != nil && !eo.NoLoad {
		if _, err := e.Sync(ctx, eo); err != nil {
			return err
		}
	}
	msg, err := e.Define(ctx, eo, d, defs...)
	if err != nil {
		return err
	}
	fmt.Fprintln(f.IO.ErrOut, msg)
	return nil
}

// answerQuery runs the query on st and writes its rows.
func answerQuery(ctx context.Context, f *Factory, opts *QueryOptions, format output.Format, q *engine.Query, st *engine.Store) error {
	start := time.Now()
	qctx := ctx
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		qctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	n, err := RunSQL(qctx, st, q, output.New(f.IO.Out, format, output.Options{MaxWidth: maxWidth(f, opts.Wide, format), RawCSV: opts.RawCSV}))
	if err != nil {
		if errors.Is(qctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			return withHint(fmt.Errorf("query stopped after %s", opts.Timeout), "--timeout 30m (or 0 for no limit)")
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("query: %w", err)
	}
	fmt.Fprintf(f.IO.ErrOut, "%d row%s in %s\n", n, plural(n), time.Since(start).Round(time.Millisecond))
	return nil
}

func maxWidth(f *Factory, wide bool, format output.Format) int {
	if wide || format != output.Table || !f.IO.OutTTY {
		return 0
	}
	return 80
}

// RunSQL runs q on st and writes its rows to w, returning the row count. Errors name the place in the user's SQL.
func RunSQL(ctx context.Context, st *engine.Store, q *engine.Query, w output.Writer) (int, error) {
	rows, err := q.Run(ctx, st)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols := rows.Columns()
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	if err := w.Header(names); err != nil {
		return 0, err
	}
	n := 0
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return n, q.MapError(err)
		}
		for i, v := range vals {
			vals[i] = output.Typed(cols[i].Type, v)
		}
		if err := w.Row(vals); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, q.MapError(err)
	}
	return n, w.Close()
}
