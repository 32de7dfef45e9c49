// Package engine executes SQL on PostgreSQL, MariaDB and SQLite through one
// abstraction: a [DB] (a pool), a [Conn] (one connection) and a [Tx] (a
// transaction or a savepoint) are all [Executor]s. An Executor runs SQL
// text; [ExecStmt], [QueryStmt] and [QueryRowStmt] build a statement of
// [github.com/strata-go/strata/expr] for its dialect and run it.
//
//	db, err := engine.Open(ctx, sqlitedialect.New(), "file:app.db")
//	err = engine.CreateAll(ctx, db, md)
//	_, err = engine.ExecStmt(ctx, db, expr.Insert(expr.T("users")).Columns("name").Values("ann"))
//	err = db.QueryRow(ctx, "SELECT count(*) FROM users").Scan(&n)
//
// # Errors
//
// Errors are translated by the dialect into the types of
// [github.com/strata-go/strata/sqlerr]: [sqlerr.ErrNotFound] (which matches
// sql.ErrNoRows) from Row.Scan when there is no row, [*sqlerr.IntegrityError]
// naming the violated constraint and its kind, and errors for which
// [sqlerr.IsRetryable] is true after a serialization failure or deadlock.
//
// # Transactions
//
// [DB.Begin] starts a transaction, [DB.BeginTx] one with an isolation level
// or read-only; [Tx.Begin] inside it makes a savepoint.
//
// [DB.RunInTx] is the way to write: it commits or rolls back around a
// function and re-runs it on retryable failures (serialization failures,
// deadlocks, lock timeouts, SQLite busy) as the DB's [RetryPolicy] says: a
// bounded number of attempts within a time budget, with jittered
// exponential pauses ([DefaultRetryPolicy]: 10 attempts within 2 s, pauses
// from 5 ms doubling to 200 ms). The ORM's Factory.Transact follows the
// same policy through the same loop ([RetryPolicy.Run]); set it once with
// [WithRetryPolicy].
//
//	a := expr.T("accounts")
//	err := db.RunInTx(ctx, dialect.TxOptions{}, func(ctx context.Context, tx *engine.Tx) error {
//		_, err := engine.ExecStmt(ctx, tx, expr.Update(a).
//			Set("balance", expr.Add(a.C("balance"), 60)).Where(expr.Eq(a.C("id"), 2)))
//		return err // nil: committed; an error: rolled back
//	})
//
// # Pools
//
// [WithPool] sizes the pool [Open] opens, the same way on every dialect
// ([PoolOptions]: MaxOpen, MaxIdle, MinOpen, MaxLifetime, MaxIdleTime; on
// pgxpool and on database/sql), over what the DSN says; [DB.Stats] reads
// the limit and the connections back:
//
//	db, err := engine.Open(ctx, pgdialect.New(), dsn, engine.WithPool(engine.PoolOptions{
//		MaxOpen: 20, MaxLifetime: time.Hour, MaxIdleTime: 5 * time.Minute,
//	}))
//
// Without it each dialect keeps its defaults: pgx's (max(4, NumCPU)
// connections, or the DSN's pool_max_conns), database/sql's for MariaDB
// (no limit, 2 idle), and for a SQLite file max(4, NumCPU) connections,
// all kept idle.
//
// # Logging
//
// [WithLogger] logs every statement through log/slog with its arguments,
// duration and error. It is off by default.
//
// # Schema
//
// [CreateAll] and [DropAll] create and drop a whole
// [github.com/strata-go/strata/schema.MetaData] in dependency order,
// foreign-key cycles included; [Inspect] reads a live database back.
package engine
