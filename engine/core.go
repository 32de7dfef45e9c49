package engine

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/sqlerr"
)

// core is the executor shared by DB, Conn and Tx: statement building, error
// translation and logging over one dialect.Querier.
type core struct {
	d   dialect.Dialect
	q   dialect.Querier
	log *logger
	mw  []Middleware
	tx  bool // statements run inside a transaction
}

// Middleware wraps the [dialect.Querier] that every statement of a DB goes
// through: its connections, transactions and savepoints alike. It sees the
// SQL and arguments of each Exec and Query, and may time, count, log,
// annotate, refuse or retry them:
//
//	count := func(next dialect.Querier) dialect.Querier { return counting{next, &n} }
//	db, err := engine.Open(ctx, d, dsn, engine.WithMiddleware(count))
//
// BEGIN, COMMIT and ROLLBACK go to the driver's transaction methods, not
// through the middleware (SAVEPOINT statements do go through it), and
// neither do driver fast paths reached through [dialect.Pool.Driver].
// Errors a middleware returns are translated like driver errors.
type Middleware func(next dialect.Querier) dialect.Querier

// wrap applies the middleware to q, the first given outermost.
func (c *core) wrap(q dialect.Querier) dialect.Querier {
	for i := len(c.mw) - 1; i >= 0; i-- {
		q = c.mw[i](q)
	}
	return q
}

type logger struct {
	l     *slog.Logger
	level slog.Level
}

// Dialect returns the dialect.
func (c *core) Dialect() dialect.Dialect { return c.d }

func (c *core) logf(ctx context.Context, query string, args []any, start time.Time, err error) {
	if c.log == nil || !c.log.l.Enabled(ctx, c.log.level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("sql", query),
		slog.Any("args", args),
		slog.Duration("duration", time.Since(start)),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	c.log.l.LogAttrs(ctx, c.log.level, "strata: query", attrs...)
}

// constraintResolver is implemented by dialects whose errors do not name
// the violated constraint (SQLite), to look the name up afterwards.
type constraintResolver interface {
	ResolveConstraint(ctx context.Context, q dialect.Querier, e *sqlerr.IntegrityError) error
}

func (c *core) translate(err error) error {
	if err == nil {
		return nil
	}
	return c.d.TranslateError(err)
}

func (c *core) translateAt(ctx context.Context, err error) error {
	err = stmtOutcome(ctx, c.tx, withCtx(ctx, c.translate(err)))
	var ie *sqlerr.IntegrityError
	if r, ok := c.d.(constraintResolver); ok && errors.As(err, &ie) {
		// best effort: the original error stands if the lookup fails
		_ = r.ResolveConstraint(ctx, c.q, ie)
	}
	return err
}

// Exec runs a statement that returns no rows.
func (c *core) Exec(ctx context.Context, query string, args ...any) (dialect.Result, error) {
	if err := refuseWrite(ctx, query); err != nil {
		return dialect.Result{}, err
	}
	var start time.Time
	if c.log != nil {
		start = time.Now()
	}
	res, err := c.q.Exec(ctx, query, args...)
	c.logf(ctx, query, args, start, err)
	if err != nil {
		return res, c.translateAt(ctx, err)
	}
	return res, nil
}

// Query runs a statement that returns rows. Close the rows when done.
func (c *core) Query(ctx context.Context, query string, args ...any) (*Rows, error) {
	rows, err := c.query(ctx, query, args)
	if err != nil {
		return nil, err
	}
	return &Rows{rows: rows, c: c, ctx: ctx}, nil
}

func (c *core) query(ctx context.Context, query string, args []any) (dialect.Rows, error) {
	if err := refuseWrite(ctx, query); err != nil {
		return nil, err
	}
	var start time.Time
	if c.log != nil {
		start = time.Now() // only the log says how long it took
	}
	rows, err := c.q.Query(ctx, query, args...)
	c.logf(ctx, query, args, start, err)
	if err != nil {
		return nil, c.translateAt(ctx, err)
	}
	return rows, nil
}

// QueryRow runs a query expected to return one row; its error, including
// [sqlerr.ErrNotFound] when there is no row, comes from Row.Scan.
func (c *core) QueryRow(ctx context.Context, query string, args ...any) *Row {
	rows, err := c.query(ctx, query, args)
	if err != nil {
		return &Row{err: err}
	}
	r := &Row{own: Rows{rows: rows, c: c, ctx: ctx}}
	r.rows = &r.own // one allocation for the row and its result
	return r
}

// Rows is a query's result. Iterate with Next, read with Scan, and always
// Close (deferred) — or read to the end, which closes it.
type Rows struct {
	rows dialect.Rows
	c    *core
	ctx  context.Context
}

// Next advances to the next row.
func (r *Rows) Next() bool { return r.rows.Next() }

// Scan copies the current row's columns into dest.
func (r *Rows) Scan(dest ...any) error {
	if err := r.rows.Scan(dest...); err != nil {
		return r.c.translate(err)
	}
	return nil
}

// Columns returns the result's column names.
func (r *Rows) Columns() []string { return r.rows.Columns() }

// Err returns the error met while iterating, if any.
func (r *Rows) Err() error { return r.c.translateAt(r.ctx, r.rows.Err()) }

// Close releases the result. It is safe to call more than once.
func (r *Rows) Close() error { return r.rows.Close() }

// Row is the result of QueryRow.
type Row struct {
	own  Rows // the result, when the Row ran the query itself
	rows *Rows
	err  error
}

// RowOf makes the single-row result of a query run elsewhere (a session's
// Query, say): Scan returns err if it is not nil, and otherwise reads the
// first row of rows and closes them.
func RowOf(rows *Rows, err error) *Row {
	if err == nil && rows == nil {
		err = errors.New("engine: RowOf without rows")
	}
	return &Row{rows: rows, err: err}
}

// Scan reads the single row into dest, or returns [sqlerr.ErrNotFound]
// (which matches sql.ErrNoRows) if there is none.
func (r *Row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return sqlerr.ErrNotFound
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	return r.rows.Close()
}
