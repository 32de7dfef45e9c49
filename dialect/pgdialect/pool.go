package pgdialect

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/sqlerr"
)

// Open parses dsn as a pgx connection string (a postgres:// URL or
// key=value pairs; pool settings such as pool_max_conns are understood),
// opens a pgxpool.Pool with pgx's default statement cache and pings the
// server. It returns an error if the DSN is invalid or the server cannot be
// reached. The pool has pgx's defaults unless the DSN sets them: at most
// max(4, runtime.NumCPU()) connections, closed after 1 h or 30 min idle.
func (d *Dialect) Open(ctx context.Context, dsn string) (dialect.Pool, error) {
	return d.OpenPool(ctx, dsn, dialect.PoolOptions{})
}

// OpenPool is [Dialect.Open] with the pool sized by opts, which win over
// the DSN's pool_* settings: MaxOpen is pgxpool's MaxConns, MinOpen its
// MinConns, MaxLifetime its MaxConnLifetime and MaxIdleTime its
// MaxConnIdleTime (negative: no limit). pgxpool has no cap on idle
// connections: a non-zero MaxIdle is an error matching
// sqlerr.ErrUnsupported.
func (*Dialect) OpenPool(ctx context.Context, dsn string, opts dialect.PoolOptions) (dialect.Pool, error) {
	if err := opts.Check(); err != nil {
		return nil, err
	}
	if opts.MaxIdle != 0 {
		return nil, sqlerr.Unsupported("postgres", "cap idle connections (PoolOptions.MaxIdle): pgxpool keeps idle connections until MaxIdleTime; use MaxOpen, MinOpen and MaxIdleTime")
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: invalid DSN: %w", err)
	}
	if err := applyPoolOptions(cfg, opts); err != nil {
		return nil, err
	}
	p, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open pool: %w", err)
	}
	if err := p.Ping(ctx); err != nil {
		p.Close()
		return nil, fmt.Errorf("postgres: cannot reach server %s:%d: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
	}
	return &pool{p: p}, nil
}

// noLimit stands for "never" in pgxpool's durations: pgxpool closes a
// connection idle longer than MaxConnIdleTime, so zero would close them
// all.
const noLimit = time.Duration(math.MaxInt64)

func applyPoolOptions(cfg *pgxpool.Config, o dialect.PoolOptions) error {
	if o.MaxOpen > math.MaxInt32 || o.MinOpen > math.MaxInt32 {
		return fmt.Errorf("%w: more than %d connections", dialect.ErrPoolOptions, math.MaxInt32)
	}
	if o.MaxOpen > 0 {
		cfg.MaxConns = int32(o.MaxOpen)
	}
	if o.MinOpen > 0 {
		cfg.MinConns = int32(o.MinOpen)
	}
	if cfg.MinConns > cfg.MaxConns {
		return fmt.Errorf("%w: MinOpen %d is above the pool's MaxConns %d", dialect.ErrPoolOptions, cfg.MinConns, cfg.MaxConns)
	}
	switch {
	case o.MaxLifetime > 0:
		cfg.MaxConnLifetime = o.MaxLifetime
	case o.MaxLifetime < 0:
		cfg.MaxConnLifetime = 0 // pgxpool: no age limit
	}
	switch {
	case o.MaxIdleTime > 0:
		cfg.MaxConnIdleTime = o.MaxIdleTime
	case o.MaxIdleTime < 0:
		cfg.MaxConnIdleTime = noLimit
	}
	return nil
}

// Stats implements dialect.StatsPool from pgxpool's Stat.
func (p *pool) Stats() dialect.PoolStats {
	s := p.p.Stat()
	return dialect.PoolStats{
		MaxOpen:      int(s.MaxConns()),
		Open:         int(s.TotalConns()),
		InUse:        int(s.AcquiredConns()),
		Idle:         int(s.IdleConns()),
		WaitCount:    s.EmptyAcquireCount(),
		WaitDuration: s.EmptyAcquireWaitTime(),
	}
}

// FromPool adapts an existing pgxpool.Pool to a dialect.Pool. Closing the
// returned pool closes p.
func FromPool(p *pgxpool.Pool) dialect.Pool { return &pool{p: p} }

// pgxQuerier is what pgxpool.Pool, pgxpool.Conn and pgx.Tx have in common.
type pgxQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// nativeArgs returns args with every [dialect.Array] replaced by its
// slice, which pgx binds as a native PostgreSQL array. Arguments of other
// types cost one type switch each; args is copied only when it holds an
// array, so the caller's slice is never changed.
func nativeArgs(args []any) ([]any, error) {
	for i, a := range args {
		switch a.(type) {
		case dialect.Array, *dialect.Array:
			return nativeArgsFrom(args, i)
		}
	}
	return args, nil
}

func nativeArgsFrom(args []any, i int) ([]any, error) {
	out := make([]any, len(args))
	copy(out, args[:i])
	for ; i < len(args); i++ {
		a := args[i]
		switch v := a.(type) {
		case dialect.Array:
			s, err := v.Native()
			if err != nil {
				return nil, err
			}
			a = s
		case *dialect.Array:
			if v != nil {
				s, err := v.Native()
				if err != nil {
					return nil, err
				}
				a = s
			} else {
				a = nil
			}
		}
		out[i] = a
	}
	return out, nil
}

