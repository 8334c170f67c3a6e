package engine

import (
	"strings"
	"testing"
)

// TestFileRanges checks the _file_id condition of a trace's objects: a range for consecutive ids, else an IN
// list, and the whole range for a list too long.
func TestFileRanges(t *testing.T) {
	for _, c := range []struct {
		ids  []int64
		want string
	}{
		{nil, "_file_id < 0"},
		{[]int64{7}, "_file_id = 7"},
		{[]int64{1, 2, 3}, "_file_id BETWEEN 1 AND 3"},
		{[]int64{1, 2, 3, 7, 9, 10}, "_file_id IN (1, 2, 3, 7, 9, 10)"},
	} {
		if got := fileRanges(c.ids); got != c.want {
			t.Errorf("fileRanges(%v) = %s, want %s", c.ids, got, c.want)
		}
	}
	var ids []int64
	for i := range maxFileIDs + 1 {
		ids = append(ids, int64(3*i+5))
	}
	if got, want := fileRanges(ids), "_file_id BETWEEN 5 AND 6005"; got != want {
		t.Errorf("fileRanges of %d ids = %.80s, want %s", len(ids), got, want)
	}
	if got := fileRanges(ids[:maxFileIDs]); !strings.HasPrefix(got, "_file_id IN (5, 8, ") {
		t.Errorf("fileRanges of %d ids = %.80s, want an IN list", maxFileIDs, got)
	}
}
