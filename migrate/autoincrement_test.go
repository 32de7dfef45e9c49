package migrate_test

import (
	"context"
	"testing"

	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/migrate"
	"github.com/strata-go/strata/schema"
)

// counterModels is a table whose key generates values when auto, and a
// second table left alone.
func counterModels(auto bool) *schema.MetaData {
	return md(
		&schema.Table{Name: "counters", Columns: []*schema.Column{{Name: "id", Type: schema.BigInt(), AutoIncrement: auto},
			{Name: "name", Type: schema.Varchar(20)}}, PrimaryKey: pk()},
		&schema.Table{Name: "others", Columns: []*schema.Column{id(), {Name: "name", Type: schema.Varchar(20), Nullable: auto}}, PrimaryKey: pk()},
	)
}

// TestAutoincrementChanges makes a filled table's key generate values and
// back: an identity on PostgreSQL (its sequence continues after the
// largest key), MODIFY ... AUTO_INCREMENT on MariaDB, a rebuild on SQLite.
// The other change of the same revision is planned with it.
func TestAutoincrementChanges(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		v1, v2 := counterModels(false), counterModels(true)
		r1, err := migrate.Autogenerate(schema.NewMetaData(), v1, "0001", "counters", nil)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := migrate.AutogenerateFor(tg.Dialect, r1.Snapshot, v2, "0002", "generated keys", []string{"0001"})
		if err != nil {
			t.Fatal(err)
		}
		want := "alter column counters.id: autoincrement false -> true\nalter column others.name: nullable false -> true\n"
		if got := opLines(r2.Upgrade); got != want {
			t.Fatalf("plan:\n%swant\n%s", got, want)
		}
		g := writeDir(t, r1, r2)
		db := open(t, tg)
		m := newMigrator(t, db, g)
		if _, err := m.Upgrade(ctx, "0001"); err != nil {
			t.Fatal(err)
		}
		c := expr.T("counters")
		if err := exec(t, db, expr.Insert(c).Columns("id", "name").Values(1, "a").Values(2, "b")); err != nil {
			t.Fatal(err)
		}
		if err := exec(t, db, expr.Insert(c).Columns("name").Values("no key")); err == nil {
			t.Fatal("a row without a key was accepted before the upgrade")
		}
		if _, err := m.Upgrade(ctx, "head"); err != nil {
			t.Fatal(err)
		}
		if err := exec(t, db, expr.Insert(c).Columns("name").Values("c")); err != nil {
			t.Fatal(err)
		}
		var id int64
		if err := engine.QueryRowStmt(ctx, db, expr.Select(c.C("id")).From(c).Where(expr.Eq(c.C("name"), "c"))).Scan(&id); err != nil || id <= 2 {
			// After the keys 1 and 2; not necessarily 3 (a Galera node steps
			// ids by the cluster size).
			t.Fatalf("generated key %d (%v), want one after 2", id, err)
		}
		if d, err := m.Check(ctx); err != nil || len(d) > 0 {
			t.Fatalf("drift: %v %v", d, err)
		}
		if _, err := m.Downgrade(ctx, "0001"); err != nil {
			t.Fatal(err)
		}
		if count(t, db, "counters") != 3 {
			t.Fatal("rows lost in the downgrade")
		}
		if err := exec(t, db, expr.Insert(c).Columns("name").Values("no key")); err == nil {
			t.Fatal("a row without a key was accepted after the downgrade")
		}
		if d, err := m.Check(ctx); err != nil || len(d) > 0 {
			t.Fatalf("drift after the downgrade: %v %v", d, err)
		}
		if err := newMigrator(t, open(t, testdb.New(t, tg.Name)), g).RoundTrip(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// TestAdoptHandMadeSQLiteKey plans against a SQLite table made by hand
// with INTEGER PRIMARY KEY (a rowid alias without AUTOINCREMENT) for
// models whose key autoincrements: the table is rebuilt with
// AUTOINCREMENT, rows kept, and nothing is left to plan.
func TestAdoptHandMadeSQLiteKey(t *testing.T) {
	tg := testdb.New(t, "sqlite")
	ctx := context.Background()
	db := open(t, tg)
	for _, s := range []string{
		`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`,
		`INSERT INTO notes (id, body) VALUES (1, 'a'), (7, 'b')`,
	} {
		if _, err := db.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	models := md(&schema.Table{Name: "notes", Columns: []*schema.Column{id(), {Name: "body", Type: schema.Text()}}, PrimaryKey: pk()})
	ops := planFromDB(t, db, models)
	if got := opLines(ops); got != "alter column notes.id: autoincrement false -> true\n" {
		t.Fatalf("plan:\n%s", got)
	}
	applyOps(t, db, ops)
	if again := planFromDB(t, db, models); len(again) > 0 {
		t.Fatalf("after applying the plan:\n%s", opLines(again))
	}
	if count(t, db, "notes") != 2 {
		t.Fatal("rows lost")
	}
	if err := exec(t, db, expr.Insert(expr.T("notes")).Columns("body").Values("c")); err != nil {
		t.Fatal(err)
	}
}
