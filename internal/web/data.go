package web

import (
	"context"
	"github.com/trailq/trailq/internal/engine"
	"net/http"
	"time"
)

// DataReport is the body of GET /api/data: what the store holds.
type DataReport struct {
	Source   string         `json:"source"` // the logs' source ("" when serving a store only)
	Store    string         `json:"store"`  // the store file
	Records  int64          `json:"records"`
	Objects  int64          `json:"objects"` // objects in the manifest (including skipped ones)
	Bytes    int64          `json:"bytes"`
	Outcomes map[string]int `json:"outcomes"` // objects by outcome: loaded, problems, partial, failed, skipped
	LastLoad string         `json:"last_load"`
	First    string         `json:"first"` // earliest and latest eventTime
	Last     string         `json:"last"`
	Coverage []Coverage     `json:"coverage"`
	// Broken lists the objects with problems (at most 500), by key.
	Broken          []BrokenFile `json:"broken"`
	BrokenTruncated bool         `json:"broken_truncated"`
	CanLoad         bool         `json:"can_load"` // the "load new logs" action is available
	// Following is the follower's status when the server follows the source (serve --follow).
	Following *Following `json:"following,omitempty"`
}

// Coverage is the time span of one account's logs in one region.
type Coverage struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	First   string `json:"first"`
	Last    string `json:"last"`
	Records int64  `json:"records"`
}

// BrokenFile is one object of the load report.
type BrokenFile struct {
	Key      string        `json:"key"`
	Outcome  string        `json:"outcome"`
	Detail   string        `json:"detail"`
	Records  int64         `json:"records"`  // records loaded from it
	Problems int64         `json:"problems"` // problems found (up to 100 are kept)
	Details  []ProblemLine `json:"details"`
}

// ProblemLine is one record-level problem.
type ProblemLine struct {
	Record  int64  `json:"record"`
	Field   string `json:"field"`
	Message string `json:"message"`
	Skipped bool   `json:"skipped"`
}

const maxBroken = 500

func (s *Server) handleData(w http.ResponseWriter, r *http.Request) {
	ctx, st, done, ok := s.reading(w, r)
	if !ok {
		return
	}
	defer done()
	rep, err := dataReport(ctx, st)
	if err != nil {
		writeError(w, statusOf(ctx, err, http.StatusInternalServerError), "read store: "+err.Error())
		return
	}
	rep.Source = s.opts.Source
	rep.CanLoad = s.opts.Load != nil
	rep.Following = s.following()
	writeJSON(w, http.StatusOK, rep)
}

// each runs q and calls fn with every row's values.
func each(ctx context.Context, st *engine.Store, q string, fn func([]any), args ...any) error {
	rows, err := st.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			return err
		}
		fn(v)
	}
	return rows.Err()
}

func asInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	}
	return 0
}

func asString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	}
	return ""
}

