// Package dialect is the seam between Strata and a kind of database.
//
// A [Dialect] knows how to quote identifiers, write placeholders and types,
// render DDL, connect ([Pool]), read a live schema back into
// [github.com/strata-go/strata/schema] metadata (Inspect) and translate
// driver errors into [github.com/strata-go/strata/sqlerr] types. Higher
// layers never compare dialect names: they ask for capabilities,
//
//	if d.Features().Has(dialect.UpdateReturning) { ... }
//
// The implementations live in subpackages: pgdialect (pgx v5, native),
// mysqldialect (MariaDB and MySQL through go-sql-driver/mysql) and
// sqlitedialect (the pure-Go modernc.org/sqlite, foreign keys on for every
// connection). Their names cannot clash with the driver packages.
//
// # Execution interfaces
//
// [Querier], [Pool], [Conn], [Tx] and [Rows] are the small interfaces the
// dialects implement over their drivers; users work with
// [github.com/strata-go/strata/engine], which wraps them with logging and
// typed errors. [FromSQL] adapts any *sql.DB.
//
// # DDL
//
// [CreateAllSQL] and [DropAllSQL] render a whole schema in dependency order;
// the helpers in ddl.go are the pieces the dialects share.
//
// # Array columns
//
// [Array] binds a Go slice to an array column and [ArrayDest] scans one
// back: PostgreSQL's dialect hands the slice to pgx, which binds it as a
// native array, while MariaDB and SQLite store the text of a JSON array
// ([AppendArrayJSON] gives the exact form). [ArrayStyle] tells package
// expr which operators a dialect's arrays take.
package dialect
