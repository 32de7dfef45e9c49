package orm_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
	"github.com/strata-go/strata/sqlerr"
)

// A session is a unit of work for one goroutine. Two goroutines
// using one session get a *ConcurrentUseError naming both operations; many
// goroutines with a session each, from one shared Factory, work side by
// side.

// Job is written by many goroutines, each its own rows.
type Job struct {
	ID      int64  `db:"id,pk"`
	Worker  int32  `db:"worker,index"`
	Seq     int32  `db:"seq"`
	Value   int64  `db:"value"`
	State   string `db:"state,size:20,default:'new'"`
	Version int32  `db:"version,version"`
}

// Tally is one row every goroutine updates: optimistic versions decide.
type Tally struct {
	ID      int64  `db:"id,pk,noautoincrement"`
	Name    string `db:"name,size:20"`
	Hits    int64  `db:"hits"`
	Version int32  `db:"version,version"`
}

// gate is a slog handler that, once armed, stops the first statement
// whose SQL starts with prefix until released. The engine logs a
// statement after running it, inside the session's call: the session's
// operation is then still running.
type gate struct {
	prefix  string
	armed   atomic.Bool
	once    sync.Once
	reached chan string
	release chan struct{}
}

func (g *gate) Enabled(context.Context, slog.Level) bool { return true }
func (g *gate) WithAttrs([]slog.Attr) slog.Handler       { return g }
func (g *gate) WithGroup(string) slog.Handler            { return g }
func (g *gate) Handle(_ context.Context, rec slog.Record) error {
	if !g.armed.Load() {
		return nil
	}
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == "sql" && strings.HasPrefix(a.Value.String(), g.prefix) {
			g.once.Do(func() {
				g.reached <- a.Value.String()
				<-g.release
			})
		}
		return true
	})
	return nil
}

func setupJobs(t *testing.T, tg testdb.Target, h slog.Handler) (*orm.Factory, *engine.DB) {
	t.Helper()
	ctx := context.Background()
	var opts []engine.Option
	if h != nil {
		opts = append(opts, engine.WithLogger(slog.New(h), slog.LevelDebug))
	}
	db, err := engine.Open(ctx, tg.Dialect, tg.DSN, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	reg := orm.NewRegistry()
	orm.MustRegister[Job](reg)
	orm.MustRegister[Tally](reg)
	if err := engine.CreateAll(ctx, db, reg.MetaData()); err != nil {
		t.Fatal(err)
	}
	return orm.NewFactory(db, reg), db
}

// wantConcurrentUse checks that err is a *ConcurrentUseError refusing op
// while running is in the session.
func wantConcurrentUse(t *testing.T, err error, op, running string) {
	t.Helper()
	var ce *orm.ConcurrentUseError
	if !errors.As(err, &ce) || !errors.Is(err, orm.ErrConcurrentUse) {
		t.Fatalf("%s during %s: got %v (%T), want a *orm.ConcurrentUseError", op, running, err, err)
	}
	if ce.Op != op || ce.Running != running {
		t.Errorf("ConcurrentUseError{Op: %q, Running: %q}, want {%q, %q}", ce.Op, ce.Running, op, running)
	}
	if msg := err.Error(); !strings.Contains(msg, op) || !strings.Contains(msg, running) {
		t.Errorf("the message does not name both operations: %s", msg)
	}
}

func TestSessionPerGoroutineAndSharedSessionDetected(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		t.Run("misuse", func(t *testing.T) { sharedSessionMisuse(t, tg) })
		t.Run("session_per_goroutine", func(t *testing.T) {
			sessionPerGoroutine(t, testdb.New(t, tg.Name)) // a fresh database
		})
	})
}

