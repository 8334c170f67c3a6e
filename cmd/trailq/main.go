// Command trailq answers questions about an AWS account's history from its CloudTrail logs.
package main

import (
	"os"

	"github.com/trailq/trailq/internal/cli"
)

func main() { os.Exit(cli.Main()) }
