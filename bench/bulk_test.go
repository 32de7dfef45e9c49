package bench

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jmoiron/sqlx"

	"github.com/strata-go/strata/orm"
)

// Bulk inserts (keys read back wherever the library can) and a large read.
// pgx runs three ways: multi-row VALUES ... RETURNING (pgx), UNNEST of
// arrays ... RETURNING (pgx-unnest) and COPY (pgx-copy, no keys); ratios
// are taken to the fastest of them.

// chunk is the rows per multi-row VALUES statement: 1000 rows x 7 columns
// stays under PostgreSQL's 65535 bind parameters.
const chunk = 1000

const unnestSQL = `INSERT INTO bench_models (name, title, fax, web, age, "right", counter)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bool[], $7::bigint[]) RETURNING id`

var modelColumns = []string{"name", "title", "fax", "web", "age", "right", "counter"}

var valuesSQL sync.Map // rows -> INSERT ... VALUES (...), ... RETURNING id

// multiInsertSQL is the hand-written multi-row INSERT for n rows.
func multiInsertSQL(n int) string {
	if q, ok := valuesSQL.Load(n); ok {
		return q.(string)
	}
	var sb strings.Builder
	sb.WriteString(`INSERT INTO bench_models (name, title, fax, web, age, "right", counter) VALUES `)
	for r := range n {
		if r > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('(')
		for c := range 7 {
			if c > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "$%d", r*7+c+1)
		}
		sb.WriteByte(')')
	}
	sb.WriteString(" RETURNING id")
	valuesSQL.Store(n, sb.String())
	return sb.String()
}

func modelArgs(ms []Model) []any {
	args := make([]any, 0, len(ms)*7)
	for i := range ms {
		m := &ms[i]
		args = append(args, m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter)
	}
	return args
}

func newModels(n int) []Model {
	ms := make([]Model, n)
	for i := range ms {
		ms[i] = newModel()
	}
	return ms
}

// querier is what pgxpool.Pool and pgx.Tx share.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// pgxValues inserts ms with multi-row VALUES ... RETURNING id, chunked, in
// a transaction when there is more than one chunk.
func pgxValues(ctx context.Context, p *pgxpool.Pool, ms []Model) error {
	write := func(q querier) error {
		for lo := 0; lo < len(ms); lo += chunk {
			part := ms[lo:min(lo+chunk, len(ms))]
			rows, err := q.Query(ctx, multiInsertSQL(len(part)), modelArgs(part)...)
			if err != nil {
				return err
			}
			_, err = scanModelIDs(rows, part)
			rows.Close()
			if err != nil {
				return err
			}
		}
		return nil
	}
	if len(ms) <= chunk {
		return write(p)
	}
	return pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error { return write(tx) })
}

// pgxUnnest inserts ms with one INSERT ... SELECT FROM unnest(...) RETURNING id.
func pgxUnnest(ctx context.Context, p *pgxpool.Pool, ms []Model) error {
	return pgxUnnestSQL(ctx, p, unnestSQL, ms)
}

// pgxUnnestSQL is pgxUnnest with its statement (unnestSQL on another table).
func pgxUnnestSQL(ctx context.Context, p *pgxpool.Pool, query string, ms []Model) error {
	n := len(ms)
	names, titles, faxes, webs := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	ages, rights, counters := make([]int32, n), make([]bool, n), make([]int64, n)
	for i := range ms {
		m := &ms[i]
		names[i], titles[i], faxes[i], webs[i] = m.Name, m.Title, m.Fax, m.Web
		ages[i], rights[i], counters[i] = m.Age, m.Right, m.Counter
	}
	rows, err := p.Query(ctx, query, names, titles, faxes, webs, ages, rights, counters)
	if err != nil {
		return err
	}
	defer rows.Close()
	_, err = scanModelIDs(rows, ms)
	return err
}

// idRows is what pgx.Rows, *sql.Rows and *sqlx.Rows share for reading
// the keys an INSERT ... RETURNING id sends back.
type idRows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// scanModelIDs reads the returned keys into ms in order and says how many came
// back; the caller closes rows.
func scanModelIDs(rows idRows, ms []Model) (int, error) {
	i := 0
	for rows.Next() {
		if err := rows.Scan(&ms[i].ID); err != nil {
			return i, err
		}
		i++
	}
	return i, rows.Err()
}

// pgxCopy inserts ms with COPY FROM STDIN (binary); no keys come back.
func pgxCopy(ctx context.Context, p *pgxpool.Pool, ms []Model) error {
	_, err := p.CopyFrom(ctx, pgx.Identifier{"bench_models"}, modelColumns, copyRows(ms))
	return err
}

// pgxCopyTempSQL is pgxCopyTemp's INSERT from the staging table: keys
// are generated in the SELECT's order, so they ascend with ord.
const pgxCopyTempSQL = `INSERT INTO %s (name, title, fax, web, age, "right", counter)
SELECT name, title, fax, web, age, "right", counter FROM bench_staging ORDER BY ord RETURNING id`

