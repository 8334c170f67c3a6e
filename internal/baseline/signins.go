package baseline

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// login is a successful console sign-in.
type login struct {
	arn, id, ip string
	t           time.Time
	period      bool
}

// signIns reads the principals' console sign-ins of both periods: the hour rule, impossible travel, and the
// sign-ins of the period marked.
func (r *run) signIns(ctx context.Context) error {
	byARN := map[string][]login{}
	var arns []string
	err := r.rows(ctx, r.q.signInsSQL(), true, func(v []any) error {
		l := login{arn: text(v[0]), t: parseTime(text(v[1])), id: text(v[2]), ip: text(v[3])}
		l.period = !l.t.Before(r.q.Period.Start)
		if byARN[l.arn] == nil {
			arns = append(arns, l.arn)
		}
		byARN[l.arn] = append(byARN[l.arn], l)
		r.logins++
		return nil
	})
	if err != nil {
		return fmt.Errorf("read the sign-ins: %w", err)
	}
	for _, arn := range arns {
		ls := byARN[arn]
		slices.SortFunc(ls, func(a, b login) int { return a.t.Compare(b.t) })
		r.oddHours(arn, ls)
		if err := r.travel(arn, ls); err != nil {
			return err
		}
		if err := r.markSignIns(arn, ls); err != nil {
			return err
		}
	}
	return nil
}

// oddHours reports the hours (in the zone) of the period's sign-ins that the principal never signed in at in
// the baseline, when the baseline holds at least MinSignIns of its sign-ins.
func (r *run) oddHours(arn string, ls []login) {
	var hours [24]int
	base := 0
	for _, l := range ls {
		if !l.period {
			hours[l.t.In(r.q.Zone).Hour()]++
			base++
		}
	}
	if base == 0 || base == len(ls) {
		return
	}
	if base < r.q.MinSignIns {
		r.fewSignIns++
		return
	}
	found := map[int]*Finding{}
	for _, l := range ls {
		h := l.t.In(r.q.Zone).Hour()
		if !l.period || hours[h] > 0 {
			continue
		}
		if f := found[h]; f != nil {
			f.Count++
			if len(f.Evidence) < maxEvidence {
				f.Evidence = append(f.Evidence, l.id)
			}
			continue
		}
		found[h] = &Finding{Time: l.t, Principal: arn, Kind: OddHour, Count: 1, Evidence: []string{l.id},
			Value:    fmt.Sprintf("sign-in at %02d:00–%02d:00 %s from %s", h, (h+1)%24, r.q.Zone, l.ip),
			Baseline: fmt.Sprintf("never signed in at this hour in %s (%d sign-ins, at %s)", r.q.BaselineText(), base, hourList(hours))}
	}
	for h := range 24 {
		if f := found[h]; f != nil {
			r.add(*f)
		}
	}
}

// maxEvidence is how many event IDs a finding names at most.
const maxEvidence = 5

// hourList writes the hours that have sign-ins as ranges: "09–12, 14, 16–18".
func hourList(hours [24]int) string {
	var parts []string
	for h := 0; h < 24; h++ {
		if hours[h] == 0 {
			continue
		}
		e := h
		for e+1 < 24 && hours[e+1] > 0 {
			e++
		}
		if e == h {
			parts = append(parts, fmt.Sprintf("%02d", h))
		} else {
			parts = append(parts, fmt.Sprintf("%02d–%02d", h, e))
		}
		h = e
	}
	return strings.Join(parts, ", ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// minHours is the least time between two sign-ins a speed is computed over (the records have seconds, the
// databases' places are approximate).
const minHours = 1.0 / 60

// travel reports consecutive located sign-ins of the principal, the second in the period, at least MinKm
// apart and faster than Speed.
func (r *run) travel(arn string, ls []login) error {
	if r.q.GeoIP == nil {
		return nil
	}
	var prev *login
	var prevPlace Place
	for i := range ls {
		l := &ls[i]
		pl, err := r.place(l.ip)
		if err != nil {
			return err
		}
		if !pl.HasLocation {
			continue
		}
		if prev != nil && l.period {
			km := distanceKm(prevPlace.Lat, prevPlace.Lon, pl.Lat, pl.Lon)
			hours := l.t.Sub(prev.t).Hours()
			kmh := km / max(hours, minHours)
			if km >= r.q.MinKm && kmh > r.q.Speed {
				r.add(Finding{Time: l.t, Principal: arn, Kind: Travel, Evidence: []string{prev.id, l.id}, Count: 2,
					Km: round(km), Hours: round(hours*100) / 100, Kmh: round(kmh),
					Value: fmt.Sprintf("%s (%s) at %s → %s (%s) at %s: %.0f km in %s, %.0f km/h", prevPlace.Name(), prev.ip,
						prev.t.In(r.q.Zone).Format("15:04"), pl.Name(), l.ip, l.t.In(r.q.Zone).Format("15:04"), km, span(l.t.Sub(prev.t)), kmh),
					Baseline: fmt.Sprintf("consecutive sign-ins %.0f km or more apart faster than %.0f km/h", r.q.MinKm, r.q.Speed)})
			}
		}
		prev, prevPlace = l, pl
	}
	return nil
}

// span writes a time between sign-ins to the minute: "1h0m", "45m", "26h5m".
func span(d time.Duration) string {
	d = d.Round(time.Minute)
	if d < time.Hour {
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
}

func round(x float64) float64 { return float64(int64(x + 0.5)) }

// markSignIns adds the period's sign-ins of arn to the result, marked against the principal's baseline values.
func (r *run) markSignIns(arn string, ls []login) error {
	p := r.prins[arn]
	known := p != nil && p.baseN > 0
	for _, l := range ls {
		if !l.period {
			continue
		}
		pl, err := r.place(l.ip)
		if err != nil {
			return err
		}
		s := SignIn{EventID: l.id, Principal: arn, IP: l.ip, Time: l.t, Country: pl.Country}
		if known {
			s.NewIP = !p.base[NewIP][l.ip]
			s.NewCountry = pl.Country != "" && !p.base[NewCountry][pl.Country]
		}
		r.res.SignIns = append(r.res.SignIns, s)
	}
	return nil
}