func exec(ctx context.Context, q pgxQuerier, query string, args []any) (dialect.Result, error) {
	args, err := nativeArgs(args)
	if err != nil {
		return dialect.Result{}, err
	}
	tag, err := q.Exec(ctx, query, args...)
	if err != nil {
		return dialect.Result{}, err
	}
	return dialect.Result{RowsAffected: tag.RowsAffected()}, nil
}

func query(ctx context.Context, q pgxQuerier, query string, args []any) (dialect.Rows, error) {
	args, err := nativeArgs(args)
	if err != nil {
		return nil, err
	}
	r, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return &rows{r: r}, nil
}

// txOptions maps database/sql isolation levels to PostgreSQL's. Snapshot
// isolation is PostgreSQL's REPEATABLE READ.
func txOptions(o dialect.TxOptions) (pgx.TxOptions, error) {
	var t pgx.TxOptions
	switch o.Isolation {
	case sql.LevelDefault:
	case sql.LevelReadUncommitted:
		t.IsoLevel = pgx.ReadUncommitted
	case sql.LevelReadCommitted:
		t.IsoLevel = pgx.ReadCommitted
	case sql.LevelRepeatableRead, sql.LevelSnapshot:
		t.IsoLevel = pgx.RepeatableRead
	case sql.LevelSerializable:
		t.IsoLevel = pgx.Serializable
	default:
		return t, sqlerr.Unsupported("postgres", "run a transaction at isolation level "+o.Isolation.String())
	}
	if o.ReadOnly {
		t.AccessMode = pgx.ReadOnly
	}
	return t, nil
}

type beginner interface {
	BeginTx(ctx context.Context, o pgx.TxOptions) (pgx.Tx, error)
}

func begin(ctx context.Context, b beginner, o dialect.TxOptions) (dialect.Tx, error) {
	opts, err := txOptions(o)
	if err != nil {
		return nil, err
	}
	t, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &tx{t: t}, nil
}

type pool struct{ p *pgxpool.Pool }

func (p *pool) Exec(ctx context.Context, q string, args ...any) (dialect.Result, error) {
	return exec(ctx, p.p, q, args)
}

func (p *pool) Query(ctx context.Context, q string, args ...any) (dialect.Rows, error) {
	return query(ctx, p.p, q, args)
}

func (p *pool) Begin(ctx context.Context, o dialect.TxOptions) (dialect.Tx, error) {
	return begin(ctx, p.p, o)
}

func (p *pool) Conn(ctx context.Context) (dialect.Conn, error) {
	c, err := p.p.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	return &conn{c: c}, nil
}

func (p *pool) Ping(ctx context.Context) error { return p.p.Ping(ctx) }
func (p *pool) Close() error                   { p.p.Close(); return nil }
func (p *pool) Driver() any                    { return p.p }

// conn is one acquired connection; Close releases it to the pool (and is
// safe to call more than once).
type conn struct{ c *pgxpool.Conn }

func (c *conn) Exec(ctx context.Context, q string, args ...any) (dialect.Result, error) {
	return exec(ctx, c.c, q, args)
}

func (c *conn) Query(ctx context.Context, q string, args ...any) (dialect.Rows, error) {
	return query(ctx, c.c, q, args)
}

func (c *conn) Begin(ctx context.Context, o dialect.TxOptions) (dialect.Tx, error) {
	return begin(ctx, c.c, o)
}

func (c *conn) Close() error { c.c.Release(); return nil }

type tx struct{ t pgx.Tx }

func (t *tx) Exec(ctx context.Context, q string, args ...any) (dialect.Result, error) {
	return exec(ctx, t.t, q, args)
}

func (t *tx) Query(ctx context.Context, q string, args ...any) (dialect.Rows, error) {
	return query(ctx, t.t, q, args)
}

func (t *tx) Commit(ctx context.Context) error   { return t.t.Commit(ctx) }
func (t *tx) Rollback(ctx context.Context) error { return t.t.Rollback(ctx) }

// rows adapts pgx.Rows. Close returns the error that ended the result set,
// if any, and may be called more than once. Scan replaces every
// [dialect.ArrayDest] destination by its pointer, into which pgx scans a
// PostgreSQL array natively.
type rows struct {
	r    pgx.Rows
	cols []string
	dest []any // Scan's destinations with arrays unwrapped, reused across rows
}

func (r *rows) Next() bool { return r.r.Next() }

func (r *rows) Scan(dest ...any) error {
	for i, d := range dest {
		switch d.(type) {
		case dialect.ArrayDest, *dialect.ArrayDest:
			return r.scanArrays(dest, i)
		}
	}
	return r.r.Scan(dest...)
}

func (r *rows) scanArrays(dest []any, i int) error {
	r.dest = append(r.dest[:0], dest...)
	for ; i < len(dest); i++ {
		var ad dialect.ArrayDest
		switch d := dest[i].(type) {
		case dialect.ArrayDest:
			ad = d
		case *dialect.ArrayDest:
			if d == nil {
				continue
			}
			ad = *d
		default:
			continue
		}
		p, err := ad.Native()
		if err != nil {
			return err
		}
		r.dest[i] = p
	}
	err := r.r.Scan(r.dest...)
	clear(r.dest) // keep no reference to the caller's values
	return err
}

func (r *rows) Err() error { return r.r.Err() }

func (r *rows) Columns() []string {
	if r.cols == nil {
		fds := r.r.FieldDescriptions()
		r.cols = make([]string, len(fds))
		for i, fd := range fds {
			r.cols[i] = fd.Name
		}
	}
	return r.cols
}

func (r *rows) Close() error {
	r.r.Close()
	return r.r.Err()
}
