// Command sessions is the session-per-unit-of-work pattern: one
// *orm.Factory shared by the whole program, and a session of its own for
// every HTTP request and every background job.
//
//	f := orm.NewFactory(db, reg)          // once, shared
//	func handler(w http.ResponseWriter, r *http.Request) {
//		s := f.New()                      // per request: cheap, no connection yet
//		defer s.Close(r.Context())        // rolls back whatever was not committed
//		...
//	}
//
// Without flags it starts the API on a local port, sends it a burst of
// concurrent requests (creating notes, and liking one note from many clients
// at once, which the version column turns into retried stale-data races
// rather than lost updates) while background jobs index the new notes, then
// prints what happened and shows that two goroutines sharing one session
// get a *orm.ConcurrentUseError instead of corrupting it.
//
//	go run ./examples/sessions                       # SQLite in a temporary file
//	go run ./examples/sessions -dsn 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
//	go run ./examples/sessions -addr :8080           # just serve the API
//
// The DSN may also come from $STRATA_DSN. On PostgreSQL the example creates
// its table "note" and drops it at the end (it must not exist already).
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/dialect/pgdialect"
	"github.com/strata-go/strata/dialect/sqlitedialect"
	"github.com/strata-go/strata/orm"
)

func main() {
	dsn := flag.String("dsn", os.Getenv("STRATA_DSN"), "PostgreSQL URL (postgres://...); empty: SQLite in a temporary file")
	addr := flag.String("addr", "", "serve the API on this address until interrupted, instead of the demo")
	creates := flag.Int("creates", 200, "notes the demo creates concurrently")
	likes := flag.Int("likes", 100, "concurrent likes of one note in the demo")
	reindexes := flag.Int("reindexes", 20, "concurrent requests to index that note again")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *dsn, *addr, Load{Authors: 5, Creates: *creates, Likes: *likes, Reindexes: *reindexes}); err != nil {
		fmt.Fprintln(os.Stderr, "sessions:", err)
		os.Exit(1)
	}
}

// open picks the dialect from the DSN.
func open(dsn string) (d dialect.Dialect, conn string, cleanup func(), err error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return pgdialect.New(), dsn, func() {}, nil
	case dsn != "":
		return nil, "", nil, fmt.Errorf("-dsn: want a postgres:// URL, got %q (leave it empty for SQLite)", dsn)
	}
	dir, err := os.MkdirTemp("", "strata-sessions")
	if err != nil {
		return nil, "", nil, err
	}
	return sqlitedialect.New(), SQLiteDSN(filepath.Join(dir, "notes.db")), func() { os.RemoveAll(dir) }, nil
}

func run(ctx context.Context, dsn, addr string, load Load) (err error) {
	d, conn, cleanup, err := open(dsn)
	if err != nil {
		return err
	}
	defer cleanup()
	app, err := NewApp(ctx, d, conn)
	if err != nil {
		return err
	}
	defer app.DB.Close()
	app.Start(ctx, 4)
	defer func() {
		app.Drain() // after the server stopped: no request queues jobs any more
		if derr := app.DropTables(context.WithoutCancel(ctx)); err == nil {
			err = derr
		}
	}()

	ln, err := net.Listen("tcp", cmp.Or(addr, "127.0.0.1:0"))
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: app.Handler(), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	base := "http://" + ln.Addr().String()
	fmt.Printf("%s API on %s\n", d.Name(), base)

	if addr != "" {
		<-ctx.Done() // serve until interrupted
	} else if err := demo(ctx, app, base, load); err != nil {
		srv.Close()
		return err
	}
	shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func demo(ctx context.Context, app *App, base string, load Load) error {
	start := time.Now()
	client := &http.Client{Timeout: 30 * time.Second}
	res, err := load.Run(ctx, client, base)
	client.CloseIdleConnections() // or the server's Shutdown waits for them
	if err != nil {
		return err
	}
	fmt.Printf("%d concurrent requests answered in %v: %d notes created, note %d liked %d times\n",
		load.Creates+load.Likes+load.Reindexes, time.Since(start).Round(time.Millisecond), len(res.Created), res.Hot, res.Likes)
	fmt.Printf("conflicts retried: %d stale data (a version moved), %d busy/serialization\n", app.Stale.Load(), app.Busy.Load())

	// The shared session, done wrong on purpose.
	ce, err := SharedSessionMisuse(ctx, app.F)
	if err != nil {
		return err
	}
	fmt.Printf("one session shared by two goroutines: %s refused while %s ran:\n  %v\n", ce.Op, ce.Running, ce)

	// Let the jobs finish, then look at the database through a session.
	app.WaitJobs()
	s := app.F.New()
	defer s.Close(ctx)
	indexed, err := orm.Select[Note](s).FilterBy("Indexed", true).Count(ctx)
	if err != nil {
		return err
	}
	hot, err := orm.Get[Note](ctx, s, res.Hot)
	if err != nil {
		return err
	}
	fmt.Printf("background jobs: %d runs, %d failed; %d notes indexed\n", app.Indexed.Load(), app.JobErrors.Load(), indexed)
	fmt.Printf("the hot note: %d likes, indexed %d times, version %d (= 1 + likes + indexings: no update lost)\n", hot.Likes, hot.Indexes, hot.Version)
	return nil
}
