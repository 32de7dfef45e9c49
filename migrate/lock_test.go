package migrate_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/migrate"
	"github.com/strata-go/strata/schema"
)

// lockRevisions are a typed revision (a table) and a data revision whose
// Go step runs body.
func lockRevisions(t *testing.T) (*migrate.Revision, *migrate.Revision) {
	t.Helper()
	r1, err := migrate.Autogenerate(schema.NewMetaData(), runsModels(), "0001", "runs", nil)
	if err != nil {
		t.Fatal(err)
	}
	r2 := &migrate.Revision{ID: "0002", Parents: []string{"0001"}, Message: "data", Snapshot: r1.Snapshot,
		Upgrade: []migrate.Op{
			migrate.GoStep{Func: "body"},
			migrate.RawSQL{SQL: []string{"INSERT INTO runs (note) VALUES ('after')"}},
		},
		Downgrade: []migrate.Op{migrate.RawSQL{SQL: []string{"DELETE FROM runs"}}},
	}
	return r1, r2
}

func bodyFunc(f func(ctx context.Context, ex engine.Executor) error) migrate.Option {
	return migrate.WithFuncs(migrate.Funcs{"body": f})
}

// TestLockRowShowsHolderAndUnlockBreaksIt: while a runner holds the lock
// row, another times out naming the holder; LockHolder shows it; a row
// left by a runner that is gone blocks until Unlock breaks it (which
// reports who held it and since when), and an expired one is taken over.
func TestLockRowShowsHolderAndUnlockBreaksIt(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		r1, r2 := lockRevisions(t)
		g := writeDir(t, r1, r2)
		db := open(t, tg)
		entered, leave := make(chan struct{}), make(chan struct{})
		a := newMigrator(t, db, g, migrate.WithLockRow(5*time.Second), bodyFunc(func(ctx context.Context, ex engine.Executor) error {
			close(entered)
			<-leave
			return nil
		}))
		done := make(chan error)
		go func() { _, err := a.Upgrade(ctx, "head"); done <- err }()
		<-entered
		b := newMigrator(t, open(t, tg), g, migrate.WithLockRow(5*time.Second), migrate.WithLockWait(300*time.Millisecond), bodyFunc(func(context.Context, engine.Executor) error { return nil }))
		info, err := b.LockHolder(ctx)
		if err != nil || info == nil || time.Since(info.Acquired) > time.Minute || !info.Expires.After(info.Acquired) {
			t.Fatalf("holder %v %v", info, err)
		}
		if _, err := b.Upgrade(ctx, "head"); !errors.Is(err, dialect.ErrLockTimeout) || !strings.Contains(err.Error(), info.Holder) {
			t.Fatalf("a second runner: %v (holder %s)", err, info.Holder)
		}
		close(leave)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if info, err := b.LockHolder(ctx); info != nil || err != nil {
			t.Fatalf("after the run the lock is held by %v (%v)", info, err)
		}
		if _, err := b.Unlock(ctx); !errors.Is(err, migrate.ErrNotLocked) {
			t.Fatalf("unlock of a free lock: %v", err)
		}

		// A runner that crashed: its row stays until it expires.
		lock := expr.T(migrate.DefaultLockTable)
		now := time.Now()
		if err := exec(t, db, expr.Insert(lock).Columns("name", "holder", "acquired_at", "heartbeat_at", "expires_at").
			Values("strata_migrate", "gone:1:dead", now.Add(-time.Hour).UnixMilli(), now.Add(-time.Hour).UnixMilli(), now.Add(time.Hour).UnixMilli())); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Downgrade(ctx, "base"); !errors.Is(err, dialect.ErrLockTimeout) || !strings.Contains(err.Error(), "gone:1:dead") {
			t.Fatalf("a dead holder's row: %v", err)
		}
		broke, err := b.Unlock(ctx)
		if err != nil || broke.Holder != "gone:1:dead" || broke.Acquired.UnixMilli() != now.Add(-time.Hour).UnixMilli() {
			t.Fatalf("unlock: %v %v", broke, err)
		}
		if _, err := b.Downgrade(ctx, "base"); err != nil {
			t.Fatal(err)
		}

		// An expired row is taken over without unlock.
		if err := exec(t, db, expr.Insert(lock).Columns("name", "holder", "acquired_at", "heartbeat_at", "expires_at").
			Values("strata_migrate", "gone:2:dead", now.Add(-time.Hour).UnixMilli(), now.Add(-time.Hour).UnixMilli(), now.Add(-time.Minute).UnixMilli())); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Upgrade(ctx, "0001"); err != nil {
			t.Fatalf("an expired row was not taken over: %v", err)
		}
	})
}

