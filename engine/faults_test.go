package engine_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/internal/faultproxy"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/sqlerr"
)

var updateFaults = flag.Bool("update-faults", false, "rewrite docs/faults.md from the fault matrix")

// fault is one row of the fault matrix: arrange the proxy (nil on
// SQLite), run one write through db, and return its error.
type fault struct {
	name   string
	server bool // needs a network between client and server
	run    func(ctx context.Context, p *faultproxy.Proxy, db *engine.DB, id int) error
	// what the row must show, whatever the database
	want func(outcome sqlerr.Outcome, present bool) bool
}

func insertTx(ctx, commitCtx context.Context, db *engine.DB, id int, beforeCommit func()) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, fmt.Sprintf("INSERT INTO fm (id) VALUES (%d)", id)); err != nil {
		_ = tx.Rollback(context.Background())
		return err
	}
	if beforeCommit != nil {
		beforeCommit()
	}
	return tx.Commit(commitCtx)
}

var faults = []fault{
	{
		name: "no fault", server: false,
		run: func(ctx context.Context, _ *faultproxy.Proxy, db *engine.DB, id int) error {
			return insertTx(ctx, ctx, db, id, nil)
		},
		want: func(o sqlerr.Outcome, present bool) bool { return o == sqlerr.Written && present },
	},
	{
		name: "context cancelled before COMMIT", server: false,
		run: func(ctx context.Context, _ *faultproxy.Proxy, db *engine.DB, id int) error {
			cctx, cancel := context.WithTimeout(ctx, time.Hour)
			return insertTx(cctx, cctx, db, id, func() {
				cancel()
				time.Sleep(10 * time.Millisecond) // database/sql rolls back on its own goroutine
			})
		},
		want: func(o sqlerr.Outcome, present bool) bool { return o == sqlerr.NothingWritten && !present },
	},
	{
		name: "connection cut before a statement in a transaction", server: true,
		run: func(ctx context.Context, p *faultproxy.Proxy, db *engine.DB, id int) error {
			return insertTx(ctx, ctx, db, id, nil)
		},
		want: func(o sqlerr.Outcome, present bool) bool { return o == sqlerr.NothingWritten && !present },
	},
	{
		name: "connection cut after a statement in a transaction (answer lost)", server: true,
		run: func(ctx context.Context, p *faultproxy.Proxy, db *engine.DB, id int) error {
			return insertTx(ctx, ctx, db, id, nil)
		},
		want: func(o sqlerr.Outcome, present bool) bool { return o == sqlerr.NothingWritten && !present },
	},
	{
		name: "connection cut before COMMIT reaches the server", server: true,
		run: func(ctx context.Context, p *faultproxy.Proxy, db *engine.DB, id int) error {
			return insertTx(ctx, ctx, db, id, func() { p.CutOn("commit", faultproxy.Before, true) })
		},
		want: func(o sqlerr.Outcome, present bool) bool { return o == sqlerr.OutcomeUnknown && !present },
	},
	{
		name: "connection cut during COMMIT (sent, answer lost)", server: true,
		run: func(ctx context.Context, p *faultproxy.Proxy, db *engine.DB, id int) error {
			return insertTx(ctx, ctx, db, id, func() { p.CutOn("commit", faultproxy.After, true) })
		},
		want: func(o sqlerr.Outcome, present bool) bool { return o == sqlerr.OutcomeUnknown && present },
	},
	{
		name: "traffic black-holed during COMMIT, 500 ms deadline", server: true,
		run: func(ctx context.Context, p *faultproxy.Proxy, db *engine.DB, id int) error {
			cctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
			defer cancel()
			return insertTx(ctx, cctx, db, id, func() { p.BlackHole(true) })
		},
		want: func(o sqlerr.Outcome, present bool) bool { return o == sqlerr.OutcomeUnknown && !present },
	},
	{
		name: "connection cut after an autocommit statement (answer lost)", server: true,
		run: func(ctx context.Context, p *faultproxy.Proxy, db *engine.DB, id int) error {
			_, err := db.Exec(ctx, fmt.Sprintf("INSERT INTO fm (id) VALUES (%d)", id))
			return err
		},
		// The server got the statement; whether it ran it before seeing the
		// connection close differs from run to run on PostgreSQL.
		want: func(o sqlerr.Outcome, present bool) bool { return o == sqlerr.OutcomeUnknown },
	},
	{
		name: "30 ms latency each way", server: true,
		run: func(ctx context.Context, p *faultproxy.Proxy, db *engine.DB, id int) error {
			p.SetLatency(30 * time.Millisecond)
			return insertTx(ctx, ctx, db, id, nil)
		},
		want: func(o sqlerr.Outcome, present bool) bool { return o == sqlerr.Written && present },
	},
}

// arm sets the statement-level cuts, which must match the INSERT of this
// row only (the pool's own traffic must pass).
func arm(f fault, p *faultproxy.Proxy, id int) {
	stmt := fmt.Sprintf("INSERT INTO fm (id) VALUES (%d)", id)
	switch f.name {
	case "connection cut before a statement in a transaction":
		p.CutOn(stmt, faultproxy.Before, true)
	case "connection cut after a statement in a transaction (answer lost)", "connection cut after an autocommit statement (answer lost)":
		p.CutOn(stmt, faultproxy.After, true)
	}
}

// errorKind names what err matches, in a fixed order.
func errorKind(err error) string {
	if err == nil {
		return "nil"
	}
	var parts []string
	var ce *sqlerr.ConnError
	var re *sqlerr.RetryableError
	if errors.As(err, &ce) {
		parts = append(parts, "ConnError")
	}
	if errors.As(err, &re) {
		parts = append(parts, "RetryableError")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		parts = append(parts, "DeadlineExceeded")
	}
	if errors.Is(err, context.Canceled) {
		parts = append(parts, "Canceled")
	}
	if len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("%T", errors.Unwrap(err)))
	}
	return strings.Join(parts, " + ")
}

