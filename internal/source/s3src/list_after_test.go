package s3src_test

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/trailq/trailq/internal/source"
)

// TestListAfter lists a day folder from a key on: only the later keys come, in order, from listings that start
// there (StartAfter), over pages too, and under the source's prefix.
func TestListAfter(t *testing.T) {
	srv := newServer(t, "trail")
	day := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	var keys []string
	for i := range 7 {
		k := trailKey("", "111122223333", "eu-west-1", day, i*5)
		keys = append(keys, k)
		srv.put(t, "trail", "logs/"+k, logObject(k, "111122223333", "eu-west-1", day, 1))
	}
	// A key of the next day folder, which sorts after all of them: not listed.
	next := trailKey("", "111122223333", "eu-west-1", day.AddDate(0, 0, 1), 0)
	srv.put(t, "trail", "logs/"+next, logObject(next, "111122223333", "eu-west-1", day, 1))
	var mu sync.Mutex
	var startAfter []string
	srv.setInject(func(r *http.Request) (int, string, http.Header) {
		if q := r.URL.Query(); q.Get("list-type") == "2" {
			mu.Lock()
			startAfter = append(startAfter, q.Get("start-after"))
			mu.Unlock()
		}
		return 0, "", nil
	})
	src := srv.open(t, "s3://trail/logs/")
	dayPrefix := "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/12/04/"
	for _, tc := range []struct {
		name     string
		after    string
		pageSize int
		want     []string
		lists    int64
	}{
		{"from the third", keys[2], 0, keys[3:], 1},
		{"paged", keys[1], 2, keys[2:], 3},
		{"from the last", keys[6], 0, nil, 1},
		{"from the start", "", 0, keys, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.resetCounts()
			srv.mu.Lock()
			srv.pageSize = tc.pageSize
			startAfter = nil
			srv.mu.Unlock()
			var got []string
			err := src.ListAfter(context.Background(), dayPrefix, tc.after, func(o source.Object) error {
				got = append(got, o.Key)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("ListAfter(%q) = %q, want %q", tc.after, got, tc.want)
			}
			if got := srv.lists.Load(); got != tc.lists {
				t.Errorf("%d listing requests, want %d", got, tc.lists)
			}
			mu.Lock()
			defer mu.Unlock()
			wantAfter := ""
			if tc.after != "" {
				wantAfter = "logs/" + tc.after
			}
			if len(startAfter) == 0 || startAfter[0] != wantAfter {
				t.Errorf("start-after of the first request = %q, want %q", startAfter, wantAfter)
			}
		})
	}
}

// TestListAfterServerIgnoresIt: a server that lists the day from its start anyway (no StartAfter support) still
// gives only the later keys.
func TestListAfterServerIgnoresIt(t *testing.T) {
	srv := newServer(t, "trail")
	day := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	var keys []string
	for i := range 4 {
		k := trailKey("", "111122223333", "eu-west-1", day, i)
		keys = append(keys, k)
		srv.put(t, "trail", k, logObject(k, "111122223333", "eu-west-1", day, 1))
	}
	srv.setFault(func(r *http.Request) fault {
		if q := r.URL.Query(); q.Get("start-after") != "" {
			q.Del("start-after")
			r.URL.RawQuery = q.Encode()
		}
		return fault{}
	})
	src := srv.open(t, "s3://trail/")
	var got []string
	err := src.ListAfter(context.Background(), "AWSLogs/", keys[1], func(o source.Object) error {
		got = append(got, o.Key)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, keys[2:]) {
		t.Errorf("ListAfter = %q, want %q", got, keys[2:])
	}
}
