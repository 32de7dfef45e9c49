package bench

import (
	"fmt"
	"strings"
	"testing"

	entdialect "entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/uptrace/bun"
	"gorm.io/gorm"

	"github.com/strata-go/strata/bench/internal/entmodels"
	entmodel "github.com/strata-go/strata/bench/internal/entmodels/model"
	"github.com/strata-go/strata/bench/internal/sqlcmodels"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/orm"
)

// The public go-orm-benchmarks workload (github.com/efectn/go-orm-benchmarks):
// its models table, its row values (models_test.go) and its five
// operations, Insert, InsertMulti (100 rows in one statement), Update (all
// columns of one row by id), Read (one row by id) and ReadSlice (WHERE id >
// 0 LIMIT 100), with the statements that suite sends. What differs from it
// is said in doc.go.

const (
	pubInsertSQL = `INSERT INTO models (name, title, fax, web, age, "right", counter) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`
	pubUpdateSQL = `UPDATE models SET name = $1, title = $2, fax = $3, web = $4, age = $5, "right" = $6, counter = $7 WHERE id = $8`
	pubSelectSQL = `SELECT id, name, title, fax, web, age, "right", counter FROM models`
	pubReadSQL   = pubSelectSQL + ` WHERE id = $1`
	pubSliceSQL  = pubSelectSQL + ` WHERE id > $1 LIMIT $2`
	pubSqlxIns   = `INSERT INTO models (name, title, fax, web, age, "right", counter) VALUES (:name, :title, :fax, :web, :age, :right, :counter) RETURNING id`
	pubMulti     = 100 // rows of InsertMulti and ReadSlice
)

// PubStrataModel is StrataModel on the public workload's table.
type PubStrataModel struct {
	ID      int64  `db:"id,pk"`
	Name    string `db:"name"`
	Title   string `db:"title"`
	Fax     string `db:"fax"`
	Web     string `db:"web"`
	Age     int32  `db:"age"`
	Right   bool   `db:"right"`
	Counter int64  `db:"counter"`
}

func (PubStrataModel) TableName() string { return "models" }

func newPubStrataModel() *PubStrataModel {
	return &PubStrataModel{Name: valName, Title: valTitle, Fax: valFax, Web: valWeb, Age: valAge, Right: valRight, Counter: valCounter}
}

func pubRegistry() *orm.Registry {
	reg := orm.NewRegistry()
	orm.MustRegister[PubStrataModel](reg)
	return reg
}

// PubGormModel is GormModel on the public workload's table.
type PubGormModel struct {
	ID      int64 `gorm:"primaryKey"`
	Name    string
	Title   string
	Fax     string
	Web     string
	Age     int32
	Right   bool
	Counter int64
}

func (PubGormModel) TableName() string { return "models" }

func newPubGormModel() *PubGormModel {
	return &PubGormModel{Name: valName, Title: valTitle, Fax: valFax, Web: valWeb, Age: valAge, Right: valRight, Counter: valCounter}
}

// PubBunModel is BunModel on the public workload's table.
type PubBunModel struct {
	bun.BaseModel `bun:"table:models"`
	ID            int64 `bun:"id,pk,autoincrement"`
	Name          string
	Title         string
	Fax           string
	Web           string
	Age           int32
	Right         bool
	Counter       int64
}

func newPubBunModel() *PubBunModel {
	return &PubBunModel{Name: valName, Title: valTitle, Fax: valFax, Web: valWeb, Age: valAge, Right: valRight, Counter: valCounter}
}

// newPubEnv is newEnv with the models table recreated, and n rows in it
// (ids 1..n).
func newPubEnv(b *testing.B, n int) *env {
	b.Helper()
	e := newEnv(b)
	e.exec(b, sqlcmodels.Schema)
	if n > 0 {
		e.exec(b, `INSERT INTO models (name, title, fax, web, age, "right", counter)
			SELECT $1, $2, $3, $4, $5, $6, $7 FROM generate_series(1, $8::int)`,
			valName, valTitle, valFax, valWeb, valAge, valRight, valCounter, n)
		e.exec(b, `VACUUM ANALYZE models`)
	}
	return e
}

