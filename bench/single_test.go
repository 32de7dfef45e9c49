package bench

import (
	"fmt"
	"testing"

	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/orm"
)

// Single-row operations, as in go-orm-benchmarks but with Update really
// changing a row and Read cycling over keys.

const (
	insertSQL = `INSERT INTO bench_models (name, title, fax, web, age, "right", counter) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`
	updateSQL = `UPDATE bench_models SET name = $1, title = $2, fax = $3, web = $4, age = $5, "right" = $6, counter = $7 WHERE id = $8`
	selectSQL = `SELECT id, name, title, fax, web, age, "right", counter FROM bench_models`
	readSQL   = selectSQL + ` WHERE id = $1`
	sliceSQL  = selectSQL + ` WHERE id > $1 LIMIT $2`
	sqlxIns   = `INSERT INTO bench_models (name, title, fax, web, age, "right", counter) VALUES (:name, :title, :fax, :web, :age, :right, :counter) RETURNING id`
	sqlxUpd   = `UPDATE bench_models SET name = :name, title = :title, fax = :fax, web = :web, age = :age, "right" = :right, counter = :counter WHERE id = :id`
)

// keys is how many rows Update and Read cycle over.
const keys = 100

// seedModels inserts n model rows with ids 1..n.
func (e *env) seedModels(b *testing.B, n int) {
	b.Helper()
	e.exec(b, `INSERT INTO bench_models (name, title, fax, web, age, "right", counter)
		SELECT $1, $2, $3, $4, $5, $6, g FROM generate_series(1, $7::int) g`,
		valName, valTitle, valFax, valWeb, valAge, valRight, n)
	e.exec(b, `VACUUM ANALYZE bench_models`)
}

func key(i int) int64 { return int64(i%keys) + 1 }

// strataModelColumns is the column list of StrataModel for the expr layer.
func strataModelColumns(t *expr.TableRef) []expr.Expr {
	return []expr.Expr{t.C("id"), t.C("name"), t.C("title"), t.C("fax"), t.C("web"), t.C("age"), t.C("right"), t.C("counter")}
}

func scanModel(sc interface{ Scan(...any) error }, m *Model) error {
	return sc.Scan(&m.ID, &m.Name, &m.Title, &m.Fax, &m.Web, &m.Age, &m.Right, &m.Counter)
}

func BenchmarkInsert(b *testing.B) {
	b.Run("strata", func(b *testing.B) {
		e := newEnv(b)
		_, f := e.strata(b, strataRegistry())
		e.run(b, loop{warm: 3}, func(int) error {
			s := f.New()
			defer s.Close(e.ctx)
			if err := s.Add(newStrataModel()); err != nil {
				return err
			}
			return s.Commit(e.ctx)
		})
	})
	b.Run("pgx", func(b *testing.B) {
		e := newEnv(b)
		p := e.pgxPool(b)
		e.run(b, loop{warm: 3}, func(int) error {
			m := newModel()
			return p.QueryRow(e.ctx, insertSQL, m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter).Scan(&m.ID)
		})
	})
	b.Run("databasesql", func(b *testing.B) {
		e := newEnv(b)
		db := e.sqlDB(b)
		e.run(b, loop{warm: 3}, func(int) error {
			m := newModel()
			return db.QueryRowContext(e.ctx, insertSQL, m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter).Scan(&m.ID)
		})
	})
	b.Run("gorm", func(b *testing.B) {
		e := newEnv(b)
		db := e.gormDB(b).WithContext(e.ctx)
		e.run(b, loop{warm: 3}, func(int) error {
			return db.Create(newGormModel()).Error
		})
	})
	b.Run("bun", func(b *testing.B) {
		e := newEnv(b)
		db := e.bunDB(b)
		e.run(b, loop{warm: 3}, func(int) error {
			_, err := db.NewInsert().Model(newBunModel()).Exec(e.ctx)
			return err
		})
	})
	b.Run("sqlx", func(b *testing.B) {
		e := newEnv(b)
		db := e.sqlxDB(b)
		e.run(b, loop{warm: 3}, func(int) error {
			m := newModel()
			rows, err := db.NamedQueryContext(e.ctx, sqlxIns, &m)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				if err := rows.Scan(&m.ID); err != nil {
					return err
				}
			}
			return rows.Err()
		})
	})
}