// TestLockRowLostStopsTheRunner: when the lock row is broken under a
// running runner, its heartbeat notices and it stops before its next
// step with ErrLockLost; that step's effect is not there.
func TestLockRowLostStopsTheRunner(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		if tg.Name == "sqlite" {
			// The lock is broken from inside the step, while the runner's
			// transaction is open. A SQLite write transaction holds the
			// write lock from BEGIN IMMEDIATE (the dialect's default), so
			// the DELETE would wait for it; a deferred one takes it at
			// its first write, after this step.
			tg.DSN += "?_txlock=deferred"
		}
		r1, r2 := lockRevisions(t)
		g := writeDir(t, r1, r2)
		db := open(t, tg)
		other := newMigrator(t, open(t, tg), g)
		m := newMigrator(t, db, g, migrate.WithLockRow(300*time.Millisecond), bodyFunc(func(ctx context.Context, ex engine.Executor) error {
			if _, err := other.Unlock(ctx); err != nil {
				return err
			}
			time.Sleep(500 * time.Millisecond) // more than a heartbeat
			return nil
		}))
		_, err := m.Upgrade(ctx, "head")
		if !errors.Is(err, migrate.ErrLockLost) {
			t.Fatalf("want ErrLockLost, got %v", err)
		}
		var n int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM runs WHERE note = 'after'").Scan(&n); err != nil || n != 0 {
			t.Fatalf("the step after the lock was lost ran: %d %v", n, err)
		}
	})
}

// TestConcurrentUpgradeLockRow is TestConcurrentUpgrade with the lock row:
// two runners at once, each revision applied exactly once.
func TestConcurrentUpgradeLockRow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		twoRunners(t, []testdb.Target{tg, tg}, migrate.WithLockRow(0))
	})
}

// twoRunners runs Upgrade head from two pools (on targets[0] and
// targets[1]) at once, and checks that every step ran exactly once, in
// one of the two, and that both return without error.
func twoRunners(t *testing.T, targets []testdb.Target, opts ...migrate.Option) {
	t.Helper()
	ctx := context.Background()
	r1, r2 := lockRevisions(t)
	g := writeDir(t, r1, r2)
	var calls, steps atomic.Int32
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		db := open(t, targets[i])
		o := append([]migrate.Option{
			bodyFunc(func(ctx context.Context, ex engine.Executor) error {
				calls.Add(1)
				time.Sleep(100 * time.Millisecond) // widen the window
				_, err := engine.ExecStmt(ctx, ex, expr.Insert(expr.T("runs")).Columns("note").Values("go"))
				return err
			}),
			migrate.WithProgress(func(e migrate.Event) {
				if e.Kind == migrate.StepDone {
					steps.Add(1)
				}
			}),
		}, opts...)
		m := newMigrator(t, db, g, o...)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = m.Upgrade(ctx, "head")
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	db := open(t, targets[0])
	var total int
	for _, r := range []*migrate.Revision{r1, r2} {
		st, err := migrate.Render(db.Dialect(), schema.NewMetaData(), r.Upgrade)
		if err != nil {
			t.Fatal(err)
		}
		total += len(st)
	}
	if n := count(t, db, "runs"); n != 2 || calls.Load() != 1 || int(steps.Load()) != total {
		t.Fatalf("%d rows, %d Go calls, %d steps run; want 2, 1 and %d", n, calls.Load(), steps.Load(), total)
	}
	if cur, err := newMigrator(t, db, g).Current(ctx); err != nil || len(cur) != 1 || cur[0] != "0002" {
		t.Fatalf("current %v %v", cur, err)
	}
}

// TestGaleraTwoRunnersApplyEachStepOnce runs two migration runners on two
// Galera nodes at once, 20 times, each on a fresh database: the lock row
// (taken because the runner detects wsrep) lets exactly one apply each
// step, every time. GET_LOCK would not: it is local to a node.
func TestGaleraTwoRunnersApplyEachStepOnce(t *testing.T) {
	for i := range 20 {
		t.Run("", func(t *testing.T) {
			nodes := testdb.Galera(t)
			if len(nodes) < 2 {
				t.Fatalf("%s names %d nodes; want at least 2", testdb.EnvGalera, len(nodes))
			}
			twoRunners(t, []testdb.Target{nodes[i%len(nodes)], nodes[(i+1)%len(nodes)]})
		})
	}
}
