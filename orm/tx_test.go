package orm_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
	"github.com/strata-go/strata/sqlerr"
)

func TestSavepointRollbackRestoresObjects(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := setup(t, tg)
		ns := seed(t, ctx, f, 3)
		s := f.New()
		defer s.Close(ctx)
		a, _ := orm.Get[Note](ctx, s, ns[0].ID)
		b, _ := orm.Get[Note](ctx, s, ns[1].ID)
		a.Body = "before the savepoint" // flushed by BeginNested

		sp, err := s.BeginNested(ctx)
		if err != nil {
			t.Fatal(err)
		}
		a.Body, a.Stars = "inside", 4
		s.Delete(b)
		c := &Note{Title: "added inside"}
		s.Add(c)
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		inner, err := s.BeginNested(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := sp.Rollback(ctx); err == nil {
			t.Fatal("outer savepoint rolled back while an inner one is open")
		}
		a.Title = "innermost"
		if err := inner.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if err := sp.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if err := sp.Rollback(ctx); !errors.Is(err, orm.ErrNestedDone) {
			t.Fatalf("second rollback: %v", err)
		}
		if a.Body != "before the savepoint" || a.Stars != 0 || a.Title != "t000" || s.Status(a) != orm.Persistent {
			t.Fatalf("a after rollback to savepoint: %+v %s", a, s.Status(a))
		}
		if s.Status(b) != orm.Persistent {
			t.Fatalf("b (deleted inside) is %s", s.Status(b))
		}
		if got, _ := orm.Get[Note](ctx, s, b.ID); got != b {
			t.Fatal("b not back in the identity map")
		}
		if s.Status(c) != orm.Detached {
			t.Fatalf("c (inserted inside) is %s", s.Status(c))
		}
		// nothing left to flush: the session matches the database
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		check := f.New()
		defer check.Close(ctx)
		n, _ := orm.Select[Note](check).Count(ctx)
		ca, _ := orm.Get[Note](ctx, check, a.ID)
		if n != 3 || ca.Body != "before the savepoint" || ca.Title != "t000" {
			t.Fatalf("database after commit: %d rows, a=%+v", n, ca)
		}

		// the functional form
		err = s.Nested(ctx, func() error {
			a.Stars = 2
			if err := s.Flush(ctx); err != nil {
				return err
			}
			return errors.New("changed my mind")
		})
		if err == nil || a.Stars != 0 {
			t.Fatalf("Nested: %v, stars %d", err, a.Stars)
		}
		if err := s.Nested(ctx, func() error { a.Stars = 3; return nil }); err != nil || a.Stars != 3 {
			t.Fatalf("Nested commit: %v", err)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestTransact(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := setup(t, tg)
		ns := seed(t, ctx, f, 1)
		id := ns[0].ID

		calls := 0
		err := f.Transact(ctx, func(ctx context.Context, s *orm.Session) error {
			calls++
			n, err := orm.Get[Note](ctx, s, id)
			if err != nil {
				return err
			}
			n.Stars++
			return nil
		})
		if err != nil || calls != 1 {
			t.Fatalf("Transact: %v after %d calls", err, calls)
		}
		// an error rolls back and is not retried
		boom := errors.New("boom")
		calls = 0
		err = f.Transact(ctx, func(ctx context.Context, s *orm.Session) error {
			calls++
			n, _ := orm.Get[Note](ctx, s, id)
			n.Stars = 100
			if err := s.Flush(ctx); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) || calls != 1 {
			t.Fatalf("Transact error: %v after %d calls", err, calls)
		}
		check := f.New()
		defer check.Close(ctx)
		if n, _ := orm.Get[Note](ctx, check, id); n.Stars != 1 {
			t.Fatalf("stars %d, want 1 (the failed Transact rolled back)", n.Stars)
		}
	})
}

// TestTransactRetriesSerializationFailure provokes a real serialization
// failure on PostgreSQL: a REPEATABLE READ transaction updates a row that
// another transaction changed after its snapshot was taken.
func TestTransactRetriesSerializationFailure(t *testing.T) {
	tg := testdb.New(t, "postgres")
	ctx := context.Background()
	db, err := engine.Open(ctx, tg.Dialect, tg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reg := orm.NewRegistry()
	orm.MustRegister[Note](reg)
	if err := engine.CreateAll(ctx, db, reg.MetaData()); err != nil {
		t.Fatal(err)
	}
	f := orm.NewFactory(db, reg, orm.WithTxOptions(dialect.TxOptions{Isolation: sql.LevelRepeatableRead}))
	id := seed(t, ctx, f, 1)[0].ID

	calls := 0
	err = f.Transact(ctx, func(ctx context.Context, s *orm.Session) error {
		calls++
		n, err := orm.Get[Note](ctx, s, id) // the snapshot is taken here
		if err != nil {
			return err
		}
		if calls == 1 {
			// someone else changes the row and commits
			if _, err := db.Exec(ctx, `UPDATE note SET body = 'other' WHERE id = $1`, id); err != nil {
				return err
			}
		}
		n.Stars += 10
		return nil
	})
	if err != nil || calls != 2 {
		t.Fatalf("Transact: %v after %d calls, want success after 2", err, calls)
	}
	s := f.New()
	defer s.Close(ctx)
	n, _ := orm.Get[Note](ctx, s, id)
	if n.Stars != 10 || n.Body != "other" {
		t.Fatalf("row after retry: %+v", n)
	}

	// with one attempt, the failure is returned and is retryable
	g := orm.NewFactory(db, reg, orm.WithTxOptions(dialect.TxOptions{Isolation: sql.LevelRepeatableRead}), orm.WithRetryPolicy(engine.NoRetry))
	err = g.Transact(ctx, func(ctx context.Context, s *orm.Session) error {
		n, err := orm.Get[Note](ctx, s, id)
		if err != nil {
			return err
		}
		if _, err := db.Exec(ctx, `UPDATE note SET body = 'again' WHERE id = $1`, id); err != nil {
			return err
		}
		n.Stars++
		return nil
	})
	if !sqlerr.IsRetryable(err) {
		t.Fatalf("want a retryable error, got %v", err)
	}
}

// Transact follows the DB's retry policy unless the factory has its own.
func TestTransactFollowsRetryPolicy(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := setup(t, tg)
		conflict := &sqlerr.RetryableError{Reason: "deadlock", Err: errors.New("simulated")}
		for _, c := range []struct {
			name      string
			f         *orm.Factory
			wantCalls int
		}{
			{"the DB's default", f, 3},
			{"NoRetry", orm.NewFactory(f.DB(), f.Registry(), orm.WithRetryPolicy(engine.NoRetry)), 1},
			{"two attempts", orm.NewFactory(f.DB(), f.Registry(), orm.WithRetryPolicy(engine.RetryPolicy{MaxAttempts: 2})), 2},
		} {
			calls := 0
			err := c.f.Transact(ctx, func(ctx context.Context, s *orm.Session) error {
				calls++
				if calls < 3 {
					return conflict
				}
				return nil
			})
			if calls != c.wantCalls || (c.wantCalls == 3) != (err == nil) {
				t.Errorf("%s: %d calls, err %v; want %d calls", c.name, calls, err, c.wantCalls)
			}
		}
	})
}

// TestTransactHotRowStorm: goroutines increment one object's field in
// SERIALIZABLE Transact calls; with the default policy all succeed and no
// increment is lost.
func TestTransactHotRowStorm(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		base, _ := setup(t, tg)
		id := seed(t, ctx, base, 1)[0].ID
		f := orm.NewFactory(base.DB(), base.Registry(), orm.WithTxOptions(dialect.TxOptions{Isolation: sql.LevelSerializable}))
		const workers, increments = 6, 4
		var wg sync.WaitGroup
		var failed atomic.Int64
		for range workers {
			wg.Go(func() {
				for range increments {
					err := f.Transact(ctx, func(ctx context.Context, s *orm.Session) error {
						n, err := orm.Get[Note](ctx, s, id)
						if err != nil {
							return err
						}
						n.Stars++
						return nil
					})
					if err != nil && failed.Add(1) == 1 {
						t.Errorf("Transact: %v", err)
					}
				}
			})
		}
		wg.Wait()
		s := f.New()
		defer s.Close(ctx)
		n, err := orm.Get[Note](ctx, s, id)
		if err != nil {
			t.Fatal(err)
		}
		if failed.Load() > 0 || n.Stars != workers*increments {
			t.Fatalf("%d calls failed; stars %d, want %d", failed.Load(), n.Stars, workers*increments)
		}
	})
}
