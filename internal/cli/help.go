package cli

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trailq/trailq/internal/output"
	"github.com/trailq/trailq/internal/signin"
)

// Every command's help lists its flags in groups — where the logs are, which period, what to keep, how to
// write it — and the shells complete the values of the flags that take one of a few (formats, zones, kinds, …).

// flagGroups names the group of each flag; flags not named are "Other".
var flagGroups = map[string]string{}

func init() {
	for group, names := range map[string][]string{
		"Logs and store": {"source", "store", "strict", "no-load", "workers", "memory-limit", "max-file-size",
			"max-record-size", "profile", "aws-region", "endpoint-url", "concurrency", "requester-pays", "dry-run",
			"all-logs", "answer-first", "table-ddl", "follow", "interval", "full-every", "public-keys", "logs"},
		"Period": {"since", "until", "tz", "utc", "lag", "month", "baseline", "baseline-since", "baseline-until"},
		"What to keep": {"user", "account", "region", "ip", "failed", "root", "no-mfa", "kind", "all", "severity",
			"rules", "sigma", "no-builtin", "threshold", "verified-only", "session", "access-key", "principal", "role",
			"resource", "depth", "new", "geoip"},
		"Output": {"format", "wide", "raw-csv", "chart", "summary", "sql", "explain", "files", "view", "out",
			"fail-on-findings", "exec", "exec-timeout", "file", "dialect", "timeout"},
	} {
		for _, n := range names {
			flagGroups[n] = group
		}
	}
}

var groupOrder = []string{"Logs and store", "Period", "What to keep", "Output", "Other"}

// groupedFlags renders cmd's own flags by group, as cobra renders a flag set.
func groupedFlags(cmd *cobra.Command) string {
	sets := map[string]*pflag.FlagSet{}
	cmd.LocalFlags().VisitAll(func(fl *pflag.Flag) {
		g := flagGroups[fl.Name]
		if g == "" {
			g = "Other"
		}
		if sets[g] == nil {
			sets[g] = pflag.NewFlagSet(g, pflag.ContinueOnError)
			sets[g].SortFlags = true
		}
		sets[g].AddFlag(fl)
	})
	var b strings.Builder
	for _, g := range groupOrder {
		if s := sets[g]; s != nil {
			b.WriteString("\n" + g + ":\n" + strings.TrimRight(s.FlagUsages(), " \n") + "\n")
		}
	}
	return b.String()
}

// usageTemplate is cobra's, with the local flags grouped.
const usageTemplate = `Usage:{{if .Runnable}}
  {{.UseLine}}{{end}}{{if .HasAvailableSubCommands}}
  {{.CommandPath}} [command]{{end}}{{if gt (len .Aliases) 0}}

Aliases:
  {{.NameAndAliases}}{{end}}{{if .HasExample}}

Examples:
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}

Available Commands:{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}
{{groupedFlags .}}{{end}}{{if .HasAvailableInheritedFlags}}
Global Flags:
{{.InheritedFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableSubCommands}}

Use "{{.CommandPath}} [command] --help" for more information about a command.{{end}}
`

// completions are the values the shells offer, by flag name.
func completions(cmd, name string) []string {
	switch name {
	case "format":
		out := make([]string, 0, len(output.Formats)+1)
		for _, f := range output.Formats {
			out = append(out, string(f))
		}
		if cmd == "detect" {
			out = append(out, "sarif")
		}
		return out
	case "kind":
		return signin.EventNames
	case "severity":
		return []string{"low", "medium", "high", "critical"}
	case "dialect":
		return []string{"athena", "duckdb"}
	case "answer-first":
		return []string{"auto", "always", "never"}
	case "log-level":
		return []string{"debug", "info", "warn", "error"}
	case "tz":
		return zoneNames()
	case "view":
		return []string{"timeline", "profile", "sessions"}
	}
	return nil
}

// zoneNames lists the IANA zones of the system's zoneinfo folder (UTC and a few common ones when it has none).
func zoneNames() []string {
	root := "/usr/share/zoneinfo"
	var out []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if rel != "." && strings.ToLower(rel[:1]) == rel[:1] {
				return filepath.SkipDir // posix/, right/: copies
			}
			return nil
		}
		if strings.Contains(rel, "/") && rel[0] >= 'A' && rel[0] <= 'Z' {
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if len(out) == 0 {
		out = []string{"Asia/Tokyo", "Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles"}
	}
	sort.Strings(out)
	return append([]string{"UTC"}, out...)
}

// setUpHelp groups every command's flags in its help and registers the completions of their values.
func setUpHelp(root *cobra.Command) {
	cobra.AddTemplateFunc("groupedFlags", groupedFlags)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.SetUsageTemplate(usageTemplate)
		c.LocalFlags().VisitAll(func(fl *pflag.Flag) {
			if values := completions(c.Name(), fl.Name); values != nil {
				_ = c.RegisterFlagCompletionFunc(fl.Name, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
