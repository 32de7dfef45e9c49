// Package strata is a Go data-layer toolkit: an ORM with a real unit of work
// and an Alembic-grade migration tool, for PostgreSQL, MariaDB/MySQL and
// SQLite. This package holds only documentation; the code lives in layers,
// each importing only those below it:
//
//   - [github.com/strata-go/strata/schema]: schema metadata and the
//     dependency graph, shared by the ORM and migrations.
//   - [github.com/strata-go/strata/sqlerr]: the typed errors of every layer.
//   - [github.com/strata-go/strata/dialect] and its subpackages postgres,
//     mysql and sqlite: quoting, types, DDL, capabilities, introspection,
//     connections and error translation.
//   - [github.com/strata-go/strata/expr]: the SQL expression layer.
//   - [github.com/strata-go/strata/engine]: execution over pools,
//     connections and transactions; create-all and drop-all.
//
// The ORM session and the migration tool build on these.
package strata
