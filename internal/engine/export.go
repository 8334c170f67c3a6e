package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/trailq/trailq/internal/hint"
	"github.com/trailq/trailq/internal/s3out"
	"github.com/trailq/trailq/internal/store"
)

// ExportOptions say what Export writes and where.
type ExportOptions struct {
	// Store is the store's file.
	Store string
	// Dir is the folder to write (new or empty, or a stopped export). With Upload, the export is written before
	// the upload into a new folder made in Dir ("": beside the store), removed afterwards.
	Dir string
	// Upload, when set, copies the finished export to S3: only the files the prefix lacks, the DDL last.
	Upload *s3out.Uploader
	// Table and Location are the DDL's table name and LOCATION (the export's S3 folder).
	Table, Location string
	// DDLFile is the name of the DDL with MSCK REPAIR; ProjectedFile of the DDL with partition projection.
	DDLFile, ProjectedFile string
}

// ExportLayout is what partition folders an export holds: the values its projected DDL enumerates.
type ExportLayout = store.ExportLayout

// ExportResult says what Export wrote.
type ExportResult struct {
	store.ExportResult
	Layout store.ExportLayout
	// Uploaded is what the upload did, when there was one.
	Uploaded *s3out.Result
}

// exportDataFile is where an export puts a data file: what an upload to S3 deletes when the export lacks it
// (a partition written with more files before), so that the table does not count events twice.
var exportDataFile = regexp.MustCompile(`^account=[^/]+/region=[^/]+/year=[^/]+/month=[^/]+/day=[^/]+/events_[0-9]+\.parquet$`)

// Export writes the store's events as Hive-partitioned Parquet under o.Dir, with the Athena DDL of a table over
// them twice: o.DDLFile with MSCK REPAIR TABLE, o.ProjectedFile with partition projection over the export's
// accounts, regions and years; then, with o.Upload, copies the folder to S3. The handle users' SQL gets cannot
// write files; this one is the store's own, read-only.
func (e *Engine) Export(ctx context.Context, o ExportOptions) (ExportResult, error) {
	var res ExportResult
	if _, err := os.Stat(o.Store); err != nil {
		return res, hint.With(fmt.Errorf("open store %s: %w", o.Store, err), "load logs first with --source")
	}
	dir := o.Dir
	if o.Upload != nil {
		parent := o.Dir
		if parent == "" {
			parent = filepath.Dir(o.Store)
		}
		tmp, err := os.MkdirTemp(parent, ".trailq-export-")
		if err != nil {
			return res, fmt.Errorf("create the export's local folder: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	if err := exportLocal(ctx, o, dir, &res); err != nil {
		return res, err
	}
	if o.Upload == nil {
		return res, nil
	}
	up, err := o.Upload.Sync(ctx, dir, []string{o.DDLFile, o.ProjectedFile})
	res.Uploaded = &up
	if err != nil {
		return res, hint.With(fmt.Errorf("upload the export to %s: %w", o.Upload.URL(), err),
			"run the same command again: it uploads only what is not there yet")
	}
	return res, nil
}

// exportLocal writes the export of o.Store into dir, with both DDL files, and its layout and counts into res.
// The store is closed before any upload begins.
func exportLocal(ctx context.Context, o ExportOptions, dir string, res *ExportResult) error {
	st, err := store.Open(ctx, o.Store, store.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer st.Close()
	if res.Layout, err = st.ExportLayout(ctx); err != nil {
		return err
	}
	extra := map[string][]byte{
		o.DDLFile:       []byte(store.AthenaDDL(o.Table, o.Location)),
		o.ProjectedFile: []byte(store.ProjectedDDL(o.Table, o.Location, res.Layout)),
	}
	res.ExportResult, err = st.Export(ctx, dir, extra)
	return err
}

// ExportRemoves says whether an upload of an export deletes the remote file rel (relative to the prefix) when
// the export lacks it: the data files an export writes, and nothing else.
func ExportRemoves(rel string) bool { return exportDataFile.MatchString(rel) }
