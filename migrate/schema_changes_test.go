package migrate_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/migrate"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

func open(t *testing.T, tg testdb.Target) *engine.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := engine.Open(ctx, tg.Dialect, tg.DSN)
	if err != nil {
		t.Fatalf("open %s: %v", tg.Name, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newMigrator is migrate.New failing the test on an error.
func newMigrator(t *testing.T, db *engine.DB, g *migrate.Graph, opts ...migrate.Option) *migrate.Migrator {
	t.Helper()
	m, err := migrate.New(db, g, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// cascadeModels is a parent and a child whose foreign key deletes with
// onDelete.
func cascadeModels(onDelete schema.Action) *schema.MetaData {
	return md(
		&schema.Table{Name: "parent", Columns: []*schema.Column{id(), {Name: "name", Type: schema.Varchar(40)}}, PrimaryKey: pk()},
		&schema.Table{Name: "child", Columns: []*schema.Column{id(), {Name: "parent_id", Type: schema.BigInt()}}, PrimaryKey: pk(),
			ForeignKeys: []*schema.ForeignKey{{Columns: []string{"parent_id"}, RefTable: "parent", RefColumns: []string{"id"}, OnDelete: onDelete}}},
	)
}

// writeDir writes revisions into a fresh directory (with its checksum
// file) and reads them back as a graph, as the CLI does.
func writeDir(t *testing.T, revs ...*migrate.Revision) *migrate.Graph {
	t.Helper()
	dir := t.TempDir()
	for _, r := range revs {
		if _, err := migrate.WriteRevision(dir, r); err != nil {
			t.Fatal(err)
		}
	}
	d, err := migrate.OpenDir(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	g, err := migrate.NewGraph(d.Revisions())
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func count(t *testing.T, ex engine.Executor, table string) int {
	t.Helper()
	var n int
	if err := engine.QueryRowStmt(context.Background(), ex, expr.Select(expr.CountAll()).From(expr.T(table))).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func exec(t *testing.T, ex engine.Executor, s expr.Statement) error {
	t.Helper()
	_, err := engine.ExecStmt(context.Background(), ex, s)
	return err
}

// TestForeignKeyActionChangeMigrates: a child's foreign key changes from NO
// ACTION to ON DELETE CASCADE; autogenerate produces exactly that change;
// after upgrading, deleting a parent deletes its children; the downgrade
// restores NO ACTION; a second autogenerate finds nothing; the round trip
// passes.
func TestForeignKeyActionChangeMigrates(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		v1, v2 := cascadeModels(schema.NoAction), cascadeModels(schema.Cascade)
		r1, err := migrate.Autogenerate(schema.NewMetaData(), v1, "0001", "parent and child", nil)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := migrate.Autogenerate(r1.Snapshot, v2, "0002", "cascade children", []string{"0001"})
		if err != nil {
			t.Fatal(err)
		}
		want := "alter foreign key fk_child_parent_id_parent on child: on delete NO ACTION -> CASCADE, on update NO ACTION -> NO ACTION\n"
		if got := opLines(r2.Upgrade); got != want {
			t.Fatalf("autogenerate upgrade:\n%swant\n%s", got, want)
		}
		if got := opLines(r2.Downgrade); !strings.Contains(got, "on delete CASCADE -> NO ACTION") || len(r2.Downgrade) != 1 {
			t.Fatalf("autogenerate downgrade:\n%s", got)
		}
		g := writeDir(t, r1, r2)
		db := open(t, tg)
		m := newMigrator(t, db, g)
		if _, err := m.Upgrade(ctx, "head"); err != nil {
			t.Fatal(err)
		}
		if cur, err := m.Current(ctx); err != nil || len(cur) != 1 || cur[0] != "0002" {
			t.Fatalf("current %v %v", cur, err)
		}
		// A second autogenerate finds nothing: against the snapshot and
		// against the live database.
		if again, err := migrate.Autogenerate(g.Revision("0002").Snapshot, v2, "0003", "nothing", []string{"0002"}); err != nil || len(again.Upgrade) != 0 {
			t.Fatalf("second autogenerate from the snapshot: %v %v", again.Upgrade, err)
		}
		live, err := engine.Inspect(ctx, db, m.InspectOptions())
		if err != nil {
			t.Fatal(err)
		}
		if ops, err := migrate.Plan(live, v2, migrate.PlanOptions{Normalize: tg.Dialect.Normalize}); err != nil || len(ops) != 0 {
			t.Fatalf("second autogenerate from the database: %v %v", ops, err)
		}
		parent, child := expr.T("parent"), expr.T("child")
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(exec(t, db, expr.Insert(parent).Columns("id", "name").Values(1, "p1")))
		must(exec(t, db, expr.Insert(child).Columns("id", "parent_id").Values(10, 1).Values(11, 1)))
		must(exec(t, db, expr.Delete(parent).Where(expr.Eq(parent.C("id"), 1))))
		if n := count(t, db, "child"); n != 0 {
			t.Fatalf("after deleting the parent %d children are left", n)
		}

		// Downgrade restores NO ACTION: deleting a referenced parent fails.
		must(exec(t, db, expr.Insert(parent).Columns("id", "name").Values(2, "p2")))
		must(exec(t, db, expr.Insert(child).Columns("id", "parent_id").Values(20, 2)))
		_, err = m.Downgrade(ctx, "0001")
		must(err)
		if n := count(t, db, "child"); n != 1 {
			t.Fatalf("the downgrade lost rows: %d children", n)
		}
		err = exec(t, db, expr.Delete(parent).Where(expr.Eq(parent.C("id"), 2)))
		var ie *sqlerr.IntegrityError
		if !errors.As(err, &ie) || ie.Kind != sqlerr.ForeignKey {
			t.Fatalf("delete of a referenced parent after the downgrade: %v", err)
		}
		if d, err := m.Check(ctx); err != nil || len(d) > 0 {
			t.Fatalf("drift after downgrade: %v %v", d, err)
		}

		// The round trip on a scratch database.
		scratch := newMigrator(t, open(t, testdb.New(t, tg.Name)), g)
		if err := scratch.RoundTrip(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// richChanges changes the rich schema of the cross-database suite in many
// ways at once.
func richChanges(f dialect.Feature) *schema.MetaData {
	m := testdb.RichSchema(f).Clone()
	dept := m.Table("departments")
	dept.Comment = "Departments of the company"
	dept.Column("name").Type = schema.Varchar(200)
	dept.Uniques = append(dept.Uniques, &schema.Unique{Name: "uq_departments_name", Columns: []string{"name"}})
	emp := m.Table("employees")
	emp.Columns = append(emp.Columns, &schema.Column{Name: "nickname", Type: schema.Varchar(50), Nullable: true, Comment: "what friends say"})
	emp.Checks = append(emp.Checks, &schema.Check{Name: "ck_employees_email", Expr: "email <> ''"})
	emp.Indexes = append(emp.Indexes, &schema.Index{Name: "ix_employees_email_active", Columns: []string{"email", "active"}})
	orders := m.Table("orders")
	orders.Indexes = nil
	orders.Column("note").RenamedFrom = ""
	note := orders.Column("note")
	note.Name, note.RenamedFrom = "remark", "note"
	note.Default = schema.DefaultStr("none")
	lines := m.Table("order_lines")
	lines.ForeignKeys[0].OnDelete = schema.NoAction
	lines.Column("qty").Type = schema.BigInt()
	return m
}

// TestUpgradeRoundTripRich migrates the rich schema of the cross-database
// suite (every type, a foreign key cycle, composite keys, enums, checks,
// partial indexes) and then a revision with many kinds of change; a second
// autogenerate against the live database finds nothing after each, and the
// round trip passes.
func TestUpgradeRoundTripRich(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		v1, v2 := testdb.RichSchema(tg.Dialect.Features()), richChanges(tg.Dialect.Features())
		r1, err := migrate.Autogenerate(schema.NewMetaData(), v1, "0001", "rich", nil)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := migrate.Autogenerate(r1.Snapshot, v2, "0002", "changes", []string{"0001"})
		if err != nil {
			t.Fatal(err)
		}
		r2.Acknowledged = true
		g := writeDir(t, r1, r2)
		db := open(t, tg)
		m := newMigrator(t, db, g)
		for _, step := range []struct {
			id     string
			models *schema.MetaData
		}{{"0001", v1}, {"0002", v2}} {
			if _, err := m.Upgrade(ctx, step.id); err != nil {
				t.Fatal(err)
			}
			live, err := engine.Inspect(ctx, db, m.InspectOptions())
			if err != nil {
				t.Fatal(err)
			}
			if ops, err := migrate.Plan(live, step.models, migrate.PlanOptions{Normalize: tg.Dialect.Normalize}); err != nil || len(ops) != 0 {
				t.Fatalf("autogenerate after upgrading to %s: %v %v", step.id, opLines(ops), err)
			}
		}
		scratch := newMigrator(t, open(t, testdb.New(t, tg.Name)), g)
		if err := scratch.RoundTrip(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// renameModels is parent/child, or after the renames owner/child with the
// foreign key column renamed: the naming convention renames the primary
// key, the foreign key and the index with them.
func renameModels(renamed bool) *schema.MetaData {
	parent, col := "parent", "parent_id"
	if renamed {
		parent, col = "owner", "owner_id"
	}
	p := &schema.Table{Name: parent, Columns: []*schema.Column{id(), {Name: "name", Type: schema.Varchar(40)}}, PrimaryKey: pk(),
		Uniques: []*schema.Unique{{Columns: []string{"name"}}}}
	c := &schema.Table{Name: "child", Columns: []*schema.Column{id(), {Name: col, Type: schema.BigInt()}}, PrimaryKey: pk(),
		ForeignKeys: []*schema.ForeignKey{{Columns: []string{col}, RefTable: parent, RefColumns: []string{"id"}, OnDelete: schema.Cascade}},
		Indexes:     []*schema.Index{{Columns: []string{col}}}}
	if renamed {
		p.RenamedFrom, c.Columns[1].RenamedFrom = "parent", "parent_id"
	}
	return md(p, c)
}

// TestRenames renames a table and a column by declared hints: the rows stay,
// constraints follow under their new convention names, and the round trip
// passes.
func TestRenames(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		v1, v2 := renameModels(false), renameModels(true)
		r1, err := migrate.Autogenerate(schema.NewMetaData(), v1, "0001", "parent", nil)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := migrate.Autogenerate(r1.Snapshot, v2, "0002", "rename", []string{"0001"})
		if err != nil {
			t.Fatal(err)
		}
		if len(r2.Destructive()) > 0 {
			t.Fatalf("renames flagged destructive: %v\n%s", r2.Destructive(), opLines(r2.Upgrade))
		}
		g := writeDir(t, r1, r2)
		db := open(t, tg)
		m := newMigrator(t, db, g)
		if _, err := m.Upgrade(ctx, "0001"); err != nil {
			t.Fatal(err)
		}
		if err := exec(t, db, expr.Insert(expr.T("parent")).Columns("id", "name").Values(1, "p")); err != nil {
			t.Fatal(err)
		}
		if err := exec(t, db, expr.Insert(expr.T("child")).Columns("id", "parent_id").Values(1, 1)); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Upgrade(ctx, "head"); err != nil {
			t.Fatal(err)
		}
		if count(t, db, "owner") != 1 || count(t, db, "child") != 1 {
			t.Fatal("rows lost in the rename")
		}
		if d, err := m.Check(ctx); err != nil || len(d) > 0 {
			t.Fatalf("drift after renames: %v %v", d, err)
		}
		live, err := engine.Inspect(ctx, db, m.InspectOptions())
		if err != nil {
			t.Fatal(err)
		}
		if ops, err := migrate.Plan(live, v2, migrate.PlanOptions{Normalize: tg.Dialect.Normalize}); err != nil || len(ops) != 0 {
			t.Fatalf("autogenerate after the renames: %v %v", opLines(ops), err)
		}
		if err := exec(t, db, expr.Delete(expr.T("owner")).All()); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "child"); n != 0 {
			t.Fatalf("cascade lost in the rename: %d children", n)
		}
		if err := newMigrator(t, open(t, testdb.New(t, tg.Name)), g).RoundTrip(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func enumModels(values ...string) *schema.MetaData {
	return md(&schema.Table{Name: "people", Columns: []*schema.Column{id(),
		{Name: "mood", Type: schema.Enum("mood", values...), Default: schema.DefaultStr("ok")}}, PrimaryKey: pk()})
}

// TestEnumValues adds a value to an enum type (PostgreSQL recreates the
// named type; MariaDB modifies the column; SQLite rebuilds the table with
// its CHECK) and removes it again on downgrade.
func TestEnumValues(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		v1, v2 := enumModels("sad", "ok", "happy"), enumModels("sad", "ok", "happy", "ecstatic")
		r1, err := migrate.Autogenerate(schema.NewMetaData(), v1, "0001", "people", nil)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := migrate.Autogenerate(r1.Snapshot, v2, "0002", "ecstatic", []string{"0001"})
		if err != nil {
			t.Fatal(err)
		}
		if len(r2.Destructive()) > 0 {
			t.Fatalf("adding an enum value flagged destructive: %v", r2.Destructive())
		}
		g := writeDir(t, r1, r2)
		db := open(t, tg)
		m := newMigrator(t, db, g)
		people := expr.T("people")
		if _, err := m.Upgrade(ctx, "0001"); err != nil {
			t.Fatal(err)
		}
		if err := exec(t, db, expr.Insert(people).Columns("id", "mood").Values(1, "happy")); err != nil {
			t.Fatal(err)
		}
		if err := exec(t, db, expr.Insert(people).Columns("id", "mood").Values(2, "ecstatic")); err == nil {
			t.Fatal("a value the enum lacks was accepted")
		}
		if _, err := m.Upgrade(ctx, "head"); err != nil {
			t.Fatal(err)
		}
		if err := exec(t, db, expr.Insert(people).Columns("id", "mood").Values(2, "ecstatic")); err != nil {
			t.Fatal(err)
		}
		if err := exec(t, db, expr.Insert(people).Columns("id").Values(3)); err != nil {
			t.Fatal(err) // the default survived
		}
		if d, err := m.Check(ctx); err != nil || len(d) > 0 {
			t.Fatalf("drift: %v %v", d, err)
		}
		if err := exec(t, db, expr.Delete(people).Where(expr.Eq(people.C("id"), 2))); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Downgrade(ctx, "0001"); err != nil {
			t.Fatal(err)
		}
		if count(t, db, "people") != 2 {
			t.Fatal("rows lost in the downgrade")
		}
		if err := newMigrator(t, open(t, testdb.New(t, tg.Name)), g).RoundTrip(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func membershipModels(pkCols ...string) *schema.MetaData {
	t := &schema.Table{Name: "memberships", Columns: []*schema.Column{
		{Name: "user_id", Type: schema.BigInt()}, {Name: "group_id", Type: schema.BigInt()}, {Name: "note", Type: schema.Text(), Nullable: true}}}
	if len(pkCols) > 0 {
		t.PrimaryKey = &schema.PrimaryKey{Columns: pkCols}
	}
	return md(t)
}

// TestPrimaryKeyChanges adds a primary key to a table without one and then
// changes its columns, keeping the rows, on all three databases.
func TestPrimaryKeyChanges(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		v1, v2, v3 := membershipModels(), membershipModels("user_id", "group_id"), membershipModels("group_id", "user_id")
		r1, err := migrate.Autogenerate(schema.NewMetaData(), v1, "0001", "memberships", nil)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := migrate.Autogenerate(v1, v2, "0002", "key", []string{"0001"})
		if err != nil {
			t.Fatal(err)
		}
		r3, err := migrate.Autogenerate(v2, v3, "0003", "key order", []string{"0002"})
		if err != nil {
			t.Fatal(err)
		}
		if got := opLines(r3.Upgrade); got != "drop primary key pk_memberships[\"user_id\" \"group_id\"] on memberships\nadd primary key pk_memberships[\"group_id\" \"user_id\"] on memberships\n" {
			t.Fatalf("plan:\n%s", got)
		}
		g := writeDir(t, r1, r2, r3)
		db := open(t, tg)
		m := newMigrator(t, db, g)
		if _, err := m.Upgrade(ctx, "0001"); err != nil {
			t.Fatal(err)
		}
		if err := exec(t, db, expr.Insert(expr.T("memberships")).Columns("user_id", "group_id").Values(1, 2).Values(2, 2)); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Upgrade(ctx, "head"); err != nil {
			t.Fatal(err)
		}
		if count(t, db, "memberships") != 2 {
			t.Fatal("rows lost")
		}
		if err := exec(t, db, expr.Insert(expr.T("memberships")).Columns("user_id", "group_id").Values(1, 2)); err == nil {
			t.Fatal("the new primary key does not hold")
		}
		if d, err := m.Check(ctx); err != nil || len(d) > 0 {
			t.Fatalf("drift: %v %v", d, err)
		}
		if err := newMigrator(t, open(t, testdb.New(t, tg.Name)), g).RoundTrip(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