// pubGormDB is GORM configured as go-orm-benchmarks configures it: no
// default transaction around each write.
func (e *env) pubGormDB(b *testing.B) *gorm.DB {
	b.Helper()
	db := e.gormDB(b)
	db.Config.SkipDefaultTransaction = true
	return db.WithContext(e.ctx)
}

// entClient is ent's generated client over database/sql and pgx's stdlib
// driver, as go-orm-benchmarks opens it.
func (e *env) entClient(b *testing.B) *entmodels.Client {
	b.Helper()
	return entmodels.NewClient(entmodels.Driver(entsql.OpenDB(entdialect.Postgres, e.sqlDB(b))))
}

// sqlcQueries is sqlc's generated code on a traced pgx pool.
func (e *env) sqlcQueries(b *testing.B) *sqlcmodels.Queries {
	b.Helper()
	return sqlcmodels.New(e.pgxPool(b))
}

// pubID is the row Update and Read work on.
const pubID = int64(1)

func wantID(id int64) error {
	if id <= 0 {
		return fmt.Errorf("no key read back (id %d)", id)
	}
	return nil
}

func wantRows(n int, err error) error {
	if err == nil && n != pubMulti {
		err = fmt.Errorf("%d rows, want %d", n, pubMulti)
	}
	return err
}

// BenchmarkPublicInsert inserts one row and reads its key back.
func BenchmarkPublicInsert(b *testing.B) {
	b.Run("strata", func(b *testing.B) {
		e := newPubEnv(b, 0)
		_, f := e.strata(b, pubRegistry())
		e.run(b, loop{warm: 3}, func(int) error {
			s := f.New()
			defer s.Close(e.ctx)
			m := newPubStrataModel()
			if err := s.Add(m); err != nil {
				return err
			}
			if err := s.Commit(e.ctx); err != nil {
				return err
			}
			return wantID(m.ID)
		})
	})
	b.Run("pgx", func(b *testing.B) {
		e := newPubEnv(b, 0)
		p := e.pgxPool(b)
		e.run(b, loop{warm: 3}, func(int) error {
			m := newModel()
			if err := p.QueryRow(e.ctx, pubInsertSQL, m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter).Scan(&m.ID); err != nil {
				return err
			}
			return wantID(m.ID)
		})
	})
	b.Run("databasesql", func(b *testing.B) {
		e := newPubEnv(b, 0)
		db := e.sqlDB(b)
		e.run(b, loop{warm: 3}, func(int) error {
			m := newModel()
			if err := db.QueryRowContext(e.ctx, pubInsertSQL, m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter).Scan(&m.ID); err != nil {
				return err
			}
			return wantID(m.ID)
		})
	})
	b.Run("gorm", func(b *testing.B) {
		e := newPubEnv(b, 0)
		db := e.pubGormDB(b)
		e.run(b, loop{warm: 3}, func(int) error {
			m := newPubGormModel()
			if err := db.Create(m).Error; err != nil {
				return err
			}
			return wantID(m.ID)
		})
	})
	b.Run("bun", func(b *testing.B) {
		e := newPubEnv(b, 0)
		db := e.bunDB(b)
		e.run(b, loop{warm: 3}, func(int) error {
			m := newPubBunModel()
			if _, err := db.NewInsert().Model(m).Exec(e.ctx); err != nil {
				return err
			}
			return wantID(m.ID)
		})
	})
	b.Run("ent", func(b *testing.B) {
		e := newPubEnv(b, 0)
		c := e.entClient(b)
		e.run(b, loop{warm: 3}, func(int) error {
			m := newModel()
			got, err := c.Model.Create().SetName(m.Name).SetTitle(m.Title).SetFax(m.Fax).SetWeb(m.Web).
				SetAge(m.Age).SetRight(m.Right).SetCounter(m.Counter).Save(e.ctx)
			if err != nil {
				return err
			}
			return wantID(int64(got.ID))
		})
	})
	b.Run("sqlx", func(b *testing.B) {
		e := newPubEnv(b, 0)
		db := e.sqlxDB(b)
		e.run(b, loop{warm: 3}, func(int) error {
			m := newModel()
			if err := db.QueryRowxContext(e.ctx, pubInsertSQL, m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter).Scan(&m.ID); err != nil {
				return err
			}
			return wantID(m.ID)
		})
	})
	b.Run("sqlc", func(b *testing.B) {
		e := newPubEnv(b, 0)
		q := e.sqlcQueries(b)
		e.run(b, loop{warm: 3}, func(int) error {
			m := newModel()
			id, err := q.CreateModel(e.ctx, sqlcmodels.CreateModelParams{
				Name: m.Name, Title: m.Title, Fax: m.Fax, Web: m.Web, Age: m.Age, Right: m.Right, Counter: m.Counter,
			})
			if err != nil {
				return err
			}
			return wantID(id)
		})
	})
}

