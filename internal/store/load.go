package store

import (
	"context"

	"github.com/trailq/trailq/internal/store/load"
)

// Outcome of loading one object, as kept in the manifest.
const (
	OutcomeLoaded   = load.OutcomeLoaded   // every record loaded, nothing odd
	OutcomeProblems = load.OutcomeProblems // loaded, with odd fields stored as NULL or records skipped
	OutcomePartial  = load.OutcomePartial  // the file broke off: the records before the break are loaded
	OutcomeFailed   = load.OutcomeFailed   // nothing could be loaded
	OutcomeSkipped  = load.OutcomeSkipped  // not a trail log (digest, Insights, Config, other JSON)
	// OutcomeLoading marks a large file whose first chunks were committed while the rest was still being read.
	// A load that was stopped leaves it so; the next load reads the file again from the start.
	OutcomeLoading = load.OutcomeLoading
)

// File is one decoded log object, or one chunk of a large one, ready to be added to a load (see load.File).
type File = load.File

// Load is a series of load transactions on one connection (see load.Load).
type Load = load.Load

// CommitStats says what a commit did.
type CommitStats = load.CommitStats

// Refill is a loaded object that holds a copy of an event whose stored copy is gone: the load reads it again and
// stores what the store no longer has (File.Refill).
type Refill = load.Refill

// Outcome classifies a whole file for the manifest from its totals.
func Outcome(skip bool, err error, records, problems int) string {
	return load.Outcome(skip, err, records, problems)
}

// Loaded returns the version of every object in the manifest, by key. Unfinished objects have version "".
func (s *Store) Loaded(ctx context.Context) (map[string]string, error) { return load.Loaded(ctx, s.h) }

// ContentHashes returns the content hashes of the rows the store has, sorted (8 bytes a row).
func (s *Store) ContentHashes(ctx context.Context) ([]uint64, error) {
	return load.ContentHashes(ctx, s.h)
}

// BeginLoad starts a load. Only one load may run on a store at a time.
func (s *Store) BeginLoad(ctx context.Context) (*Load, error) { return load.Begin(ctx, s.h) }

// RefillPending reports whether rows were removed and the objects holding copies of them not read again yet.
func (s *Store) RefillPending(ctx context.Context) (bool, error) { return load.RefillPending(ctx, s.h) }
