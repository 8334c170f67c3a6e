package baseline

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// dims are the kinds of value a combination row holds, in its order.
var dims = []Kind{NewIP, NewUserAgent, NewRegion, NewService, NewEvent}

// seen is a value's first event in the period and its count there.
type seen struct {
	first time.Time
	id    string
	n     int64
}

// principal is what the baseline and the period hold of one principal.
type principal struct {
	baseN  int64                     // its events in the baseline
	base   map[Kind]map[string]bool  // the values it used in the baseline
	period map[Kind]map[string]*seen // those of the period
}

func (r *run) principal(arn string) *principal {
	p := r.prins[arn]
	if p == nil {
		p = &principal{base: map[Kind]map[string]bool{}, period: map[Kind]map[string]*seen{}}
		r.prins[arn] = p
	}
	return p
}

func (p *principal) addBase(k Kind, v string) {
	if p.base[k] == nil {
		p.base[k] = map[string]bool{}
	}
	p.base[k][v] = true
}

func (p *principal) addPeriod(k Kind, v string, first time.Time, id string, n int64) {
	if p.period[k] == nil {
		p.period[k] = map[string]*seen{}
	}
	s := p.period[k][v]
	if s == nil {
		p.period[k][v] = &seen{first: first, id: id, n: n}
		return
	}
	s.n += n
	if first.Before(s.first) || first.Equal(s.first) && id < s.id {
		s.first, s.id = first, id
	}
}

// firstSeen reads the principals' combinations of values and reports each value of the period its principal
// did not use in the baseline.
func (r *run) firstSeen(ctx context.Context) error {
	err := r.rows(ctx, r.q.combosSQL(), false, func(v []any) error {
		p := r.principal(text(v[0]))
		n := number(v[7])
		for i, k := range dims {
			val := text(v[1+i])
			if number(v[6]) == 0 {
				p.addBase(k, val)
			} else {
				p.addPeriod(k, val, parseTime(text(v[8])), text(v[9]), n)
			}
		}
		if number(v[6]) == 0 {
			p.baseN += n
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read the principals' values: %w", err)
	}
	if err := r.geoValues(); err != nil {
		return err
	}
	arns := make([]string, 0, len(r.prins))
	for arn := range r.prins {
		arns = append(arns, arn)
	}
	slices.Sort(arns)
	for _, arn := range arns {
		p := r.prins[arn]
		switch {
		case len(p.period) == 0:
			continue
		case p.baseN == 0:
			r.res.NewPrincipals = append(r.res.NewPrincipals, arn)
			continue
		}
		r.res.Compared++
		for _, k := range dims {
			r.newValues(arn, p, k)
		}
		if r.q.GeoIP != nil {
			for _, k := range []Kind{NewASN, NewCountry} {
				r.newValues(arn, p, k)
			}
		}
	}
	return nil
}

// geoValues adds each principal's ASNs and countries, from the places of its IPs.
func (r *run) geoValues() error {
	if r.q.GeoIP == nil {
		return nil
	}
	for _, p := range r.prins {
		for ip := range p.base[NewIP] {
			pl, err := r.place(ip)
			if err != nil {
				return err
			}
			p.addBase(NewASN, pl.ASNText())
			p.addBase(NewCountry, pl.Country)
		}
		for ip, s := range p.period[NewIP] {
			pl, err := r.place(ip)
			if err != nil {
				return err
			}
			if a := pl.ASNText(); a != "" {
				p.addPeriod(NewASN, a, s.first, s.id, s.n)
			}
			if pl.Country != "" {
				p.addPeriod(NewCountry, pl.Country, s.first, s.id, s.n)
			}
		}
	}
	return nil
}

// newValues reports the values of kind k of the period that p did not use in the baseline.
func (r *run) newValues(arn string, p *principal, k Kind) {
	for val, s := range p.period[k] {
		if val == "" || p.base[k][val] {
			continue
		}
		what := "event" + plural(int(s.n))
		if k == NewIP || k == NewASN || k == NewCountry {
			what += " from it"
		}
		r.add(Finding{Time: s.first, Principal: arn, Kind: k, Value: val, Evidence: []string{s.id}, Count: s.n,
			Baseline: fmt.Sprintf("not seen in %s (%d event%s of the principal); %d %s in the period", r.q.BaselineText(),
				p.baseN, plural(int(p.baseN)), s.n, what)})
	}
}
