package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/engine"
)

// TestSystemClockSleep: the system clock's Sleep waits its time by the wall clock, and returns at once with
// the context's error when it is done.
func TestSystemClockSleep(t *testing.T) {
	var c engine.SystemClock
	start := time.Now()
	if err := c.Sleep(context.Background(), 30*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("slept %s, want at least 30ms", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep with a cancelled context = %v", err)
	}
}
