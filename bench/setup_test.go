package bench

import (
	"context"
	"database/sql"
	"os"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"
	"github.com/uptrace/bun"
	bunpg "github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"
	gormpg "gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/strata-go/strata/dialect/pgdialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/orm"
)

// envDSN names the variable holding the PostgreSQL DSN.
const envDSN = "STRATA_TEST_POSTGRES"

// schemaDDL recreates every table the benchmarks use. Each sub-benchmark
// runs it first, so runs never see each other's rows.
const schemaDDL = `
DROP TABLE IF EXISTS bench_grandchildren, bench_children, bench_parents, bench_models;
CREATE TABLE bench_models (
	id bigserial PRIMARY KEY,
	name text NOT NULL,
	title text NOT NULL,
	fax text NOT NULL,
	web text NOT NULL,
	age integer NOT NULL,
	"right" boolean NOT NULL,
	counter bigint NOT NULL
);
CREATE TABLE bench_parents (
	id bigserial PRIMARY KEY,
	name text NOT NULL,
	counter bigint NOT NULL
);
CREATE TABLE bench_children (
	id bigserial PRIMARY KEY,
	parent_id bigint NOT NULL REFERENCES bench_parents (id) ON DELETE CASCADE,
	name text NOT NULL,
	counter bigint NOT NULL
);
CREATE INDEX bench_children_parent_id ON bench_children (parent_id);
CREATE TABLE bench_grandchildren (
	id bigserial PRIMARY KEY,
	child_id bigint NOT NULL REFERENCES bench_children (id) ON DELETE CASCADE,
	name text NOT NULL,
	counter bigint NOT NULL
);
CREATE INDEX bench_grandchildren_child_id ON bench_grandchildren (child_id);
`

// counter counts statements sent to the server while it is on. It is a pgx
// tracer (queries, batch entries, COPY) and a bun query hook.
type counter struct {
	on atomic.Bool
	n  atomic.Int64
}

func (c *counter) add() {
	if c.on.Load() {
		c.n.Add(1)
	}
}

func (c *counter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.add()
	return ctx
}
func (c *counter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (c *counter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}
func (c *counter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) { c.add() }
func (c *counter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}
func (c *counter) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceCopyFromStartData) context.Context {
	c.add()
	return ctx
}
func (c *counter) TraceCopyFromEnd(context.Context, *pgx.Conn, pgx.TraceCopyFromEndData) {}
func (c *counter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	c.add()
	return ctx
}
func (c *counter) AfterQuery(context.Context, *bun.QueryEvent) {}

var (
	_ pgx.QueryTracer    = (*counter)(nil)
	_ pgx.BatchTracer    = (*counter)(nil)
	_ pgx.CopyFromTracer = (*counter)(nil)
	_ bun.QueryHook      = (*counter)(nil)
)

// env is one sub-benchmark's database: a fresh schema, an untraced admin
// pool for setup, and the counter the library's connection reports to.
type env struct {
	ctx   context.Context
	dsn   string
	admin *pgxpool.Pool
	c     *counter
}

// newEnv recreates the tables, or skips the benchmark without a database.
func newEnv(b *testing.B) *env {
	b.Helper()
	dsn := os.Getenv(envDSN)
	if dsn == "" {
		b.Skipf("%s is not set", envDSN)
	}
	ctx := context.Background()
	admin, err := pgxpool.New(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(admin.Close)
	if _, err := admin.Exec(ctx, schemaDDL); err != nil {
		b.Fatal(err)
	}
	return &env{ctx: ctx, dsn: dsn, admin: admin, c: &counter{}}
}

// exec runs setup SQL through the admin pool.
func (e *env) exec(b *testing.B, query string, args ...any) {
	b.Helper()
	if _, err := e.admin.Exec(e.ctx, query, args...); err != nil {
		b.Fatal(err)
	}
}

func (e *env) pgxConfig(b *testing.B) *pgxpool.Config {
	b.Helper()
	cfg, err := pgxpool.ParseConfig(e.dsn)
	if err != nil {
		b.Fatal(err)
	}
	cfg.ConnConfig.Tracer = e.c
	return cfg
}

// pgxPool is a traced pgxpool.Pool with pgx's default statement cache:
// every query is prepared once per connection.
func (e *env) pgxPool(b *testing.B) *pgxpool.Pool {
	b.Helper()
	p, err := pgxpool.NewWithConfig(e.ctx, e.pgxConfig(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.Close)
	if err := p.Ping(e.ctx); err != nil {
		b.Fatal(err)
	}
	return p
}

// sqlDB is database/sql over pgx's stdlib driver, traced.
func (e *env) sqlDB(b *testing.B) *sql.DB {
	b.Helper()
	db := stdlib.OpenDB(*e.pgxConfig(b).ConnConfig)
	b.Cleanup(func() { db.Close() })
	if err := db.PingContext(e.ctx); err != nil {
		b.Fatal(err)
	}
	return db
}

func (e *env) sqlxDB(b *testing.B) *sqlx.DB { return sqlx.NewDb(e.sqlDB(b), "pgx") }

// gormDB is GORM as its documentation opens it (driver/postgres over pgx
// stdlib, default transaction on every write), with its logger silenced.
func (e *env) gormDB(b *testing.B) *gorm.DB {
	b.Helper()
	db, err := gorm.Open(gormpg.New(gormpg.Config{Conn: e.sqlDB(b)}), &gorm.Config{
		Logger: logger.Default.LogMode(logger.Silent),
	})
	if err != nil {
		b.Fatal(err)
	}
	return db
}

// bunDB is bun over its own pgdriver, counted by a query hook.
func (e *env) bunDB(b *testing.B) *bun.DB {
	b.Helper()
	sqldb := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(e.dsn)))
	db := bun.NewDB(sqldb, bunpg.New())
	db.AddQueryHook(e.c)
	b.Cleanup(func() { db.Close() })
	if err := db.PingContext(e.ctx); err != nil {
		b.Fatal(err)
	}
	return db
}

// strata opens Strata on a traced pgx pool (the same pool engine.Open would
// make) and returns a session factory for the registry's models.
func (e *env) strata(b *testing.B, reg *orm.Registry) (*engine.DB, *orm.Factory) {
	b.Helper()
	p := e.pgxPool(b)
	db := engine.New(pgdialect.New(), pgdialect.FromPool(p))
	return db, orm.NewFactory(db, reg)
}

// loop is how every benchmark runs its operation.
type loop struct {
	warm int               // untimed, uncounted runs of op first: op(0) ... op(warm-1)
	prep func(i int) error // untimed, uncounted work before op(warm+i)
}

// run times op b.N times and reports allocations and stmts/op.
func (e *env) run(b *testing.B, l loop, op func(i int) error) {
	b.Helper()
	for i := range l.warm {
		if err := op(i); err != nil {
			b.Fatal(err)
		}
	}
	e.c.n.Store(0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if l.prep != nil {
			b.StopTimer()
			if err := l.prep(i); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		e.c.on.Store(true)
		err := op(l.warm + i)
		e.c.on.Store(false)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(e.c.n.Load())/float64(b.N), "stmts/op")
}
