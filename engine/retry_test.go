package engine_test

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
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

// TestRetryPolicyHotRowStorm runs a hot-row storm: goroutines each
// increment one counter row several times, every increment a SERIALIZABLE
// read-modify-write transaction, so they collide (serialization failures on
// PostgreSQL, deadlocks on MariaDB, busy snapshots on SQLite). With the
// default policy every call succeeds and no increment is lost.
func TestRetryPolicyHotRowStorm(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var collisions atomic.Int64
		p := engine.DefaultRetryPolicy()
		p.Retryable = func(err error) bool {
			collisions.Add(1)
			return sqlerr.IsRetryable(err)
		}
		db := open(t, tg, engine.WithRetryPolicy(p))
		md := schema.NewMetaData()
		md.MustAdd(&schema.Table{
			Name:       "counters",
			Columns:    []*schema.Column{{Name: "id", Type: schema.Integer()}, {Name: "n", Type: schema.Integer()}},
			PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
		})
		if err := engine.CreateAll(ctx, db, md); err != nil {
			t.Fatal(err)
		}
		c := expr.T("counters")
		if _, err := engine.ExecStmt(ctx, db, expr.Insert(c).Columns("id", "n").Values(1, 0)); err != nil {
			t.Fatal(err)
		}
		const workers, increments = 6, 5
		var wg sync.WaitGroup
		errs := make(chan error, workers*increments)
		// The first attempt of each worker waits, after its read, until
		// every worker has read (or until a second after the start: on
		// SQLite the others wait at BEGIN for its write lock), so the storm
		// collides however the scheduler runs the goroutines.
		var read atomic.Int64
		end := time.Now().Add(time.Second)
		meet := func() {
			read.Add(1)
			for read.Load() < workers && time.Now().Before(end) {
				time.Sleep(time.Millisecond)
			}
		}
		for range workers {
			wg.Go(func() {
				first := true
				for range increments {
					errs <- db.RunInTx(ctx, dialect.TxOptions{Isolation: sql.LevelSerializable}, func(ctx context.Context, tx *engine.Tx) error {
						var n int
						if err := engine.QueryRowStmt(ctx, tx, expr.Select(c.C("n")).From(c).Where(expr.Eq(c.C("id"), 1))).Scan(&n); err != nil {
							return err
						}
						if first {
							first = false
							meet()
						}
						_, err := engine.ExecStmt(ctx, tx, expr.Update(c).Set("n", n+1).Where(expr.Eq(c.C("id"), 1)))
						return err
					})
				}
			})
		}
		wg.Wait()
		close(errs)
		failed := 0
		for err := range errs {
			if err != nil {
				failed++
				if failed == 1 {
					t.Errorf("a call failed: %v", err)
				}
			}
		}
		var n int
		if err := engine.QueryRowStmt(ctx, db, expr.Select(c.C("n")).From(c).Where(expr.Eq(c.C("id"), 1))).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if failed > 0 || n != workers*increments {
			t.Fatalf("%d of %d calls failed; counter %d, want %d", failed, workers*increments, n, workers*increments)
		}
		t.Logf("%s: %d collisions retried", tg.Name, collisions.Load())
		if tg.Name != "sqlite" && collisions.Load() == 0 {
			// The servers run the goroutines' transactions side by side; a
			// storm without a single collision did not test the policy.
			t.Errorf("no transaction collided: the storm is too weak to test retries")
		}
	})
}

// RunInTx follows the DB's policy: NoRetry returns the first retryable
// failure, the default retries it.
func TestRunInTxFollowsTheDBPolicy(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		conflict := &sqlerr.RetryableError{Reason: "deadlock", Err: errors.New("simulated")}
		for _, c := range []struct {
			name      string
			opts      []engine.Option
			wantCalls int
		}{
			{"default", nil, 3},
			{"NoRetry", []engine.Option{engine.WithRetryPolicy(engine.NoRetry)}, 1},
			{"two attempts", []engine.Option{engine.WithRetryPolicy(engine.RetryPolicy{MaxAttempts: 2})}, 2},
		} {
			db := open(t, tg, c.opts...)
			calls := 0
			err := db.RunInTx(ctx, dialect.TxOptions{}, func(ctx context.Context, tx *engine.Tx) error {
				calls++
				if calls < 3 {
					return conflict
				}
				return nil
			})
			if calls != c.wantCalls || (c.wantCalls == 3) != (err == nil) {
				t.Errorf("%s: %d calls, err %v; want %d calls", c.name, calls, err, c.wantCalls)
			}
			if err != nil && !sqlerr.IsRetryable(err) {
				t.Errorf("%s: the given-up error is not retryable: %v", c.name, err)
			}
		}
	})
}
