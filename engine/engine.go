package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/sqlerr"
)

// Executor runs SQL on a [DB], a [Conn] or a [Tx]: code that takes an
// Executor works the same inside and outside a transaction. It runs SQL
// text; [ExecStmt], [QueryStmt] and [QueryRowStmt] build an
// [expr.Statement] for the executor's dialect and run it through these
// methods, so a statement builder needs no method of its own here (as
// pgx's and bun's three-method interfaces).
type Executor interface {
	// Dialect is the dialect statements are built for.
	Dialect() dialect.Dialect
	// Exec runs a statement that returns no rows.
	Exec(ctx context.Context, query string, args ...any) (dialect.Result, error)
	// Query runs a statement that returns rows; close them when done.
	Query(ctx context.Context, query string, args ...any) (*Rows, error)
	// QueryRow runs a query expected to return one row; its error,
	// including [sqlerr.ErrNotFound] when there is no row, comes from
	// Row.Scan.
	QueryRow(ctx context.Context, query string, args ...any) *Row
}

// ExecStmt builds s for ex's dialect and runs it with ex.Exec.
func ExecStmt(ctx context.Context, ex Executor, s expr.Statement) (dialect.Result, error) {
	q, args, err := expr.Build(ex.Dialect(), s)
	if err != nil {
		return dialect.Result{}, err
	}
	return ex.Exec(ctx, q, args...)
}

// QueryStmt builds s for ex's dialect and runs it with ex.Query.
func QueryStmt(ctx context.Context, ex Executor, s expr.Statement) (*Rows, error) {
	q, args, err := expr.Build(ex.Dialect(), s)
	if err != nil {
		return nil, err
	}
	return ex.Query(ctx, q, args...)
}

// QueryRowStmt builds s for ex's dialect and runs it with ex.QueryRow; a
// build error comes from Row.Scan.
func QueryRowStmt(ctx context.Context, ex Executor, s expr.Statement) *Row {
	q, args, err := expr.Build(ex.Dialect(), s)
	if err != nil {
		return &Row{err: err}
	}
	return ex.QueryRow(ctx, q, args...)
}

var (
	_ Executor = (*DB)(nil)
	_ Executor = (*Conn)(nil)
	_ Executor = (*Tx)(nil)
)

// Option configures a DB.
type Option func(*DB)

// WithLogger logs every statement to l with its arguments, duration and
// error, at level (slog.LevelDebug if you pass that, say). Logging is off
// unless this option is given.
func WithLogger(l *slog.Logger, level slog.Level) Option {
	return func(db *DB) { db.log = &logger{l: l, level: level} }
}

// WithRetryPolicy sets the policy [DB.RunInTx] retries failed
// transactions by (default [DefaultRetryPolicy]); [NoRetry] turns retries
// off.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(db *DB) { db.retry = p }
}

// WithMiddleware wraps every statement the DB runs; see [Middleware].
func WithMiddleware(mw ...Middleware) Option {
	return func(db *DB) { db.mw = append(db.mw, mw...) }
}

// PoolOptions size the connection pool [Open] opens, the same way on
// every dialect: MaxOpen, MaxIdle, MinOpen, MaxLifetime, MaxIdleTime. A
// field left zero keeps what the DSN says (pgx's pool_max_conns, say) or
// the dialect's default; see [dialect.PoolOptions].
type PoolOptions = dialect.PoolOptions

// PoolStats is a snapshot of the pool; see [DB.Stats].
type PoolStats = dialect.PoolStats

// WithPool sizes the pool [Open] opens:
//
//	db, err := engine.Open(ctx, pgdialect.New(), dsn, engine.WithPool(engine.PoolOptions{
//		MaxOpen:     20,
//		MaxLifetime: time.Hour,
//		MaxIdleTime: 5 * time.Minute,
//	}))
//
// Options a database cannot honour are errors from Open matching
// [sqlerr.ErrUnsupported] (MaxIdle on PostgreSQL, whose pgxpool has no
// idle cap; MinOpen on MariaDB and SQLite, whose database/sql pool keeps
// no minimum); contradictory ones match [dialect.ErrPoolOptions]. [New]
// takes a pool already open and refuses it (size that pool where you
// make it).
func WithPool(o PoolOptions) Option {
	return func(db *DB) { db.poolOpts = o }
}

