package bench

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jmoiron/sqlx"
	"github.com/uptrace/bun"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/orm"
)

// Object graphs: parents with children (and grandchildren for the cascade).

const (
	graphParents  = 1000
	graphChildren = 10 // per parent
	graphTenth    = graphParents / 10
)

const (
	parentsSQL       = `SELECT id, name, counter FROM bench_parents`
	childrenOfSQL    = `SELECT id, parent_id, name, counter FROM bench_children WHERE parent_id = ANY($1)`
	unnestParentsSQL = `INSERT INTO bench_parents (name, counter) SELECT * FROM unnest($1::text[], $2::bigint[]) RETURNING id`
	unnestChildSQL   = `INSERT INTO bench_children (parent_id, name, counter) SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[]) RETURNING id`
	updParentsSQL    = `UPDATE bench_parents AS t SET counter = v.counter FROM unnest($1::bigint[], $2::bigint[]) AS v (id, counter) WHERE t.id = v.id`
	updChildrenSQL   = `UPDATE bench_children AS t SET counter = v.counter FROM unnest($1::bigint[], $2::bigint[]) AS v (id, counter) WHERE t.id = v.id`
	delParentsSQL    = `DELETE FROM bench_parents WHERE id = ANY($1)`
	delChildrenSQL   = `DELETE FROM bench_children WHERE id = ANY($1)`
	sqlxInsParent    = `INSERT INTO bench_parents (name, counter) VALUES (:name, :counter) RETURNING id`
	sqlxInsChild     = `INSERT INTO bench_children (parent_id, name, counter) VALUES (:parent_id, :name, :counter) RETURNING id`
)

// seedGraph inserts 1000 parents with 10 children each.
func (e *env) seedGraph(b *testing.B) {
	b.Helper()
	e.exec(b, `INSERT INTO bench_parents (name, counter) SELECT 'parent', g FROM generate_series(1, $1::int) g`, graphParents)
	e.exec(b, `INSERT INTO bench_children (parent_id, name, counter)
		SELECT p.id, 'child', g FROM bench_parents p, generate_series(1, $1::int) g`, graphChildren)
	e.exec(b, `VACUUM ANALYZE bench_parents, bench_children`)
}

// expectCount fails the benchmark unless table holds n rows.
func (e *env) expectCount(b *testing.B, table string, n int) {
	b.Helper()
	var got int
	if err := e.admin.QueryRow(e.ctx, "SELECT count(*) FROM "+table).Scan(&got); err != nil {
		b.Fatal(err)
	}
	if got != n {
		b.Fatalf("%s holds %d rows, want %d", table, got, n)
	}
}

func checkGraph[P any](parents []P, children func(P) int) error {
	if len(parents) != graphParents {
		return fmt.Errorf("loaded %d parents, want %d", len(parents), graphParents)
	}
	for _, p := range parents {
		if n := children(p); n != graphChildren {
			return fmt.Errorf("a parent came with %d children, want %d", n, graphChildren)
		}
	}
	return nil
}

