package sigma

import (
	"fmt"
	"io"
	"strings"
)

// Explain writes each rule's SQL, headed by comments that say which rule it is, and then each problem, as
// `trailq detect --explain` prints them. The output is a script of Athena SQL statements.
func (s *Set) Explain(w io.Writer) error {
	ew := &errWriter{w: w}
	for _, r := range s.Rules {
		ew.printf("-- %s\n", r.Title)
		ew.printf("-- id %s, %s:%d", r.ID, r.File, r.Line)
		if r.Level != "" {
			ew.printf(", level %s", r.Level)
		}
		if r.Author != "" {
			ew.printf(", by %s", r.Author)
		}
		ew.printf("\n")
		if c := r.Correlation; c != nil {
			of := strings.Join(c.Rules, ", ")
			if len(c.Rules) == 0 {
				of = "the rule's own matches"
			}
			ew.printf("-- %s of %s", c.Type, of)
			if len(c.GroupBy) > 0 {
				ew.printf(" by %s", strings.Join(c.GroupBy, ", "))
			}
			if c.Field != "" {
				ew.printf(", distinct %s", c.Field)
			}
			ew.printf(" within %s (%s window)", c.Timespan, c.Window)
			if len(c.Conditions) > 0 {
				ew.printf(", %s", thresholdsString(c.Conditions))
			}
			ew.printf("\n")
		}
		if !r.Standalone {
			ew.printf("-- not a finding of its own: correlations use its matches\n")
		}
		for _, warn := range r.Warnings {
			ew.printf("-- warning: %s\n", warn)
		}
		ew.printf("%s;\n\n", r.SQL)
	}
	for _, p := range s.Problems {
		ew.printf("-- not compiled (%s): %s\n", p.Kind, p.Error())
	}
	return ew.err
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
