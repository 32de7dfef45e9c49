package main

import (
	"context"
	"os"

	"github.com/strata-go/strata/cmd/strata/cli"
	"github.com/strata-go/strata/examples/chat/chatdb"
)

func main() {
	os.Exit(cli.Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, cli.Config{Models: chatdb.Models, Getenv: os.Getenv}))
}
