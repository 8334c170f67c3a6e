package signin_test

import (
	"bytes"
	"image"
	"image/png"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/signin"
	"github.com/trailq/trailq/internal/timewin"
)

// A chart without events (and without a period) is still a chart: axes, no bars.
func TestWriteChartPNGEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := signin.WriteChartPNG(&buf, "no sign-ins", nil, timewin.Period{}, time.UTC); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if got, want := img.Bounds(), image.Rect(0, 0, 960, 360); got != want {
		t.Errorf("size %v, want %v", got, want)
	}
}