// DB is a database handle: a dialect and a connection pool. It is safe for
// concurrent use; open one per database and share it.
type DB struct {
	core
	pool     dialect.Pool
	retry    RetryPolicy
	poolOpts PoolOptions // from WithPool, for Open
}

// Open connects to dsn with dialect d. With [WithPool] the dialect opens
// its pool so sized ([dialect.PoolOpener]).
func Open(ctx context.Context, d dialect.Dialect, dsn string, opts ...Option) (*DB, error) {
	db := newDB(d, opts)
	var pool dialect.Pool
	var err error
	switch po, ok := d.(dialect.PoolOpener); {
	case ok:
		pool, err = po.OpenPool(ctx, dsn, db.poolOpts)
	case !db.poolOpts.IsZero():
		return nil, sqlerr.Unsupported(d.Name(), "size its pool: the dialect has no OpenPool (dialect.PoolOpener)")
	default:
		pool, err = d.Open(ctx, dsn)
	}
	if err != nil {
		return nil, withCtx(ctx, d.TranslateError(err))
	}
	db.setPool(pool)
	return db, nil
}

// New wraps an already open pool. It panics if given [WithPool]: the pool
// is sized where it was made.
func New(d dialect.Dialect, pool dialect.Pool, opts ...Option) *DB {
	db := newDB(d, opts)
	if !db.poolOpts.IsZero() {
		panic("engine: New takes an open pool: size it where it is made, not with WithPool")
	}
	db.setPool(pool)
	return db
}

func newDB(d dialect.Dialect, opts []Option) *DB {
	db := &DB{core: core{d: d}, retry: DefaultRetryPolicy()}
	for _, o := range opts {
		o(db)
	}
	return db
}

func (db *DB) setPool(pool dialect.Pool) {
	db.pool = pool
	db.core.q = db.wrap(pool)
}

// Stats reports the pool's limit and its connections now; the zero
// PoolStats for a pool that does not tell ([dialect.StatsPool]).
func (db *DB) Stats() PoolStats {
	if sp, ok := db.pool.(dialect.StatsPool); ok {
		return sp.Stats()
	}
	return PoolStats{}
}

// Pool returns the dialect-level pool (for its Driver() fast paths).
func (db *DB) Pool() dialect.Pool { return db.pool }

// Close closes the pool.
func (db *DB) Close() error { return db.pool.Close() }

// Ping checks the connection.
func (db *DB) Ping(ctx context.Context) error { return db.pool.Ping(ctx) }

// Conn takes one connection from the pool; Close gives it back. Session
// state (SQLite pragmas, MariaDB variables) set on it stays on it.
func (db *DB) Conn(ctx context.Context) (*Conn, error) {
	c, err := db.pool.Conn(ctx)
	if err != nil {
		return nil, withCtx(ctx, db.translate(err))
	}
	return &Conn{core: core{d: db.d, q: db.wrap(c), log: db.log, mw: db.mw}, c: c}, nil
}

// Begin starts a transaction with the database's default isolation level.
func (db *DB) Begin(ctx context.Context) (*Tx, error) {
	return begin(ctx, &db.core, db.pool, dialect.TxOptions{})
}

// BeginTx starts a transaction with the given isolation level and access
// mode. A level the database does not have is an error matching
// [sqlerr.ErrUnsupported].
func (db *DB) BeginTx(ctx context.Context, opts dialect.TxOptions) (*Tx, error) {
	return begin(ctx, &db.core, db.pool, opts)
}

// Conn is a single connection from the pool.
type Conn struct {
	core
	c dialect.Conn
}

// Begin starts a transaction on this connection.
func (c *Conn) Begin(ctx context.Context) (*Tx, error) {
	return begin(ctx, &c.core, c.c, dialect.TxOptions{})
}

// BeginTx starts a transaction on this connection with the given options.
func (c *Conn) BeginTx(ctx context.Context, opts dialect.TxOptions) (*Tx, error) {
	return begin(ctx, &c.core, c.c, opts)
}

// Close returns the connection to the pool.
func (c *Conn) Close() error { return c.c.Close() }

type beginner interface {
	Begin(ctx context.Context, opts dialect.TxOptions) (dialect.Tx, error)
}