// BenchmarkEagerLoad loads 1000 parents with their 10,000 children.
func BenchmarkEagerLoad(b *testing.B) {
	b.Run("strata", func(b *testing.B) {
		e := newEnv(b)
		e.seedGraph(b)
		_, f := e.strata(b, strataRegistry())
		e.run(b, loop{warm: 1}, func(int) error {
			s := f.New()
			defer s.Close(e.ctx)
			parents, err := orm.Select[StrataParent](s).With("Children").All(e.ctx)
			if err != nil {
				return err
			}
			return checkGraph(parents, func(p *StrataParent) int {
				n, _ := p.Children.Len()
				return n
			})
		})
	})
	b.Run("pgx", func(b *testing.B) {
		e := newEnv(b)
		e.seedGraph(b)
		p := e.pgxPool(b)
		e.run(b, loop{warm: 1}, func(int) error {
			parents, err := pgx.CollectRows(must(p.Query(e.ctx, parentsSQL)), func(r pgx.CollectableRow) (*Parent, error) {
				var p Parent
				return &p, r.Scan(&p.ID, &p.Name, &p.Counter)
			})
			if err != nil {
				return err
			}
			byID, ids := indexParents(parents)
			rows, err := p.Query(e.ctx, childrenOfSQL, ids)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				c := new(Child)
				if err := rows.Scan(&c.ID, &c.ParentID, &c.Name, &c.Counter); err != nil {
					return err
				}
				byID[c.ParentID].Children = append(byID[c.ParentID].Children, c)
			}
			if err := rows.Err(); err != nil {
				return err
			}
			return checkGraph(parents, func(p *Parent) int { return len(p.Children) })
		})
	})
	b.Run("databasesql", func(b *testing.B) {
		e := newEnv(b)
		e.seedGraph(b)
		db := e.sqlDB(b)
		e.run(b, loop{warm: 1}, func(int) error {
			parents, err := sqlParents(e.ctx, db)
			if err != nil {
				return err
			}
			byID, ids := indexParents(parents)
			rows, err := db.QueryContext(e.ctx, childrenOfSQL, ids)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				c := new(Child)
				if err := rows.Scan(&c.ID, &c.ParentID, &c.Name, &c.Counter); err != nil {
					return err
				}
				byID[c.ParentID].Children = append(byID[c.ParentID].Children, c)
			}
			if err := rows.Err(); err != nil {
				return err
			}
			return checkGraph(parents, func(p *Parent) int { return len(p.Children) })
		})
	})
	b.Run("gorm", func(b *testing.B) {
		e := newEnv(b)
		e.seedGraph(b)
		db := e.gormDB(b).WithContext(e.ctx)
		e.run(b, loop{warm: 1}, func(int) error {
			var parents []*GormParent
			if err := db.Preload("Children").Find(&parents).Error; err != nil {
				return err
			}
			return checkGraph(parents, func(p *GormParent) int { return len(p.Children) })
		})
	})
	b.Run("bun", func(b *testing.B) {
		e := newEnv(b)
		e.seedGraph(b)
		db := e.bunDB(b)
		e.run(b, loop{warm: 1}, func(int) error {
			var parents []*BunParent
			if err := db.NewSelect().Model(&parents).Relation("Children").Scan(e.ctx); err != nil {
				return err
			}
			return checkGraph(parents, func(p *BunParent) int { return len(p.Children) })
		})
	})
	b.Run("sqlx", func(b *testing.B) {
		e := newEnv(b)
		e.seedGraph(b)
		db := e.sqlxDB(b)
		e.run(b, loop{warm: 1}, func(int) error {
			var parents []*Parent
			if err := db.SelectContext(e.ctx, &parents, parentsSQL); err != nil {
				return err
			}
			byID, ids := indexParents(parents)
			var children []*Child
			if err := db.SelectContext(e.ctx, &children, childrenOfSQL, ids); err != nil {
				return err
			}
			for _, c := range children {
				byID[c.ParentID].Children = append(byID[c.ParentID].Children, c)
			}
			return checkGraph(parents, func(p *Parent) int { return len(p.Children) })
		})
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func indexParents(parents []*Parent) (map[int64]*Parent, []int64) {
	byID := make(map[int64]*Parent, len(parents))
	ids := make([]int64, len(parents))
	for i, p := range parents {
		byID[p.ID] = p
		ids[i] = p.ID
	}
	return byID, ids
}

func sqlParents(ctx context.Context, db *sql.DB) ([]*Parent, error) {
	rows, err := db.QueryContext(ctx, parentsSQL)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Parent
	for rows.Next() {
		p := new(Parent)
		if err := rows.Scan(&p.ID, &p.Name, &p.Counter); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// BenchmarkCascadeDelete deletes one parent with 100 children and 9,900
// grandchildren. The schema says ON DELETE CASCADE, so every library
// deletes just the parent its usual way and the server removes the rest;
// Strata's entry sends the same DELETE through orm.Delete; strata-uow is
// the unit of work (Get the parent, Delete it, Commit): its relationship
// has passive_deletes, so it sends the parent's DELETE alone and lets the
// database cascade.
func BenchmarkCascadeDelete(b *testing.B) {
	// tree builds the descendants of a new parent, untimed.
	tree := func(e *env, id *int64) loop {
		return loop{prep: func(int) error {
			if err := e.admin.QueryRow(e.ctx, `INSERT INTO bench_parents (name, counter) VALUES ('parent', 0) RETURNING id`).Scan(id); err != nil {
				return err
			}
			_, err := e.admin.Exec(e.ctx, `WITH c AS (
					INSERT INTO bench_children (parent_id, name, counter)
					SELECT $1, 'child', g FROM generate_series(1, 100) g RETURNING id)
				INSERT INTO bench_grandchildren (child_id, name, counter)
				SELECT c.id, 'grandchild', g FROM c, generate_series(1, 99) g`, *id)
			return err
		}}
	}
	done := func(b *testing.B, e *env) {
		e.expectCount(b, "bench_parents", 0)
		e.expectCount(b, "bench_grandchildren", 0)
	}
	b.Run("strata", func(b *testing.B) {
		e := newEnv(b)
		_, f := e.strata(b, strataRegistry())
		var id int64
		e.run(b, tree(e, &id), func(int) error {
			s := f.New()
			defer s.Close(e.ctx)
			q := orm.DeleteWhere[StrataParent](s)
			_, err := q.Where(expr.Eq(q.C("ID"), id)).Exec(e.ctx)
			return err
		})
		done(b, e)
	})
	b.Run("strata-uow", func(b *testing.B) {
		e := newEnv(b)
		_, f := e.strata(b, strataRegistry())
		var id int64
		e.run(b, tree(e, &id), func(int) error {
			s := f.New()
			defer s.Close(e.ctx)
			p, err := orm.Get[StrataParent](e.ctx, s, id)
			if err != nil {
				return err
			}
			if err := s.Delete(p); err != nil {
				return err
			}
			return s.Commit(e.ctx)
		})
		done(b, e)
	})
	b.Run("pgx", func(b *testing.B) {
		e := newEnv(b)
		p := e.pgxPool(b)
		var id int64
		e.run(b, tree(e, &id), func(int) error {
			_, err := p.Exec(e.ctx, `DELETE FROM bench_parents WHERE id = $1`, id)
			return err
		})
		done(b, e)
	})
	b.Run("databasesql", func(b *testing.B) {
		e := newEnv(b)
		db := e.sqlDB(b)
		var id int64
		e.run(b, tree(e, &id), func(int) error {
			_, err := db.ExecContext(e.ctx, `DELETE FROM bench_parents WHERE id = $1`, id)
			return err
		})
		done(b, e)
	})
	b.Run("gorm", func(b *testing.B) {
		e := newEnv(b)
		db := e.gormDB(b).WithContext(e.ctx)
		var id int64
		e.run(b, tree(e, &id), func(int) error {
			return db.Delete(&GormParent{ID: id}).Error
		})
		done(b, e)
	})
	b.Run("bun", func(b *testing.B) {
		e := newEnv(b)
		db := e.bunDB(b)
		var id int64
		e.run(b, tree(e, &id), func(int) error {
			_, err := db.NewDelete().Model(&BunParent{ID: id}).WherePK().Exec(e.ctx)
			return err
		})
		done(b, e)
	})
	b.Run("sqlx", func(b *testing.B) {
		e := newEnv(b)
		db := e.sqlxDB(b)
		var id int64
		e.run(b, tree(e, &id), func(int) error {
			_, err := db.ExecContext(e.ctx, `DELETE FROM bench_parents WHERE id = $1`, id)
			return err
		})
		done(b, e)
	})
}

// BenchmarkFlushGraph is one unit of work in one transaction: insert 1000
// parents and their 10,000 children (keys read back, children pointing at
// their parents), then change the counter of 100 parents and of their
// 1000 children, and delete 100 other parents with their 1000 children.
func BenchmarkFlushGraph(b *testing.B) {
	fresh := func(e *env) loop {
		return loop{prep: func(int) error {
			_, err := e.admin.Exec(e.ctx, `TRUNCATE bench_parents, bench_children, bench_grandchildren`)
			return err
		}}
	}
	done := func(b *testing.B, e *env) {
		e.expectCount(b, "bench_parents", graphParents-graphTenth)
		e.expectCount(b, "bench_children", (graphParents-graphTenth)*graphChildren)
		var changed int
		if err := e.admin.QueryRow(e.ctx, `SELECT count(*) FROM bench_children WHERE counter < 0`).Scan(&changed); err != nil {
			b.Fatal(err)
		}
		if changed != graphTenth*graphChildren {
			b.Fatalf("%d children updated, want %d", changed, graphTenth*graphChildren)
		}
	}
	// Parents [0, 100) are deleted, parents [100, 200) are updated; an
	// update negates the counter.
	b.Run("strata", func(b *testing.B) {
		e := newEnv(b)
		_, f := e.strata(b, strataRegistry())
		e.run(b, fresh(e), func(int) error {
			// one unit of work: the graph goes in with its relationships
			// (keys handed from parents to children by the flush), then
			// changes and deletes cascade to the loaded children
			s := f.New()
			defer s.Close(e.ctx)
			parents := make([]*StrataParent, graphParents)
			for i := range parents {
				p := &StrataParent{Name: "parent", Counter: int64(i)}
				for j := range graphChildren {
					if err := p.Children.Append(&StrataChild{Name: "child", Counter: int64(j)}); err != nil {
						return err
					}
				}
				parents[i] = p
				if err := s.Add(p); err != nil {
					return err
				}
			}
			if err := s.Flush(e.ctx); err != nil {
				return err
			}
			for _, p := range parents[graphTenth : 2*graphTenth] {
				p.Counter = -p.Counter - 1
				children, err := p.Children.All()
				if err != nil {
					return err
				}
				for _, c := range children {
					c.Counter = -c.Counter - 1
				}
			}
			for _, p := range parents[:graphTenth] {
				if err := s.Delete(p); err != nil {
					return err
				}
			}
			return s.Commit(e.ctx)
		})
		done(b, e)
	})
	b.Run("pgx", func(b *testing.B) {
		e := newEnv(b)
		p := e.pgxPool(b)
		e.run(b, fresh(e), func(int) error {
			return pgx.BeginFunc(e.ctx, p, func(tx pgx.Tx) error {
				return rawGraph(e.ctx, pgxRunner{tx})
			})
		})
		done(b, e)
	})
	b.Run("databasesql", func(b *testing.B) {
		e := newEnv(b)
		db := e.sqlDB(b)
		e.run(b, fresh(e), func(int) error {
			tx, err := db.BeginTx(e.ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			if err := rawGraph(e.ctx, sqlRunner{tx}); err != nil {
				return err
			}
			return tx.Commit()
		})
		done(b, e)
	})
	b.Run("gorm", func(b *testing.B) {
		e := newEnv(b)
		db := e.gormDB(b).WithContext(e.ctx)
		e.run(b, fresh(e), func(int) error {
			return db.Transaction(func(tx *gorm.DB) error {
				parents := make([]*GormParent, graphParents)
				for i := range parents {
					p := &GormParent{Name: "parent", Counter: int64(i)}
					for j := range graphChildren {
						p.Children = append(p.Children, &GormChild{Name: "child", Counter: int64(j)})
					}
					parents[i] = p
				}
				if err := tx.Create(&parents).Error; err != nil {
					return err
				}
				for _, p := range parents[graphTenth : 2*graphTenth] {
					p.Counter = -p.Counter - 1
					if err := tx.Model(p).Omit(clause.Associations).Update("counter", p.Counter).Error; err != nil {
						return err
					}
					for _, c := range p.Children {
						c.Counter = -c.Counter - 1
						if err := tx.Model(c).Update("counter", c.Counter).Error; err != nil {
							return err
						}
					}
				}
				var gone []*GormChild
				for _, p := range parents[:graphTenth] {
					gone = append(gone, p.Children...)
				}
				if err := tx.Delete(&gone).Error; err != nil {
					return err
				}
				doomed := parents[:graphTenth]
				return tx.Delete(&doomed).Error
			})
		})
		done(b, e)
	})
	b.Run("bun", func(b *testing.B) {
		e := newEnv(b)
		db := e.bunDB(b)
		e.run(b, fresh(e), func(int) error {
			return db.RunInTx(e.ctx, nil, func(ctx context.Context, tx bun.Tx) error {
				parents := make([]*BunParent, graphParents)
				for i := range parents {
					parents[i] = &BunParent{Name: "parent", Counter: int64(i)}
				}
				if _, err := tx.NewInsert().Model(&parents).Exec(ctx); err != nil {
					return err
				}
				children := make([]*BunChild, 0, graphParents*graphChildren)
				for _, p := range parents {
					for j := range graphChildren {
						c := &BunChild{ParentID: p.ID, Name: "child", Counter: int64(j)}
						p.Children = append(p.Children, c)
						children = append(children, c)
					}
				}
				if _, err := tx.NewInsert().Model(&children).Exec(ctx); err != nil {
					return err
				}
				updParents := parents[graphTenth : 2*graphTenth]
				updChildren := children[graphTenth*graphChildren : 2*graphTenth*graphChildren]
				for _, p := range updParents {
					p.Counter = -p.Counter - 1
				}
				for _, c := range updChildren {
					c.Counter = -c.Counter - 1
				}
				if _, err := tx.NewUpdate().Model(&updParents).Column("counter").Bulk().Exec(ctx); err != nil {
					return err
				}
				if _, err := tx.NewUpdate().Model(&updChildren).Column("counter").Bulk().Exec(ctx); err != nil {
					return err
				}
				delChildren := children[:graphTenth*graphChildren]
				if _, err := tx.NewDelete().Model(&delChildren).WherePK().Exec(ctx); err != nil {
					return err
				}
				delParents := parents[:graphTenth]
				_, err := tx.NewDelete().Model(&delParents).WherePK().Exec(ctx)
				return err
			})
		})
		done(b, e)
	})
	b.Run("sqlx", func(b *testing.B) {
		e := newEnv(b)
		db := e.sqlxDB(b)
		e.run(b, fresh(e), func(int) error {
			tx, err := db.BeginTxx(e.ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			if err := sqlxGraph(e.ctx, tx); err != nil {
				return err
			}
			return tx.Commit()
		})
		done(b, e)
	})
}

// runner is the little the hand-written graph flush needs from pgx or
// database/sql: a query whose rows are ids, and an exec.
type runner interface {
	ids(ctx context.Context, dst []int64, query string, args ...any) error
	exec(ctx context.Context, query string, args ...any) error
}

type pgxRunner struct{ tx pgx.Tx }

func (r pgxRunner) ids(ctx context.Context, dst []int64, query string, args ...any) error {
	rows, err := r.tx.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	return scanIDs(rows, dst)
}

func (r pgxRunner) exec(ctx context.Context, query string, args ...any) error {
	_, err := r.tx.Exec(ctx, query, args...)
	return err
}

type sqlRunner struct{ tx *sql.Tx }

func (r sqlRunner) ids(ctx context.Context, dst []int64, query string, args ...any) error {
	rows, err := r.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return scanIDs(rows, dst)
}

func (r sqlRunner) exec(ctx context.Context, query string, args ...any) error {
	_, err := r.tx.ExecContext(ctx, query, args...)
	return err
}

func scanIDs(rows idRows, dst []int64) error {
	n := 0
	for rows.Next() {
		if n == len(dst) {
			return fmt.Errorf("more than %d ids", len(dst))
		}
		if err := rows.Scan(&dst[n]); err != nil {
			return err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if n != len(dst) {
		return fmt.Errorf("%d ids, want %d", n, len(dst))
	}
	return nil
}

// rawGraph is the hand-written flush: one UNNEST ... RETURNING per table,
// one UPDATE ... FROM unnest per table, one DELETE ... = ANY per table.
func rawGraph(ctx context.Context, r runner) error {
	parents := make([]Parent, graphParents)
	names := make([]string, graphParents)
	counters := make([]int64, graphParents)
	for i := range parents {
		parents[i] = Parent{Name: "parent", Counter: int64(i)}
		names[i], counters[i] = parents[i].Name, parents[i].Counter
	}
	pids := make([]int64, graphParents)
	if err := r.ids(ctx, pids, unnestParentsSQL, names, counters); err != nil {
		return err
	}
	nc := graphParents * graphChildren
	children := make([]Child, 0, nc)
	cParents, cNames, cCounters := make([]int64, 0, nc), make([]string, 0, nc), make([]int64, 0, nc)
	for i := range parents {
		parents[i].ID = pids[i]
		for j := range graphChildren {
			c := Child{ParentID: pids[i], Name: "child", Counter: int64(j)}
			children = append(children, c)
			cParents, cNames, cCounters = append(cParents, c.ParentID), append(cNames, c.Name), append(cCounters, c.Counter)
		}
	}
	cids := make([]int64, nc)
	if err := r.ids(ctx, cids, unnestChildSQL, cParents, cNames, cCounters); err != nil {
		return err
	}
	for i := range children {
		children[i].ID = cids[i]
	}
	var upID, upCounter []int64
	for i := graphTenth; i < 2*graphTenth; i++ {
		parents[i].Counter = -parents[i].Counter - 1
		upID, upCounter = append(upID, parents[i].ID), append(upCounter, parents[i].Counter)
	}
	if err := r.exec(ctx, updParentsSQL, upID, upCounter); err != nil {
		return err
	}
	upID, upCounter = upID[:0], upCounter[:0]
	for i := graphTenth * graphChildren; i < 2*graphTenth*graphChildren; i++ {
		children[i].Counter = -children[i].Counter - 1
		upID, upCounter = append(upID, children[i].ID), append(upCounter, children[i].Counter)
	}
	if err := r.exec(ctx, updChildrenSQL, upID, upCounter); err != nil {
		return err
	}
	if err := r.exec(ctx, delChildrenSQL, cids[:graphTenth*graphChildren]); err != nil {
		return err
	}
	return r.exec(ctx, delParentsSQL, pids[:graphTenth])
}

// sqlxGraph is rawGraph as an sqlx user writes it: batch named inserts
// (INSERT ... VALUES (...), (...) RETURNING id), the same bulk UPDATE and
// DELETE statements.
func sqlxGraph(ctx context.Context, tx *sqlx.Tx) error {
	parents := make([]Parent, graphParents)
	for i := range parents {
		parents[i] = Parent{Name: "parent", Counter: int64(i)}
	}
	pids := make([]int64, graphParents)
	if err := sqlxIDs(ctx, tx, pids, sqlxInsParent, parents); err != nil {
		return err
	}
	children := make([]Child, 0, graphParents*graphChildren)
	for i := range parents {
		parents[i].ID = pids[i]
		for j := range graphChildren {
			children = append(children, Child{ParentID: pids[i], Name: "child", Counter: int64(j)})
		}
	}
	cids := make([]int64, len(children))
	if err := sqlxIDs(ctx, tx, cids, sqlxInsChild, children); err != nil {
		return err
	}
	for i := range children {
		children[i].ID = cids[i]
	}
	var upID, upCounter []int64
	for i := graphTenth; i < 2*graphTenth; i++ {
		parents[i].Counter = -parents[i].Counter - 1
		upID, upCounter = append(upID, parents[i].ID), append(upCounter, parents[i].Counter)
	}
	if _, err := tx.ExecContext(ctx, updParentsSQL, upID, upCounter); err != nil {
		return err
	}
	upID, upCounter = upID[:0], upCounter[:0]
	for i := graphTenth * graphChildren; i < 2*graphTenth*graphChildren; i++ {
		children[i].Counter = -children[i].Counter - 1
		upID, upCounter = append(upID, children[i].ID), append(upCounter, children[i].Counter)
	}
	if _, err := tx.ExecContext(ctx, updChildrenSQL, upID, upCounter); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, delChildrenSQL, cids[:graphTenth*graphChildren]); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, delParentsSQL, pids[:graphTenth])
	return err
}

func sqlxIDs(ctx context.Context, tx *sqlx.Tx, dst []int64, query string, arg any) error {
	rows, err := sqlx.NamedQueryContext(ctx, tx, query, arg)
	if err != nil {
		return err
	}
	defer rows.Close()
	return scanIDs(rows, dst)
}
