package pgdialect_test

import (
	"context"
	"errors"
	"math"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/dialect/pgdialect"
	"github.com/strata-go/strata/internal/testdb"
)

// countingConn counts the client's writes: pgx writes once per round
// trip (a pipeline is one write).
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// countedPool is a one-connection pool whose writes are counted.
func countedPool(t *testing.T) (dialect.Pool, *atomic.Int64) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(testdb.New(t, "postgres").DSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1
	writes := new(atomic.Int64)
	var d net.Dialer
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{c, writes}, nil
	}
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return pgdialect.FromPool(p), writes
}

// beginTx begins a transaction on p, rolled back when the test ends if it
// is still open (a failed test must not leave the one connection taken).
func beginTx(t *testing.T, ctx context.Context, p dialect.Pool, o dialect.TxOptions) dialect.Tx {
	t.Helper()
	tx, err := p.Begin(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback(context.Background()) })
	return tx
}

// queryValue scans the one-column rows of query on q into dest, reading
// them to the end and never calling Close: rows read to their end must
// free the connection by themselves, which the tests rely on.
func queryValue(t *testing.T, ctx context.Context, q dialect.Querier, dest any, query string) {
	t.Helper()
	rows, err := q.Query(ctx, query)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		if err := rows.Scan(dest); err != nil {
			t.Fatal(err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// A transaction's BEGIN goes to the server with its first statement: a
// transaction of one statement costs two round trips (the statement with
// BEGIN, then COMMIT), not three, whether the statement has arguments, is
// a query, or has none (sent as one simple query).
func TestTransactionSendsBeginWithItsFirstStatement(t *testing.T) {
	p, writes := countedPool(t)
	ctx := testCtx(t)
	mustExec(t, ctx, p, `CREATE TABLE t (id integer PRIMARY KEY, s text)`)
	// pgx prepares a statement with arguments once per connection (a
	// round trip of its own): warm the statements up first
	mustExec(t, ctx, p, `INSERT INTO t VALUES ($1, $2)`, 0, "warm")
	rows, err := p.Query(ctx, `SELECT s FROM t WHERE id = $1`, 0)
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
	warm := beginTx(t, ctx, p, dialect.TxOptions{})
	mustExec(t, ctx, warm, `INSERT INTO t VALUES ($1, $2)`, 100, "warm")
	if err := warm.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name string
		run  func(tx dialect.Tx) error
	}{
		{"statement with arguments", func(tx dialect.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO t VALUES ($1, $2)`, 1, "a")
			return err
		}},
		{"query", func(tx dialect.Tx) error {
			rows, err := tx.Query(ctx, `SELECT s FROM t WHERE id = $1`, 0)
			if err != nil {
				return err
			}
			return rows.Close()
		}},
		{"statement without arguments", func(tx dialect.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO t VALUES (2, 'b')`)
			return err
		}},
	} {
		before := writes.Load()
		tx := beginTx(t, ctx, p, dialect.TxOptions{})
		if err := c.run(tx); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatalf("%s: commit: %v", c.name, err)
		}
		if n := writes.Load() - before; n != 2 {
			t.Errorf("%s: %d round trips, want 2 (statement with BEGIN, COMMIT)", c.name, n)
		}
	}
	var n int
	queryValue(t, ctx, p, &n, `SELECT count(*) FROM t WHERE id IN (1, 2)`)
	if n != 2 {
		t.Fatalf("%d of the 2 committed rows are there", n)
	}

	// a transaction that runs nothing sends nothing
	before := writes.Load()
	for _, end := range []func(dialect.Tx) error{
		func(tx dialect.Tx) error { return tx.Commit(ctx) },
		func(tx dialect.Tx) error { return tx.Rollback(ctx) },
	} {
		tx := beginTx(t, ctx, p, dialect.TxOptions{ReadOnly: true})
		if err := end(tx); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(ctx); !errors.Is(err, pgx.ErrTxClosed) {
			t.Errorf("a second end: %v, want pgx.ErrTxClosed", err)
		}
	}
	if n := writes.Load() - before; n != 0 {
		t.Errorf("empty transactions made %d round trips, want none", n)
	}
}

