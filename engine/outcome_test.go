package engine_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/sqlerr"
)

// TestCommitOutcomeUnderRandomDeadlines commits one row per transaction
// under deadlines short enough to end before, during and after COMMIT,
// then reads which rows exist. Every failure states its outcome: a
// transaction said to have written nothing left no row, a success left
// its row, an unknown outcome may have either. Every failure after the
// deadline matches context.DeadlineExceeded, and none is a bare "sql:
// transaction has already been committed or rolled back".
func TestCommitOutcomeUnderRandomDeadlines(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		db := open(t, tg)
		if _, err := db.Exec(ctx, "CREATE TABLE outcome (id INTEGER PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		// Calibrate: the time one whole transaction takes here.
		t0 := time.Now()
		for i := range 5 {
			tx, err := db.Begin(ctx)
			if err == nil {
				_, err = tx.Exec(ctx, fmt.Sprintf("INSERT INTO outcome (id) VALUES (%d)", -1-i))
			}
			if err == nil {
				err = tx.Commit(ctx)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		whole := time.Since(t0) / 5
		const n = 120
		said := map[int]sqlerr.Outcome{}
		counts := map[string]int{}
		for i := range n {
			d := time.Duration(rand.Int64N(int64(3*whole) + 1))
			cctx, cancel := context.WithTimeout(ctx, d)
			tx, err := db.Begin(cctx)
			if err == nil {
				_, err = tx.Exec(cctx, fmt.Sprintf("INSERT INTO outcome (id) VALUES (%d)", i))
				if err != nil {
					_ = tx.Rollback(context.Background())
				} else {
					err = tx.Commit(cctx)
				}
			}
			expired := cctx.Err() != nil
			cancel()
			said[i] = sqlerr.OutcomeOf(err)
			counts[said[i].String()]++
			if err == nil {
				continue
			}
			var oe *sqlerr.OutcomeError
			if !errors.As(err, &oe) {
				t.Errorf("transaction %d: %v (%T) states no outcome", i, err, err)
			}
			if expired && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("transaction %d after its deadline: %v does not match context.DeadlineExceeded", i, err)
			}
			if errors.Is(err, sql.ErrTxDone) && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("transaction %d: a bare %v", i, err)
			}
		}
		rows, err := db.Query(ctx, "SELECT id FROM outcome WHERE id >= 0")
		if err != nil {
			t.Fatal(err)
		}
		have := map[int]bool{}
		for rows.Next() {
			var id int
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			have[id] = true
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			switch said[i] {
			case sqlerr.Written:
				if !have[i] {
					t.Errorf("transaction %d committed but its row is missing", i)
				}
			case sqlerr.NothingWritten:
				if have[i] {
					t.Errorf("transaction %d said nothing was written but its row is there", i)
				}
			}
		}
		t.Logf("%s, one transaction ~%v: %v", tg.Name, whole, counts)
	})
}

// blackHole accepts connections and never answers.
func blackHole(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// closedPort returns an address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// serverDSN points tg's DSN at addr.
func serverDSN(t *testing.T, tg testdb.Target, addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	switch tg.Name {
	case "postgres":
		return fmt.Sprintf("postgres://postgres@%s:%s/test?sslmode=disable&connect_timeout=30", host, port)
	case "mariadb":
		return fmt.Sprintf("root@tcp(%s)/test?timeout=30s", addr)
	}
	t.Skipf("%s has no server to connect to", tg.Name)
	return ""
}

// connect opens a DB on dsn and makes it reach the server.
func connect(ctx context.Context, d dialect.Dialect, dsn string) error {
	db, err := engine.Open(ctx, d, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	c, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	return c.Close()
}

// TestConnectDeadlineIsDeadlineExceeded: a server that accepts and never
// answers, reached under a deadline: the error matches
// context.DeadlineExceeded (MariaDB's driver says "i/o timeout").
func TestConnectDeadlineIsDeadlineExceeded(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		dsn := serverDSN(t, tg, blackHole(t))
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := connect(ctx, tg.Dialect, dsn)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("connect to a black hole: %v (%T)", err, err)
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("the deadline was not kept: %v", time.Since(start))
		}
		if sqlerr.OutcomeOf(err) != sqlerr.NothingWritten && sqlerr.OutcomeOf(err) != sqlerr.OutcomeUnknown {
			t.Fatalf("outcome %s", sqlerr.OutcomeOf(err))
		}
	})
}

