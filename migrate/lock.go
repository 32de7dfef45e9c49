package migrate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

// DefaultLockTable is the table that holds the cluster-wide migration
// lock row (see [WithLockRow]).
const DefaultLockTable = "strata_migrate_lock"

// ErrLockLost is returned when a runner's lock row was taken from it
// (it expired because its heartbeat could not be written, or `strata
// unlock` broke it) while it was migrating: it stops before the next step.
var ErrLockLost = errors.New("migrate: the migration lock was lost")

// ErrNotLocked is returned by [Migrator.Unlock] when no lock row is held.
var ErrNotLocked = errors.New("migrate: the migration lock is not held")

// LockInfo describes who holds (or held) the migration lock row.
type LockInfo struct {
	Holder    string    // host:pid:tag of the runner
	Acquired  time.Time // when it took the lock
	Heartbeat time.Time // its last heartbeat
	Expires   time.Time // when another runner may take the lock over
}

func (l *LockInfo) String() string {
	return fmt.Sprintf("%s since %s (last heartbeat %s, expires %s)", l.Holder,
		l.Acquired.UTC().Format(time.RFC3339), l.Heartbeat.UTC().Format(time.RFC3339), l.Expires.UTC().Format(time.RFC3339))
}

// WithLockRow makes the runner lock with a row in a replicated table
// (DefaultLockTable) instead of the database's session lock (advisory
// lock, GET_LOCK). The runner does so by itself on a MariaDB Galera node,
// where GET_LOCK holds on one node only; use it where session locks do not
// reach every runner (a proxy spreading sessions over several servers).
//
// The row names its holder, when it was taken and when it expires; the
// holder renews it (a heartbeat every third of ttl, on another
// connection). A runner that finds an expired row takes the lock over, so
// a crashed runner blocks others for at most ttl (default 30 s); `strata
// unlock` ([Migrator.Unlock]) breaks it at once. Expiry is computed from
// the runners' clocks: keep them within a small fraction of ttl.
// A negative ttl is an error matching ErrInvalidOption; 0 keeps the
// default.
func WithLockRow(ttl time.Duration) Option {
	return func(m *Migrator) error {
		if ttl < 0 {
			return invalidOption("WithLockRow(%v): the time to live cannot be negative", ttl)
		}
		m.lockRow = true
		if ttl > 0 {
			m.lockTTL = ttl
		}
		return nil
	}
}

func (m *Migrator) lockTable() *schema.Table {
	md := schema.NewMetaData()
	t := &schema.Table{
		Name: DefaultLockTable,
		Columns: []*schema.Column{
			{Name: "name", Type: schema.Varchar(64)},
			{Name: "holder", Type: schema.Varchar(200)},
			{Name: "acquired_at", Type: schema.BigInt()}, // Unix milliseconds: one portable type
			{Name: "heartbeat_at", Type: schema.BigInt()},
			{Name: "expires_at", Type: schema.BigInt()},
		},
		PrimaryKey: &schema.PrimaryKey{Columns: []string{"name"}},
	}
	md.MustAdd(t)
	return t
}

// ensureLockTable creates the lock table if missing. Two runners may
// create it at once; the loser's "already exists" is fine.
func (m *Migrator) ensureLockTable(ctx context.Context, ex engine.Executor) error {
	exists := func() (bool, error) {
		live, err := engine.Inspect(ctx, ex, dialect.InspectOptions{Tables: []string{DefaultLockTable}})
		if err != nil {
			return false, fmt.Errorf("migrate: read lock table: %w", err)
		}
		return live.Table(DefaultLockTable) != nil, nil
	}
	if ok, err := exists(); ok || err != nil {
		return err
	}
	stmts, err := m.db.Dialect().CreateTable(m.lockTable(), nil)
	if err != nil {
		return err
	}
	for _, q := range stmts {
		if _, err := ex.Exec(ctx, q); err != nil {
			if ok, _ := exists(); ok {
				return nil
			}
			return fmt.Errorf("migrate: create lock table: %w", err)
		}
	}
	return nil
}

func newHolder() string {
	host, _ := os.Hostname()
	var tag [4]byte
	rand.Read(tag[:])
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(tag[:]))
}

