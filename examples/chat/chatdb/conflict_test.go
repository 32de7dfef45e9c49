package chatdb

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/internal/testdb"
)

// bumpPlan makes a "concurrent change": before the first times UPDATEs
// of the thread, the middleware moves its version in the same
// transaction, so that the UPDATE, conditional on the version read,
// matches no row.
type bumpPlan struct {
	id          uuid.UUID
	placeholder string
	times       int32
	n           atomic.Int32
}

type bumpKey struct{}

type bumping struct{ next dialect.Querier }

func (q bumping) Exec(ctx context.Context, sql string, args ...any) (dialect.Result, error) {
	if p, _ := ctx.Value(bumpKey{}).(*bumpPlan); p != nil && strings.HasPrefix(sql, "UPDATE") && strings.Contains(sql, "threads") &&
		p.n.Load() < p.times {
		p.n.Add(1)
		if _, err := q.next.Exec(ctx, "UPDATE threads SET version = version + 1 WHERE id = "+p.placeholder, p.id); err != nil {
			return dialect.Result{}, err
		}
	}
	return q.next.Exec(ctx, sql, args...)
}

func (q bumping) Query(ctx context.Context, sql string, args ...any) (dialect.Rows, error) {
	return q.next.Query(ctx, sql, args...)
}

// TestConcurrentChangeIsRetriedOrReported moves the thread's version
// between UpdateThread's read and its UPDATE: once, and the transaction
// runs again and applies the change; every time, and the retries run out
// with ErrConflict and the thread unchanged. Never an insert.
func TestConcurrentChangeIsRetriedOrReported(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		s := openStore(t, tg, Options{middleware: []engine.Middleware{func(next dialect.Querier) dialect.Querier { return bumping{next} }}})
		th := mustThread(t, s, Thread{Name: "before"})

		once := &bumpPlan{id: th.ID, placeholder: placeholder(s), times: 1}
		got, err := s.UpdateThread(context.WithValue(ctx, bumpKey{}, once), th.ID, ThreadUpdate{Name: ptr("after")})
		if err != nil || got.Name != "after" || once.n.Load() != 1 {
			t.Fatalf("one concurrent change: %+v %v (bumped %d times), want the update applied on the retry", got, err, once.n.Load())
		}

		always := &bumpPlan{id: th.ID, placeholder: placeholder(s), times: 1 << 30}
		_, cerr := s.UpdateThread(context.WithValue(ctx, bumpKey{}, always), th.ID, ThreadUpdate{Name: ptr("never")})
		if !errors.Is(cerr, ErrConflict) || always.n.Load() < 2 {
			t.Fatalf("changes on every attempt: %v after %d attempts, want ErrConflict after retries", cerr, always.n.Load())
		}
		back, err := s.GetThread(ctx, th.ID)
		if err != nil || back.Name != "after" {
			t.Fatalf("after the conflict: %+v %v", back, err)
		}
		t.Logf("%s: %d attempts before ErrConflict: %v", tg.Name, always.n.Load(), cerr)
		if rows := countRows(t, s); rows != "threads=1 steps=0 elements=0 feedbacks=0" {
			t.Fatalf("rows: %s", rows)
		}
	})
}
