package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/sqlerr"
)

// Read routing is explicit: a [Router] holds a primary and its replicas,
// and the caller says which work is read-only, by a context from
// [ReadOnly] or by TxOptions.ReadOnly. Read-only work goes to a replica;
// everything else, and every read inside a write transaction (it runs on
// that transaction), goes to the primary. A replica lags: by default a
// read right after a commit may miss it. [WithReadYourWrites] chooses how
// not to: wait until the replica has replayed the primary's position
// after the last write (PostgreSQL: WAL LSN), or read from the primary for
// a window after each write. On MariaDB Galera every node is a primary;
// read-your-writes there is the wsrep_sync_wait session variable (a DSN
// parameter), not a router.

type readOnlyKey struct{}

// ReadOnly returns a context that marks work as read-only: a [Router]
// sends it to a replica, and any DB, Conn or Tx refuses a statement that
// writes under it with a [*sqlerr.ReadOnlyError] before sending any SQL.
func ReadOnly(ctx context.Context) context.Context {
	return context.WithValue(ctx, readOnlyKey{}, true)
}

// IsReadOnly reports whether ctx comes from [ReadOnly].
func IsReadOnly(ctx context.Context) bool {
	ro, _ := ctx.Value(readOnlyKey{}).(bool)
	return ro
}

// readKeywords are the leading keywords of statements that do not write.
// The guard is by leading keyword only; a write it lets through (a
// data-modifying WITH on PostgreSQL) is refused by a replica or a
// read-only transaction with the same typed error.
var readKeywords = []string{"SELECT", "WITH", "SHOW", "EXPLAIN", "VALUES", "TABLE", "SET", "PRAGMA", "DESCRIBE", "DESC"}

// refuseWrite returns a ReadOnlyError if ctx is read-only and query writes.
func refuseWrite(ctx context.Context, query string) error {
	if !IsReadOnly(ctx) {
		return nil
	}
	q := strings.TrimLeft(query, " \t\r\n(")
	word := q
	if i := strings.IndexAny(q, " \t\r\n("); i >= 0 {
		word = q[:i]
	}
	for _, k := range readKeywords {
		if strings.EqualFold(word, k) {
			return nil
		}
	}
	return &sqlerr.ReadOnlyError{Err: fmt.Errorf("engine: %s in a read-only context (no SQL was sent)", strings.ToUpper(word))}
}

// RYW is a read-your-writes policy; see [WithReadYourWrites].
type RYW struct {
	// WaitReplay, if set, makes a read-only call wait (at most this long)
	// until the chosen replica has replayed the primary's position taken
	// after the router's last write; then the primary serves it.
	WaitReplay time.Duration
	// PrimaryFor, if set, sends read-only calls to the primary for this
	// long after each write through the router.
	PrimaryFor time.Duration
}

// RouterOption configures a Router.
type RouterOption func(*Router) error

// WithReadYourWrites sets the read-your-writes policy (default none:
// reads after a commit may be stale). WaitReplay needs a dialect that is
// [dialect.Replicated] (PostgreSQL).
func WithReadYourWrites(p RYW) RouterOption {
	return func(r *Router) error {
		if p.WaitReplay < 0 || p.PrimaryFor < 0 {
			return errors.New("engine: negative read-your-writes duration")
		}
		if _, ok := r.primary.Dialect().(dialect.Replicated); p.WaitReplay > 0 && !ok {
			return fmt.Errorf("engine: %s cannot compare replica positions; use PrimaryFor: %w", r.primary.Dialect().Name(), sqlerr.ErrUnsupported)
		}
		r.ryw = p
		return nil
	}
}

// Router sends read-only work to replicas and the rest to the primary.
// It is safe for concurrent use.
type Router struct {
	primary  *DB
	replicas []*DB
	next     atomic.Uint64
	ryw      RYW

	mu        sync.Mutex
	lastWrite time.Time
	position  string // primary position after the last write ("" unknown)
}

// NewRouter returns a router over primary and replicas (none: everything
// goes to the primary).
func NewRouter(primary *DB, replicas []*DB, opts ...RouterOption) (*Router, error) {
	r := &Router{primary: primary, replicas: replicas}
	for _, o := range opts {
		if err := o(r); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Primary returns the primary.
func (r *Router) Primary() *DB { return r.primary }

// Reader returns the DB a read-only call should use now: a replica (round
// robin), or the primary when read-your-writes asks for it.
func (r *Router) Reader(ctx context.Context) (*DB, error) {
	if len(r.replicas) == 0 {
		return r.primary, nil
	}
	rep := r.replicas[int(r.next.Add(1)-1)%len(r.replicas)]
	r.mu.Lock()
	last, pos := r.lastWrite, r.position
	r.mu.Unlock()
	if last.IsZero() {
		return rep, nil
	}
	if r.ryw.PrimaryFor > 0 && time.Since(last) < r.ryw.PrimaryFor {
		return r.primary, nil
	}
	if r.ryw.WaitReplay > 0 && pos == "" {
		return r.primary, nil // the position after the write is unknown
	}
	if r.ryw.WaitReplay > 0 {
		rp := r.primary.Dialect().(dialect.Replicated)
		wait := dialect.PollLock(ctx, r.ryw.WaitReplay, func() (bool, error) {
			return rp.Replayed(ctx, rep.core.q, pos)
		})
		if errors.Is(wait, dialect.ErrLockTimeout) {
			return r.primary, nil // the replica is behind: the primary has it
		}
		if wait != nil {
			return nil, wait
		}
	}
	return rep, nil
}

// BeginTx starts a transaction: on a replica when opts.ReadOnly or ctx is
// read-only (see [ReadOnly]), else on the primary.
func (r *Router) BeginTx(ctx context.Context, opts dialect.TxOptions) (*Tx, error) {
	if opts.ReadOnly || IsReadOnly(ctx) {
		db, err := r.Reader(ctx)
		if err != nil {
			return nil, err
		}
		opts.ReadOnly = true
		return db.BeginTx(ReadOnly(ctx), opts)
	}
	return r.primary.BeginTx(ctx, opts)
}

// RunInTx runs fn in a transaction routed as BeginTx routes it, with the
// primary's retry policy; after a write transaction commits, the router
// records it for read-your-writes.
func (r *Router) RunInTx(ctx context.Context, opts dialect.TxOptions, fn TxFunc) error {
	if opts.ReadOnly || IsReadOnly(ctx) {
		db, err := r.Reader(ctx)
		if err != nil {
			return err
		}
		opts.ReadOnly = true
		return db.RunInTx(ReadOnly(ctx), opts, fn)
	}
	err := r.primary.RunInTx(ctx, opts, fn)
	if sqlerr.OutcomeOf(err) != sqlerr.NothingWritten {
		r.Wrote(ctx)
	}
	return err
}

// Wrote records a write committed on the primary outside the router's own
// transactions (an ORM session's commit, say), for read-your-writes.
func (r *Router) Wrote(ctx context.Context) {
	pos := ""
	if rp, ok := r.primary.Dialect().(dialect.Replicated); ok && r.ryw.WaitReplay > 0 {
		pos, _ = rp.Position(context.WithoutCancel(ctx), r.primary.core.q) // "" (unknown): reads go to the primary for a while
	}
	r.mu.Lock()
	r.lastWrite, r.position = time.Now(), pos
	r.mu.Unlock()
}
