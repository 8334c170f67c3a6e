package baseline

import (
	"encoding/json"
	"io"
	"time"
)

// The result as one JSON document (trailq trace --new --format json): times in the zone given, with their offset.
type (
	jsonDoc struct {
		Period        jsonPeriod    `json:"period"`
		Baseline      jsonPeriod    `json:"baseline"`
		Zone          string        `json:"zone"`
		GeoIP         []string      `json:"geoip"`
		Findings      []jsonFinding `json:"findings"`
		Compared      int           `json:"principals_compared"`
		NewPrincipals []string      `json:"new_principals"`
		SignIns       []jsonSignIn  `json:"sign_ins"`
		Notes         []string      `json:"notes"`
	}
	jsonPeriod struct {
		Since string `json:"since"`
		Until string `json:"until"`
	}
	jsonFinding struct {
		Time      string      `json:"time"`
		Principal string      `json:"principal"`
		Kind      Kind        `json:"kind"`
		Value     string      `json:"value"`
		Baseline  string      `json:"baseline"`
		Evidence  []string    `json:"evidence"`
		Count     int64       `json:"count"`
		Rate      *jsonRate   `json:"rate,omitempty"`
		Travel    *jsonTravel `json:"travel,omitempty"`
	}
	jsonRate struct {
		Median    float64 `json:"median"`
		MAD       float64 `json:"mad"`
		Score     float64 `json:"score"`
		Threshold float64 `json:"threshold"`
		MADFloor  float64 `json:"mad_floor"`
	}
	jsonTravel struct {
		Km    float64 `json:"km"`
		Hours float64 `json:"hours"`
		Kmh   float64 `json:"kmh"`
	}
	jsonSignIn struct {
		EventID    string `json:"event_id"`
		Time       string `json:"time"`
		Principal  string `json:"principal"`
		IP         string `json:"ip"`
		Country    string `json:"country"`
		NewIP      bool   `json:"new_ip"`
		NewCountry bool   `json:"new_country"`
	}
)

// WriteJSON writes the result as one indented JSON document, times in loc.
func (r *Result) WriteJSON(w io.Writer, loc *time.Location) error {
	q := &r.Query
	at := func(t time.Time) string { return t.In(loc).Format(time.RFC3339) }
	doc := jsonDoc{Period: jsonPeriod{at(q.Period.Start), at(q.Period.End)}, Baseline: jsonPeriod{at(q.Baseline.Start), at(q.Baseline.End)},
		Zone: q.Zone.String(), GeoIP: []string{}, Findings: []jsonFinding{}, Compared: r.Compared,
		NewPrincipals: append([]string{}, r.NewPrincipals...), SignIns: []jsonSignIn{}, Notes: append([]string{}, r.Notes...)}
	if q.GeoIP != nil {
		doc.GeoIP = append(doc.GeoIP, q.GeoIP.Files()...)
	}
	for _, f := range r.Findings {
		jf := jsonFinding{Time: at(f.Time), Principal: f.Principal, Kind: f.Kind, Value: f.Value, Baseline: f.Baseline,
			Evidence: append([]string{}, f.Evidence...), Count: f.Count}
		switch f.Kind {
		case Rate:
			jf.Rate = &jsonRate{Median: f.Median, MAD: f.MAD, Score: f.Score, Threshold: q.Threshold, MADFloor: q.MADFloor}
		case Travel:
			jf.Travel = &jsonTravel{Km: f.Km, Hours: f.Hours, Kmh: f.Kmh}
		}
		doc.Findings = append(doc.Findings, jf)
	}
	for _, s := range r.SignIns {
		doc.SignIns = append(doc.SignIns, jsonSignIn{EventID: s.EventID, Time: at(s.Time), Principal: s.Principal, IP: s.IP,
			Country: s.Country, NewIP: s.NewIP, NewCountry: s.NewCountry})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
