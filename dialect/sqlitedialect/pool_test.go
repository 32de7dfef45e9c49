package sqlitedialect_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/dialect/sqlitedialect"
	"github.com/strata-go/strata/sqlerr"
)

// With a plain file DSN a write transaction holds the write lock from its
// BEGIN (BEGIN IMMEDIATE), before it writes anything, and a read-only
// transaction takes no lock: it neither waits for a writer nor makes one
// wait. A second pool on the file with no busy timeout sees the locks.
func TestWriteTransactionsLockAtBeginReadOnlyOnesDoNot(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "app.db")
	d := sqlitedialect.New()
	p, err := d.Open(ctx, "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Exec(ctx, "CREATE TABLE t (id INTEGER PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	other, err := d.Open(ctx, "file:"+path+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	busy := func(err error) bool {
		var re *sqlerr.RetryableError
		return errors.As(d.TranslateError(err), &re) && re.Reason == "busy"
	}

	w, err := p.Begin(ctx, dialect.TxOptions{}) // no statement yet
	if err != nil {
		t.Fatal(err)
	}
	if tx, err := other.Begin(ctx, dialect.TxOptions{}); !busy(err) {
		if tx != nil {
			tx.Rollback(ctx)
		}
		t.Fatalf("a second writer began while the first held its BEGIN: %v", err)
	}
	ro, err := other.Begin(ctx, dialect.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatalf("a read-only transaction waited for the writer: %v", err)
	}
	var n int
	if err := dialect.QueryEach(ctx, ro, "SELECT COUNT(*) FROM t", nil, func(r dialect.Rows) error { return r.Scan(&n) }); err != nil {
		t.Fatalf("read beside the writer: %v", err)
	}
	if err := w.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	// the read-only transaction, still open, does not hold writers back
	w2, err := other.Begin(ctx, dialect.TxOptions{})
	if err != nil {
		t.Fatalf("a writer waited for a read-only transaction: %v", err)
	}
	if _, err := w2.Exec(ctx, "INSERT INTO t (id) VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	if err := w2.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ro.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	// a DSN that asks for deferred transactions gets them
	deferred, err := d.Open(ctx, "file:"+path+"?_txlock=deferred&_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer deferred.Close()
	w, err = p.Begin(ctx, dialect.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Rollback(ctx)
	tx, err := deferred.Begin(ctx, dialect.TxOptions{})
	if err != nil {
		t.Fatalf("_txlock=deferred: BEGIN waited for the lock: %v", err)
	}
	tx.Rollback(ctx)
}

// The pool of a file database keeps DefaultMaxOpen connections; that of an
// in-memory database its one connection, which no option may change.
func TestPoolSizes(t *testing.T) {
	ctx := context.Background()
	d := sqlitedialect.New()
	p, err := d.Open(ctx, "file:"+filepath.Join(t.TempDir(), "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if got := p.(dialect.StatsPool).Stats().MaxOpen; got != sqlitedialect.DefaultMaxOpen() || got < 4 {
		t.Fatalf("file database: MaxOpen %d, want DefaultMaxOpen() = %d", got, sqlitedialect.DefaultMaxOpen())
	}
	m, err := d.OpenPool(ctx, ":memory:", dialect.PoolOptions{MaxOpen: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if got := m.(dialect.StatsPool).Stats().MaxOpen; got != 1 {
		t.Fatalf(":memory:: MaxOpen %d, want 1", got)
	}
	for _, o := range []dialect.PoolOptions{{MaxOpen: 2}, {MaxIdle: -1}, {MaxLifetime: 1}, {MaxIdleTime: 1}} {
		if m, err := d.OpenPool(ctx, ":memory:", o); !errors.Is(err, sqlerr.ErrUnsupported) {
			if m != nil {
				m.Close()
			}
			t.Errorf(":memory: with %+v: %v, want sqlerr.ErrUnsupported", o, err)
		}
	}
}

// Pools opened at the same moment on a new file all open: the first
// connections race to switch the file to WAL, and SQLite fails one of two
// such connections at once (each holds a shared lock and wants an
// exclusive one, so the busy handler cannot let them wait); Open tries that
// connection again within the busy timeout.
func TestConcurrentOpensOfANewFileAllSucceed(t *testing.T) {
	ctx := context.Background()
	d := sqlitedialect.New()
	dir := t.TempDir()
	for round := range 100 {
		path := filepath.Join(dir, fmt.Sprintf("new%d.db", round))
		errs := make(chan error, 16)
		var wg sync.WaitGroup
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p, err := d.Open(ctx, path)
				if err != nil {
					errs <- err
					return
				}
				p.Close()
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

// Open retries a busy connection as long as the DSN's busy timeout, and a
// busy timeout of zero means no retrying.
func TestOpenWaitsAsLongAsTheBusyTimeout(t *testing.T) {
	for dsn, want := range map[string]time.Duration{
		"x.db":                             10 * time.Second,
		"x.db?_pragma=busy_timeout(0)":     0,
		"x.db?_pragma=busy_timeout%3D2500": 2500 * time.Millisecond,
	} {
		conn, _, err := sqlitedialect.BuildDSN(dsn)
		if err != nil {
			t.Fatal(err)
		}
		if got := sqlitedialect.BusyTimeout(conn); got != want {
			t.Errorf("%s: open waits %v, want %v", dsn, got, want)
		}
	}
}