// BenchmarkPublicInsertMulti inserts 100 rows in one statement. pgx runs
// go-orm-benchmarks' two raw techniques, multi-row VALUES (pgx, with the
// keys read back) and COPY (pgx-copy, no keys), and UNNEST (pgx-unnest,
// keys read back); sqlc its :copyfrom (sqlc, no keys) and an UNNEST query
// (sqlc-unnest, keys read back). Strata adds strata-nokeys, orm.InsertMany
// (the caller says the keys need not come back: COPY on PostgreSQL).
// Every other library reads the keys back.
func BenchmarkPublicInsertMulti(b *testing.B) {
	valuesSQL := strings.Replace(multiInsertSQL(pubMulti), "bench_models", "models", 1)
	lastKey := func(ms []Model) error { return wantID(ms[len(ms)-1].ID) }
	b.Run("strata", func(b *testing.B) {
		e := newPubEnv(b, 0)
		_, f := e.strata(b, pubRegistry())
		e.run(b, loop{warm: 1}, func(int) error {
			s := f.New()
			defer s.Close(e.ctx)
			ms := make([]*PubStrataModel, pubMulti)
			for i := range ms {
				ms[i] = newPubStrataModel()
				if err := s.Add(ms[i]); err != nil {
					return err
				}
			}
			if err := s.Commit(e.ctx); err != nil {
				return err
			}
			return wantID(ms[pubMulti-1].ID)
		})
	})
	b.Run("strata-nokeys", func(b *testing.B) {
		e := newPubEnv(b, 0)
		_, f := e.strata(b, pubRegistry())
		e.run(b, loop{warm: 1}, func(int) error {
			s := f.New()
			defer s.Close(e.ctx)
			ms := make([]*PubStrataModel, pubMulti)
			for i := range ms {
				ms[i] = newPubStrataModel()
			}
			n, err := orm.InsertMany(e.ctx, s, ms)
			if err == nil && n != pubMulti {
				err = fmt.Errorf("inserted %d rows", n)
			}
			if err != nil {
				return err
			}
			return s.Commit(e.ctx)
		})
	})
	b.Run("pgx", func(b *testing.B) {
		e := newPubEnv(b, 0)
		p := e.pgxPool(b)
		e.run(b, loop{warm: 1}, func(int) error {
			ms := newModels(pubMulti)
			rows, err := p.Query(e.ctx, valuesSQL, modelArgs(ms)...)
			if err != nil {
				return err
			}
			_, err = scanModelIDs(rows, ms)
			rows.Close()
			if err != nil {
				return err
			}
			return lastKey(ms)
		})
	})
	b.Run("pgx-copy", func(b *testing.B) {
		e := newPubEnv(b, 0)
		p := e.pgxPool(b)
		e.run(b, loop{warm: 1}, func(int) error {
			ms := newModels(pubMulti)
			n, err := p.CopyFrom(e.ctx, []string{"models"}, modelColumns, copyRows(ms))
			if err == nil && n != pubMulti {
				err = fmt.Errorf("copied %d rows", n)
			}
			return err
		})
	})
	b.Run("pgx-unnest", func(b *testing.B) {
		e := newPubEnv(b, 0)
		p := e.pgxPool(b)
		q := strings.Replace(unnestSQL, "bench_models", "models", 1)
		e.run(b, loop{warm: 1}, func(int) error {
			ms := newModels(pubMulti)
			if err := pgxUnnestSQL(e.ctx, p, q, ms); err != nil {
				return err
			}
			return lastKey(ms)
		})
	})
	b.Run("pgx-copytemp", func(b *testing.B) {
		e := newPubEnv(b, 0)
		p := e.pgxPool(b)
		e.run(b, loop{warm: 1}, func(int) error {
			ms := newModels(pubMulti)
			if err := pgxCopyTemp(e.ctx, p, "models", ms); err != nil {
				return err
			}
			return lastKey(ms)
		})
	})
	b.Run("databasesql", func(b *testing.B) {
		e := newPubEnv(b, 0)
		db := e.sqlDB(b)
		e.run(b, loop{warm: 1}, func(int) error {
			ms := newModels(pubMulti)
			rows, err := db.QueryContext(e.ctx, valuesSQL, modelArgs(ms)...)
			if err != nil {
				return err
			}
			defer rows.Close()
			if _, err := scanModelIDs(rows, ms); err != nil {
				return err
			}
			return lastKey(ms)
		})
	})
	b.Run("gorm", func(b *testing.B) {
		e := newPubEnv(b, 0)
		db := e.pubGormDB(b)
		e.run(b, loop{warm: 1}, func(int) error {
			ms := make([]*PubGormModel, pubMulti)
			for i := range ms {
				ms[i] = newPubGormModel()
			}
			if err := db.Create(&ms).Error; err != nil {
				return err
			}
			return wantID(ms[pubMulti-1].ID)
		})
	})
	b.Run("bun", func(b *testing.B) {
		e := newPubEnv(b, 0)
		db := e.bunDB(b)
		e.run(b, loop{warm: 1}, func(int) error {
			ms := make([]*PubBunModel, pubMulti)
			for i := range ms {
				ms[i] = newPubBunModel()
			}
			if _, err := db.NewInsert().Model(&ms).Exec(e.ctx); err != nil {
				return err
			}
			return wantID(ms[pubMulti-1].ID)
		})
	})
	b.Run("ent", func(b *testing.B) {
		e := newPubEnv(b, 0)
		c := e.entClient(b)
		e.run(b, loop{warm: 1}, func(int) error {
			bulk := make([]*entmodels.ModelCreate, pubMulti)
			for i := range bulk {
				m := newModel()
				bulk[i] = c.Model.Create().SetName(m.Name).SetTitle(m.Title).SetFax(m.Fax).SetWeb(m.Web).
					SetAge(m.Age).SetRight(m.Right).SetCounter(m.Counter)
			}
			got, err := c.Model.CreateBulk(bulk...).Save(e.ctx)
			if err != nil {
				return err
			}
			return wantID(int64(got[pubMulti-1].ID))
		})
	})
	b.Run("sqlx", func(b *testing.B) {
		e := newPubEnv(b, 0)
		db := e.sqlxDB(b)
		e.run(b, loop{warm: 1}, func(int) error {
			ms := newModels(pubMulti)
			rows, err := db.NamedQueryContext(e.ctx, pubSqlxIns, ms)
			if err != nil {
				return err
			}
			defer rows.Close()
			if _, err := scanModelIDs(rows, ms); err != nil {
				return err
			}
			return lastKey(ms)
		})
	})
	b.Run("sqlc", func(b *testing.B) {
		e := newPubEnv(b, 0)
		q := e.sqlcQueries(b)
		e.run(b, loop{warm: 1}, func(int) error {
			ps := make([]sqlcmodels.InsertModelsParams, pubMulti)
			for i := range ps {
				m := newModel()
				ps[i] = sqlcmodels.InsertModelsParams{
					Name: m.Name, Title: m.Title, Fax: m.Fax, Web: m.Web, Age: m.Age, Right: m.Right, Counter: m.Counter,
				}
			}
			n, err := q.InsertModels(e.ctx, ps)
			if err == nil && n != pubMulti {
				err = fmt.Errorf("copied %d rows", n)
			}
			return err
		})
	})
	b.Run("sqlc-unnest", func(b *testing.B) {
		e := newPubEnv(b, 0)
		q := e.sqlcQueries(b)
		e.run(b, loop{warm: 1}, func(int) error {
			var p sqlcmodels.InsertModelsReturningParams
			for range pubMulti {
				m := newModel()
				p.Names, p.Titles, p.Faxes, p.Webs = append(p.Names, m.Name), append(p.Titles, m.Title), append(p.Faxes, m.Fax), append(p.Webs, m.Web)
				p.Ages, p.Rights, p.Counters = append(p.Ages, m.Age), append(p.Rights, m.Right), append(p.Counters, m.Counter)
			}
			ids, err := q.InsertModelsReturning(e.ctx, p)
			if err != nil {
				return err
			}
			return wantRows(len(ids), nil)
		})
	})
}

