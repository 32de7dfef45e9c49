// Package bench compares Strata with raw pgx, database/sql, GORM, bun,
// sqlx, ent and sqlc on the same PostgreSQL database, one workload at a
// time.
//
// It is its own module so that none of the compared libraries reaches
// Strata's users. Every benchmark is BenchmarkX/<library>; the database is
// the one named by STRATA_TEST_POSTGRES (the benchmarks skip when it is
// unset), and every sub-benchmark recreates its bench_* tables first.
//
//	cd bench
//	export STRATA_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/strata_bench?sslmode=disable'
//	go test -run '^$' -bench . -benchmem -count 1 -benchtime 1x   # smoke run
//	go run ./cmd/report   # measures (see Method) and writes ../docs/benchmarks.md
//
// # What is compared
//
// Each library runs the code its users would write: GORM with
// associations, Preload and its default transaction around every write;
// bun with Relation and bulk queries; sqlx, database/sql and pgx with
// hand-written SQL. pgx (a pgxpool.Pool with its statement cache, so every
// query is a server-side prepared statement) is the floor; bulk inserts
// also run pgx's best raw techniques, COPY (pgx-copy), UNNEST
// (pgx-unnest) and COPY into a temporary table followed by INSERT ...
// SELECT ... RETURNING (pgx-copytemp), the last two reading keys back. database/sql, GORM and sqlx run over pgx's stdlib driver,
// so the driver is the same for everyone but bun, which uses its own
// pgdriver as its documentation recommends.
//
// Every benchmark reports stmts/op, the statements sent to the server per
// operation (BEGIN, COMMIT and SAVEPOINT included), counted by a pgx
// tracer (bun: a query hook). Strata runs on a pgx pool with that tracer
// through pgdialect.FromPool rather than engine.WithLogger, so that counting
// costs it nothing a user's build would not pay either.
//
// # The public workload
//
// BenchmarkPublicInsert, BenchmarkPublicInsertMulti, BenchmarkPublicUpdate,
// BenchmarkPublicRead and BenchmarkPublicReadSlice are the five operations
// of the public go-orm-benchmarks suite (github.com/efectn/go-orm-benchmarks),
// on its table and with its row values and statements, so that Strata's
// numbers can be set beside the figures that suite publishes:
//
//   - the models table (id, name, title, fax, web, age, "right", counter;
//     internal/sqlcmodels/schema.sql), recreated by every sub-benchmark;
//   - every row holds "Orm Benchmark", "Just a Benchmark for fun",
//     "99909990", "http://blog.milkpod29.me", 100, true, 1000;
//   - Insert: INSERT INTO models (name, title, fax, web, age, "right",
//     counter) VALUES ($1, ..., $7), one row;
//   - InsertMulti: 100 such rows in one statement (multi-row VALUES, the
//     suite's raw technique; pgx also runs its COPY, pgx-copy, as that
//     suite's pgx entry does, UNNEST, pgx-unnest, and the temporary
//     table, pgx-copytemp);
//   - Update: UPDATE models SET name = $1, ..., counter = $7 WHERE id = $8,
//     the same row every time;
//   - Read: SELECT id, name, ..., counter FROM models WHERE id = $1;
//   - ReadSlice: the same columns WHERE id > $1 LIMIT $2 with 0 and 100.
//
// Each library writes the operation as that suite does: GORM's Create,
// Updates, Take and Where ... Limit ... Find (with SkipDefaultTransaction,
// as the suite configures it); bun's NewInsert, NewUpdate ... WherePK and
// NewSelect; ent's generated Create, CreateBulk, Update().Where(IDEQ),
// Query().Where(IDEQ).First and Query().Where(IDGT).Limit(100).All; sqlc's
// generated CreateModel, :copyfrom InsertModels, UpdateModel, GetModel and
// ListModels; sqlx and database/sql the hand-written statements. Strata
// writes what its users do: Session.Add and Commit to insert (and for
// InsertMulti strata-nokeys, orm.InsertMany, where the caller says the keys
// need not come back), orm.UpdateByKey to write an object in hand by its key (strata-where:
// orm.UpdateWhere ... Exec naming the columns), orm.Get in a fresh session
// to read a row, and orm.Select ... Where ... Limit ... All in a fresh
// session to read a slice (the session, not the expression layer;
// strata-notrack adds Query.NoTracking).
//
// Where this differs from the public suite, on purpose: every Insert reads
// the new key back (RETURNING id), as the ORMs do, where that suite's raw
// entries use Exec; every key-returning InsertMulti reads the 100 keys
// back, while pgx-copy and sqlc (its :copyfrom) cannot; sqlx reads keys
// back with its named batch insert; id is a bigserial (every library reads
// keys as int64); values are bind parameters everywhere, where that suite
// writes ReadSlice's 0 and 100 into its raw SQL; the drivers are this
// suite's (pgx v5 for pgx, database/sql, sqlx, GORM and ent, its own
// pgdriver for bun, pgx v5 for sqlc, sql_package pgx/v5); and every
// operation checks its result (a key came back, one row was updated, 100
// rows were read), so a library that silently does nothing fails.
//
// ent's client is generated into internal/entmodels (go generate
// ./internal/entmodels); sqlc's code into internal/sqlcmodels by sqlc
// v1.31.1, pinned by the tool directive of go.mod (go tool sqlc generate
// in that directory). Both are committed.
//
// # Method
//
// go run ./cmd/report is the measurement; a plain go test -bench is for
// trying a change. The report
//
//   - sets synchronous_commit = off as the benchmark database's default for
//     the run (ALTER DATABASE ... SET, picked up by every driver's new
//     connections) and restores it afterwards, so that commit latency does
//     not drown the libraries' own cost; -synchronous-commit on gives the
//     documented run with durable commits, keep leaves the database alone;
//   - builds the test binary once and runs -count rounds (6 by default) of
//     -test.count 1, the libraries of each benchmark rotated from round to
//     round and each in its own process after the first, so no library's
//     runs come back to back and a noisy minute of a shared machine falls
//     on all of them;
//   - reports the median of the rounds, ratios to raw pgx in the same run,
//     the targets, Strata against gorm, bun, ent and sqlx, the
//     public workload as the issue tabulates it (every library's time over
//     pgx's, InsertMulti over pgx's COPY), and how noisy the machine was
//     (the CV and range of pgx's own runs per benchmark).
//
// Use a database of its own for the benchmarks: every sub-benchmark drops
// and recreates the bench_* tables and the models table, and the report
// changes the database's synchronous_commit while it runs.
package bench
