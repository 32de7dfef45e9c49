package engine_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/sqlerr"
)

type countingQuerier struct {
	next dialect.Querier
	n    *atomic.Int32
}

func (c countingQuerier) Exec(ctx context.Context, q string, args ...any) (dialect.Result, error) {
	c.n.Add(1)
	return c.next.Exec(ctx, q, args...)
}

func (c countingQuerier) Query(ctx context.Context, q string, args ...any) (dialect.Rows, error) {
	c.n.Add(1)
	return c.next.Query(ctx, q, args...)
}

// TestReadOnlyContextRefusesWritesBeforeSQL: under engine.ReadOnly a write
// (Exec or a query that writes, built or raw, on the DB or in a
// transaction) fails with a ReadOnlyError and no statement reaches the
// database; reads run.
func TestReadOnlyContextRefusesWritesBeforeSQL(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		var n atomic.Int32
		db := open(t, tg, engine.WithMiddleware(func(next dialect.Querier) dialect.Querier { return countingQuerier{next, &n} }))
		if _, err := db.Exec(ctx, "CREATE TABLE rot (id INTEGER PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		ro := engine.ReadOnly(ctx)
		before := n.Load()
		writes := []func() error{
			func() error { _, err := db.Exec(ro, "INSERT INTO rot (id) VALUES (1)"); return err },
			func() error { _, err := db.Exec(ro, "  delete from rot"); return err },
			func() error {
				_, err := engine.ExecStmt(ro, db, expr.Insert(expr.T("rot")).Columns("id").Values(2))
				return err
			},
			func() error { _, err := db.Query(ro, "UPDATE rot SET id = 3 RETURNING id"); return err },
			func() error { _, err := db.Exec(ro, "DROP TABLE rot"); return err },
		}
		for i, w := range writes {
			err := w()
			if !errors.Is(err, sqlerr.ErrReadOnly) || sqlerr.OutcomeOf(err) != sqlerr.NothingWritten {
				t.Errorf("write %d under ReadOnly: %v", i, err)
			}
		}
		if n.Load() != before {
			t.Fatalf("%d statements reached the database", n.Load()-before)
		}
		var c int
		if err := db.QueryRow(ro, "SELECT COUNT(*) FROM rot").Scan(&c); err != nil || c != 0 {
			t.Fatalf("a read under ReadOnly: %d %v", c, err)
		}
		tx, err := db.Begin(ro)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ro, "INSERT INTO rot (id) VALUES (4)"); !errors.Is(err, sqlerr.ErrReadOnly) {
			t.Fatalf("write in a transaction under ReadOnly: %v", err)
		}
	})
}

// TestRouterSendsReadsToTheReplicaAndReadsYourWrites runs against a
// PostgreSQL primary and streaming replica: read-only transactions run on
// the replica (pg_is_in_recovery), writes on the primary; a write sent to
// the replica anyway is the typed read-only error; and with either
// read-your-writes policy every row committed through the router is
// visible to the next read-only call, 40 times in a row.
func TestRouterSendsReadsToTheReplicaAndReadsYourWrites(t *testing.T) {
	ptg, rtg := testdb.PGReplica(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	primary, replica := open(t, ptg), open(t, rtg)
	if _, err := primary.Exec(ctx, "CREATE TABLE routed (id INTEGER PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	r, err := engine.NewRouter(primary, []*engine.DB{replica})
	if err != nil {
		t.Fatal(err)
	}
	inRecovery := func(ro bool) bool {
		tx, err := r.BeginTx(ctx, dialect.TxOptions{ReadOnly: ro})
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		var rec bool
		if err := tx.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&rec); err != nil {
			t.Fatal(err)
		}
		return rec
	}
	if !inRecovery(true) || inRecovery(false) {
		t.Fatal("read-only work not on the replica, or writes not on the primary")
	}
	// Past the guard (plain context), the replica itself refuses: typed.
	if _, err := replica.Exec(ctx, "CREATE TABLE routed_probe (id INTEGER)"); !errors.Is(err, sqlerr.ErrReadOnly) {
		t.Fatalf("a write on the replica: %v", err)
	}
	for _, p := range []engine.RYW{{WaitReplay: 5 * time.Second}, {PrimaryFor: 2 * time.Second}} {
		t.Run(fmt.Sprintf("%+v", p), func(t *testing.T) {
			r, err := engine.NewRouter(primary, []*engine.DB{replica}, engine.WithReadYourWrites(p))
			if err != nil {
				t.Fatal(err)
			}
			base := 1000 * (1 + int(p.PrimaryFor/time.Second))
			for i := range 40 {
				id := base + i
				if err := r.RunInTx(ctx, dialect.TxOptions{}, func(ctx context.Context, tx *engine.Tx) error {
					_, err := tx.Exec(ctx, fmt.Sprintf("INSERT INTO routed (id) VALUES (%d)", id))
					return err
				}); err != nil {
					t.Fatal(err)
				}
				db, err := r.Reader(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var n int
				if err := db.QueryRow(engine.ReadOnly(ctx), fmt.Sprintf("SELECT COUNT(*) FROM routed WHERE id = %d", id)).Scan(&n); err != nil || n != 1 {
					t.Fatalf("read %d after its commit: %d rows (%v)", i, n, err)
				}
			}
		})
	}
	if _, err := engine.NewRouter(primary, nil, engine.WithReadYourWrites(engine.RYW{PrimaryFor: -1})); err == nil {
		t.Fatal("a negative duration was accepted")
	}
}
