// Package strata is a Go data-layer toolkit: an ORM with a real unit of work
// and an Alembic-grade migration tool, for PostgreSQL, MariaDB/MySQL and
// SQLite. This package holds only documentation; the code lives in layers,
// each importing only those below it:
//
//   - [github.com/strata-go/strata/schema]: schema metadata and the
//     dependency graph, shared by the ORM and migrations.
//   - [github.com/strata-go/strata/sqlerr]: the typed errors of every layer.
//   - [github.com/strata-go/strata/dialect] and its implementations
//     [github.com/strata-go/strata/dialect/pgdialect],
//     [github.com/strata-go/strata/dialect/mysqldialect] and
//     [github.com/strata-go/strata/dialect/sqlitedialect]: quoting, types,
//     DDL, capabilities, introspection, connections and error translation.
//   - [github.com/strata-go/strata/expr]: the SQL expression layer.
//   - [github.com/strata-go/strata/engine]: execution over pools,
//     connections and transactions, retries; create-all and drop-all.
//   - [github.com/strata-go/strata/orm]: the ORM: models as structs,
//     sessions with an identity map and a dependency-ordered flush,
//     relationships and cascades, typed queries and explicit loading.
//   - [github.com/strata-go/strata/migrate]: migrations: revisions,
//     autogenerate, exact downgrades, round-trip and drift checks; the
//     strata command is built on it.
package strata
