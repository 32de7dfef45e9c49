// Command chat is Strata's reference application: a chat-history service
// with the data model, the data layer and the HTTP routes of Chainlit's
// SQLAlchemy data layer, built so that a deleted thread stays deleted
// (Chainlit issue #1684: a late "update thread" from a websocket
// disconnect, written as an upsert, brought it back as a row of NULLs).
//
//	go run ./examples/chat                      # SQLite file chat.db in the working directory, http://127.0.0.1:8080
//	go run ./examples/chat -dsn 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
//	go run ./examples/chat -dsn 'root@tcp(127.0.0.1:3306)/test'
//	go run ./examples/chat --help
//
// The schema is the revisions in examples/chat/chatdb/migrations, embedded
// in the binary and applied at start under the migration lock (several
// instances starting at once wait for each other). The same binary is the
// strata command line for them, with the chat models built in:
//
//	go run ./examples/chat migrate revision -m 'add x' --autogenerate --dir examples/chat/chatdb/migrations
//	go run ./examples/chat migrate current --db "$CHAT_DSN" --dir examples/chat/chatdb/migrations
//
// The pieces: package [github.com/strata-go/strata/examples/chat/chatdb]
// is the data layer (and its story-1 tests), package
// [github.com/strata-go/strata/examples/chat/web] the JSON API, the page
// and the browser test.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/strata-go/strata/cmd/strata/cli"
	"github.com/strata-go/strata/examples/chat/chatdb"
	"github.com/strata-go/strata/examples/chat/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv, nil)
	stop()
	os.Exit(code)
}

const usage = `chat: Strata's reference chat-history service (Chainlit's data layer and routes).

Usage:
  chat [flags]                 serve the API and the page until interrupted
  chat migrate COMMAND ...     the strata command line with the chat models built in
                               (chat migrate --help; e.g. migrate revision -m MSG --autogenerate
                               --dir examples/chat/chatdb/migrations)

Databases (-dsn, else $CHAT_DSN, else $STRATA_DSN, else chat.db):
  SQLite      a file path or file: URI; the default is chat.db in the working
              directory, with element blobs in ./blobs next to it
                go run ./examples/chat
                go run ./examples/chat -dsn /var/lib/chat/chat.db
  PostgreSQL  a postgres:// URL
                go run ./examples/chat -dsn 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
  MariaDB     user:password@tcp(host:port)/database
                go run ./examples/chat -dsn 'root@tcp(127.0.0.1:3306)/test'
The schema is migrated at start (embedded revisions, under the migration lock).

Identity: every API call names its user in an X-User header (behind a proxy
that authenticates), or, with -tokens, by "Authorization: Bearer TOKEN".
A user sees and changes only the threads it wrote.

Flags:
`

// run is the program as a function of its arguments and environment;
// ready, when not nil, receives the server's base URL once it listens.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, ready func(url string)) int {
	if len(args) > 0 && args[0] == "migrate" {
		return cli.Run(ctx, args[1:], stdout, stderr, cli.Config{
			Models: chatdb.Models,
			Getenv: func(k string) string {
				if k == "STRATA_DB" {
					return cmp.Or(getenv("STRATA_DB"), getenv("CHAT_DSN"))
				}
				return getenv(k)
			},
		})
	}
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("dsn", cmp.Or(getenv("CHAT_DSN"), getenv("STRATA_DSN"), "chat.db"), "database: a SQLite file, a postgres:// URL or a MariaDB user@tcp(host)/db DSN")
	addr := fs.String("addr", cmp.Or(getenv("CHAT_ADDR"), "127.0.0.1:8080"), "address to listen on ($CHAT_ADDR)")
	blobs := fs.String("blobs", getenv("CHAT_BLOBS"), "directory of element blobs ($CHAT_BLOBS; default: blobs next to the SQLite file, or $TMPDIR/chat-blobs)")
	tokens := fs.String("tokens", getenv("CHAT_TOKENS"), "bearer tokens as TOKEN=USER,TOKEN=USER ($CHAT_TOKENS); when set, X-User is ignored")
	verbose := fs.Bool("v", false, "log every statement")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "chat: unexpected argument %q (see --help)\n", fs.Arg(0))
		return 2
	}
	cfg := web.Config{}
	if *tokens != "" {
		var err error
		if cfg.Tokens, err = parseTokens(*tokens); err != nil {
			fmt.Fprintln(stderr, "chat: -tokens:", err)
			return 2
		}
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	cfg.Logger = log
	if err := serve(ctx, *dsn, *addr, *blobs, cfg, log, ready); err != nil {
		fmt.Fprintln(stderr, "chat:", err)
		return 1
	}
	return 0
}

// parseTokens reads TOKEN=USER,TOKEN=USER.
func parseTokens(s string) (map[string]string, error) {
	m := map[string]string{}
	for pair := range strings.SplitSeq(s, ",") {
		tok, user, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || tok == "" || user == "" {
			return nil, fmt.Errorf("want TOKEN=USER pairs separated by commas, got %q", pair)
		}
		m[tok] = user
	}
	return m, nil
}

func serve(ctx context.Context, dsn, addr, blobs string, cfg web.Config, log *slog.Logger, ready func(string)) error {
	openCtx, cancel := context.WithTimeout(ctx, time.Minute)
	store, err := chatdb.Open(openCtx, dsn, chatdb.Options{BlobDir: blobs, Logger: log})
	cancel()
	if err != nil {
		return err
	}
	defer store.Close()

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           web.New(store, cfg),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	base := "http://" + ln.Addr().String()
	log.Info("chat: serving", "url", base, "blobs", store.BlobDir())
	if ready != nil {
		ready(base)
	}

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