// rowLock is a held lock row and its heartbeat.
type rowLock struct {
	m      *Migrator
	holder string
	stop   chan struct{}
	done   chan struct{}
	mu     sync.Mutex
	err    error // set when the lock is lost
}

// lost returns ErrLockLost (wrapped with the cause) once the heartbeat
// found the row gone or could not renew it before it expired.
func (l *rowLock) lost() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// takeLockRow inserts the lock row on ex (the runner's connection),
// deleting an expired one first, polling until m.lockWait has passed.
func (m *Migrator) takeLockRow(ctx context.Context, ex *engine.Conn) (*rowLock, error) {
	if err := m.ensureLockTable(ctx, ex); err != nil {
		return nil, err
	}
	l := &rowLock{m: m, holder: newHolder(), stop: make(chan struct{}), done: make(chan struct{})}
	t := expr.T(DefaultLockTable)
	try := func() (bool, error) {
		now := time.Now()
		// Look before taking a write transaction: a live row means wait.
		// On SQLite a write transaction begins IMMEDIATE and would queue
		// (busy timeout) behind the holder's open migration transaction
		// instead of polling.
		var expires int64
		err := engine.QueryRowStmt(ctx, ex, expr.Select(t.C("expires_at")).From(t).Where(expr.Eq(t.C("name"), lockName))).Scan(&expires)
		switch {
		case err == nil && expires >= now.UnixMilli():
			return false, nil
		case err != nil && !errors.Is(err, sqlerr.ErrNotFound):
			return false, err
		}
		tx, err := ex.Begin(ctx)
		if err != nil {
			return false, err
		}
		_, err = engine.ExecStmt(ctx, tx, expr.Delete(t).Where(expr.And(expr.Eq(t.C("name"), lockName), expr.Lt(t.C("expires_at"), now.UnixMilli()))))
		if err == nil {
			_, err = engine.ExecStmt(ctx, tx, expr.Insert(t).Columns("name", "holder", "acquired_at", "heartbeat_at", "expires_at").
				Values(lockName, l.holder, now.UnixMilli(), now.UnixMilli(), now.Add(m.lockTTL).UnixMilli()))
		}
		if err == nil {
			err = tx.Commit(ctx)
		} else {
			err = errors.Join(err, ignoreTxDone(tx.Rollback(context.WithoutCancel(ctx))))
		}
		// Another runner holds the row (unique key), or took it at the same
		// moment on another node (a certification failure at COMMIT).
		if errors.Is(err, sqlerr.ErrIntegrity) || sqlerr.IsRetryable(err) {
			return false, nil
		}
		return err == nil, err
	}
	err := dialect.PollLock(ctx, m.lockWait, try)
	if errors.Is(err, dialect.ErrLockTimeout) {
		if info, ierr := m.LockHolder(ctx); ierr == nil && info != nil {
			return nil, fmt.Errorf("migrate: lock row held by %s (if that runner is gone, run `strata unlock`): %w", info, err)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("migrate: take the lock row: %w", err)
	}
	go l.heartbeat(context.WithoutCancel(ctx))
	return l, nil
}

func ignoreTxDone(err error) error {
	if errors.Is(err, engine.ErrTxDone) {
		return nil
	}
	return err
}

// heartbeat renews the row every third of the ttl through the pool (the
// runner's own connection is busy migrating). It marks the lock lost when
// the row is no longer this holder's, or when it could not renew it
// before it expired.
func (l *rowLock) heartbeat(ctx context.Context) {
	defer close(l.done)
	m := l.m
	t := expr.T(DefaultLockTable)
	expires := time.Now().Add(m.lockTTL)
	tick := time.NewTicker(m.lockTTL / 3)
	defer tick.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-tick.C:
		}
		now := time.Now()
		cctx, cancel := context.WithTimeout(ctx, m.lockTTL/3)
		res, err := engine.ExecStmt(cctx, m.db, expr.Update(t).Set("heartbeat_at", now.UnixMilli()).Set("expires_at", now.Add(m.lockTTL).UnixMilli()).
			Where(expr.And(expr.Eq(t.C("name"), lockName), expr.Eq(t.C("holder"), l.holder))))
		cancel()
		var cause error
		switch {
		case err == nil && res.RowsAffected == 0:
			cause = errors.New("the lock row was deleted or taken over")
		case err == nil:
			expires = now.Add(m.lockTTL)
		case time.Now().After(expires):
			cause = fmt.Errorf("heartbeat failed until the lock expired: %w", err)
		}
		if cause != nil {
			l.mu.Lock()
			l.err = fmt.Errorf("%w: %s: %w", ErrLockLost, l.holder, cause)
			l.mu.Unlock()
			return
		}
	}
}

