package pgdialect

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"
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

// pgxCopier is what pgxpool.Pool, pgxpool.Conn and pgx.Tx have for COPY.
type pgxCopier interface {
	CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error)
}

// tableIdent is table, qualified by schema unless schema is empty.
func tableIdent(schema, table string) pgx.Identifier {
	if schema == "" {
		return pgx.Identifier{table}
	}
	return pgx.Identifier{schema, table}
}

// copyFrom runs COPY table (columns) FROM STDIN in pgx's binary format,
// arrays bound natively as in statements. pgx encodes each row before it
// asks for the next, so one row slice serves them all.
func copyFrom(ctx context.Context, c pgxCopier, schema, table string, columns []string, n int, fill func(int, []any) error) (int64, error) {
	id := tableIdent(schema, table)
	row := make([]any, len(columns))
	i := -1
	src := pgx.CopyFromFunc(func() ([]any, error) {
		i++
		if i >= n {
			return nil, nil
		}
		clear(row)
		if err := fill(i, row); err != nil {
			return nil, err
		}
		for j, v := range row {
			row[j] = derefBuiltin(v) // a field handed over by address: its value, as pgx would see it bound
		}
		return nativeArgs(row)
	})
	return c.CopyFrom(ctx, id, columns, src)
}

func (p *pool) CopyFrom(ctx context.Context, schema, table string, columns []string, n int, fill func(int, []any) error) (int64, error) {
	return copyFrom(ctx, p.p, schema, table, columns, n, fill)
}

func (c *conn) CopyFrom(ctx context.Context, schema, table string, columns []string, n int, fill func(int, []any) error) (int64, error) {
	return copyFrom(ctx, c.c, schema, table, columns, n, fill)
}

func (t *tx) CopyFrom(ctx context.Context, schema, table string, columns []string, n int, fill func(int, []any) error) (int64, error) {
	if err := t.usable(); err != nil {
		return 0, err
	}
	if t.begin != "" && canCopyWithBegin(t.c) {
		begin := t.begin
		t.begin = ""
		n, err := copyWithBegin(ctx, t.c, begin, schema, table, columns, n, fill)
		if err != nil {
			t.firstFailed()
		}
		return n, err
	}
	if err := t.sendBegin(ctx); err != nil {
		return 0, err
	}
	return copyFrom(ctx, t.c, schema, table, columns, n, fill)
}

var (
	_ dialect.Copier = (*pool)(nil)
	_ dialect.Copier = (*conn)(nil)
	_ dialect.Copier = (*tx)(nil)
)

// sendArgs readies args for a statement on c: arrays unwrapped
// (nativeArgs), large slices marked for pgdialect's encoder on c (binArgs).
func sendArgs(c *pgx.Conn, args []any) ([]any, error) {
	args, err := nativeArgs(args)
	if err != nil {
		return nil, err
	}
	return binArgs(c, args), nil
}

// exec runs a statement on q, its arguments readied (sendArgs, or
// nativeArgs for the pool).
func exec(ctx context.Context, q pgxQuerier, query string, args []any) (dialect.Result, error) {
	tag, err := q.Exec(ctx, query, args...)
	if err != nil {
		return dialect.Result{}, err
	}
	return dialect.Result{RowsAffected: tag.RowsAffected()}, nil
}

// query is exec for a statement that returns rows.
func query(ctx context.Context, q pgxQuerier, stmt string, args []any) (dialect.Rows, error) {
	r, err := queryRows(ctx, q, stmt, args)
	if err != nil {
		return nil, err // not a nil *rows in an interface
	}
	return r, nil
}