// sharedSessionMisuse stops a Flush at its INSERT and uses the same session from
// another goroutine meanwhile.
func sharedSessionMisuse(t *testing.T, tg testdb.Target) {
	ctx := context.Background()
	g := &gate{prefix: "INSERT", reached: make(chan string, 1), release: make(chan struct{})}
	f, _ := setupJobs(t, tg, g)
	s := f.New()
	defer s.Close(ctx)
	jobs := []*Job{{Worker: 1, Seq: 1, Value: 10}, {Worker: 1, Seq: 2, Value: 20}}
	for _, j := range jobs {
		if err := s.Add(j); err != nil {
			t.Fatal(err)
		}
	}
	g.armed.Store(true)
	flushed := make(chan error, 1)
	go func() { flushed <- s.Flush(ctx) }()
	var released bool
	release := func() {
		if !released {
			released = true
			close(g.release)
		}
	}
	defer release() // never leave the flush hanging on a failed check
	select {
	case q := <-g.reached:
		t.Logf("flush stopped in %.60s", q)
	case err := <-flushed:
		t.Fatalf("the flush ended (%v) without reaching its INSERT", err)
	case <-time.After(20 * time.Second):
		t.Fatal("the flush never reached its INSERT")
	}

	// The flush is inside the session now: everything else is refused.
	_, err := orm.Get[Job](ctx, s, int64(1))
	wantConcurrentUse(t, err, "Get", "Flush")
	late := &Job{Worker: 2, Seq: 1}
	wantConcurrentUse(t, s.Add(late), "Add", "Flush")
	wantConcurrentUse(t, s.Delete(jobs[0]), "Delete", "Flush")
	wantConcurrentUse(t, s.Flush(ctx), "Flush", "Flush")
	wantConcurrentUse(t, s.Commit(ctx), "Commit", "Flush")
	wantConcurrentUse(t, s.Rollback(ctx), "Rollback", "Flush")
	wantConcurrentUse(t, s.Close(ctx), "Close", "Flush")

	release()
	select {
	case err := <-flushed:
		if err != nil {
			t.Fatalf("the interrupted flush failed: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the flush did not finish after release")
	}
	// The refused calls changed nothing: the session goes on.
	if st := s.Status(late); st != orm.Transient {
		t.Errorf("refused Add left the object %s", st)
	}
	for _, j := range jobs {
		if j.ID == 0 || j.State != "new" || s.Status(j) != orm.Persistent {
			t.Errorf("after the flush: %+v status %s", *j, s.Status(j))
		}
	}
	got, err := orm.Get[Job](ctx, s, jobs[0].ID)
	if err != nil || got != jobs[0] {
		t.Fatalf("Get after the flush: %p %v, want %p", got, err, jobs[0])
	}
	jobs[1].Value = 21
	if err := s.Add(late); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatalf("commit after the refused calls: %v", err)
	}
	check := f.New()
	defer check.Close(ctx)
	for _, want := range []*Job{jobs[0], jobs[1], late} {
		j, err := orm.Get[Job](ctx, check, want.ID)
		if err != nil || j.Value != want.Value || j.Worker != want.Worker || j.Version != want.Version {
			t.Errorf("stored %+v %v, want %+v", j, err, *want)
		}
	}
}

const (
	jobsWorkers     = 32
	jobsRounds      = 3 // batches of inserts per worker
	jobsPerBatch    = 2 // jobs per batch
	jobsTallyBumps  = 2 // increments of the shared row per worker
	jobsMaxAttempts = 500
)

// retryJob runs fn in a fresh session until it commits, retrying stale
// data (the shared row's version moved) and retryable errors
// (serialization failures, deadlocks, SQLite busy). It counts the retries
// by kind.
func retryJob(ctx context.Context, f *orm.Factory, stale, busy *atomic.Int64, fn func(s *orm.Session) error) error {
	var err error
	for attempt := range jobsMaxAttempts {
		if attempt > 0 {
			time.Sleep(time.Duration(rand.IntN(1+min(attempt, 20))) * time.Millisecond)
		}
		s := f.New()
		err = fn(s)
		if err == nil {
			err = s.Commit(ctx)
		}
		s.Close(ctx)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, orm.ErrStaleData):
			stale.Add(1)
		case sqlerr.IsRetryable(err):
			busy.Add(1)
		default:
			return err
		}
	}
	return fmt.Errorf("still failing after %d attempts: %w", jobsMaxAttempts, err)
}

