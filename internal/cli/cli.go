package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/hint"
)

// Exit codes.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
	// ExitFindings: trailq detect --fail-on-findings found something.
	ExitFindings = 3

	// ExitPartial: the command did its work, but some of its input could not be read (a folder or file not
	// listed, a file not read to its end, a record skipped): the store, and the answer, lack what they hold.
	ExitPartial   = 4
	ExitCancelled = 130
)

// Main runs trailq with the process's arguments and streams and returns the exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	f := NewFactory(os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	return Run(ctx, f, os.Args[1:])
}

// Run executes one command line and returns its exit code.
func Run(ctx context.Context, f *Factory, args []string) int {
	root := NewRootCmd(f)
	root.SetArgs(args)
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	f.unread = ""
	err := root.ExecuteContext(ctx)
	if err != nil && strings.HasPrefix(err.Error(), "unknown command") {
		// cobra's own error, with its "Did you mean this?" suggestions: a usage error.
		err = &UsageError{Err: err}
	}
	code := exitCode(f.IO.ErrOut, err, ctx)
	if code == ExitOK && f.unread != "" {
		return ExitPartial
	}
	return code
}

// UsageError is a mistake in the command line.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usageErrorf(format string, a ...any) error { return &UsageError{Err: fmt.Errorf(format, a...)} }

// HintError carries a suggestion the user can act on (from any layer: the engine's and the store's too).
type HintError = hint.Error

func withHint(err error, h string) error { return hint.With(err, h) }

func exitCode(w io.Writer, err error, ctx context.Context) int {
	if err == nil || errors.Is(err, errDryRun) {
		return ExitOK
	}
	if errors.Is(err, context.Canceled) || ctx.Err() != nil {
		fmt.Fprintln(w, "Cancelled.")
		return ExitCancelled
	}
	var findings *FindingsError
	if errors.As(err, &findings) {
		// Not an error: what the command was asked to say.
		fmt.Fprintf(w, "%v: exit status %d.\n", err, ExitFindings)
		return ExitFindings
	}
	fmt.Fprintf(w, "Error: %v\n", err)
	var h *HintError
	if errors.As(err, &h) && h.Hint != "" {
		fmt.Fprintf(w, "Try: %s\n", h.Hint)
	}
	var usage *UsageError
	var strict *engine.StrictError
	switch {
	case errors.As(err, &usage):
		fmt.Fprintln(w, "Run 'trailq help' for usage.")
		return ExitUsage
	case errors.As(err, &strict):
		return ExitError
	}
	return ExitError
}

// NewRootCmd builds the command tree.
func NewRootCmd(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "trailq",
		Short: "Query AWS CloudTrail logs locally with Athena SQL",
		Long: `trailq answers questions about an AWS account's history straight from its CloudTrail logs, on your
machine: it loads the logs from a folder (or S3) into a local store, once, and runs the SQL you would run
in Amazon Athena against them.

EXIT STATUS (every command)
  0    done (no rows, no sign-ins is not an error)
  1    an error
  2    a usage error (a flag or value trailq cannot take; the message says what it takes)
  3    findings, when asked to fail on them (trailq detect --fail-on-findings)
  4    done, but some input could not be read: a folder or file not listed, a file not read to its end, a
       record skipped (each named in the load's summary); the rest was loaded and answered from
  130  interrupted`,
		Example: `  # Who signed in to the console in September (the seed query, run unchanged):
  trailq query --source ./AWSLogs "SELECT eventtime, useridentity.arn, sourceipaddress
    FROM cloudtrail_logs_mybucket WHERE eventtype = 'AwsConsoleSignIn'
    AND eventtime >= '2024-09-01T00:00:00Z' AND eventtime <= '2024-09-30T23:59:59Z'"

  # Load new logs only:
  trailq load --source ./AWSLogs`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &UsageError{Err: err} })
	// trailq --version prints what trailq version does (the DuckDB version is looked up only then).
	root.Version = "set"
	cobra.AddTemplateFunc("trailqVersion", func() string {
		var b strings.Builder
		writeVersion(&b, engine.BuildVersions())
		return b.String()
	})
	root.SetVersionTemplate(`{{trailqVersion}}`)
	root.PersistentFlags().StringVar(&f.LogLevel, "log-level", "warn", "diagnostic messages on stderr: debug, info, warn or error")
	addProfileFlags(root)
	root.AddCommand(NewCmdLoad(f, nil))
	root.AddCommand(NewCmdQuery(f, nil))
	root.AddCommand(NewCmdGen(f, nil))
	root.AddCommand(NewCmdServe(f, nil))
	root.AddCommand(NewCmdSignins(f, nil))
	root.AddCommand(NewCmdDetect(f, nil))
	root.AddCommand(NewCmdTrace(f, nil))
	root.AddCommand(NewCmdExport(f, nil))
	root.AddCommand(NewCmdDDL(f, nil))
	root.AddCommand(NewCmdVerify(f, nil))
	root.AddCommand(NewCmdVersion(f))
	root.AddCommand(NewCmdStores(f))
	root.AddCommand(newHelpEnvironment())
	setUpHelp(root)
	return root
}

func newHelpEnvironment() *cobra.Command {
	return &cobra.Command{
		Use:   "environment",
		Short: "Environment variables that trailq reads",
		Long: `Environment variables that trailq reads:

  TRAILQ_SOURCE     default for --source: a folder, a file, or s3://bucket/prefix
  TRAILQ_STORE      default for --store: the DuckDB store file to use (its events in FILE.parts/ beside it)
  TRAILQ_CACHE_DIR  where default stores are kept (default: the user cache folder, e.g. ~/.cache/trailq)
  TRAILQ_BATCH_RECORDS  records committed together while loading (default 200000)
  TZ                without --tz or --utc, the time zone of --since/--until and of the times signins
                    shows (an IANA name such as Asia/Tokyo; default: the system's local zone)

AWS access (s3:// sources) uses the AWS SDK's default credential chain (environment, shared config and
credentials files with SSO and assume-role profiles, web identity, container and instance roles) and its
variables: AWS_PROFILE (--profile), AWS_REGION (--aws-region; the bucket's own region is found out anyway),
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE,
AWS_MAX_ATTEMPTS (attempts per request, default 10), …

  AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL
                    default for --endpoint-url: an S3-compatible store, reached with path-style requests`,
	}
}