func begin(ctx context.Context, c *core, b beginner, o dialect.TxOptions) (*Tx, error) {
	start := time.Now()
	tx, err := b.Begin(ctx, o)
	c.logf(ctx, "BEGIN", nil, start, err)
	if err != nil {
		return nil, sqlerr.WithOutcome(withCtx(ctx, c.translate(err)), "BEGIN", sqlerr.NothingWritten)
	}
	return &Tx{core: core{d: c.d, q: c.wrap(tx), log: c.log, mw: c.mw, tx: true}, tx: tx, savepoints: new(atomic.Int64)}, nil
}

// ErrTxDone is returned by Commit or Rollback of a transaction (or
// savepoint) that has already ended.
var ErrTxDone = errors.New("engine: transaction already committed or rolled back")

// Tx is a transaction, or a savepoint inside one (from [Tx.Begin]).
type Tx struct {
	core
	tx         dialect.Tx
	savepoint  string // "" for the outer transaction
	parent     *Tx
	done       bool
	savepoints *atomic.Int64 // shared counter naming nested savepoints
}

// Begin starts a nested transaction: a SAVEPOINT. Committing it releases
// the savepoint; rolling it back undoes only what was done since.
func (tx *Tx) Begin(ctx context.Context) (*Tx, error) {
	if tx.done {
		return nil, ErrTxDone
	}
	name := fmt.Sprintf("strata_sp_%d", tx.savepoints.Add(1))
	if _, err := tx.Exec(ctx, "SAVEPOINT "+name); err != nil {
		return nil, err
	}
	return &Tx{core: tx.core, tx: tx.tx, savepoint: name, parent: tx, savepoints: tx.savepoints}, nil
}

// Commit commits the transaction, or releases the savepoint.
func (tx *Tx) Commit(ctx context.Context) error {
	if tx.done {
		return ErrTxDone
	}
	tx.done = true
	if tx.savepoint != "" {
		_, err := tx.Exec(ctx, "RELEASE SAVEPOINT "+tx.savepoint)
		return err
	}
	start := time.Now()
	err := tx.commit(ctx)
	tx.logf(ctx, "COMMIT", nil, start, err)
	if err == nil {
		return nil
	}
	// Every COMMIT error states its outcome; see outcome.go.
	return tx.commitError(ctx, tx.translate(err))
}

// Rollback rolls the transaction back, or back to the savepoint.
func (tx *Tx) Rollback(ctx context.Context) error {
	if tx.done {
		return ErrTxDone
	}
	tx.done = true
	if tx.savepoint != "" {
		// ROLLBACK TO keeps the savepoint; release it too, so savepoints do
		// not pile up in a long transaction.
		if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT "+tx.savepoint); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "RELEASE SAVEPOINT "+tx.savepoint)
		return err
	}
	start := time.Now()
	err := tx.tx.Rollback(ctx)
	tx.logf(ctx, "ROLLBACK", nil, start, err)
	return tx.translate(err)
}

// Done reports whether Commit or Rollback was called.
func (tx *Tx) Done() bool { return tx.done }

// TxFunc is the body of a transaction run by [DB.RunInTx].
type TxFunc func(ctx context.Context, tx *Tx) error

// RunInTx runs fn in a transaction: committed if fn returns nil, rolled
// back if it returns an error or panics. If the transaction fails with an
// error the DB's [RetryPolicy] retries ([WithRetryPolicy]; by default
// [DefaultRetryPolicy]: serialization failures and deadlocks, up to 10
// attempts within 2 s, with jittered growing pauses), the whole of fn runs
// again in a new transaction; fn must therefore be safe to repeat.
func (db *DB) RunInTx(ctx context.Context, opts dialect.TxOptions, fn TxFunc) error {
	return db.retry.Run(ctx, func(ctx context.Context) error { return db.runOnce(ctx, opts, fn) })
}

// RetryPolicy returns the policy [DB.RunInTx] follows; the ORM's session
// factory follows it too unless given its own.
func (db *DB) RetryPolicy() RetryPolicy { return db.retry }

func (db *DB) runOnce(ctx context.Context, opts dialect.TxOptions, fn TxFunc) (err error) {
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			panic(p)
		}
		if err != nil && !tx.done {
			err = errors.Join(err, ignoreDone(tx.Rollback(context.WithoutCancel(ctx))))
		}
	}()
	if err = fn(ctx, tx); err != nil {
		return err
	}
	if !tx.done {
		return tx.Commit(ctx)
	}
	return nil
}

func ignoreDone(err error) error {
	if errors.Is(err, ErrTxDone) {
		return nil
	}
	return err
}
