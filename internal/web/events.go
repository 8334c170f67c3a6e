package web

import (
	"bytes"
	"encoding/json"
	"github.com/trailq/trailq/internal/engine"
	"net/http"
	"strings"
	"time"
)

// maxEvents bounds the events GET /api/events returns.
const maxEvents = 20

// jsonTextColumns hold JSON documents as text; the event view shows them as JSON.
var jsonTextColumns = map[string]bool{
	"requestparameters": true, "responseelements": true, "additionaleventdata": true,
	"serviceeventdetails": true, "edgedevicedetails": true,
}

// EventsResult is the body of GET /api/events.
type EventsResult struct {
	// Events are objects with the cloudtrail_logs columns in order, JSON-text columns as JSON.
	Events []json.RawMessage `json:"events"`
	// Count is the number of events that match (Events holds at most 20).
	Count int `json:"count"`
}

// handleEvent finds events by eventid and, to tell apart records that share an id (AWS examples, test
// fixtures, records without one), by time (the second), source IP and principal ARN.
func (s *Server) handleEvent(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !q.Has("eventid") {
		writeError(w, http.StatusBadRequest, "eventid is required (empty for events without one)")
		return
	}
	where := []string{"coalesce(eventid, '') = ?"}
	args := []any{q.Get("eventid")}
	if v := q.Get("time"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "time: want an RFC 3339 time, got "+v)
			return
		}
		// eventtime is text as the record has it: match its second, with or without a fraction, in UTC (Z, z,
		// a space for the T) or as an instant (another offset).
		sec := t.UTC().Truncate(time.Second)
		where = append(where, "(upper(replace(eventtime, ' ', 'T')) LIKE ? OR date_trunc('second', try_cast(eventtime AS TIMESTAMPTZ)) = CAST(? AS TIMESTAMPTZ))")
		args = append(args, sec.Format("2006-01-02T15:04:05")+"%", sec.Format(time.RFC3339))
	}
	if q.Has("ip") {
		where = append(where, "coalesce(sourceipaddress, '') = ?")
		args = append(args, q.Get("ip"))
	}
	if q.Has("arn") {
		where = append(where, "coalesce(useridentity.arn, '') = ?")
		args = append(args, q.Get("arn"))
	}
	ctx, st, done, ok := s.reading(w, r)
	if !ok {
		return
	}
	defer done()
	rows, err := st.Query(ctx, `SELECT * FROM `+engine.LogsView+` WHERE `+strings.Join(where, " AND ")+` ORDER BY eventtime`, args...)
	if err != nil {
		writeError(w, statusOf(ctx, err, http.StatusInternalServerError), "read event: "+err.Error())
		return
	}
	defer rows.Close()
	res := EventsResult{Events: []json.RawMessage{}}
	for rows.Next() {
		res.Count++
		if len(res.Events) == maxEvents {
			continue
		}
		vals, err := rows.Values()
		if err != nil {
			writeError(w, http.StatusInternalServerError, "read event: "+err.Error())
			return
		}
		ev, err := eventJSON(rows.Columns(), vals)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "encode event: "+err.Error())
			return
		}
		res.Events = append(res.Events, ev)
	}
	if err := rows.Err(); err != nil {
		writeError(w, statusOf(ctx, err, http.StatusInternalServerError), "read event: "+err.Error())
		return
	}
	if res.Count == 0 {
		writeError(w, http.StatusNotFound, "no event matches")
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// eventJSON renders one row as an object in the table's column order.
func eventJSON(cols []engine.Column, vals []any) (json.RawMessage, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(c.Name)
		b.Write(k)
		b.WriteByte(':')
		v := jsonValue(vals[i])
		if s, ok := v.(string); ok && jsonTextColumns[c.Name] && json.Valid([]byte(s)) {
			b.WriteString(s)
			continue
		}
		enc, err := json.Marshal(v)
		if err != nil {
			enc, _ = json.Marshal(asString(v))
		}
		b.Write(enc)
	}
	b.WriteByte('}')
	var out bytes.Buffer
	if err := json.Compact(&out, b.Bytes()); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
