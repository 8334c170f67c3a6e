package signin

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/trailq/trailq/internal/timewin"
)

// Colours of the PNG form: the SVG's.
var (
	pngBackground = color.RGBA{0xff, 0xff, 0xff, 0xff}
	pngSuccess    = color.RGBA{0x2e, 0x7d, 0x32, 0xff}
	pngFailure    = color.RGBA{0xc6, 0x28, 0x28, 0xff}
	pngUnknown    = color.RGBA{0x9e, 0x9e, 0x9e, 0xff}
	pngGrid       = color.RGBA{0xe0, 0xe0, 0xe0, 0xff}
	pngAxis       = color.RGBA{0x42, 0x42, 0x42, 0xff}
	pngText       = color.RGBA{0x21, 0x21, 0x21, 0xff}
)

// WriteChartPNG draws the chart of WriteChart as a PNG image of the same size and layout: title, legend, the
// y axis with its counts, the time axis with its labels (every few buckets, so that they do not overlap) and
// the bars, stacked Success, Failure, Unknown from the bottom. Text is in a 7×13 pixel font (ASCII).
func WriteChartPNG(w io.Writer, title string, events []Event, period timewin.Period, loc *time.Location) error {
	c := newChartData(events, period, loc)
	img := image.NewRGBA(image.Rect(0, 0, chartWidth, chartHeight))
	draw.Draw(img, img.Bounds(), image.NewUniform(pngBackground), image.Point{}, draw.Src)
	face := basicfont.Face7x13
	text := func(s string, x, baseline int, align float64) {
		d := &font.Drawer{Dst: img, Src: image.NewUniform(pngText), Face: face}
		width := d.MeasureString(s).Ceil()
		x -= int(math.Round(align * float64(width)))
		x = max(2, min(x, chartWidth-2-width)) // a label under the first or last bar stays in the image
		d.Dot = fixed.P(x, baseline)
		d.DrawString(s)
	}
	rect := func(x0, y0, x1, y1 float64, col color.Color) {
		r := image.Rect(int(math.Round(x0)), int(math.Round(y0)), int(math.Round(x1)), int(math.Round(y1)))
		draw.Draw(img, r, image.NewUniform(col), image.Point{}, draw.Src)
	}
	bottomY := float64(chartTop + plotH)

	text(title, chartLeft, 20, 0)
	for i, s := range []struct {
		name string
		col  color.Color
	}{{SeriesSuccess, pngSuccess}, {SeriesFailure, pngFailure}, {SeriesOther, pngUnknown}} {
		x := float64(chartLeft + i*100)
		rect(x, 28, x+12, 40, s.col)
		text(s.name, int(x)+16, 39, 0)
	}
	// Grid and y axis labels.
	for i := 0; i <= 4; i++ {
		n := c.yMax * i / 4
		yy := bottomY - c.y(n)
		rect(chartLeft, yy, chartLeft+plotW, yy+1, pngGrid)
		text(fmt.Sprint(n), chartLeft-6, int(math.Round(yy))+4, 1)
	}
	// Bars.
	for i, b := range c.buckets {
		x0 := float64(chartLeft) + c.bw*float64(i) + c.bw*0.1
		x1 := max(x0+c.bw*0.8, x0+1)
		below := 0
		for _, s := range []struct {
			n   int
			col color.Color
		}{{b.Success, pngSuccess}, {b.Failure, pngFailure}, {b.Unknown, pngUnknown}} {
			if s.n > 0 {
				rect(x0, bottomY-c.y(below+s.n), x1, bottomY-c.y(below), s.col)
			}
			below += s.n
		}
	}
	rect(chartLeft, bottomY, chartLeft+plotW, bottomY+1, pngAxis)
	// Time axis labels: as many as fit without overlapping, and at most about eight.
	if len(c.buckets) > 0 {
		labelW := float64(font.MeasureString(face, c.buckets[0].Start.Format(c.layout)).Ceil() + 12)
		every := max(1, len(c.buckets)/8, int(math.Ceil(labelW/c.bw)))
		for i, b := range c.buckets {
			if i%every == 0 {
				text(b.Start.Format(c.layout), int(math.Round(float64(chartLeft)+c.bw*(float64(i)+0.5))), chartTop+plotH+18, 0.5)
			}
		}
	}
	text(fmt.Sprintf("sign-ins per %s (%s)", c.step, loc.String()), chartLeft+plotW/2, chartHeight-10, 0.5)

	bw := bufio.NewWriter(w)
	if err := png.Encode(bw, img); err != nil {
		return err
	}
	return bw.Flush()
}
