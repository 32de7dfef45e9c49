package sqlitedialect

import (
	"context"
	"errors"

	"github.com/strata-go/strata/dialect"
)

// modernc's driver accepts sql.TxOptions{ReadOnly: true} and writes
// anyway. The pool below enforces ReadOnly with PRAGMA query_only, which
// makes the connection refuse every write (SQLITE_READONLY), set when the
// transaction begins and cleared before it ends, so the connection goes
// back to the pool writable.

type pool struct{ dialect.Pool }

// Stats implements dialect.StatsPool.
func (p pool) Stats() dialect.PoolStats { return p.Pool.(dialect.StatsPool).Stats() }

func (p pool) Begin(ctx context.Context, o dialect.TxOptions) (dialect.Tx, error) {
	tx, err := p.Pool.Begin(ctx, o)
	if err != nil || !o.ReadOnly {
		return tx, err
	}
	return readOnly(ctx, tx)
}

func (p pool) Conn(ctx context.Context) (dialect.Conn, error) {
	c, err := p.Pool.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return conn{c}, nil
}

type conn struct{ dialect.Conn }

func (c conn) Begin(ctx context.Context, o dialect.TxOptions) (dialect.Tx, error) {
	tx, err := c.Conn.Begin(ctx, o)
	if err != nil || !o.ReadOnly {
		return tx, err
	}
	return readOnly(ctx, tx)
}

func readOnly(ctx context.Context, tx dialect.Tx) (dialect.Tx, error) {
	if _, err := tx.Exec(ctx, "PRAGMA query_only = 1"); err != nil {
		return nil, errors.Join(err, tx.Rollback(context.WithoutCancel(ctx)))
	}
	return roTx{tx}, nil
}

// roTx clears query_only on its connection before it ends, even when the
// context is done, so that no later user of the connection inherits it.
type roTx struct{ dialect.Tx }

func (t roTx) writable(ctx context.Context) error {
	_, err := t.Tx.Exec(context.WithoutCancel(ctx), "PRAGMA query_only = 0")
	return err
}

func (t roTx) Commit(ctx context.Context) error {
	if err := t.writable(ctx); err != nil {
		return errors.Join(err, t.Tx.Rollback(context.WithoutCancel(ctx)))
	}
	return t.Tx.Commit(ctx)
}

func (t roTx) Rollback(ctx context.Context) error {
	werr := t.writable(ctx)
	return errors.Join(t.Tx.Rollback(ctx), werr)
}
