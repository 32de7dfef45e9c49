package migrate_test

import (
	"context"
	"testing"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/migrate"
	"github.com/strata-go/strata/schema"
)

// deferredModels is parent and child with the child's foreign key checked
// at commit when deferred.
func deferredModels(deferred bool) *schema.MetaData {
	m := cascadeModels(schema.NoAction)
	f := m.Table("child").ForeignKeys[0]
	f.Deferrable, f.InitiallyDeferred = deferred, deferred
	return m
}

// TestDeferrabilityChange makes a foreign key DEFERRABLE INITIALLY
// DEFERRED and back: one alter_foreign_key_deferrability operation,
// ALTER CONSTRAINT on PostgreSQL (no drop and re-add, no re-check of the
// rows), a rebuild on SQLite; a child inserted before its parent in one
// transaction commits only while the key is deferred. MariaDB has no
// deferrable foreign keys.
func TestDeferrabilityChange(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		if !tg.Dialect.Features().Has(dialect.DeferrableConstraints) {
			t.Skipf("%s has no deferrable foreign keys", tg.Name)
		}
		ctx := context.Background()
		v1, v2 := deferredModels(false), deferredModels(true)
		r1, err := migrate.Autogenerate(schema.NewMetaData(), v1, "0001", "immediate", nil)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := migrate.AutogenerateFor(tg.Dialect, r1.Snapshot, v2, "0002", "deferred", []string{"0001"})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := opLines(r2.Upgrade), "alter foreign key fk_child_parent_id_parent on child: not deferrable -> deferrable initially deferred\n"; got != want {
			t.Fatalf("plan:\n%swant\n%s", got, want)
		}
		g := writeDir(t, r1, r2)
		db := open(t, tg)
		m := newMigrator(t, db, g)
		childFirst := func(id int) error {
			tx, err := db.Begin(ctx)
			if err != nil {
				return err
			}
			if _, err := engine.ExecStmt(ctx, tx, expr.Insert(expr.T("child")).Columns("id", "parent_id").Values(id, id)); err != nil {
				tx.Rollback(ctx)
				return err
			}
			if _, err := engine.ExecStmt(ctx, tx, expr.Insert(expr.T("parent")).Columns("id", "name").Values(id, "p")); err != nil {
				tx.Rollback(ctx)
				return err
			}
			return tx.Commit(ctx)
		}
		if _, err := m.Upgrade(ctx, "0001"); err != nil {
			t.Fatal(err)
		}
		if err := childFirst(1); err == nil {
			t.Fatal("a child before its parent committed under an immediate foreign key")
		}
		if _, err := m.Upgrade(ctx, "head"); err != nil {
			t.Fatal(err)
		}
		if err := childFirst(2); err != nil {
			t.Fatalf("a child before its parent under a deferred foreign key: %v", err)
		}
		if d, err := m.Check(ctx); err != nil || len(d) > 0 {
			t.Fatalf("drift: %v %v", d, err)
		}
		if _, err := m.Downgrade(ctx, "0001"); err != nil {
			t.Fatal(err)
		}
		if count(t, db, "child") != 1 {
			t.Fatal("rows lost in the downgrade")
		}
		if err := childFirst(3); err == nil {
			t.Fatal("a child before its parent committed after the downgrade")
		}
		if err := newMigrator(t, open(t, testdb.New(t, tg.Name)), g).RoundTrip(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
