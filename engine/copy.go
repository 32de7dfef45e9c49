package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/sqlerr"
)

// copier returns ex's copy protocol, or nil: a DB, Conn or Tx of a dialect
// whose querier implements [dialect.Copier] (PostgreSQL), unless a
// middleware wraps it.
func copier(ex Executor) (*core, dialect.Copier) {
	var c *core
	switch x := ex.(type) {
	case *DB:
		c = &x.core
	case *Conn:
		c = &x.core
	case *Tx:
		c = &x.core
	default:
		return nil, nil
	}
	cp, _ := c.q.(dialect.Copier)
	return c, cp
}

// CanCopy reports whether [CopyFrom] works on ex.
func CanCopy(ex Executor) bool {
	_, cp := copier(ex)
	return cp != nil
}

// CopyFrom bulk-loads rows into the columns of table (in schema, "" for
// the current one) through ex with the dialect's copy protocol:
// PostgreSQL's COPY ... FROM STDIN, the fastest way to write many rows
// when nothing needs to come back (it returns no generated keys). Each
// row holds one value per column, bound as a statement argument would be.
// It is logged as COPY t (cols) FROM STDIN with the row count. Where ex
// has no copy protocol (MariaDB, SQLite, or a middleware in between) it
// fails with an error matching sqlerr.ErrUnsupported, sending nothing.
func CopyFrom(ctx context.Context, ex Executor, schema, table string, columns []string, rows [][]any) (int64, error) {
	return CopyFromFunc(ctx, ex, schema, table, columns, len(rows), func(i int, row []any) error {
		if len(rows[i]) != len(columns) {
			return fmt.Errorf("engine: COPY into %s: row %d has %d values for %d columns", table, i, len(rows[i]), len(columns))
		}
		copy(row, rows[i])
		return nil
	})
}

// CopyFromFunc is [CopyFrom] for n rows that fill writes one at a time
// into a reused slice of len(columns): no [][]any of the whole batch.
func CopyFromFunc(ctx context.Context, ex Executor, schema, table string, columns []string, n int, fill func(i int, row []any) error) (int64, error) {
	c, cp := copier(ex)
	if cp == nil {
		return 0, sqlerr.Unsupported(ex.Dialect().Name(), "COPY FROM (bulk load)")
	}
	if IsReadOnly(ctx) {
		return 0, &sqlerr.ReadOnlyError{Err: fmt.Errorf("engine: COPY in a read-only context (no SQL was sent)")}
	}
	var start time.Time
	if c.log != nil {
		start = time.Now()
	}
	written, err := cp.CopyFrom(ctx, schema, table, columns, n, fill)
	if c.log != nil { // the statement's text is made only for the log
		c.logf(ctx, "COPY "+qualified(schema, table)+" ("+strings.Join(columns, ", ")+") FROM STDIN", []any{fmt.Sprintf("%d rows", n)}, start, err)
	}
	if err != nil {
		return written, c.translateAt(ctx, err)
	}
	return written, nil
}

// qualified is table's name as logs show it: schema.table, or table.
func qualified(schema, table string) string {
	if schema == "" {
		return table
	}
	return schema + "." + table
}

// copyInserter returns ex's staged bulk insert, or nil: a Tx of a dialect
// whose transactions implement [dialect.CopyInserter] (PostgreSQL),
// unless a middleware wraps it.
func copyInserter(ex Executor) (*core, dialect.CopyInserter) {
	tx, ok := ex.(*Tx)
	if !ok {
		return nil, nil
	}
	ci, _ := tx.q.(dialect.CopyInserter)
	return &tx.core, ci
}

// CanCopyInsert reports whether [CopyInsertFunc] works on ex.
func CanCopyInsert(ex Executor) bool {
	_, ci := copyInserter(ex)
	return ci != nil
}

// CopyInsertFunc writes n rows, filled as for [CopyFromFunc], into
// columns of table through the dialect's bulk-load protocol and returns
// the returning columns of the inserted rows (generated keys, server
// defaults): on PostgreSQL a COPY into a temporary staging table, then
// INSERT ... SELECT ... RETURNING, in ex's transaction. Generated keys
// are drawn in the rows' order; the result's row order is not promised.
// It is logged as one statement with the row count. Where ex is not such
// a transaction it fails with an error matching sqlerr.ErrUnsupported,
// sending nothing.
func CopyInsertFunc(ctx context.Context, ex Executor, schema, table string, columns, returning []string, n int, fill func(i int, row []any) error) (*Rows, error) {
	c, ci := copyInserter(ex)
	if ci == nil {
		return nil, sqlerr.Unsupported(ex.Dialect().Name(), "a bulk load returning generated columns (outside a transaction, or without a copy protocol)")
	}
	if IsReadOnly(ctx) {
		return nil, &sqlerr.ReadOnlyError{Err: fmt.Errorf("engine: a bulk insert in a read-only context (no SQL was sent)")}
	}
	var start time.Time
	if c.log != nil {
		start = time.Now()
	}
	rows, err := ci.CopyInsert(ctx, schema, table, columns, returning, n, fill)
	if c.log != nil {
		c.logf(ctx, "INSERT INTO "+qualified(schema, table)+" ("+strings.Join(columns, ", ")+") FROM STDIN THROUGH A STAGING TABLE RETURNING "+strings.Join(returning, ", "),
			[]any{fmt.Sprintf("%d rows", n)}, start, err)
	}
	if err != nil {
		return nil, c.translateAt(ctx, err)
	}
	return &Rows{rows: rows, c: c, ctx: ctx}, nil
}