// TestFaultMatrix runs every fault against every database and checks what
// each failure says against what the database holds afterwards: "nothing
// written" never leaves the row, a success always does, and a retry is
// offered only when nothing was written. It writes the matrix to
// docs/faults.md with -update-faults, and fails when the file disagrees.
func TestFaultMatrix(t *testing.T) {
	var mu sync.Mutex
	rows := map[string]map[string]string{} // fault -> database -> cells
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		direct := open(t, tg)
		if _, err := direct.Exec(ctx, "CREATE TABLE fm (id INTEGER PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		for i, f := range faults {
			t.Run(strings.ReplaceAll(f.name, " ", "_"), func(t *testing.T) {
				var p *faultproxy.Proxy
				db := direct
				if f.server {
					if tg.Name == "sqlite" {
						mu.Lock()
						if rows[f.name] == nil {
							rows[f.name] = map[string]string{}
						}
						rows[f.name][tg.Name] = "| n/a (in process) | | | |"
						mu.Unlock()
						t.Skip("SQLite has no connection to cut")
					}
					var err error
					p, err = faultproxy.Start(tg.Addr(t))
					if err != nil {
						t.Fatal(err)
					}
					defer p.Close()
					db = open(t, tg.Via(t, p.Addr()))
					if err := db.Ping(ctx); err != nil {
						t.Fatal(err)
					}
					arm(f, p, i)
				}
				err := f.run(ctx, p, db, i)
				if p != nil {
					p.Clear()
					p.CutAll()
				}
				outcome := sqlerr.OutcomeOf(err)
				present := false
				// An answer lost after COMMIT: the server may still be
				// finishing it; wait a little for the row.
				if f.server {
					time.Sleep(300 * time.Millisecond) // the server may still be running what it received
				}
				deadline := time.Now().Add(2 * time.Second)
				for {
					var n int
					if err := direct.QueryRow(ctx, fmt.Sprintf("SELECT COUNT(*) FROM fm WHERE id = %d", i)).Scan(&n); err != nil {
						t.Fatal(err)
					}
					present = n == 1
					if present || outcome != sqlerr.OutcomeUnknown || time.Now().After(deadline) {
						break
					}
					time.Sleep(50 * time.Millisecond)
				}
				if !f.want(outcome, present) {
					t.Errorf("%s: %v (%s): outcome %s, row present %v", f.name, err, errorKind(err), outcome, present)
				}
				if sqlerr.IsRetryable(err) && outcome != sqlerr.NothingWritten {
					t.Errorf("retryable but %s", outcome)
				}
				var oe *sqlerr.OutcomeError
				if err != nil && !errors.As(err, &oe) {
					t.Errorf("%v (%T) states no outcome", err, err)
				}
				data := "row absent"
				switch {
				case outcome == sqlerr.OutcomeUnknown:
					data = "either"
				case present:
					data = "row committed"
				}
				retry := "no: check first"
				switch {
				case err == nil:
					retry = "-"
				case sqlerr.IsRetryable(err):
					retry = "yes"
				case outcome == sqlerr.NothingWritten:
					retry = "yes (nothing written)"
				}
				mu.Lock()
				if rows[f.name] == nil {
					rows[f.name] = map[string]string{}
				}
				rows[f.name][tg.Name] = fmt.Sprintf("| %s | %s | %s | %s |", errorKind(err), outcome, data, retry)
				mu.Unlock()
			})
		}
	})
	if t.Failed() || os.Getenv(testdb.EnvPostgres) == "" || os.Getenv(testdb.EnvMariaDB) == "" {
		return // the file records a full run on the three databases
	}
	var b strings.Builder
	b.WriteString(faultsHeader)
	for _, f := range faults {
		for _, d := range []string{"sqlite", "postgres", "mariadb"} {
			fmt.Fprintf(&b, "| %s | %s %s\n", f.name, d, rows[f.name][d])
		}
	}
	got := b.String()
	const path = "../docs/faults.md"
	if *updateFaults {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil || string(want) != got {
		t.Errorf("docs/faults.md differs from this run (go test ./engine -run TestFaultMatrix -update-faults rewrites it):\n%s", got)
	}
}

const faultsHeader = `# Fault matrix

Written by ` + "`go test ./engine -run TestFaultMatrix -update-faults`" + ` (with
STRATA_TEST_POSTGRES and STRATA_TEST_MARIADB set); the test fails when a
run disagrees with this file. Each row is one write (an INSERT in a
transaction unless it says autocommit) under one fault, injected by
` + "`internal/faultproxy`" + ` between the client and the server. "Error" is what
the error matches (errors.As / errors.Is), "outcome" is
` + "`sqlerr.OutcomeOf(err)`" + `, "data" is what the database holds afterwards
(read on another connection), "retry" is whether ` + "`sqlerr.IsRetryable`" + `
offers a retry. Every error also matches ` + "`sqlerr.ErrNothingWritten`" + ` or
` + "`sqlerr.ErrOutcomeUnknown`" + ` by its outcome.

The rule the test checks on every row: "nothing written" never leaves the
row, success always does, and a retry is offered only when nothing was
written. "Outcome unknown" is the truth for a COMMIT that was sent (or may
have been) without an answer: the row may or may not be there, and the
caller must check before writing again.

| fault | database | error | outcome | data | retry |
|---|---|---|---|---|---|
`
