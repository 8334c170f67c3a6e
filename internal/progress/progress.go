package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Counter holds the counters of one long piece of work. All methods are safe for concurrent use.
type Counter struct {
	Total   atomic.Int64 // objects to do, when known
	Done    atomic.Int64 // objects done
	Bytes   atomic.Int64 // bytes read
	Records atomic.Int64 // records decoded
}

// Bar redraws a progress line on w (a terminal) until Stop is called.
type Bar struct {
	w     io.Writer
	c     *Counter
	label string
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
	width int
}

// Start begins drawing c on w every interval. Pass the result's Stop before writing anything else to w.
func Start(w io.Writer, c *Counter, label string, interval time.Duration) *Bar {
	b := &Bar{w: w, c: c, label: label, start: time.Now(), stop: make(chan struct{})}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-b.stop:
				return
			case <-t.C:
				b.draw()
			}
		}
	}()
	return b
}

// Stop stops drawing and clears the line.
func (b *Bar) Stop() {
	if b == nil {
		return
	}
	close(b.stop)
	b.wg.Wait()
	if b.width > 0 {
		fmt.Fprintf(b.w, "\r%s\r", strings.Repeat(" ", b.width))
	}
}

func (b *Bar) draw() {
	line := Line(b.label, b.c, time.Since(b.start))
	pad := ""
	if n := b.width - len(line); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	b.width = len(line)
	fmt.Fprintf(b.w, "\r%s%s", line, pad)
}

// Line renders the counters as one line: label, bar, objects, bytes, records, rate and ETA.
func Line(label string, c *Counter, elapsed time.Duration) string {
	total, done := c.Total.Load(), c.Done.Load()
	recs, bytes := c.Records.Load(), c.Bytes.Load()
	var b strings.Builder
	b.WriteString(label)
	if total > 0 {
		const width = 20
		n := int(done * width / total)
		if n > width {
			n = width
		}
		fmt.Fprintf(&b, " [%s%s] %d/%d objects", strings.Repeat("#", n), strings.Repeat(".", width-n), done, total)
	} else {
		fmt.Fprintf(&b, " %d objects", done)
	}
	fmt.Fprintf(&b, ", %s, %d records", HumanBytes(bytes), recs)
	if secs := elapsed.Seconds(); secs > 0.5 {
		fmt.Fprintf(&b, ", %.0f rec/s", float64(recs)/secs)
		if total > 0 && done > 0 && done < total {
			eta := time.Duration(float64(elapsed) * float64(total-done) / float64(done))
			fmt.Fprintf(&b, ", ETA %s", eta.Round(time.Second))
		}
	}
	return b.String()
}

// HumanBytes formats n as B, KiB, MiB or GiB.
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 3; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGT"[exp])
}
