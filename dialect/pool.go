package dialect

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// PoolOptions size a connection pool and bound the life of its
// connections, the same way on every dialect. The engine passes them to
// [PoolOpener.OpenPool]; users write them as engine.PoolOptions.
//
// Every field's zero keeps what the DSN says or, where the DSN says
// nothing, the dialect's default (listed in each dialect's package
// documentation): a pgx DSN's pool_max_conns still works, and a field set
// here wins over it. A negative value means what database/sql makes of it:
// no idle connections kept (MaxIdle), no age limit (MaxLifetime), no idle
// limit (MaxIdleTime).
type PoolOptions struct {
	// MaxOpen bounds the connections open at once, in use or idle
	// (pgxpool MaxConns, sql.DB SetMaxOpenConns). A caller wanting one
	// more waits for one to be released, or for its context. Negative is
	// an error.
	MaxOpen int
	// MaxIdle bounds the idle connections kept for reuse
	// (sql.DB SetMaxIdleConns; at most MaxOpen). pgxpool has no such cap
	// (idle connections stay until MaxIdleTime): a non-zero MaxIdle on
	// PostgreSQL is an error matching sqlerr.ErrUnsupported.
	MaxIdle int
	// MinOpen is the number of connections the pool keeps open even when
	// idle (pgxpool MinConns). database/sql has no such floor: a non-zero
	// MinOpen on MariaDB or SQLite is an error matching
	// sqlerr.ErrUnsupported.
	MinOpen int
	// MaxLifetime closes a connection this long after it was opened, once
	// it is idle (pgxpool MaxConnLifetime, sql.DB SetConnMaxLifetime).
	MaxLifetime time.Duration
	// MaxIdleTime closes a connection idle this long (pgxpool
	// MaxConnIdleTime, sql.DB SetConnMaxIdleTime).
	MaxIdleTime time.Duration
}

// IsZero reports whether o sets nothing.
func (o PoolOptions) IsZero() bool { return o == PoolOptions{} }

// ErrPoolOptions is matched by every error that refuses [PoolOptions].
var ErrPoolOptions = errors.New("dialect: invalid pool options")

// Check returns an error matching [ErrPoolOptions] if the options
// contradict themselves: a negative MaxOpen or MinOpen, MinOpen or MaxIdle
// above MaxOpen.
func (o PoolOptions) Check() error {
	switch {
	case o.MaxOpen < 0:
		return fmt.Errorf("%w: MaxOpen %d is negative", ErrPoolOptions, o.MaxOpen)
	case o.MinOpen < 0:
		return fmt.Errorf("%w: MinOpen %d is negative", ErrPoolOptions, o.MinOpen)
	case o.MaxOpen > 0 && o.MinOpen > o.MaxOpen:
		return fmt.Errorf("%w: MinOpen %d is above MaxOpen %d", ErrPoolOptions, o.MinOpen, o.MaxOpen)
	case o.MaxOpen > 0 && o.MaxIdle > o.MaxOpen:
		return fmt.Errorf("%w: MaxIdle %d is above MaxOpen %d", ErrPoolOptions, o.MaxIdle, o.MaxOpen)
	}
	return nil
}

// ApplySQL applies o to a database/sql pool, after the dialect's own
// defaults: fields left zero are not touched. A MinOpen is refused with
// unsupported, which the dialect makes with its name
// (sqlerr.Unsupported).
func (o PoolOptions) ApplySQL(db *sql.DB, unsupported func(what string) error) error {
	if err := o.Check(); err != nil {
		return err
	}
	if o.MinOpen != 0 {
		return unsupported("keep a minimum of open connections (PoolOptions.MinOpen): database/sql has no such floor")
	}
	if o.MaxOpen > 0 {
		db.SetMaxOpenConns(o.MaxOpen)
	}
	if o.MaxIdle != 0 {
		db.SetMaxIdleConns(o.MaxIdle) // negative: none
	}
	if o.MaxLifetime != 0 {
		db.SetConnMaxLifetime(o.MaxLifetime) // negative: no limit
	}
	if o.MaxIdleTime != 0 {
		db.SetConnMaxIdleTime(o.MaxIdleTime)
	}
	return nil
}

// PoolOpener is implemented by dialects that open a pool sized by
// [PoolOptions]; all of Strata's do. Open(ctx, dsn) is OpenPool with
// zero options.
type PoolOpener interface {
	OpenPool(ctx context.Context, dsn string, opts PoolOptions) (Pool, error)
}

// PoolStats is a snapshot of a pool: its limit and its connections now.
type PoolStats struct {
	MaxOpen int // the most connections the pool opens; 0: no limit
	Open    int // connections open, in use or idle
	InUse   int
	Idle    int
	// WaitCount counts the callers that waited for a connection (pgx:
	// acquisitions that found the pool empty), WaitDuration their total
	// wait.
	WaitCount    int64
	WaitDuration time.Duration
}

// StatsPool is implemented by pools that report [PoolStats]; the pools
// of Strata's dialects and [FromSQL] do.
type StatsPool interface {
	Stats() PoolStats
}

// Stats implements [StatsPool] for database/sql pools.
func (p sqlPool) Stats() PoolStats {
	s := p.db.Stats()
	return PoolStats{
		MaxOpen:      s.MaxOpenConnections,
		Open:         s.OpenConnections,
		InUse:        s.InUse,
		Idle:         s.Idle,
		WaitCount:    s.WaitCount,
		WaitDuration: s.WaitDuration,
	}
}