// BenchmarkPublicUpdate sets all seven columns of one row by its id.
func BenchmarkPublicUpdate(b *testing.B) {
	exactlyOne := func(n int64, err error) error {
		if err == nil && n != 1 {
			err = fmt.Errorf("updated %d rows", n)
		}
		return err
	}
	// the object in hand, written by its key (bun's WherePK)
	b.Run("strata", func(b *testing.B) {
		e := newPubEnv(b, 1)
		_, f := e.strata(b, pubRegistry())
		m := newPubStrataModel()
		m.ID = pubID
		e.run(b, loop{warm: 3}, func(int) error {
			s := f.New()
			defer s.Close(e.ctx)
			return orm.UpdateByKey(e.ctx, s, m)
		})
	})
	// the columns named one by one in an UPDATE by condition
	b.Run("strata-where", func(b *testing.B) {
		e := newPubEnv(b, 1)
		_, f := e.strata(b, pubRegistry())
		m := newPubStrataModel()
		e.run(b, loop{warm: 3}, func(int) error {
			s := f.New()
			defer s.Close(e.ctx)
			q := orm.UpdateWhere[PubStrataModel](s)
			return exactlyOne(q.Set("Name", m.Name).Set("Title", m.Title).Set("Fax", m.Fax).Set("Web", m.Web).
				Set("Age", m.Age).Set("Right", m.Right).Set("Counter", m.Counter).
				Where(expr.Eq(q.C("ID"), pubID)).Exec(e.ctx))
		})
	})
	b.Run("pgx", func(b *testing.B) {
		e := newPubEnv(b, 1)
		p := e.pgxPool(b)
		m := newModel()
		m.ID = pubID
		e.run(b, loop{warm: 3}, func(int) error {
			tag, err := p.Exec(e.ctx, pubUpdateSQL, m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter, m.ID)
			return exactlyOne(tag.RowsAffected(), err)
		})
	})
	b.Run("databasesql", func(b *testing.B) {
		e := newPubEnv(b, 1)
		db := e.sqlDB(b)
		m := newModel()
		m.ID = pubID
		e.run(b, loop{warm: 3}, func(int) error {
			res, err := db.ExecContext(e.ctx, pubUpdateSQL, m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter, m.ID)
			if err != nil {
				return err
			}
			return exactlyOne(res.RowsAffected())
		})
	})
	b.Run("gorm", func(b *testing.B) {
		e := newPubEnv(b, 1)
		db := e.pubGormDB(b)
		m := newPubGormModel()
		m.ID = pubID
		e.run(b, loop{warm: 3}, func(int) error {
			r := db.Model(m).Updates(m)
			return exactlyOne(r.RowsAffected, r.Error)
		})
	})
	b.Run("bun", func(b *testing.B) {
		e := newPubEnv(b, 1)
		db := e.bunDB(b)
		m := newPubBunModel()
		m.ID = pubID
		e.run(b, loop{warm: 3}, func(int) error {
			res, err := db.NewUpdate().Model(m).WherePK().Exec(e.ctx)
			if err != nil {
				return err
			}
			return exactlyOne(res.RowsAffected())
		})
	})
	b.Run("ent", func(b *testing.B) {
		e := newPubEnv(b, 1)
		c := e.entClient(b)
		m := newModel()
		e.run(b, loop{warm: 3}, func(int) error {
			n, err := c.Model.Update().Where(entmodel.IDEQ(int(pubID))).
				SetName(m.Name).SetTitle(m.Title).SetFax(m.Fax).SetWeb(m.Web).
				SetAge(m.Age).SetRight(m.Right).SetCounter(m.Counter).Save(e.ctx)
			return exactlyOne(int64(n), err)
		})
	})
	b.Run("sqlx", func(b *testing.B) {
		e := newPubEnv(b, 1)
		db := e.sqlxDB(b)
		m := newModel()
		m.ID = pubID
		e.run(b, loop{warm: 3}, func(int) error {
			res, err := db.ExecContext(e.ctx, pubUpdateSQL, m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter, m.ID)
			if err != nil {
				return err
			}
			return exactlyOne(res.RowsAffected())
		})
	})
	b.Run("sqlc", func(b *testing.B) {
		e := newPubEnv(b, 1)
		q := e.sqlcQueries(b)
		m := newModel()
		e.run(b, loop{warm: 3}, func(int) error {
			return q.UpdateModel(e.ctx, sqlcmodels.UpdateModelParams{
				Name: m.Name, Title: m.Title, Fax: m.Fax, Web: m.Web, Age: m.Age, Right: m.Right, Counter: m.Counter, ID: pubID,
			})
		})
	})
}

