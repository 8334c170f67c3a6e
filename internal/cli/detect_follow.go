package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/output"
	"github.com/trailq/trailq/internal/sigma"
	"github.com/trailq/trailq/internal/signin"
)

// followFormat is the output of detect --follow: JSON Lines when piped, a table line on a terminal.
func (f *Factory) followFormat(flag string) (output.Format, error) {
	switch strings.ToLower(flag) {
	case "":
		if f.IO.OutTTY {
			return output.Table, nil
		}
		return output.JSONL, nil
	case "jsonl":
		return output.JSONL, nil
	case "table":
		return output.Table, nil
	}
	return "", usageErrorf("--format %s: with --follow, findings are written one at a time as JSON Lines (jsonl, the default when piped) or table lines (table, the default on a terminal)", flag)
}

// followDetect is detect --follow: every new finding is written once, as the poll that brought its events
// ends, and --exec runs for it.
func followDetect(ctx context.Context, f *Factory, opts *DetectOptions, eo engine.Options, set *sigma.Set, do engine.DetectOptions) error {
	if eo.Source == nil {
		return usageErrorf("--follow needs --source (a folder or s3://bucket/prefix) to follow")
	}
	format, err := f.followFormat(opts.Format)
	if err != nil {
		return err
	}
	loc := do.Period.Start.Location()
	if l, err := opts.zone(f); err == nil {
		loc = l
	}
	if d, ok := do.Period.KeyDays(do.Now, opts.Lag); ok {
		eo.Load.Days = &d
	}
	p := &findingPrinter{f: f, format: format, loc: loc, timeout: opts.ExecTimeout}
	if opts.Exec != "" {
		if p.argv, err = splitCommand(opts.Exec); err != nil {
			return &UsageError{Err: fmt.Errorf("--exec %q: %w", opts.Exec, err)}
		}
	}
	e := f.Engine()
	fo := opts.FollowOptions.engineOptions()
	fo.Polled = opts.hooked(f.followEngine(e, eo.Source))
	f.followIntro(eo.Source, &opts.FollowOptions)
	fmt.Fprintf(f.IO.ErrOut, "Findings already reported are remembered in %s.\n", engine.ReportedPath(eo.StorePath))
	return e.FollowFindings(ctx, eo, set, do, fo, p.report)
}

// findingPrinter writes the findings of detect --follow and runs --exec for each.
type findingPrinter struct {
	f       *Factory
	format  output.Format
	loc     *time.Location
	argv    []string // --exec, split into words
	timeout time.Duration
}

func (p *findingPrinter) report(ctx context.Context, fd *engine.Finding) error {
	js, err := findingJSON(fd, p.loc)
	if err != nil {
		return err
	}
	out := js
	if p.format == output.Table {
		out = []byte(fmt.Sprintf("%-8s  %s  %s  %s  %s  %d event%s  %s\n", fd.Level, signin.FormatTime(fd.First, p.loc), fd.Title,
			orDash(fd.Principal), orDash(fd.Account), fd.Count, plural(int(fd.Count)), fd.Summary))
	}
	if _, err := p.f.IO.Out.Write(out); err != nil {
		return fmt.Errorf("write finding %s: %w", fd.ID, err)
	}
	if len(p.argv) > 0 {
		p.run(ctx, fd, js)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// findingJSON is the finding as one JSON Lines object: the columns of detect --format jsonl.
func findingJSON(fd *engine.Finding, loc *time.Location) ([]byte, error) {
	var b bytes.Buffer
	if err := writeFindings(output.New(&b, output.JSONL, output.Options{Location: loc}), output.JSONL, []engine.Finding{*fd}, loc); err != nil {
		return nil, fmt.Errorf("write finding %s: %w", fd.ID, err)
	}
	return b.Bytes(), nil
}

// run runs --exec for a finding, its JSON on stdin and TRAILQ_FINDING_* in the environment, without a shell;
// its output goes to stderr (stdout is the findings'). It is given the timeout even when trailq is being
// stopped, so that a page is not cut off; a failure is told and following goes on.
func (p *findingPrinter) run(ctx context.Context, fd *engine.Finding, js []byte) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.timeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, p.argv[0], p.argv[1:]...)
	cmd.Stdin = bytes.NewReader(js)
	cmd.Stdout, cmd.Stderr = p.f.IO.ErrOut, p.f.IO.ErrOut
	cmd.Env = append(os.Environ(), "TRAILQ_FINDING_ID="+fd.ID, "TRAILQ_FINDING_RULE="+fd.RuleID,
		"TRAILQ_FINDING_LEVEL="+string(fd.Level), "TRAILQ_FINDING_TITLE="+fd.Title)
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if err == nil {
		return
	}
	if errors.Is(cctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("stopped after --exec-timeout %s", p.timeout)
	}
	fmt.Fprintf(p.f.IO.ErrOut, "Warning: --exec %s for finding %s (%s) failed: %v; following goes on.\n", p.argv[0], fd.ID, fd.Title, err)
}

// splitCommand splits --exec into words as a shell would split a simple command: blanks separate words,
// '…' keeps its text as it is, "…" too except \" and \\, and a backslash outside quotes keeps the next
// character. Nothing else is special: no variables, globs, pipes or redirections (give sh -c '…' for those).
func splitCommand(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words, inWord = append(words, w.String()), false
				w.Reset()
			}
			continue
		case c == '\\' && i+1 < len(s):
			i++
			w.WriteByte(s[i])
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("a ' is not closed")
			}
			w.WriteString(s[i+1 : i+1+end])
			i += 1 + end
		case c == '"':
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) && (s[j+1] == '"' || s[j+1] == '\\') {
					j++
				}
				w.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, errors.New(`a " is not closed`)
			}
			i = j
		default:
			w.WriteByte(c)
		}
		inWord = true
	}
	if inWord {
		words = append(words, w.String())
	}
	if len(words) == 0 {
		return nil, errors.New("no command")
	}
	return words, nil
}
