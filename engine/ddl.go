package engine

import (
	"context"
	"fmt"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/schema"
)

// CreateAll creates every table of m, with enum types, constraints and
// indexes, in foreign-key dependency order (see [dialect.CreateAllSQL]).
// On databases with transactional DDL it runs in one transaction, so a
// failure leaves nothing behind; elsewhere it stops at the first failing
// statement and says which.
func CreateAll(ctx context.Context, db *DB, m *schema.MetaData) error {
	stmts, err := dialect.CreateAllSQL(db.d, m)
	if err != nil {
		return err
	}
	return db.runDDL(ctx, stmts)
}

// DropAll drops every table of m (and its enum types) in reverse
// dependency order, dropping the foreign keys of cycles first.
func DropAll(ctx context.Context, db *DB, m *schema.MetaData) error {
	stmts, err := dialect.DropAllSQL(db.d, m)
	if err != nil {
		return err
	}
	return db.runDDL(ctx, stmts)
}

// Inspect reads the live schema into metadata (see [dialect.Dialect.Inspect]).
func Inspect(ctx context.Context, ex Executor, opts dialect.InspectOptions) (*schema.MetaData, error) {
	return ex.Dialect().Inspect(ctx, querier{ex}, opts)
}

func (db *DB) runDDL(ctx context.Context, stmts []string) error {
	if db.d.Features().Has(dialect.TransactionalDDL) {
		return db.runOnce(ctx, dialect.TxOptions{}, func(ctx context.Context, tx *Tx) error {
			return execAll(ctx, tx, stmts)
		})
	}
	return execAll(ctx, db, stmts)
}

func execAll(ctx context.Context, ex Executor, stmts []string) error {
	for i, s := range stmts {
		if _, err := ex.Exec(ctx, s); err != nil {
			return fmt.Errorf("engine: DDL statement %d of %d failed: %w\n%s", i+1, len(stmts), err, s)
		}
	}
	return nil
}

// querier adapts an Executor to dialect.Querier, so that introspection
// queries are logged and translated like any other.
type querier struct{ ex Executor }

func (q querier) Exec(ctx context.Context, query string, args ...any) (dialect.Result, error) {
	return q.ex.Exec(ctx, query, args...)
}

func (q querier) Query(ctx context.Context, query string, args ...any) (dialect.Rows, error) {
	r, err := q.ex.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return r, nil
}
