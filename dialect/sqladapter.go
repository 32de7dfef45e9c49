package dialect

import (
	"context"
	"database/sql"
)

// FromSQL adapts a *sql.DB to a [Pool]; the MariaDB and SQLite dialects use
// it, and so can any dialect whose driver speaks database/sql.
func FromSQL(db *sql.DB) Pool { return sqlPool{db} }

type sqlExecQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func sqlExec(ctx context.Context, q sqlExecQuerier, query string, args []any) (Result, error) {
	r, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return Result{}, err
	}
	var res Result
	res.RowsAffected, _ = r.RowsAffected()
	res.LastInsertID, _ = r.LastInsertId()
	return res, nil
}

func sqlQuery(ctx context.Context, q sqlExecQuerier, query string, args []any) (Rows, error) {
	// The rows go to the caller, whose Rows.Err reaches rows.Err.
	rows, err := q.QueryContext(ctx, query, args...) //nolint:rowserrcheck // checked by the caller through sqlRows
	if err != nil {
		return nil, err
	}
	return &sqlRows{Rows: rows}, nil
}

type sqlRows struct {
	*sql.Rows
	cols []string
}

func (r *sqlRows) Columns() []string {
	if r.cols == nil {
		r.cols, _ = r.Rows.Columns()
	}
	return r.cols
}

func txOpts(o TxOptions) *sql.TxOptions {
	return &sql.TxOptions{Isolation: o.Isolation, ReadOnly: o.ReadOnly}
}

type sqlPool struct{ db *sql.DB }

func (p sqlPool) Exec(ctx context.Context, q string, args ...any) (Result, error) {
	return sqlExec(ctx, p.db, q, args)
}
func (p sqlPool) Query(ctx context.Context, q string, args ...any) (Rows, error) {
	return sqlQuery(ctx, p.db, q, args)
}
func (p sqlPool) Begin(ctx context.Context, o TxOptions) (Tx, error) {
	tx, err := p.db.BeginTx(ctx, txOpts(o))
	if err != nil {
		return nil, err
	}
	return sqlTx{tx}, nil
}
func (p sqlPool) Conn(ctx context.Context) (Conn, error) {
	c, err := p.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return sqlConn{c}, nil
}
func (p sqlPool) Ping(ctx context.Context) error { return p.db.PingContext(ctx) }
func (p sqlPool) Close() error                   { return p.db.Close() }
func (p sqlPool) Driver() any                    { return p.db }

type sqlConn struct{ c *sql.Conn }

func (c sqlConn) Exec(ctx context.Context, q string, args ...any) (Result, error) {
	return sqlExec(ctx, c.c, q, args)
}
func (c sqlConn) Query(ctx context.Context, q string, args ...any) (Rows, error) {
	return sqlQuery(ctx, c.c, q, args)
}
func (c sqlConn) Begin(ctx context.Context, o TxOptions) (Tx, error) {
	tx, err := c.c.BeginTx(ctx, txOpts(o))
	if err != nil {
		return nil, err
	}
	return sqlTx{tx}, nil
}
func (c sqlConn) Close() error { return c.c.Close() }

type sqlTx struct{ tx *sql.Tx }

func (t sqlTx) Exec(ctx context.Context, q string, args ...any) (Result, error) {
	return sqlExec(ctx, t.tx, q, args)
}
func (t sqlTx) Query(ctx context.Context, q string, args ...any) (Rows, error) {
	return sqlQuery(ctx, t.tx, q, args)
}
func (t sqlTx) Commit(context.Context) error   { return t.tx.Commit() }
func (t sqlTx) Rollback(context.Context) error { return t.tx.Rollback() }