// The transaction's first statement keeps a transaction's meaning: a
// script of several statements runs inside it, a failed first statement
// aborts it (COMMIT rolls back and says so), and rows read to their end
// free the connection for the next statement without Close.
func TestTransactionWithBeginSentLateKeepsItsMeaning(t *testing.T) {
	p, _ := countedPool(t) // one connection: a leaked one would block
	ctx := testCtx(t)
	mustExec(t, ctx, p, `CREATE TABLE t (id integer PRIMARY KEY, s text)`)
	count := func(q dialect.Querier) int {
		t.Helper()
		var n int
		queryValue(t, ctx, q, &n, `SELECT count(*) FROM t`) // no Close: reading to the end frees the connection
		return n
	}

	tx := beginTx(t, ctx, p, dialect.TxOptions{})
	mustExec(t, ctx, tx, `INSERT INTO t VALUES (1, 'a'); INSERT INTO t VALUES (2, 'b')`)
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(p); n != 0 {
		t.Fatalf("a rolled-back script left %d rows: it ran outside the transaction", n)
	}

	tx = beginTx(t, ctx, p, dialect.TxOptions{})
	if n := count(tx); n != 0 {
		t.Fatalf("count %d", n)
	}
	mustExec(t, ctx, tx, `INSERT INTO t VALUES ($1, $2)`, 3, "c") // after a query read to its end
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(p); n != 1 {
		t.Fatalf("%d rows after the commit, want 1", n)
	}

	for _, first := range []func(dialect.Tx) error{
		func(tx dialect.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO t VALUES ($1, $2)`, 3, "dup")
			return err
		},
		func(tx dialect.Tx) error { _, err := tx.Exec(ctx, `INSERT INTO t VALUES (3, 'dup')`); return err },
		func(tx dialect.Tx) error { _, err := tx.Query(ctx, `SELEKT 1`); return err },
	} {
		tx := beginTx(t, ctx, p, dialect.TxOptions{})
		if err := first(tx); err == nil {
			t.Fatal("a failing first statement succeeded")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO t VALUES ($1, $2)`, 4, "d"); err == nil {
			t.Fatal("a statement after a failed one ran: the failure did not abort the transaction")
		}
		if err := tx.Commit(ctx); !errors.Is(err, pgx.ErrTxCommitRollback) {
			t.Fatalf("commit of an aborted transaction: %v, want pgx.ErrTxCommitRollback", err)
		}
		if n := count(p); n != 1 {
			t.Fatalf("%d rows after an aborted transaction, want 1", n)
		}
	}
}