// BenchmarkUpdate changes one existing row by key. Strata has no update by
// key: a session loads the row, changes it and commits (what a request
// handler does); the others update from a struct they already hold.
func BenchmarkUpdate(b *testing.B) {
	const bump = 1_000_000 // every op writes a counter no row holds yet
	// Peers update by key without reading the row; so does Strata, with
	// the object in hand written by its key (orm.UpdateByKey, bun's
	// WherePK), as in PublicUpdate. strata-where names the columns in an
	// UPDATE by condition (orm.UpdateWhere); strata-uow is the unit of
	// work: Get, change a field, Commit (two statements).
	b.Run("strata", func(b *testing.B) {
		e := newEnv(b)
		e.seedModels(b, keys)
		_, f := e.strata(b, strataRegistry())
		m := newStrataModel()
		e.run(b, loop{warm: 3}, func(i int) error {
			s := f.New()
			defer s.Close(e.ctx)
			m.ID, m.Counter = key(i), int64(bump+i)
			return orm.UpdateByKey(e.ctx, s, m)
		})
	})
	b.Run("strata-where", func(b *testing.B) {
		e := newEnv(b)
		e.seedModels(b, keys)
		_, f := e.strata(b, strataRegistry())
		m := newStrataModel()
		e.run(b, loop{warm: 3}, func(i int) error {
			s := f.New()
			defer s.Close(e.ctx)
			q := orm.UpdateWhere[StrataModel](s)
			n, err := q.Set("Name", m.Name).Set("Title", m.Title).Set("Fax", m.Fax).Set("Web", m.Web).
				Set("Age", m.Age).Set("Right", m.Right).Set("Counter", int64(bump+i)).
				Where(expr.Eq(q.C("ID"), key(i))).Exec(e.ctx)
			if err == nil && n != 1 {
				err = fmt.Errorf("updated %d rows", n)
			}
			return err
		})
	})
	b.Run("strata-uow", func(b *testing.B) {
		e := newEnv(b)
		e.seedModels(b, keys)
		_, f := e.strata(b, strataRegistry())
		e.run(b, loop{warm: 3}, func(i int) error {
			s := f.New()
			defer s.Close(e.ctx)
			m, err := orm.Get[StrataModel](e.ctx, s, key(i))
			if err != nil {
				return err
			}
			m.Counter = int64(bump + i)
			return s.Commit(e.ctx)
		})
	})
	b.Run("pgx", func(b *testing.B) {
		e := newEnv(b)
		e.seedModels(b, keys)
		p := e.pgxPool(b)
		m := newModel()
		e.run(b, loop{warm: 3}, func(i int) error {
			m.ID, m.Counter = key(i), int64(bump+i)
			_, err := p.Exec(e.ctx, updateSQL, m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter, m.ID)
			return err
		})
	})
	b.Run("databasesql", func(b *testing.B) {
		e := newEnv(b)
		e.seedModels(b, keys)
		db := e.sqlDB(b)
		m := newModel()
		e.run(b, loop{warm: 3}, func(i int) error {
			m.ID, m.Counter = key(i), int64(bump+i)
			_, err := db.ExecContext(e.ctx, updateSQL, m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter, m.ID)
			return err
		})
	})
	b.Run("gorm", func(b *testing.B) {
		e := newEnv(b)
		e.seedModels(b, keys)
		db := e.gormDB(b).WithContext(e.ctx)
		m := newGormModel()
		e.run(b, loop{warm: 3}, func(i int) error {
			m.ID, m.Counter = key(i), int64(bump+i)
			return db.Save(m).Error
		})
	})
	b.Run("bun", func(b *testing.B) {
		e := newEnv(b)
		e.seedModels(b, keys)
		db := e.bunDB(b)
		m := newBunModel()
		e.run(b, loop{warm: 3}, func(i int) error {
			m.ID, m.Counter = key(i), int64(bump+i)
			_, err := db.NewUpdate().Model(m).WherePK().Exec(e.ctx)
			return err
		})
	})
	b.Run("sqlx", func(b *testing.B) {
		e := newEnv(b)
		e.seedModels(b, keys)
		db := e.sqlxDB(b)
		m := newModel()
		e.run(b, loop{warm: 3}, func(i int) error {
			m.ID, m.Counter = key(i), int64(bump+i)
			_, err := db.NamedExecContext(e.ctx, sqlxUpd, &m)
			return err
		})
	})
}

// BenchmarkRead loads one row by key into a fresh struct (Strata: in a
// fresh session, as a request would).
func BenchmarkRead(b *testing.B) {
	b.Run("strata", func(b *testing.B) {
		e := newEnv(b)
		e.seedModels(b, keys)
		_, f := e.strata(b, strataRegistry())
		e.run(b, loop{warm: 3}, func(i int) error {
			s := f.New()
			defer s.Close(e.ctx)
			_, err := orm.Get[StrataModel](e.ctx, s, key(i))
			return err
		})
	})
	b.Run("pgx", func(b *testing.B) {
		e := newEnv(b)
		e.seedModels(b, keys)
		p := e.pgxPool(b)
		e.run(b, loop{warm: 3}, func(i int) error {
			var m Model
			return scanModel(p.QueryRow(e.ctx, readSQL, key(i)), &m)
		})
	})
	b.Run("databasesql", func(b *testing.B) {
		e := newEnv(b)
		e.seedModels(b, keys)
		db := e.sqlDB(b)
		e.run(b, loop{warm: 3}, func(i int) error {
			var m Model
			return scanModel(db.QueryRowContext(e.ctx, readSQL, key(i)), &m)
		})
	})
	b.Run("gorm", func(b *testing.B) {
		e := newEnv(b)
		e.seedModels(b, keys)
		db := e.gormDB(b).WithContext(e.ctx)
		e.run(b, loop{warm: 3}, func(i int) error {
			var m GormModel
			return db.First(&m, key(i)).Error
		})
	})
	b.Run("bun", func(b *testing.B) {
		e := newEnv(b)
		e.seedModels(b, keys)
		db := e.bunDB(b)
		e.run(b, loop{warm: 3}, func(i int) error {
			m := BunModel{ID: key(i)}
			return db.NewSelect().Model(&m).WherePK().Scan(e.ctx)
		})
	})
	b.Run("sqlx", func(b *testing.B) {
		e := newEnv(b)
		e.seedModels(b, keys)
		db := e.sqlxDB(b)
		e.run(b, loop{warm: 3}, func(i int) error {
			var m Model
			return db.GetContext(e.ctx, &m, readSQL, key(i))
		})
	})
}

