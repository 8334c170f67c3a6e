package store

import (
	"context"

	"github.com/trailq/trailq/internal/store/verify"
)

// PartCheck is what a check found of one part file.
type PartCheck = verify.PartCheck

// DamagedError is returned by a read-only open of a store whose part files do not match what its loads recorded.
type DamagedError = verify.DamagedError

// VerifyParts hashes every part file of the store and compares it with what its load recorded.
func (s *Store) VerifyParts(ctx context.Context) ([]PartCheck, error) { return verify.Parts(ctx, s.h) }