// TestConnectRefusedIsRetryable: a refused connection is a ConnError that
// wrote nothing and may be retried.
func TestConnectRefusedIsRetryable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		dsn := serverDSN(t, tg, closedPort(t))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := connect(ctx, tg.Dialect, dsn)
		if !errors.Is(err, sqlerr.ErrConnLost) || sqlerr.OutcomeOf(err) != sqlerr.NothingWritten || !sqlerr.IsRetryable(err) {
			t.Fatalf("refused: %v (%T): outcome %s, retryable %v", err, err, sqlerr.OutcomeOf(err), sqlerr.IsRetryable(err))
		}
	})
}

// TestKilledTransactionWroteNothing: the server ends a transaction's
// session (pg_terminate_backend, KILL); the next statement fails with a
// ConnError that wrote nothing and is retryable, COMMIT fails too, and
// the row is not there.
func TestKilledTransactionWroteNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		var self, kill string
		switch tg.Name {
		case "postgres":
			self, kill = "SELECT pg_backend_pid()", "SELECT pg_terminate_backend(%d)"
		case "mariadb":
			self, kill = "SELECT CONNECTION_ID()", "KILL %d"
		default:
			t.Skip("SQLite has no server session to end")
		}
		ctx := context.Background()
		db := open(t, tg)
		if _, err := db.Exec(ctx, "CREATE TABLE killed (id INTEGER PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		tx, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO killed (id) VALUES (1)"); err != nil {
			t.Fatal(err)
		}
		var id int64
		if err := tx.QueryRow(ctx, self).Scan(&id); err != nil {
			t.Fatal(err)
		}
		other := open(t, tg)
		if _, err := other.Exec(ctx, fmt.Sprintf(kill, id)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		_, err = tx.Exec(ctx, "INSERT INTO killed (id) VALUES (2)")
		if !errors.Is(err, sqlerr.ErrConnLost) || sqlerr.OutcomeOf(err) != sqlerr.NothingWritten || !sqlerr.IsRetryable(err) {
			t.Fatalf("statement on a killed session: %v (%T): outcome %s", err, err, sqlerr.OutcomeOf(err))
		}
		if err := tx.Commit(ctx); err == nil || sqlerr.OutcomeOf(err) == sqlerr.Written {
			t.Fatalf("COMMIT of a killed transaction: %v", err)
		}
		if n := count(t, other, "killed"); n != 0 {
			t.Fatalf("%d rows of a killed transaction", n)
		}
	})
}

// TestReadOnlyWriteIsTyped: a write in a read-only transaction (SQLite: a
// database opened read-only) is a ReadOnlyError that wrote nothing.
func TestReadOnlyWriteIsTyped(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		db := open(t, tg)
		if _, err := db.Exec(ctx, "CREATE TABLE ro (id INTEGER PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		var err error
		if tg.Name == "sqlite" {
			rodb := open(t, testdb.Target{Name: tg.Name, Dialect: tg.Dialect, DSN: tg.DSN + "?mode=ro"})
			_, err = rodb.Exec(ctx, "INSERT INTO ro (id) VALUES (1)")
		} else {
			tx, berr := db.BeginTx(ctx, dialect.TxOptions{ReadOnly: true})
			if berr != nil {
				t.Fatal(berr)
			}
			defer tx.Rollback(ctx)
			_, err = tx.Exec(ctx, "INSERT INTO ro (id) VALUES (1)")
		}
		var ro *sqlerr.ReadOnlyError
		if !errors.As(err, &ro) || !errors.Is(err, sqlerr.ErrReadOnly) || sqlerr.OutcomeOf(err) != sqlerr.NothingWritten {
			t.Fatalf("write in read-only: %v (%T)", err, err)
		}
		if !strings.Contains(err.Error(), "read") {
			t.Fatalf("message %q", err)
		}
	})
}
