package store

import (
	"context"

	"github.com/trailq/trailq/internal/store/internal/db"
	"github.com/trailq/trailq/internal/store/parts"
)

// PartsDir returns the folder of the part files of the store at path. Deleting a store means deleting both.
func PartsDir(path string) string { return db.PartsDir(path) }

// Lost is a log object whose events are missing from the store since a repair.
type Lost = parts.Lost

// Lost returns the objects whose events are missing from the store since a repair, by key.
func (s *Store) Lost(ctx context.Context) ([]Lost, error) { return parts.LostObjects(ctx, s.h) }

// Warnings returns what every answer of the store must say: that it lacks the events of log objects lost with a
// damaged part and not read again since.
func (s *Store) Warnings(ctx context.Context) ([]string, error) { return parts.Warnings(ctx, s.h) }
