package migrate_test

import (
	"context"
	"errors"
	"testing"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/migrate"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

// keyTypeModels is p and c (c.pid -> p.id), both key columns of type typ.
func keyTypeModels(typ schema.Type) *schema.MetaData {
	return md(
		&schema.Table{Name: "p", Columns: []*schema.Column{{Name: "id", Type: typ, AutoIncrement: true}}, PrimaryKey: pk()},
		&schema.Table{Name: "c", Columns: []*schema.Column{{Name: "id", Type: typ, AutoIncrement: true}, {Name: "pid", Type: typ}},
			PrimaryKey: pk(), ForeignKeys: []*schema.ForeignKey{{Name: "fk_c_p", Columns: []string{"pid"}, RefTable: "p", RefColumns: []string{"id"}}}},
	)
}

// TestKeyColumnTypeChange widens the columns on both sides of a foreign
// key (p.id and c.pid INT -> BIGINT) and back: MariaDB cannot change them
// while the foreign key exists, so the rendering drops and re-adds it
// around the change, in both directions; the rows stay and the foreign key
// is enforced afterwards.
func TestKeyColumnTypeChange(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		v1, v2 := keyTypeModels(schema.Integer()), keyTypeModels(schema.BigInt())
		r1, err := migrate.Autogenerate(schema.NewMetaData(), v1, "0001", "int keys", nil)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := migrate.Autogenerate(r1.Snapshot, v2, "0002", "bigint keys", []string{"0001"})
		if err != nil {
			t.Fatal(err)
		}
		g := writeDir(t, r1, r2)
		db := open(t, tg)
		m := newMigrator(t, db, g)
		if _, err := m.Upgrade(ctx, "0001"); err != nil {
			t.Fatal(err)
		}
		p, c := expr.T("p"), expr.T("c")
		if err := exec(t, db, expr.Insert(p).Columns("id").Values(1)); err != nil {
			t.Fatal(err)
		}
		if err := exec(t, db, expr.Insert(c).Columns("id", "pid").Values(1, 1)); err != nil {
			t.Fatal(err)
		}
		enforced := func(when string) {
			t.Helper()
			err := exec(t, db, expr.Insert(c).Columns("id", "pid").Values(2, 99))
			var ie *sqlerr.IntegrityError
			if !errors.As(err, &ie) || ie.Kind != sqlerr.ForeignKey {
				t.Fatalf("%s: a child of a missing parent: %v", when, err)
			}
		}
		if _, err := m.Upgrade(ctx, "head"); err != nil {
			t.Fatal(err)
		}
		if count(t, db, "c") != 1 || count(t, db, "p") != 1 {
			t.Fatal("rows lost in the upgrade")
		}
		enforced("after the upgrade")
		if d, err := m.Check(ctx); err != nil || len(d) > 0 {
			t.Fatalf("drift after the upgrade: %v %v", d, err)
		}
		if _, err := m.Downgrade(ctx, "0001"); err != nil {
			t.Fatal(err)
		}
		if count(t, db, "c") != 1 {
			t.Fatal("rows lost in the downgrade")
		}
		enforced("after the downgrade")
		if d, err := m.Check(ctx); err != nil || len(d) > 0 {
			t.Fatalf("drift after the downgrade: %v %v", d, err)
		}
		if err := newMigrator(t, open(t, testdb.New(t, tg.Name)), g).RoundTrip(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// fkIndexModels is p and c (c.pid -> p.id), with or without a declared
// index on c.pid.
func fkIndexModels(withIndex bool) *schema.MetaData {
	m := keyTypeModels(schema.BigInt())
	if withIndex {
		m.Table("c").Indexes = []*schema.Index{{Name: "ix_c_pid", Columns: []string{"pid"}}}
	}
	return m
}

// TestDropIndexAForeignKeyNeeds adds an index on a foreign key column and
// drops it again, as an upgrade and as the downgrade of adding it. MariaDB
// cannot drop an index its foreign key uses (error 1553) and had dropped
// its own index when the declared one came; the drop puts the foreign
// key's own index back in the same statement, which introspection does
// not report: no drift, the foreign key enforced, the round trip passes.
func TestDropIndexAForeignKeyNeeds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		v1, v2 := fkIndexModels(false), fkIndexModels(true)
		r1, err := migrate.Autogenerate(schema.NewMetaData(), v1, "0001", "no index", nil)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := migrate.Autogenerate(v1, v2, "0002", "index", []string{"0001"})
		if err != nil {
			t.Fatal(err)
		}
		r3, err := migrate.Autogenerate(v2, v1, "0003", "no index again", []string{"0002"})
		if err != nil {
			t.Fatal(err)
		}
		if got := opLines(r3.Upgrade); got != "drop index ix_c_pid on c\n" {
			t.Fatalf("plan:\n%s", got)
		}
		g := writeDir(t, r1, r2, r3)
		db := open(t, tg)
		m := newMigrator(t, db, g)
		for _, target := range []string{"0001", "0002", "0003"} {
			if _, err := m.Upgrade(ctx, target); err != nil {
				t.Fatalf("upgrade to %s: %v", target, err)
			}
			if d, err := m.Check(ctx); err != nil || len(d) > 0 {
				t.Fatalf("drift at %s: %v %v", target, d, err)
			}
		}
		for _, target := range []string{"0002", "0001"} {
			if _, err := m.Downgrade(ctx, target); err != nil {
				t.Fatalf("downgrade to %s: %v", target, err)
			}
			if d, err := m.Check(ctx); err != nil || len(d) > 0 {
				t.Fatalf("drift at %s: %v %v", target, d, err)
			}
		}
		if err := exec(t, db, expr.Insert(expr.T("c")).Columns("id", "pid").Values(1, 99)); err == nil {
			t.Fatal("the foreign key is gone")
		}
		if err := newMigrator(t, open(t, testdb.New(t, tg.Name)), g).RoundTrip(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// TestKeptIndexesAreFlagged: planning for MariaDB names the drops of an
// index a foreign key needs (the index stays under the foreign key's
// name), in the upgrade that drops it and in the downgrade of the one
// that adds it; other databases keep nothing.
func TestKeptIndexesAreFlagged(t *testing.T) {
	with, without := fkIndexModels(true), fkIndexModels(false)
	drop, err := migrate.Plan(with, without, migrate.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dialects {
		got, err := migrate.KeptIndexes(d, with, drop)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		if d.Features().Has(dialect.ForeignKeyIndexes) {
			want = 1
		}
		if len(got) != want {
			t.Fatalf("%s: %v", d.Name(), got)
		}
		if want == 1 && got[0] != `drop index ix_c_pid on c: foreign key fk_c_p needs an index on ["pid"]; mysql keeps one in its place, named fk_c_p` {
			t.Fatalf("%s: %q", d.Name(), got[0])
		}
	}
}