// release stops the heartbeat and deletes the row if it is still ours.
func (l *rowLock) release(ctx context.Context) error {
	close(l.stop)
	<-l.done
	t := expr.T(DefaultLockTable)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_, err := engine.ExecStmt(ctx, l.m.db, expr.Delete(t).Where(expr.And(expr.Eq(t.C("name"), lockName), expr.Eq(t.C("holder"), l.holder))))
	return err
}

// LockHolder returns who holds the migration lock row, or nil if nobody
// does (or the lock table does not exist).
func (m *Migrator) LockHolder(ctx context.Context) (*LockInfo, error) {
	live, err := engine.Inspect(ctx, m.db, dialect.InspectOptions{Tables: []string{DefaultLockTable}})
	if err != nil {
		return nil, fmt.Errorf("migrate: read lock table: %w", err)
	}
	if live.Table(DefaultLockTable) == nil {
		return nil, nil
	}
	t := expr.T(DefaultLockTable)
	var holder string
	var acq, hb, exp int64
	err = engine.QueryRowStmt(ctx, m.db, expr.Select(t.C("holder"), t.C("acquired_at"), t.C("heartbeat_at"), t.C("expires_at")).From(t).
		Where(expr.Eq(t.C("name"), lockName))).Scan(&holder, &acq, &hb, &exp)
	if errors.Is(err, sqlerr.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("migrate: read lock table: %w", err)
	}
	return &LockInfo{Holder: holder, Acquired: time.UnixMilli(acq), Heartbeat: time.UnixMilli(hb), Expires: time.UnixMilli(exp)}, nil
}

// Unlock breaks the migration lock row whoever holds it and returns who
// held it, or ErrNotLocked. Use it only when that runner is gone: a live
// runner notices at its next heartbeat and stops before its next step,
// but a step it is running finishes.
//
// It also removes the lock row SQLite's session lock leaves behind a
// crashed process (table strata_lock). Session locks of PostgreSQL
// (advisory locks) and MariaDB without Galera (GET_LOCK) end with their
// session and need no breaking.
func (m *Migrator) Unlock(ctx context.Context) (*LockInfo, error) {
	info, err := m.LockHolder(ctx)
	if err != nil {
		return nil, err
	}
	if info != nil {
		t := expr.T(DefaultLockTable)
		if _, err := engine.ExecStmt(ctx, m.db, expr.Delete(t).Where(expr.And(expr.Eq(t.C("name"), lockName), expr.Eq(t.C("holder"), info.Holder)))); err != nil {
			return nil, fmt.Errorf("migrate: break the lock row: %w", err)
		}
		return info, nil
	}
	return m.unlockSessionRow(ctx)
}

// unlockSessionRow deletes the row SQLite's Locker keeps in strata_lock
// (no other dialect's lock leaves one).
func (m *Migrator) unlockSessionRow(ctx context.Context) (*LockInfo, error) {
	const table = "strata_lock"
	live, err := engine.Inspect(ctx, m.db, dialect.InspectOptions{Tables: []string{table}})
	if err != nil || live.Table(table) == nil {
		return nil, errors.Join(ErrNotLocked, err)
	}
	t := expr.T(table)
	var owner, since string
	err = engine.QueryRowStmt(ctx, m.db, expr.Select(t.C("owner"), t.C("acquired_at")).From(t).Where(expr.Eq(t.C("name"), lockName))).Scan(&owner, &since)
	if errors.Is(err, sqlerr.ErrNotFound) {
		return nil, ErrNotLocked
	}
	if err != nil {
		return nil, err
	}
	if _, err := engine.ExecStmt(ctx, m.db, expr.Delete(t).Where(expr.And(expr.Eq(t.C("name"), lockName), expr.Eq(t.C("owner"), owner)))); err != nil {
		return nil, err
	}
	at, _ := time.Parse(time.RFC3339Nano, since)
	return &LockInfo{Holder: owner, Acquired: at, Heartbeat: at, Expires: at}, nil
}
