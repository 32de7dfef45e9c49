package orm_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strata-go/strata/dialect/sqlitedialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/orm"
	"github.com/strata-go/strata/sqlerr"
)

// Wallet and Ledger are the models of the SQLite concurrency check: a
// balance bumped by read-modify-write transactions and a ledger appended
// to.
type Wallet struct {
	ID      int64 `db:"id,pk"`
	Balance int64 `db:"balance"`
}

type Ledger struct {
	ID      int64  `db:"id,pk"`
	Account int64  `db:"account"`
	Note    string `db:"note"`
}

// mixResult is what a run of sqliteMix saw.
type mixResult struct {
	ops, busy, other int64 // operations, SQLITE_BUSY errors, other errors
	bumps, entries   int64 // committed balance increments and ledger rows
	firstErr         error
	elapsed          time.Duration
}

// sqliteMix runs workers×perWorker session operations on f from as many
// goroutines: read-modify-write transactions through Factory.Transact and
// through a plain Begin/Commit, single inserts committed without Begin,
// and reads (read-only sessions and plain ones). Every error reaching the
// caller is counted; none is retried here.
func sqliteMix(ctx context.Context, f *orm.Factory, accounts []int64, workers, perWorker int) mixResult {
	var r mixResult
	var mu sync.Mutex
	fail := func(err error) {
		var re *sqlerr.RetryableError
		mu.Lock()
		defer mu.Unlock()
		if errors.As(err, &re) && re.Reason == "busy" {
			r.busy++
		} else {
			r.other++
		}
		if r.firstErr == nil {
			r.firstErr = err
		}
	}
	var bumps, entries atomic.Int64
	bump := func(ctx context.Context, s *orm.Session, id int64) error {
		a, err := orm.Get[Wallet](ctx, s, id)
		if err != nil {
			return err
		}
		a.Balance++
		return s.Add(&Ledger{Account: id, Note: "bump"})
	}
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				id := accounts[(w+i)%len(accounts)]
				var err error
				switch i % 5 {
				case 0: // the way to write
					err = f.Transact(ctx, func(ctx context.Context, s *orm.Session) error { return bump(ctx, s, id) })
					if err == nil {
						bumps.Add(1)
						entries.Add(1)
					}
				case 1: // the plain pattern: Begin, read, change, Commit
					s := f.New()
					if err = s.Begin(ctx); err == nil {
						if err = bump(ctx, s, id); err == nil {
							err = s.Commit(ctx)
						}
					}
					s.Close(ctx)
					if err == nil {
						bumps.Add(1)
						entries.Add(1)
					}
				case 2: // an insert committed alone
					s := f.New()
					if err = s.Add(&Ledger{Account: id, Note: fmt.Sprint("w", w, "i", i)}); err == nil {
						err = s.Commit(ctx)
					}
					s.Close(ctx)
					if err == nil {
						entries.Add(1)
					}
				case 3: // a read-only session: a read-only transaction
					s := f.NewReadOnly()
					if err = s.Begin(ctx); err == nil {
						if _, err = orm.Get[Wallet](ctx, s, id); err == nil {
							_, err = orm.Select[Ledger](s).Count(ctx)
						}
					}
					s.Close(ctx)
				case 4: // plain reads, outside any transaction
					s := f.New()
					_, err = orm.Select[Wallet](s).All(ctx)
					s.Close(ctx)
				}
				if err != nil {
					fail(err)
				}
			}
		})
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	r.ops = int64(workers * perWorker)
	r.bumps, r.entries = bumps.Load(), entries.Load()
	return r
}

// openMix opens a SQLite file with dsnParams and the options, creates the
// models' tables and ten accounts.
func openMix(t testing.TB, dsnParams string, opts ...engine.Option) (*orm.Factory, []int64) {
	t.Helper()
	ctx := context.Background()
	dsn := "file:" + filepath.Join(t.TempDir(), "app.db") + dsnParams
	db, err := engine.Open(ctx, sqlitedialect.New(), dsn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	reg := orm.NewRegistry()
	orm.MustRegister[Wallet](reg)
	orm.MustRegister[Ledger](reg)
	if err := engine.CreateAll(ctx, db, reg.MetaData()); err != nil {
		t.Fatal(err)
	}
	f := orm.NewFactory(db, reg)
	s := f.New()
	defer s.Close(ctx)
	var ids []int64
	var accs []*Wallet
	for range 10 {
		a := &Wallet{}
		accs = append(accs, a)
		s.Add(a)
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, a := range accs {
		ids = append(ids, a.ID)
	}
	return f, ids
}

// TestSQLitePlainDSNUnderConcurrency is issue 15's measurement: 750
// session operations from 25 goroutines on the README's plain file DSN.
// With Strata's defaults (WAL, busy timeout, BEGIN IMMEDIATE for write
// transactions, a pool of DefaultMaxOpen connections) no SQLITE_BUSY, and
// no other error, reaches the caller, and every committed write is there.
func TestSQLitePlainDSNUnderConcurrency(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	f, accounts := openMix(t, "")
	r := sqliteMix(ctx, f, accounts, 25, 30)
	t.Logf("%d operations in %v: %d busy, %d other errors", r.ops, r.elapsed.Round(time.Millisecond), r.busy, r.other)
	if r.busy != 0 || r.other != 0 {
		t.Fatalf("%d SQLITE_BUSY and %d other errors reached the caller; the first: %v", r.busy, r.other, r.firstErr)
	}
	var sum, n int64
	db := f.DB()
	if err := db.QueryRow(ctx, "SELECT SUM(balance) FROM wallet").Scan(&sum); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM ledger").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if sum != r.bumps || n != r.entries {
		t.Fatalf("balance sum %d and %d entries; want %d and %d (lost writes)", sum, n, r.bumps, r.entries)
	}
}
