package store_test

import (
	"testing"

	"github.com/trailq/trailq/internal/store/storetest"
)

const sampleDir = "../../testdata/sample/AWSLogs"

// loadedStore loads the sample logs into a new store and returns its path.
func loadedStore(t *testing.T) string { return storetest.LoadedStore(t) }

// loadInto loads the logs under dir into the store at path (creating it), and returns what the store said as
// it opened (a repair).
func loadInto(t *testing.T, path, dir string) string { return storetest.LoadInto(t, path, dir) }

func listing(t *testing.T, dir string) map[string]string { return storetest.Listing(t, dir) }