func dataReport(ctx context.Context, st *engine.Store) (*DataReport, error) {
	rep := &DataReport{Store: st.Path(), Outcomes: map[string]int{}, Coverage: []Coverage{}, Broken: []BrokenFile{}}
	err := each(ctx, st, `SELECT coalesce(outcome, ''), count(*), coalesce(sum(size), 0), max(loaded_at) FROM trailq_objects GROUP BY 1`, func(v []any) {
		n := asInt(v[1])
		rep.Outcomes[asString(v[0])] = int(n)
		rep.Objects += n
		rep.Bytes += asInt(v[2])
		if t := asString(v[3]); t > rep.LastLoad {
			rep.LastLoad = t
		}
	})
	if err != nil {
		return nil, err
	}
	err = each(ctx, st, `SELECT coalesce(account, ''), coalesce(awsregion, ''), min(eventtime), max(eventtime), count(*)
		FROM `+engine.EventsTable+` GROUP BY 1, 2 ORDER BY 1, 2`, func(v []any) {
		c := Coverage{Account: asString(v[0]), Region: asString(v[1]), First: asString(v[2]), Last: asString(v[3]), Records: asInt(v[4])}
		rep.Coverage = append(rep.Coverage, c)
		rep.Records += c.Records
		if rep.First == "" || c.First < rep.First {
			rep.First = c.First
		}
		if c.Last > rep.Last {
			rep.Last = c.Last
		}
	})
	if err != nil {
		return nil, err
	}
	byID := map[int64]int{}
	err = each(ctx, st, `SELECT file_id, key, outcome, coalesce(detail, ''), coalesce(records, 0), coalesce(problems, 0)
		FROM trailq_objects WHERE outcome IN ('problems', 'partial', 'failed') ORDER BY key LIMIT ?`, func(v []any) {
		if len(rep.Broken) == maxBroken {
			rep.BrokenTruncated = true
			return
		}
		byID[asInt(v[0])] = len(rep.Broken)
		rep.Broken = append(rep.Broken, BrokenFile{Key: asString(v[1]), Outcome: asString(v[2]), Detail: asString(v[3]),
			Records: asInt(v[4]), Problems: asInt(v[5]), Details: []ProblemLine{}})
	}, maxBroken+1)
	if err != nil {
		return nil, err
	}
	if len(byID) == 0 {
		return rep, nil
	}
	err = each(ctx, st, `SELECT file_id, coalesce(record, 0), coalesce(field, ''), coalesce(message, ''), coalesce(skipped, false)
		FROM trailq_problems ORDER BY file_id, record`, func(v []any) {
		i, ok := byID[asInt(v[0])]
		if !ok {
			return
		}
		skipped, _ := v[4].(bool)
		rep.Broken[i].Details = append(rep.Broken[i].Details, ProblemLine{Record: asInt(v[1]), Field: asString(v[2]), Message: asString(v[3]), Skipped: skipped})
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// LoadStatus is the body of GET /api/load (and of POST /api/load's answer).
type LoadStatus struct {
	Available bool        `json:"available"` // the server can load (it has a source)
	Running   bool        `json:"running"`
	Started   string      `json:"started,omitempty"`
	Finished  string      `json:"finished,omitempty"`
	ElapsedMS int64       `json:"elapsed_ms"`
	Total     int64       `json:"total"` // objects to read (known once listing is done)
	Done      int64       `json:"done"`
	Bytes     int64       `json:"bytes"`
	Records   int64       `json:"records"`
	Error     string      `json:"error,omitempty"`
	Report    *LoadReport `json:"report,omitempty"` // the last finished load
	// Following is the follower's status when the server follows the source (serve --follow).
	Following *Following `json:"following,omitempty"`
}

// LoadReport summarises a finished load.
type LoadReport struct {
	Listed     int            `json:"listed"`
	Unchanged  int            `json:"unchanged"`
	Loaded     int            `json:"loaded"`
	Records    int            `json:"records"`
	Inserted   int            `json:"inserted"`
	Duplicates int            `json:"duplicates"`
	Skipped    map[string]int `json:"skipped"`
	Problems   int            `json:"problems"` // objects with problems
}

func (s *Server) loadStatus() LoadStatus {
	ls := s.db.snapshot()
	st := LoadStatus{Available: s.opts.Load != nil, Running: ls.running, Following: s.following()}
	if !ls.started.IsZero() {
		st.Started = ls.started.UTC().Format(time.RFC3339)
		end := s.opts.Now()
		if !ls.running {
			end = ls.finished
			st.Finished = ls.finished.UTC().Format(time.RFC3339)
		}
		st.ElapsedMS = end.Sub(ls.started).Milliseconds()
	}
	if c := ls.counter; c != nil {
		st.Total, st.Done, st.Bytes, st.Records = c.Total.Load(), c.Done.Load(), c.Bytes.Load(), c.Records.Load()
	}
	if ls.err != nil {
		st.Error = ls.err.Error()
	}
	if r := ls.report; r != nil && !ls.running {
		st.Report = loadReport(r)
	}
	return st
}

func loadReport(r *engine.Report) *LoadReport {
	lr := &LoadReport{Listed: r.Listed, Unchanged: r.Unchanged, Loaded: r.Loaded, Records: r.Records, Inserted: r.Inserted,
		Duplicates: r.Duplicates, Skipped: r.Skipped, Problems: r.Problems()}
	if lr.Skipped == nil {
		lr.Skipped = map[string]int{}
	}
	return lr
}

func (s *Server) handleLoadStatus(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.loadStatus())
}

func (s *Server) handleLoadStart(w http.ResponseWriter, r *http.Request) {
	started, err := s.db.startLoad()
	if err != nil {
		writeError(w, http.StatusConflict, err.Error())
		return
	}
	if !started {
		writeJSON(w, http.StatusConflict, apiError{Error: "a load is already running"})
		return
	}
	writeJSON(w, http.StatusAccepted, s.loadStatus())
}