// A COPY that is its transaction's first statement goes with BEGIN in one
// simple query (as the server's pg_stat_activity shows), encoded by
// Strata rather than by pgx's CopyFrom: the rows it writes are the same
// as pgx's, for every type the dialect maps (NULLs, text given for uuid
// and numeric, an enum, arrays, values given by address, nil pointers,
// integers of other widths), and a failing COPY (a duplicate key, an unknown column,
// an integer out of range) aborts the transaction.
func TestCopyOpeningATransactionWritesWhatPgxWrites(t *testing.T) {
	ptr := func(v any) any { // v's value, by address
		switch x := v.(type) {
		case int64:
			return &x
		case int32:
			return &x
		case int16:
			return &x
		case bool:
			return &x
		case string:
			return &x
		case float32:
			return &x
		case float64:
			return &x
		case time.Time:
			return &x
		}
		panic(v)
	}
	p, _ := countedPool(t)
	ctx := testCtx(t)
	mustExec(t, ctx, p, `CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`)
	const cols = `(id bigint PRIMARY KEY, i2 smallint, i4 integer, b boolean, s text, v varchar(20),
		f4 real, f8 double precision, num numeric(12,3), d date, ts timestamp, tz timestamptz,
		u uuid, j jsonb, by bytea, ss text[], ii bigint[], m mood)`
	mustExec(t, ctx, p, `CREATE TABLE via_pgx `+cols)
	mustExec(t, ctx, p, `CREATE TABLE via_strata `+cols)
	names := []string{"id", "i2", "i4", "b", "s", "v", "f4", "f8", "num", "d", "ts", "tz", "u", "j", "by", "ss", "ii", "m"}
	at := time.Date(2026, 12, 3, 7, 45, 1, 123456000, time.UTC)
	rows := [][]any{
		{int64(1), int16(-2), int32(1 << 30), true, "tab\there \"q\" ünï", "short", float32(1.5), 2.25, "12345.678",
			time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), at, at.In(time.FixedZone("x", 3600)),
			"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", `{"a": [1, "two"]}`, []byte{0, 1, 255}, []string{"x", "y,z"}, []int64{-1, 1 << 40}, "happy"},
		{int64(2), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
		{int64(3), int16(0), int32(0), false, "", "", float32(0), 0.0, "0", at, at, at,
			"00000000-0000-0000-0000-000000000000", `null`, []byte{}, []string{}, []int64{}, "sad"},
		// fields handed over by address, as the ORM does, some into
		// columns of another kind (text for numeric, uuid and jsonb)
		{ptr(int64(4)), ptr(int16(-32768)), ptr(int32(-1 << 31)), ptr(true), ptr("by address"), ptr("v"), ptr(float32(-0.25)),
			ptr(math.Inf(-1)), ptr("-0.5"), ptr(at), ptr(at), ptr(at), ptr("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12"),
			ptr(`{"k": "v"}`), []byte("b"), []string{"p"}, []int64{4}, ptr("ok")},
		// integers of other widths than the column's, within its range
		{int(5), int64(32767), int64(1<<31 - 1), ptr(false), "", "", float32(3), ptr(5.5), int64(7), nil, nil, nil, nil, nil, nil, nil, nil, nil},
		// nil pointers are NULLs
		{int64(6), (*int16)(nil), (*int32)(nil), (*bool)(nil), (*string)(nil), (*string)(nil), (*float32)(nil), (*float64)(nil),
			(*string)(nil), (*time.Time)(nil), (*time.Time)(nil), (*time.Time)(nil), (*string)(nil), (*string)(nil), nil, nil, nil, (*string)(nil)},
	}
	fill := func(i int, row []any) error { copy(row, rows[i]); return nil }
	if _, err := p.(dialect.Copier).CopyFrom(ctx, "", "via_pgx", names, len(rows), fill); err != nil {
		t.Fatal(err)
	}
	// The server's view of the transaction's connection after the COPY:
	// its one query so far is BEGIN and COPY together.
	admin := testdb.New(t, "postgres")
	other := admin.Open(t)
	tx := beginTx(t, ctx, p, dialect.TxOptions{})
	n, err := tx.(dialect.Copier).CopyFrom(ctx, "", "via_strata", names, len(rows), fill)
	if err != nil || n != int64(len(rows)) {
		t.Fatalf("COPY opening a transaction: %d %v", n, err)
	}
	var seen int
	queryValue(t, ctx, other, &seen, `SELECT count(*) FROM pg_stat_activity
		WHERE state = 'idle in transaction' AND query LIKE 'begin; copy %via_strata%'`)
	if seen != 1 {
		t.Errorf("%d connections idle in a transaction whose query was BEGIN and COPY together, want 1", seen)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var same bool
	queryValue(t, ctx, p, &same, `SELECT (SELECT array_agg(t ORDER BY id)::text FROM via_pgx t) = (SELECT array_agg(t ORDER BY id)::text FROM via_strata t)`)
	if !same {
		t.Fatal("the rows COPY wrote with BEGIN differ from pgx's")
	}
	var nulls int
	queryValue(t, ctx, p, &nulls, `SELECT num_nulls(i2, i4, b, s, v, f4, f8, num, d, ts, tz, u, j, by, ss, ii, m) FROM via_strata WHERE id = 6`)
	if nulls != 17 {
		t.Fatalf("a row of nil pointers has %d NULLs of 17", nulls)
	}

	for _, c := range []struct {
		name    string
		columns []string
		row     []any
	}{
		{"duplicate key", []string{"id"}, []any{int64(1)}},
		{"unknown column", []string{"nope"}, []any{int64(7)}},
		{"integer out of the column's range", []string{"id", "i4"}, []any{int64(9), ptr(int64(1 << 40))}},
	} {
		tx := beginTx(t, ctx, p, dialect.TxOptions{})
		if _, err := tx.(dialect.Copier).CopyFrom(ctx, "", "via_strata", c.columns, 1, func(_ int, row []any) error { copy(row, c.row); return nil }); err == nil {
			t.Fatalf("%s: COPY succeeded", c.name)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO via_strata (id) VALUES ($1)`, 50); err == nil {
			t.Fatalf("%s: a statement after the failed COPY ran", c.name)
		}
		if err := tx.Commit(ctx); !errors.Is(err, pgx.ErrTxCommitRollback) {
			t.Fatalf("%s: commit: %v, want pgx.ErrTxCommitRollback", c.name, err)
		}
	}
}
