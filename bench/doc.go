// Package bench compares Strata with raw pgx, database/sql, GORM, bun and
// sqlx on the same PostgreSQL database, one workload at a time.
//
// It is its own module so that none of the compared libraries reaches
// Strata's users. Every benchmark is BenchmarkX/<library>; the database is
// the one named by STRATA_TEST_POSTGRES (the benchmarks skip when it is
// unset), and every sub-benchmark recreates its bench_* tables first.
//
//	cd bench
//	export STRATA_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
//	go test -run '^$' -bench . -benchmem -count 5
//	go run ./cmd/report -count 5   # runs them and writes ../docs/benchmarks.md
//
// # What is compared
//
// Each library runs the code its users would write: GORM with
// associations, Preload and its default transaction around every write;
// bun with Relation and bulk queries; sqlx, database/sql and pgx with
// hand-written SQL. pgx (a pgxpool.Pool with its statement cache, so every
// query is a server-side prepared statement) is the floor; bulk inserts
// also run pgx's best raw techniques, COPY (pgx-copy) and UNNEST
// (pgx-unnest). database/sql, GORM and sqlx run over pgx's stdlib driver,
// so the driver is the same for everyone but bun, which uses its own
// pgdriver as its documentation recommends.
//
// Every benchmark reports stmts/op, the statements sent to the server per
// operation (BEGIN, COMMIT and SAVEPOINT included), counted by a pgx
// tracer (bun: a query hook). Strata runs on a pgx pool with that tracer
// through pgdialect.FromPool rather than engine.WithLogger, so that counting
// costs it nothing a user's build would not pay either.
package bench
