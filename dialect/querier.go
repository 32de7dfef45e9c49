package dialect

import (
	"context"
	"database/sql"
)

// Querier runs SQL. Pools, single connections and transactions of every
// driver implement it; introspection needs nothing more.
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) (Result, error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
}

// Copier is implemented by the pools, connections and transactions of
// dialects with a bulk-load protocol (PostgreSQL's COPY ... FROM STDIN,
// through pgx): CopyFrom writes n rows into the columns of table (in
// schema, "" for the current one) and reports how many it wrote. fill
// puts row i's values, one per column and bound as statement arguments
// would be, into row, which is reused for the next row once its values
// are encoded. A value may also be a pointer to one of Go's predeclared
// types or a time.Time, read while its row is encoded: a caller handing
// over its structs' fields that way puts nothing on the heap per value. It reads nothing back: generated keys and server defaults
// stay in the database.
type Copier interface {
	CopyFrom(ctx context.Context, schema, table string, columns []string, n int, fill func(i int, row []any) error) (int64, error)
}

// CopyInserter is implemented by the transactions of dialects that can
// write many rows through their bulk-load protocol and still read back
// what the database generates (PostgreSQL: COPY into a temporary staging
// table, then INSERT ... SELECT ... ORDER BY ... RETURNING). CopyInsert
// writes n rows, filled as for Copier, into columns of table (in schema,
// "" for the current one) and returns the returning columns of the rows
// it inserted, one result row per row written. Generated keys are drawn
// in fill's order; the order RETURNING gives rows in is not promised, so
// a caller matching rows sorts by the generated key, as for a multi-row
// INSERT. The result must be read or closed before the transaction's
// next statement.
type CopyInserter interface {
	CopyInsert(ctx context.Context, schema, table string, columns, returning []string, n int, fill func(i int, row []any) error) (Rows, error)
}

// Result is what an Exec reports.
type Result struct {
	RowsAffected int64
	LastInsertID int64 // only where Features has LastInsertID
}

// Rows is a result set. Close is safe to call more than once.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Columns() []string
	Err() error
	Close() error
}

// TxOptions are the options of a transaction.
type TxOptions struct {
	Isolation sql.IsolationLevel
	ReadOnly  bool
}

// Tx is a driver transaction.
type Tx interface {
	Querier
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// Conn is one connection taken from a pool; Close returns it.
type Conn interface {
	Querier
	Begin(ctx context.Context, opts TxOptions) (Tx, error)
	Close() error
}

// Pool is a connection pool, the root of all execution.
type Pool interface {
	Querier
	Begin(ctx context.Context, opts TxOptions) (Tx, error)
	Conn(ctx context.Context) (Conn, error)
	Ping(ctx context.Context) error
	Close() error
	// Driver returns the driver-level handle (*pgxpool.Pool or *sql.DB) for
	// fast paths that need it (COPY, batches).
	Driver() any
}

// QueryEach runs a query and calls scan for each row, reading every row and
// closing the result before it returns, so the connection is free for the
// next query. The dialects' introspection is written with it.
func QueryEach(ctx context.Context, q Querier, query string, args []any, scan func(Rows) error) error {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return rows.Close()
}
