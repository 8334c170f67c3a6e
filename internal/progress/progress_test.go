package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestLine(t *testing.T) {
	c := &Counter{}
	c.Total.Store(200)
	c.Done.Store(50)
	c.Records.Store(10_000)
	c.Bytes.Store(3 << 20)
	got := Line("Loading", c, 10*time.Second)
	for _, want := range []string{"Loading [#####...............] 50/200 objects", "3.0 MiB", "10000 records", "1000 rec/s", "ETA 30s"} {
		if !strings.Contains(got, want) {
			t.Errorf("Line = %q, lacks %q", got, want)
		}
	}
	if got := HumanBytes(512); got != "512 B" {
		t.Errorf("HumanBytes(512) = %q", got)
	}
}

func TestBarClearsItsLine(t *testing.T) {
	var b bytes.Buffer
	c := &Counter{}
	bar := Start(&b, c, "Loading", time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	bar.Stop()
	out := b.String()
	if !strings.Contains(out, "Loading") || !strings.HasSuffix(out, "\r") {
		t.Errorf("bar output %q: want redraws ending with a cleared line", out)
	}
	var nilBar *Bar
	nilBar.Stop() // no bar when stderr is not a terminal
}
