package sqlitedialect_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

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