// BenchmarkPublicRead loads one row by id into a fresh struct (Strata: in
// a fresh session, through orm.Get).
func BenchmarkPublicRead(b *testing.B) {
	sameRow := func(id int64, counter int64) error {
		if id != pubID || counter != valCounter {
			return fmt.Errorf("read id %d counter %d, want %d, %d", id, counter, pubID, valCounter)
		}
		return nil
	}
	b.Run("strata", func(b *testing.B) {
		e := newPubEnv(b, 1)
		_, f := e.strata(b, pubRegistry())
		e.run(b, loop{warm: 3}, func(int) error {
			s := f.New()
			defer s.Close(e.ctx)
			m, err := orm.Get[PubStrataModel](e.ctx, s, pubID)
			if err != nil {
				return err
			}
			return sameRow(m.ID, m.Counter)
		})
	})
	b.Run("pgx", func(b *testing.B) {
		e := newPubEnv(b, 1)
		p := e.pgxPool(b)
		e.run(b, loop{warm: 3}, func(int) error {
			var m Model
			if err := scanModel(p.QueryRow(e.ctx, pubReadSQL, pubID), &m); err != nil {
				return err
			}
			return sameRow(m.ID, m.Counter)
		})
	})
	b.Run("databasesql", func(b *testing.B) {
		e := newPubEnv(b, 1)
		db := e.sqlDB(b)
		e.run(b, loop{warm: 3}, func(int) error {
			var m Model
			if err := scanModel(db.QueryRowContext(e.ctx, pubReadSQL, pubID), &m); err != nil {
				return err
			}
			return sameRow(m.ID, m.Counter)
		})
	})
	b.Run("gorm", func(b *testing.B) {
		e := newPubEnv(b, 1)
		db := e.pubGormDB(b)
		e.run(b, loop{warm: 3}, func(int) error {
			m := PubGormModel{ID: pubID}
			if err := db.Take(&m).Error; err != nil {
				return err
			}
			return sameRow(m.ID, m.Counter)
		})
	})
	b.Run("bun", func(b *testing.B) {
		e := newPubEnv(b, 1)
		db := e.bunDB(b)
		e.run(b, loop{warm: 3}, func(int) error {
			m := PubBunModel{ID: pubID}
			if err := db.NewSelect().Model(&m).WherePK().Scan(e.ctx); err != nil {
				return err
			}
			return sameRow(m.ID, m.Counter)
		})
	})
	b.Run("ent", func(b *testing.B) {
		e := newPubEnv(b, 1)
		c := e.entClient(b)
		e.run(b, loop{warm: 3}, func(int) error {
			m, err := c.Model.Query().Where(entmodel.IDEQ(int(pubID))).First(e.ctx)
			if err != nil {
				return err
			}
			return sameRow(int64(m.ID), m.Counter)
		})
	})
	b.Run("sqlx", func(b *testing.B) {
		e := newPubEnv(b, 1)
		db := e.sqlxDB(b)
		e.run(b, loop{warm: 3}, func(int) error {
			var m Model
			if err := db.GetContext(e.ctx, &m, pubReadSQL, pubID); err != nil {
				return err
			}
			return sameRow(m.ID, m.Counter)
		})
	})
	b.Run("sqlc", func(b *testing.B) {
		e := newPubEnv(b, 1)
		q := e.sqlcQueries(b)
		e.run(b, loop{warm: 3}, func(int) error {
			m, err := q.GetModel(e.ctx, pubID)
			if err != nil {
				return err
			}
			return sameRow(m.ID, m.Counter)
		})
	})
}