// BenchmarkReadSlice100 loads 100 rows into a slice of structs. Strata
// reads them through a fresh session (orm.Select ... All, the way a user
// writes it: the rows come back as tracked objects); strata-expr is its
// expression layer with a hand-written Scan, the floor under the session.
func BenchmarkReadSlice100(b *testing.B) {
	for _, v := range []struct {
		name    string
		noTrack bool
	}{{"strata", false}, {"strata-notrack", true}} {
		b.Run(v.name, func(b *testing.B) {
			e := newEnv(b)
			e.seedModels(b, 100)
			_, f := e.strata(b, strataRegistry())
			e.run(b, loop{warm: 3}, func(int) error {
				ms, err := strataSessionLoad(e, f, 100, v.noTrack)
				if err == nil && len(ms) != 100 {
					err = fmt.Errorf("read %d rows, want 100", len(ms))
				}
				return err
			})
		})
	}
	b.Run("strata-expr", func(b *testing.B) {
		e := newEnv(b)
		e.seedModels(b, 100)
		db, _ := e.strata(b, strataRegistry())
		e.run(b, loop{warm: 3}, func(int) error {
			_, err := strataExprLoad(e, db, 100)
			return err
		})
	})
	b.Run("pgx", func(b *testing.B) {
		e := newEnv(b)
		e.seedModels(b, 100)
		p := e.pgxPool(b)
		e.run(b, loop{warm: 3}, func(int) error {
			_, err := pgxLoad(e, p, sliceSQL, 0, 100)
			return err
		})
	})
	b.Run("databasesql", func(b *testing.B) {
		e := newEnv(b)
		e.seedModels(b, 100)
		db := e.sqlDB(b)
		e.run(b, loop{warm: 3}, func(int) error {
			_, err := sqlLoad(e, db, sliceSQL, 0, 100)
			return err
		})
	})
	b.Run("gorm", func(b *testing.B) {
		e := newEnv(b)
		e.seedModels(b, 100)
		db := e.gormDB(b).WithContext(e.ctx)
		e.run(b, loop{warm: 3}, func(int) error {
			var ms []GormModel
			return db.Where("id > ?", 0).Limit(100).Find(&ms).Error
		})
	})
	b.Run("bun", func(b *testing.B) {
		e := newEnv(b)
		e.seedModels(b, 100)
		db := e.bunDB(b)
		e.run(b, loop{warm: 3}, func(int) error {
			var ms []BunModel
			return db.NewSelect().Model(&ms).Where("id > ?", 0).Limit(100).Scan(e.ctx)
		})
	})
	b.Run("sqlx", func(b *testing.B) {
		e := newEnv(b)
		e.seedModels(b, 100)
		db := e.sqlxDB(b)
		e.run(b, loop{warm: 3}, func(int) error {
			var ms []Model
			return db.SelectContext(e.ctx, &ms, sliceSQL, 0, 100)
		})
	})
}

// strataSessionLoad reads up to limit model rows (limit 0: all) through a
// fresh session, as tracked objects.
func strataSessionLoad(e *env, f *orm.Factory, limit int64, noTrack bool) ([]*StrataModel, error) {
	s := f.New()
	defer s.Close(e.ctx)
	q := orm.Select[StrataModel](s)
	q.Where(expr.Gt(q.C("ID"), 0))
	if limit > 0 {
		q.Limit(limit)
	}
	if noTrack {
		q.NoTracking()
	}
	return q.All(e.ctx)
}

// strataExprLoad reads up to limit model rows through Strata's expression
// layer (limit 0: all).
func strataExprLoad(e *env, db *engine.DB, limit int64) ([]StrataModel, error) {
	t := expr.T("bench_models")
	q := expr.Select(strataModelColumns(t)...).From(t).Where(expr.Gt(t.C("id"), 0))
	if limit > 0 {
		q.Limit(limit)
	}
	rs, err := engine.QueryStmt(e.ctx, db, q)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []StrataModel
	for rs.Next() {
		var m StrataModel
		if err := rs.Scan(&m.ID, &m.Name, &m.Title, &m.Fax, &m.Web, &m.Age, &m.Right, &m.Counter); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rs.Err()
}
