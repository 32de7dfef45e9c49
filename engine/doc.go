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
// [DB.RunInTx] commits or rolls back around a function and re-runs it on
// retryable failures as its [RetryPolicy] says: a bounded number of
// attempts within a time budget, with jittered exponential pauses.
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