// sessionPerGoroutine runs 32 goroutines with a session each from one Factory.
func sessionPerGoroutine(t *testing.T, tg testdb.Target) {
	ctx := context.Background()
	f, db := setupJobs(t, tg, nil)
	{
		s := f.New()
		s.Add(&Tally{ID: 1, Name: "shared"})
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		s.Close(ctx)
	}
	start := time.Now()
	var stale, busy atomic.Int64
	errs := make(chan error, jobsWorkers)
	var wg sync.WaitGroup
	for w := range int32(jobsWorkers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- jobsWorker(ctx, f, w, &stale, &busy)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	t.Logf("%s: %d workers done in %v; retries: %d stale data, %d retryable (busy/serialization/deadlock)",
		tg.Name, jobsWorkers, time.Since(start).Round(time.Millisecond), stale.Load(), busy.Load())
	if t.Failed() {
		return
	}

	// The totals, read raw.
	const jobs = jobsWorkers * jobsRounds * jobsPerBatch
	var n, sum, versions int64
	if err := db.QueryRow(ctx, "SELECT COUNT(*), SUM(value), SUM(version) FROM job WHERE state = 'done'").Scan(&n, &sum, &versions); err != nil {
		t.Fatal(err)
	}
	// each job: value = worker*1000 + seq, then +1 by the update
	var wantSum int64
	for w := range int64(jobsWorkers) {
		for seq := range int64(jobsRounds * jobsPerBatch) {
			wantSum += w*1000 + seq + 1
		}
	}
	if n != jobs || sum != wantSum || versions != 2*jobs {
		t.Errorf("jobs done: %d, value sum %d, version sum %d; want %d, %d, %d", n, sum, versions, jobs, wantSum, 2*jobs)
	}
	var total int64
	if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM job").Scan(&total); err != nil || total != jobs {
		t.Errorf("%d jobs in all (%v), want %d", total, err, jobs)
	}
	s := f.New()
	defer s.Close(ctx)
	tally, err := orm.Get[Tally](ctx, s, int64(1))
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(jobsWorkers * jobsTallyBumps); tally.Hits != want || int64(tally.Version) != want+1 {
		t.Errorf("shared row: hits %d version %d, want %d (lost updates?)", tally.Hits, tally.Version, want)
	}
}

// jobsWorker is one goroutine's work: its own session per batch.
func jobsWorker(ctx context.Context, f *orm.Factory, w int32, stale, busy *atomic.Int64) error {
	var ids []int64
	for r := range int32(jobsRounds) {
		var batch []*Job
		err := retryJob(ctx, f, stale, busy, func(s *orm.Session) error {
			batch = batch[:0]
			for i := range int32(jobsPerBatch) {
				j := &Job{Worker: w, Seq: r*jobsPerBatch + i, Value: int64(w)*1000 + int64(r*jobsPerBatch+i)}
				batch = append(batch, j)
				if err := s.Add(j); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("worker %d: insert batch %d: %w", w, r, err)
		}
		for _, j := range batch {
			if j.ID == 0 || j.State != "new" {
				return fmt.Errorf("worker %d: inserted job not filled in: %+v", w, *j)
			}
			ids = append(ids, j.ID)
		}
	}
	// Update its own rows: nobody else touches them, no conflict expected
	// beyond what the database itself reports as retryable.
	err := retryJob(ctx, f, stale, busy, func(s *orm.Session) error {
		for _, id := range ids {
			j, err := orm.Get[Job](ctx, s, id)
			if err != nil {
				return err
			}
			if j.Worker != w {
				return fmt.Errorf("job %d belongs to worker %d, not %d", id, j.Worker, w)
			}
			j.Value++
			j.State = "done"
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("worker %d: updating its jobs: %w", w, err)
	}
	// The shared row: read, increment, write with the version check.
	for range jobsTallyBumps {
		err := retryJob(ctx, f, stale, busy, func(s *orm.Session) error {
			tl, err := orm.Get[Tally](ctx, s, int64(1))
			if err != nil {
				return err
			}
			tl.Hits++
			return nil
		})
		if err != nil {
			return fmt.Errorf("worker %d: bumping the shared row: %w", w, err)
		}
	}
	return nil
}
