package ingest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"github.com/trailq/trailq/internal/source"
)

// incomplete is implemented by the error of a listing that went on past gaps it could not list (a local folder
// it may not read, a link that leads nowhere): the objects it found were listed. Incomplete names the gaps, each
// as an *fs.PathError whose Path is the key.
type incomplete interface{ Incomplete() []error }

// listAll lists prefixes in their order and calls fn, in the caller's goroutine, for every object, prefix after
// prefix. Up to n listings run at once, ahead of fn: a window over an organization's bucket is thousands of day
// folders, and each S3 listing is a round trip. A listing that fails (the error names the prefix) is passed to
// skip, which says whether to go on without it; else it is returned, as is fn's first error. A listing that
// was incomplete (incomplete) is passed to gap for each gap it could not list, after its objects: gap says
// whether to go on.
func listAll(ctx context.Context, src source.Source, prefixes []string, n int, fn func(source.Object) error, skip, gap func(prefix string, err error) bool) error {
	// failed handles a listing's error; false: stop with it.
	failed := func(p string, err error) bool {
		var inc incomplete
		if ctx.Err() == nil && errors.As(err, &inc) {
			for _, e := range inc.Incomplete() {
				key := p
				var pe *fs.PathError
				if errors.As(e, &pe) {
					key, e = pe.Path, fmt.Errorf("%s: %w", pe.Op, pe.Err)
				}
				if !gap(key, e) {
					return false
				}
			}
			return true
		}
		return ctx.Err() == nil && skip(p, listErr(src, p, err))
	}
	if n <= 1 || len(prefixes) <= 1 {
		for _, p := range prefixes {
			var fnErr error
			err := src.List(ctx, p, func(o source.Object) error {
				fnErr = fn(o)
				return fnErr
			})
			switch {
			case err == nil:
			case fnErr != nil:
				return fnErr
			case !failed(p, err):
				return listErr(src, p, err)
			}
		}
		return nil
	}
	return listAhead(ctx, src, prefixes, n, fn, failed)
}

// listAhead is listAll with up to n listings at once; failed says whether to go on after a listing's error.
func listAhead(ctx context.Context, src source.Source, prefixes []string, n int, fn func(source.Object) error, failed func(prefix string, err error) bool) error {
	type result struct {
		objs []source.Object
		err  error
		done chan struct{}
	}
	results := make([]*result, len(prefixes))
	for i := range results {
		results[i] = &result{done: make(chan struct{})}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	// A slot is taken before a listing starts and given back once fn had its objects: at most n prefixes are
	// being listed or waiting to be consumed.
	slots := make(chan struct{}, n)
	wg.Go(func() {
		for i, p := range prefixes {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			r := results[i]
			wg.Go(func() {
				defer close(r.done)
				r.err = src.List(ctx, p, func(o source.Object) error {
					r.objs = append(r.objs, o)
					return nil
				})
			})
		}
	})
	for i, r := range results {
		select {
		case <-r.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		<-slots
		if r.err != nil && !failed(prefixes[i], r.err) {
			return listErr(src, prefixes[i], r.err)
		}
		for _, o := range r.objs {
			if err := fn(o); err != nil {
				return err
			}
		}
		results[i] = nil
	}
	return nil
}

// listErr names the prefix in a listing error, unless the source's error already does (S3's errors do).
func listErr(src source.Source, prefix string, err error) error {
	where := describe(src, prefix)
	if strings.Contains(err.Error(), where) {
		return err
	}
	return fmt.Errorf("list %s: %w", where, err)
}

// OutcomeNotListed is the outcome of a folder whose listing failed; its objects were not looked at.
const OutcomeNotListed = "not listed"

// OutcomeRefillFailed is the outcome of a loaded object that could not be read again for the copies of events it
// holds (store.Load.Refills): those events are missing until a load reads it.
const OutcomeRefillFailed = "not read again"
