package orm_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
	"github.com/strata-go/strata/sqlerr"
)

// checkConflict fails the test unless err is a *orm.ConflictError for op
// whose message points to Factory.Transact and through which the cause's
// types still match.
func checkConflict(t *testing.T, err error, op, reason string) {
	t.Helper()
	var ce *orm.ConflictError
	if !errors.As(err, &ce) || ce.Op != op || !errors.Is(err, orm.ErrConflict) {
		t.Fatalf("want a *orm.ConflictError from %s, got %T: %v", op, err, err)
	}
	if msg := err.Error(); !strings.Contains(msg, "Factory.Transact") || !strings.Contains(msg, "wrote nothing") {
		t.Errorf("the message does not point to Transact: %s", msg)
	}
	var re *sqlerr.RetryableError
	if !errors.As(err, &re) || (reason != "" && re.Reason != reason) {
		t.Errorf("errors.As to *sqlerr.RetryableError (reason %q): %v", reason, err)
	}
	if sqlerr.OutcomeOf(err) != sqlerr.NothingWritten || !errors.Is(err, sqlerr.ErrNothingWritten) || !sqlerr.IsRetryable(err) {
		t.Errorf("the outcome is lost: %v", err)
	}
}

// TestCommitConflictPointsToTransact: a conflict surfacing from a plain
// Commit or Flush is a *ConflictError saying to use Transact; inside
// Transact the loop gets the cause itself and retries it. The conflict is
// injected by a flush hook (the same error the dialects return), so the
// wrapping is proved the same way on every database.
func TestCommitConflictPointsToTransact(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		conflicts := 0
		inject := func(next orm.FlushFunc) orm.FlushFunc {
			return func(ctx context.Context, cs *orm.ChangeSet) error {
				if conflicts > 0 {
					conflicts--
					return &sqlerr.OutcomeError{Outcome: sqlerr.NothingWritten, Op: "flush",
						Err: &sqlerr.RetryableError{Reason: "deadlock", Err: errors.New("injected")}}
				}
				return next(ctx, cs)
			}
		}
		f, _ := openModels(t, tg, func(reg *orm.Registry) { orm.MustRegister[Note](reg) }, orm.WithFlushHook(inject))

		s := f.New()
		defer s.Close(ctx)
		s.Add(&Note{Title: "a"})
		conflicts = 1
		checkConflict(t, s.Commit(ctx), "Commit", "deadlock")
		conflicts = 1
		err := s.Flush(ctx)
		checkConflict(t, err, "Flush", "deadlock")
		var oe *sqlerr.OutcomeError
		if !errors.As(err, &oe) || oe.Op != "flush" {
			t.Errorf("the flush's *sqlerr.OutcomeError is not reachable: %v", err)
		}
		if err := s.Commit(ctx); err != nil { // the session is still usable
			t.Fatal(err)
		}

		// other errors are not conflicts
		s.Add(&Note{Title: "a"})
		err = s.Commit(ctx)
		if !errors.Is(err, sqlerr.ErrIntegrity) || errors.Is(err, orm.ErrConflict) {
			t.Fatalf("a unique violation: %v", err)
		}

		// inside Transact: retried, and given up on as the cause, not a
		// *ConflictError
		conflicts = 1
		calls := 0
		if err := f.Transact(ctx, func(ctx context.Context, s *orm.Session) error {
			calls++
			return s.Add(&Note{Title: "b"})
		}); err != nil || calls != 2 {
			t.Fatalf("Transact: %v after %d calls, want success after 2", err, calls)
		}
		once := orm.NewFactory(f.DB(), f.Registry(), orm.WithFlushHook(inject), orm.WithRetryPolicy(engine.NoRetry))
		conflicts = 1
		err = once.Transact(ctx, func(ctx context.Context, s *orm.Session) error {
			if err := s.Add(&Note{Title: "c"}); err != nil {
				return err
			}
			return s.Flush(ctx)
		})
		if !sqlerr.IsRetryable(err) || errors.Is(err, orm.ErrConflict) {
			t.Fatalf("Transact without retries: %v; want the retryable cause, not a ConflictError", err)
		}
	})
}