func queryRows(ctx context.Context, q pgxQuerier, query string, args []any) (*rows, error) {
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

// beginSQL is the BEGIN statement of a transaction with options o, as
// pgx writes it.
func beginSQL(o pgx.TxOptions) string {
	var b strings.Builder
	b.WriteString("begin")
	if o.IsoLevel != "" {
		b.WriteString(" isolation level ")
		b.WriteString(string(o.IsoLevel))
	}
	if o.AccessMode != "" {
		b.WriteByte(' ')
		b.WriteString(string(o.AccessMode))
	}
	return b.String()
}

// beginOn starts a transaction on c without a round trip of its own:
// its BEGIN, made from o, goes with the first statement (see tx). release,
// if not nil, gives c back to its pool when the transaction ends. o was
// checked by txOptions.
func beginOn(c *pgx.Conn, release func(), o pgx.TxOptions) dialect.Tx {
	return &tx{c: c, release: release, begin: beginSQL(o)}
}

type pool struct{ p *pgxpool.Pool }

// Exec runs a statement on a connection the pool picks; one with large
// array arguments takes its connection explicitly, so that pgdialect's
// array encoder is installed on the connection that encodes them.
func (p *pool) Exec(ctx context.Context, q string, args ...any) (dialect.Result, error) {
	args, err := nativeArgs(args)
	if err != nil {
		return dialect.Result{}, err
	}
	if wantsBinArrays(args) {
		c, err := p.p.Acquire(ctx)
		if err != nil {
			return dialect.Result{}, err
		}
		defer c.Release()
		return exec(ctx, c, q, binArgs(c.Conn(), args))
	}
	return exec(ctx, p.p, q, args)
}

// Query is Exec for a statement that returns rows: a connection taken
// explicitly is given back when the rows are read or closed.
func (p *pool) Query(ctx context.Context, q string, args ...any) (dialect.Rows, error) {
	args, err := nativeArgs(args)
	if err != nil {
		return nil, err
	}
	if wantsBinArrays(args) {
		c, err := p.p.Acquire(ctx)
		if err != nil {
			return nil, err
		}
		r, err := queryRows(ctx, c, q, binArgs(c.Conn(), args))
		if err != nil {
			c.Release()
			return nil, err
		}
		r.release = c.Release
		return r, nil
	}
	return query(ctx, p.p, q, args)
}

func (p *pool) Begin(ctx context.Context, o dialect.TxOptions) (dialect.Tx, error) {
	opts, err := txOptions(o)
	if err != nil {
		return nil, err // before a connection is taken
	}
	c, err := p.p.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	return beginOn(c.Conn(), c.Release, opts), nil
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
	args, err := sendArgs(c.c.Conn(), args)
	if err != nil {
		return dialect.Result{}, err
	}
	return exec(ctx, c.c, q, args)
}

func (c *conn) Query(ctx context.Context, q string, args ...any) (dialect.Rows, error) {
	args, err := sendArgs(c.c.Conn(), args)
	if err != nil {
		return nil, err
	}
	return query(ctx, c.c, q, args)
}

func (c *conn) Begin(ctx context.Context, o dialect.TxOptions) (dialect.Tx, error) {
	opts, err := txOptions(o)
	if err != nil {
		return nil, err
	}
	return beginOn(c.c.Conn(), nil, opts), nil
}

func (c *conn) Close() error { c.c.Release(); return nil }

// tx is a transaction on one connection. Its BEGIN is not sent alone: it
// goes to the server with the transaction's first statement, in one
// pipeline (a statement with arguments, or a query) or one simple-protocol
// query string (a statement without), which saves a round trip per
// transaction. PostgreSQL takes a transaction's snapshot at its first
// statement, not at BEGIN, so nothing a statement sees changes. A
// transaction that runs no statement sends neither BEGIN nor COMMIT.
//
// Commit and Rollback behave as pgx's: COMMIT of a transaction a failed
// statement aborted rolls it back and returns pgx.ErrTxCommitRollback,
// a transaction ended returns pgx.ErrTxClosed, and a connection left in
// an unknown state is closed rather than given back to the pool.
type tx struct {
	c       *pgx.Conn // nil once ended
	release func()    // gives a pool's connection back; nil for a Conn's
	begin   string    // the BEGIN statement until it is sent
	aborted bool      // the first statement failed before the server ran BEGIN
	staged  []string  // staging tables this transaction has copied into (CopyInsert)
}

// errAborted is PostgreSQL's error for a statement in an aborted
// transaction, for one whose BEGIN never ran (see tx.firstFailed).
var errAborted = &pgconn.PgError{Severity: "ERROR", Code: "25P02",
	Message: "current transaction is aborted, commands ignored until end of transaction block"}

// firstFailed is called when the statement sent with BEGIN failed. When
// the server ran none of it (a statement that does not parse or prepare
// fails before BEGIN runs), the transaction is aborted all the same, as
// it would be had BEGIN gone alone: later statements fail with the
// server's error for that, and COMMIT rolls back.
func (t *tx) firstFailed() {
	if t.c.PgConn().TxStatus() == 'I' {
		t.aborted = true
	}
}

// usable returns why the transaction cannot run a statement, if it
// cannot.
func (t *tx) usable() error {
	switch {
	case t.c == nil:
		return pgx.ErrTxClosed
	case t.aborted:
		return errAborted
	}
	return nil
}

func (t *tx) Exec(ctx context.Context, q string, args ...any) (dialect.Result, error) {
	if err := t.usable(); err != nil {
		return dialect.Result{}, err
	}
	args, err := sendArgs(t.c, args)
	if err != nil {
		return dialect.Result{}, err
	}
	if t.begin == "" {
		return exec(ctx, t.c, q, args)
	}
	begin := t.begin
	t.begin = ""
	if len(args) == 0 {
		// pgx runs a statement without arguments as a simple query, which
		// may hold several statements: BEGIN becomes the first
		tag, err := t.c.Exec(ctx, begin+"; "+q)
		if err != nil {
			t.firstFailed()
			return dialect.Result{}, err
		}
		return dialect.Result{RowsAffected: tag.RowsAffected()}, nil
	}
	br, err := t.sendWithBegin(ctx, begin, q, args)
	var tag pgconn.CommandTag
	if err == nil {
		tag, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.firstFailed()
		return dialect.Result{}, err
	}
	return dialect.Result{RowsAffected: tag.RowsAffected()}, nil
}

func (t *tx) Query(ctx context.Context, q string, args ...any) (dialect.Rows, error) {
	if err := t.usable(); err != nil {
		return nil, err
	}
	args, err := sendArgs(t.c, args)
	if err != nil {
		return nil, err
	}
	if t.begin == "" {
		return query(ctx, t.c, q, args)
	}
	begin := t.begin
	t.begin = ""
	br, err := t.sendWithBegin(ctx, begin, q, args)
	var r pgx.Rows
	if err == nil {
		r, err = br.Query()
	}
	if err != nil {
		br.Close()
		t.firstFailed()
		return nil, err
	}
	return &rows{r: r, batch: br}, nil
}

// sendWithBegin sends begin and q (its arguments readied) in one
// pipeline and reads BEGIN's result; q's is the next in the returned
// results, which the caller closes.
func (t *tx) sendWithBegin(ctx context.Context, begin, q string, args []any) (pgx.BatchResults, error) {
	var b pgx.Batch
	b.Queue(begin)
	b.Queue(q, args...)
	br := t.c.SendBatch(ctx, &b)
	_, err := br.Exec()
	return br, err
}

// sendBegin sends the BEGIN still held, alone (before a COPY on a
// connection that cannot send it with the COPY).
func (t *tx) sendBegin(ctx context.Context) error {
	if t.begin == "" {
		return nil
	}
	begin := t.begin
	t.begin = ""
	_, err := t.c.Exec(ctx, begin)
	if err != nil {
		t.firstFailed()
	}
	return err
}

func (t *tx) Commit(ctx context.Context) error {
	if t.c == nil {
		return pgx.ErrTxClosed
	}
	aborted := t.aborted
	c := t.end()
	defer t.giveBack()
	if aborted {
		return pgx.ErrTxCommitRollback // the server holds no transaction to end
	}
	if c == nil {
		return nil // nothing was sent: nothing to commit
	}
	tag, err := c.Exec(ctx, "commit")
	if err != nil {
		if c.PgConn().TxStatus() != 'I' {
			_ = c.Close(ctx) // the error to return is the commit's
		}
		return err
	}
	if tag.String() == "ROLLBACK" {
		return pgx.ErrTxCommitRollback
	}
	return nil
}

func (t *tx) Rollback(ctx context.Context) error {
	if t.c == nil {
		return pgx.ErrTxClosed
	}
	c := t.end()
	defer t.giveBack()
	if c == nil {
		return nil
	}
	if _, err := c.Exec(ctx, "rollback"); err != nil {
		_ = c.Close(ctx) // its state is unknown: never reuse it
		return err
	}
	return nil
}

// end marks the transaction ended and returns its connection if BEGIN
// was sent on it (nil if the transaction never reached the server).
func (t *tx) end() *pgx.Conn {
	c := t.c
	t.c = nil
	if t.begin != "" || t.aborted {
		return nil
	}
	return c
}

// giveBack returns a pool's connection (pgxpool closes it if it is not
// idle outside a transaction).
func (t *tx) giveBack() {
	if t.release != nil {
		t.release()
		t.release = nil
	}
}

// rows adapts pgx.Rows. Close returns the error that ended the result set,
// if any, and may be called more than once. Scan replaces every
// [dialect.ArrayDest] destination by its pointer, into which pgx scans a
// PostgreSQL array natively.
type rows struct {
	r       pgx.Rows
	batch   pgx.BatchResults // the pipeline r came in (a transaction's first query), closed after r
	berr    error            // the pipeline's error at close
	release func()           // gives back the connection the pool's Query took for r, after r
	cols    []string
	dest    []any // Scan's destinations with arrays unwrapped, reused across rows
}

func (r *rows) Next() bool {
	if r.r.Next() {
		return true
	}
	r.endBatch() // the connection is free for the next statement
	return false
}

// endBatch closes the pipeline the rows came in, or gives back the
// connection taken for them, once they are read or closed.
func (r *rows) endBatch() {
	if r.batch != nil {
		r.r.Close()
		r.berr = r.batch.Close()
		r.batch = nil
	}
	if r.release != nil {
		r.r.Close()
		r.release()
		r.release = nil
	}
}

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

func (r *rows) Err() error {
	if err := r.r.Err(); err != nil {
		return err
	}
	return r.berr
}

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
	r.endBatch()
	return r.Err()
}
