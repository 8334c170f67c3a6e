package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/output"
	"github.com/trailq/trailq/internal/progress"
)

// NewCmdStores builds "trailq stores" and "trailq stores rm".
func NewCmdStores(f *Factory) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "stores",
		Short: "List the stores trailq keeps (one per source) with what they hold",
		Long: `Stores lists the store files in trailq's cache folder (one per --source, unless --store names
another): the source of its last load, its size on disk (with its parts folder), its events and their first and
last time, and when it was last loaded. 'trailq stores rm PATH|NAME…' deletes stores.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmtOut, err := f.OutputFormat(format)
			if err != nil {
				return err
			}
			dir, err := f.storesDir()
			if err != nil {
				return err
			}
			infos, err := engine.Stores(cmd.Context(), dir)
			if err != nil {
				return err
			}
			w := output.New(f.IO.Out, fmtOut, output.Options{})
			w.Header([]string{"store", "source", "size", "events", "first", "last", "last_load", "problem"})
			for _, s := range infos {
				last := ""
				if !s.LastLoad.IsZero() {
					last = s.LastLoad.UTC().Format(time.RFC3339)
				}
				w.Row([]any{s.Path, s.Source, progress.HumanBytes(s.Bytes), s.Events, s.First, s.Last, last, s.Problem})
			}
			if err := w.Close(); err != nil {
				return err
			}
			fmt.Fprintf(f.IO.ErrOut, "%d store%s in %s\n", len(infos), plural(len(infos)), dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "output format: table, csv, tsv, json, jsonl (default: table on a terminal, csv otherwise)")
	cmd.AddCommand(&cobra.Command{
		Use:   "rm PATH|NAME...",
		Short: "Delete stores (the file, its write-ahead log and its parts folder)",
		Long: `Rm deletes stores: a path, or a name in the cache folder as 'trailq stores' lists it. A store
another trailq process has open is refused. The logs are not touched; a later command loads them again.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return removeStores(cmd.Context(), f, args)
		},
	})
	return cmd
}

func removeStores(ctx context.Context, f *Factory, args []string) error {
	dir, err := f.storesDir()
	if err != nil {
		return err
	}
	for _, a := range args {
		path := a
		if !strings.ContainsRune(a, filepath.Separator) {
			path = filepath.Join(dir, a)
		}
		if !strings.HasSuffix(path, ".duckdb") {
			return usageErrorf("stores rm %q: give a store file (.duckdb), as 'trailq stores' lists it", a)
		}
		if err := engine.RemoveStore(ctx, path); err != nil {
			return err
		}
		fmt.Fprintf(f.IO.ErrOut, "Removed %s and its parts folder.\n", path)
	}
	return nil
}
