package sqlitedialect_test

import (
	"context"
	"testing"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/dialect/sqlitedialect"
)

// A read-only transaction refuses writes, and its connection goes back to
// the pool writable whether the transaction commits, rolls back, or ends
// with its context cancelled. ":memory:" has a pool of one connection, so
// every step reuses the connection the read-only transaction had.
func TestReadOnlyTransactionRefusesWritesAndLeavesConnectionWritable(t *testing.T) {
	ctx := context.Background()
	p, err := sqlitedialect.New().Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Exec(ctx, "CREATE TABLE t (id INTEGER PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	write := func(q dialect.Querier, id int) error {
		_, err := q.Exec(ctx, "INSERT INTO t (id) VALUES (?)", id)
		return err
	}
	ends := map[string]func(ctx context.Context, tx dialect.Tx) error{
		"commit":   func(ctx context.Context, tx dialect.Tx) error { return tx.Commit(ctx) },
		"rollback": func(ctx context.Context, tx dialect.Tx) error { return tx.Rollback(ctx) },
		"rollback after cancel": func(ctx context.Context, tx dialect.Tx) error {
			c, cancel := context.WithCancel(ctx)
			cancel()
			_ = tx.Rollback(c) // may report the cancellation; the connection must still be reset
			return nil
		},
	}
	id := 0
	for name, end := range ends {
		for _, begin := range []struct {
			via string
			fn  func() (dialect.Tx, func(), error)
		}{
			{"pool", func() (dialect.Tx, func(), error) {
				tx, err := p.Begin(ctx, dialect.TxOptions{ReadOnly: true})
				return tx, func() {}, err
			}},
			{"conn", func() (dialect.Tx, func(), error) {
				c, err := p.Conn(ctx)
				if err != nil {
					return nil, nil, err
				}
				tx, err := c.Begin(ctx, dialect.TxOptions{ReadOnly: true})
				return tx, func() { c.Close() }, err
			}},
		} {
			tx, done, err := begin.fn()
			if err != nil {
				t.Fatalf("%s, %s: begin: %v", name, begin.via, err)
			}
			var n int
			if err := dialect.QueryEach(ctx, tx, "SELECT count(*) FROM t", nil, func(r dialect.Rows) error { return r.Scan(&n) }); err != nil {
				t.Fatalf("%s, %s: a read-only transaction cannot read: %v", name, begin.via, err)
			}
			if err := write(tx, 1000); err == nil {
				t.Errorf("%s, %s: a read-only transaction wrote", name, begin.via)
			}
			if err := end(ctx, tx); err != nil {
				t.Fatalf("%s, %s: end: %v", name, begin.via, err)
			}
			done()
			id++
			if err := write(p, id); err != nil {
				t.Fatalf("%s, %s: the connection stayed read-only: %v", name, begin.via, err)
			}
		}
	}
	// A read-write transaction is untouched.
	tx, err := p.Begin(ctx, dialect.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := write(tx, 2000); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}
