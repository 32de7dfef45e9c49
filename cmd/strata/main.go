// Command strata runs schema migrations; see package
// github.com/strata-go/strata/cmd/strata/cli for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/strata-go/strata/cmd/strata/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr, cli.Config{Getenv: os.Getenv})
	stop()
	os.Exit(code)
}