// pgxCopyTemp inserts ms and reads their keys back through a temporary
// table: COPY into it, then one INSERT ... SELECT ... RETURNING id, in a
// transaction (the staging table empties itself at commit).
func pgxCopyTemp(ctx context.Context, p *pgxpool.Pool, table string, ms []Model) error {
	return pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS bench_staging (ord int, name text, title text, fax text, web text, age int, "right" bool, counter bigint) ON COMMIT DELETE ROWS`); err != nil {
			return err
		}
		cols := append([]string{"ord"}, modelColumns...)
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"bench_staging"}, cols, pgx.CopyFromSlice(len(ms), func(i int) ([]any, error) {
			m := &ms[i]
			return []any{int32(i), m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter}, nil
		})); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, fmt.Sprintf(pgxCopyTempSQL, table))
		if err != nil {
			return err
		}
		i, err := scanModelIDs(rows, ms)
		rows.Close()
		if err != nil {
			return err
		}
		if i != len(ms) {
			return fmt.Errorf("pgx-copytemp: %d keys for %d rows", i, len(ms))
		}
		return nil
	})
}

// copyRows is ms as COPY's rows, in modelColumns' order.
func copyRows(ms []Model) pgx.CopyFromSource {
	return pgx.CopyFromSlice(len(ms), func(i int) ([]any, error) {
		m := &ms[i]
		return []any{m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter}, nil
	})
}

// sqlValues is pgxValues through database/sql.
func sqlValues(ctx context.Context, db *sql.DB, ms []Model) error {
	type q interface {
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	}
	write := func(q q) error {
		for lo := 0; lo < len(ms); lo += chunk {
			part := ms[lo:min(lo+chunk, len(ms))]
			rows, err := q.QueryContext(ctx, multiInsertSQL(len(part)), modelArgs(part)...)
			if err != nil {
				return err
			}
			_, err = scanModelIDs(rows, part)
			rows.Close()
			if err != nil {
				return err
			}
		}
		return nil
	}
	if len(ms) <= chunk {
		return write(db)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := write(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// sqlxBatch inserts ms with sqlx's batch form of a named query (one
// VALUES group per element) and reads the keys back, chunked, in a
// transaction when there is more than one chunk.
func sqlxBatch(ctx context.Context, db *sqlx.DB, ms []Model) error {
	write := func(ext sqlx.ExtContext) error {
		for lo := 0; lo < len(ms); lo += chunk {
			part := ms[lo:min(lo+chunk, len(ms))]
			rows, err := sqlx.NamedQueryContext(ctx, ext, sqlxIns, part)
			if err != nil {
				return err
			}
			_, err = scanModelIDs(rows, part)
			rows.Close()
			if err != nil {
				return err
			}
		}
		return nil
	}
	if len(ms) <= chunk {
		return write(db)
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := write(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// benchInsertMany runs one bulk insert of n rows per op for every library.
func benchInsertMany(b *testing.B, n int) {
	// 10k rows per op: start every op from an empty table.
	withPrep := func(e *env) loop {
		if n <= chunk {
			return loop{warm: 1}
		}
		return loop{prep: func(int) error {
			_, err := e.admin.Exec(e.ctx, `TRUNCATE bench_models`)
			return err
		}}
	}
	b.Run("strata", func(b *testing.B) {
		e := newEnv(b)
		_, f := e.strata(b, strataRegistry())
		e.run(b, withPrep(e), func(int) error {
			s := f.New()
			defer s.Close(e.ctx)
			for range n {
				if err := s.Add(newStrataModel()); err != nil {
					return err
				}
			}
			return s.Commit(e.ctx)
		})
	})
	// the caller says keys need not come back: orm.InsertMany (COPY)
	b.Run("strata-nokeys", func(b *testing.B) {
		e := newEnv(b)
		_, f := e.strata(b, strataRegistry())
		e.run(b, withPrep(e), func(int) error {
			s := f.New()
			defer s.Close(e.ctx)
			ms := make([]*StrataModel, n)
			for i := range ms {
				ms[i] = newStrataModel()
			}
			if _, err := orm.InsertMany(e.ctx, s, ms); err != nil {
				return err
			}
			return s.Commit(e.ctx)
		})
	})
	for _, v := range []struct {
		name   string
		insert func(context.Context, *pgxpool.Pool, []Model) error
	}{{"pgx", pgxValues}, {"pgx-unnest", pgxUnnest}, {"pgx-copy", pgxCopy}, {"pgx-copytemp", func(ctx context.Context, p *pgxpool.Pool, ms []Model) error {
		return pgxCopyTemp(ctx, p, "bench_models", ms)
	}}} {
		b.Run(v.name, func(b *testing.B) {
			e := newEnv(b)
			p := e.pgxPool(b)
			e.run(b, withPrep(e), func(int) error { return v.insert(e.ctx, p, newModels(n)) })
		})
	}
	b.Run("databasesql", func(b *testing.B) {
		e := newEnv(b)
		db := e.sqlDB(b)
		e.run(b, withPrep(e), func(int) error { return sqlValues(e.ctx, db, newModels(n)) })
	})
	b.Run("gorm", func(b *testing.B) {
		e := newEnv(b)
		db := e.gormDB(b).WithContext(e.ctx)
		e.run(b, withPrep(e), func(int) error {
			ms := make([]*GormModel, n)
			for i := range ms {
				ms[i] = newGormModel()
			}
			if n > chunk {
				return db.CreateInBatches(ms, chunk).Error
			}
			return db.Create(ms).Error
		})
	})
	b.Run("bun", func(b *testing.B) {
		e := newEnv(b)
		db := e.bunDB(b)
		e.run(b, withPrep(e), func(int) error {
			ms := make([]*BunModel, n)
			for i := range ms {
				ms[i] = newBunModel()
			}
			_, err := db.NewInsert().Model(&ms).Exec(e.ctx)
			return err
		})
	})
	b.Run("sqlx", func(b *testing.B) {
		e := newEnv(b)
		db := e.sqlxDB(b)
		e.run(b, withPrep(e), func(int) error { return sqlxBatch(e.ctx, db, newModels(n)) })
	})
}

func BenchmarkInsertMulti100(b *testing.B) { benchInsertMany(b, 100) }

func BenchmarkInsert10k(b *testing.B) { benchInsertMany(b, 10_000) }

// pgxLoad reads the model rows of query into a slice with a hand-written Scan.
func pgxLoad(e *env, p *pgxpool.Pool, query string, args ...any) ([]Model, error) {
	rows, err := p.Query(e.ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Model
	for rows.Next() {
		var m Model
		if err := scanModel(rows, &m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// sqlLoad is pgxLoad through database/sql.
func sqlLoad(e *env, db *sql.DB, query string, args ...any) ([]Model, error) {
	rows, err := db.QueryContext(e.ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Model
	for rows.Next() {
		var m Model
		if err := scanModel(rows, &m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// BenchmarkLoad100k reads 100,000 rows into structs (Strata: through a
// session, as tracked objects; strata-notrack: the same with
// Query.NoTracking; strata-expr: its expression layer).
func BenchmarkLoad100k(b *testing.B) {
	const n = 100_000
	const all = selectSQL + ` WHERE id > $1`
	check := func(got int, err error) error {
		if err == nil && got != n {
			err = fmt.Errorf("read %d rows, want %d", got, n)
		}
		return err
	}
	for _, v := range []struct {
		name    string
		noTrack bool
	}{{"strata", false}, {"strata-notrack", true}} {
		b.Run(v.name, func(b *testing.B) {
			e := newEnv(b)
			e.seedModels(b, n)
			_, f := e.strata(b, strataRegistry())
			e.run(b, loop{}, func(int) error {
				ms, err := strataSessionLoad(e, f, 0, v.noTrack)
				return check(len(ms), err)
			})
		})
	}
	b.Run("strata-expr", func(b *testing.B) {
		e := newEnv(b)
		e.seedModels(b, n)
		db, _ := e.strata(b, strataRegistry())
		e.run(b, loop{}, func(int) error {
			ms, err := strataExprLoad(e, db, 0)
			return check(len(ms), err)
		})
	})
	b.Run("pgx", func(b *testing.B) {
		e := newEnv(b)
		e.seedModels(b, n)
		p := e.pgxPool(b)
		e.run(b, loop{}, func(int) error {
			ms, err := pgxLoad(e, p, all, 0)
			return check(len(ms), err)
		})
	})
	b.Run("databasesql", func(b *testing.B) {
		e := newEnv(b)
		e.seedModels(b, n)
		db := e.sqlDB(b)
		e.run(b, loop{}, func(int) error {
			ms, err := sqlLoad(e, db, all, 0)
			return check(len(ms), err)
		})
	})
	b.Run("gorm", func(b *testing.B) {
		e := newEnv(b)
		e.seedModels(b, n)
		db := e.gormDB(b).WithContext(e.ctx)
		e.run(b, loop{}, func(int) error {
			var ms []GormModel
			err := db.Where("id > ?", 0).Find(&ms).Error
			return check(len(ms), err)
		})
	})
	b.Run("bun", func(b *testing.B) {
		e := newEnv(b)
		e.seedModels(b, n)
		db := e.bunDB(b)
		e.run(b, loop{}, func(int) error {
			var ms []BunModel
			err := db.NewSelect().Model(&ms).Where("id > ?", 0).Scan(e.ctx)
			return check(len(ms), err)
		})
	})
	b.Run("sqlx", func(b *testing.B) {
		e := newEnv(b)
		e.seedModels(b, n)
		db := e.sqlxDB(b)
		e.run(b, loop{}, func(int) error {
			var ms []Model
			err := db.SelectContext(e.ctx, &ms, all, 0)
			return check(len(ms), err)
		})
	})
}