// TestCommitRealConflictPointsToTransact provokes a real conflict between
// two sessions that each commit with the plain Begin/Commit pattern: a
// deadlock on PostgreSQL and MariaDB (each holds one row and updates the
// other's), SQLite busy on SQLite (a writer holds the lock past the busy
// timeout). The loser's Commit returns a *ConflictError.
func TestCommitRealConflictPointsToTransact(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if tg.Name == "sqlite" {
			tg.DSN += "?_pragma=busy_timeout(100)"
		}
		f, _ := setup(t, tg)
		ns := seed(t, ctx, f, 2)

		if tg.Name == "sqlite" {
			hold, err := f.DB().Begin(ctx) // BEGIN IMMEDIATE: the write lock
			if err != nil {
				t.Fatal(err)
			}
			defer hold.Rollback(ctx)
			s := f.New()
			defer s.Close(ctx)
			n, err := orm.Get[Note](ctx, s, ns[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			n.Stars = 9
			checkConflict(t, s.Commit(ctx), "Commit", "busy")
			return
		}

		// two sessions, each in a transaction holding one row
		var ss [2]*orm.Session
		var mine, theirs [2]*Note
		for i := range ss {
			ss[i] = f.New()
			defer ss[i].Close(ctx)
			if err := ss[i].Begin(ctx); err != nil {
				t.Fatal(err)
			}
			var err error
			if mine[i], err = orm.Get[Note](ctx, ss[i], ns[i].ID); err != nil {
				t.Fatal(err)
			}
			if theirs[i], err = orm.Get[Note](ctx, ss[i], ns[1-i].ID); err != nil {
				t.Fatal(err)
			}
		}
		for i := range ss {
			mine[i].Stars = int32(10 + i)
			if err := ss[i].Flush(ctx); err != nil { // locks its row
				t.Fatal(err)
			}
		}
		// each now updates the other's row: a cycle, which the database
		// breaks by failing one of them
		var errs [2]error
		var wg sync.WaitGroup
		for i := range ss {
			wg.Go(func() {
				if i == 1 {
					time.Sleep(200 * time.Millisecond) // the first is waiting by now
				}
				theirs[i].Body = "taken"
				errs[i] = ss[i].Commit(ctx)
				if errs[i] != nil {
					ss[i].Close(ctx) // rolls back: the winner goes on
				}
			})
		}
		wg.Wait()
		switch {
		case errs[0] == nil && errs[1] != nil:
			checkConflict(t, errs[1], "Commit", "deadlock")
		case errs[1] == nil && errs[0] != nil:
			checkConflict(t, errs[0], "Commit", "deadlock")
		default:
			t.Fatalf("want one session to lose a deadlock; got %v and %v", errs[0], errs[1])
		}
	})
}

// TestTransactAndRunInTxShareOnePolicy: the DB's retry policy, set once
// with engine.WithRetryPolicy, bounds both engine.DB.RunInTx and
// orm.Factory.Transact, which give up the same way.
func TestTransactAndRunInTxShareOnePolicy(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		db, err := engine.Open(ctx, tg.Dialect, tg.DSN, engine.WithRetryPolicy(engine.RetryPolicy{MaxAttempts: 4}))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		reg := orm.NewRegistry()
		orm.MustRegister[Note](reg)
		f := orm.NewFactory(db, reg)
		conflict := &sqlerr.RetryableError{Reason: "serialization failure", Err: errors.New("simulated")}
		var engineCalls, ormCalls int
		eerr := db.RunInTx(ctx, dialect.TxOptions{}, func(ctx context.Context, tx *engine.Tx) error { engineCalls++; return conflict })
		oerr := f.Transact(ctx, func(ctx context.Context, s *orm.Session) error { ormCalls++; return conflict })
		if engineCalls != 4 || ormCalls != 4 {
			t.Fatalf("RunInTx ran %d times, Transact %d; the policy says 4", engineCalls, ormCalls)
		}
		if eerr == nil || oerr == nil || eerr.Error() != oerr.Error() || !errors.Is(oerr, conflict) {
			t.Fatalf("different give-ups:\n  RunInTx:  %v\n  Transact: %v", eerr, oerr)
		}
	})
}
