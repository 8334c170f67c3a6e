package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/trailq/trailq/internal/output"
	"github.com/trailq/trailq/internal/trace"
)

// traceWriter writes a trace in a format and view.
type traceWriter struct {
	f      *Factory
	res    *trace.Result
	format output.Format
	loc    *time.Location
	wide   bool
	raw    bool
}

// profileShown is how many values of each of the profile's lists the table shows (--wide: all).
const profileShown = 6

func (w *traceWriter) write(view string) error {
	out := w.f.IO.Out
	if w.format == output.JSON && view == viewAll {
		return w.res.WriteJSON(out, w.loc)
	}
	if w.format != output.Table || view != viewAll {
		return w.rows(out, view)
	}
	fmt.Fprintf(out, "Sessions (times in %s)\n", w.loc)
	if err := w.res.Root.WriteTree(out, w.loc); err != nil {
		return err
	}
	fmt.Fprintln(out, "\nProfile")
	w.profile(out)
	fmt.Fprintln(out, "\nTimeline")
	return w.rows(out, viewTimeline)
}

// rows writes one view as rows of the format.
func (w *traceWriter) rows(out io.Writer, view string) error {
	ow := output.New(out, w.format, output.Options{MaxWidth: maxWidth(w.f, w.wide, w.format), Location: w.loc, RawCSV: w.raw})
	var cols []string
	var rows [][]any
	switch view {
	case viewProfile:
		cols, rows = trace.ProfileColumns, w.res.Profile.ProfileRows(w.loc)
	case viewSessions:
		cols, rows = trace.SessionColumns, w.res.Root.SessionRows(w.loc)
	default:
		cols = trace.TimelineColumns
		row := (*trace.Event).Row
		if w.format == output.Table {
			cols, row = trace.TimelineTableColumns, (*trace.Event).TableRow
		}
		for i := range w.res.Events {
			rows = append(rows, row(&w.res.Events[i], w.loc))
		}
	}
	if err := ow.Header(cols); err != nil {
		return err
	}
	for _, r := range rows {
		if err := ow.Row(r); err != nil {
			return err
		}
	}
	return ow.Close()
}

// profile writes the profile as labelled lines, each list most first.
func (w *traceWriter) profile(out io.Writer) {
	p := &w.res.Profile
	line := func(label, text string) { fmt.Fprintf(out, "  %-13s %s\n", label, output.Visible(text)) }
	line("first seen", output.FormatTime(p.First, w.loc))
	line("last seen", output.FormatTime(p.Last, w.loc))
	line("events", fmt.Sprintf("%d: %d read, %d write, %d without readonly; %d denied, %d failed", p.Events, p.Read, p.Write, p.Unknown, p.Denied, p.Failed))
	labels := map[string]string{"account": "accounts", "region": "regions", "source_ip": "source IPs", "user_agent": "user agents",
		"service": "services", "event": "event names", "principal": "principals", "access_key": "access keys", "denied": "denied calls"}
	for _, f := range p.Facets() {
		if len(f.Counts) == 0 {
			continue
		}
		line(labels[f.Name], w.counts(f.Counts))
	}
	if len(w.res.SignIns) == 0 {
		line("sign-ins", "none in the period")
		return
	}
	for i, s := range w.res.SignIns {
		if i == profileShown && !w.wide {
			line("", fmt.Sprintf("… and %d more (--wide shows them all)", len(w.res.SignIns)-i))
			break
		}
		label := ""
		if i == 0 {
			label = "sign-ins"
		}
		mfa := s.MFA
		if mfa == "" {
			mfa = "?"
		}
		line(label, fmt.Sprintf("%s %s %s %s from %s, MFA %s (%s)", output.FormatTime(s.Time, w.loc), s.Name, s.Result(), s.ARN, s.IP, mfa, s.ID))
	}
}

// counts joins a list's values with their counts, the first profileShown unless wide.
func (w *traceWriter) counts(cs []trace.Count) string {
	parts := make([]string, 0, min(len(cs), profileShown)+1)
	for i, c := range cs {
		if i == profileShown && !w.wide {
			parts = append(parts, fmt.Sprintf("… %d more", len(cs)-i))
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%d)", c.Value, c.Count))
	}
	return strings.Join(parts, ", ")
}