// BenchmarkPublicReadSlice loads 100 rows (WHERE id > 0 LIMIT 100) into a
// slice (Strata: in a fresh session, through orm.Select ... All).
func BenchmarkPublicReadSlice(b *testing.B) {
	// strata-notrack: the same read with Query.NoTracking (no identity
	// map entry, snapshot or state per object)
	for _, v := range []struct {
		name    string
		noTrack bool
	}{{"strata", false}, {"strata-notrack", true}} {
		b.Run(v.name, func(b *testing.B) {
			e := newPubEnv(b, pubMulti)
			_, f := e.strata(b, pubRegistry())
			e.run(b, loop{warm: 3}, func(int) error {
				s := f.New()
				defer s.Close(e.ctx)
				q := orm.Select[PubStrataModel](s)
				q.Where(expr.Gt(q.C("ID"), 0)).Limit(pubMulti)
				if v.noTrack {
					q.NoTracking()
				}
				ms, err := q.All(e.ctx)
				return wantRows(len(ms), err)
			})
		})
	}
	b.Run("pgx", func(b *testing.B) {
		e := newPubEnv(b, pubMulti)
		p := e.pgxPool(b)
		e.run(b, loop{warm: 3}, func(int) error {
			ms, err := pgxLoad(e, p, pubSliceSQL, 0, pubMulti)
			return wantRows(len(ms), err)
		})
	})
	b.Run("databasesql", func(b *testing.B) {
		e := newPubEnv(b, pubMulti)
		db := e.sqlDB(b)
		e.run(b, loop{warm: 3}, func(int) error {
			ms, err := sqlLoad(e, db, pubSliceSQL, 0, pubMulti)
			return wantRows(len(ms), err)
		})
	})
	b.Run("gorm", func(b *testing.B) {
		e := newPubEnv(b, pubMulti)
		db := e.pubGormDB(b)
		e.run(b, loop{warm: 3}, func(int) error {
			var ms []*PubGormModel
			err := db.Where("id > ?", 0).Limit(pubMulti).Find(&ms).Error
			return wantRows(len(ms), err)
		})
	})
	b.Run("bun", func(b *testing.B) {
		e := newPubEnv(b, pubMulti)
		db := e.bunDB(b)
		e.run(b, loop{warm: 3}, func(int) error {
			var ms []*PubBunModel
			err := db.NewSelect().Model(&ms).Where("id > ?", 0).Limit(pubMulti).Scan(e.ctx)
			return wantRows(len(ms), err)
		})
	})
	b.Run("ent", func(b *testing.B) {
		e := newPubEnv(b, pubMulti)
		c := e.entClient(b)
		e.run(b, loop{warm: 3}, func(int) error {
			ms, err := c.Model.Query().Where(entmodel.IDGT(0)).Limit(pubMulti).All(e.ctx)
			return wantRows(len(ms), err)
		})
	})
	b.Run("sqlx", func(b *testing.B) {
		e := newPubEnv(b, pubMulti)
		db := e.sqlxDB(b)
		e.run(b, loop{warm: 3}, func(int) error {
			var ms []Model
			err := db.SelectContext(e.ctx, &ms, pubSliceSQL, 0, pubMulti)
			return wantRows(len(ms), err)
		})
	})
	b.Run("sqlc", func(b *testing.B) {
		e := newPubEnv(b, pubMulti)
		q := e.sqlcQueries(b)
		e.run(b, loop{warm: 3}, func(int) error {
			ms, err := q.ListModels(e.ctx, sqlcmodels.ListModelsParams{ID: 0, Limit: pubMulti})
			return wantRows(len(ms), err)
		})
	})
}
