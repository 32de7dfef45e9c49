package migrate_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/dialect/mysqldialect"
	"github.com/strata-go/strata/dialect/pgdialect"
	"github.com/strata-go/strata/dialect/sqlitedialect"
	"github.com/strata-go/strata/internal/golden"
	"github.com/strata-go/strata/migrate"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

var dialects = []dialect.Dialect{pgdialect.New(), mysqldialect.New(), sqlitedialect.New()}

func md(tables ...*schema.Table) *schema.MetaData {
	m := schema.NewMetaData()
	m.MustAdd(tables...)
	if err := m.Validate(); err != nil {
		panic(err)
	}
	return m
}

func id() *schema.Column {
	return &schema.Column{Name: "id", Type: schema.BigInt(), AutoIncrement: true}
}
func pk() *schema.PrimaryKey {
	return &schema.PrimaryKey{Columns: []string{"id"}}
}

func fk(col, ref string, refCols ...string) *schema.ForeignKey {
	if len(refCols) == 0 {
		refCols = []string{"id"}
	}
	return &schema.ForeignKey{Columns: []string{col}, RefTable: ref, RefColumns: refCols}
}

// chain is a -> b -> c -> d (d references c, ...).
func chain() *schema.MetaData {
	var ts []*schema.Table
	prev := ""
	for _, n := range []string{"a", "b", "c", "d"} {
		t := &schema.Table{Name: n, Columns: []*schema.Column{id()}, PrimaryKey: pk()}
		if prev != "" {
			t.Columns = append(t.Columns, &schema.Column{Name: prev + "_id", Type: schema.BigInt()})
			t.ForeignKeys = []*schema.ForeignKey{fk(prev+"_id", prev)}
		}
		ts = append(ts, t)
		prev = n
	}
	// declare them out of order: the plan must not depend on it
	return md(ts[3], ts[1], ts[0], ts[2])
}

// cycle is authors <-> books (each references the other) plus reviews,
// which references books outside the cycle.
func cycle() *schema.MetaData {
	return md(
		&schema.Table{Name: "authors", Columns: []*schema.Column{id(), {Name: "best_book_id", Type: schema.BigInt(), Nullable: true}},
			PrimaryKey: pk(), ForeignKeys: []*schema.ForeignKey{fk("best_book_id", "books")}},
		&schema.Table{Name: "books", Columns: []*schema.Column{id(), {Name: "author_id", Type: schema.BigInt()}},
			PrimaryKey: pk(), ForeignKeys: []*schema.ForeignKey{fk("author_id", "authors")}},
		&schema.Table{Name: "reviews", Columns: []*schema.Column{id(), {Name: "book_id", Type: schema.BigInt()}},
			PrimaryKey: pk(), ForeignKeys: []*schema.ForeignKey{fk("book_id", "books")}},
	)
}

func parentChild(withUnique, withChild bool) *schema.MetaData {
	parent := &schema.Table{Name: "parent", Columns: []*schema.Column{id(), {Name: "code", Type: schema.Varchar(10)}}, PrimaryKey: pk()}
	if withUnique {
		parent.Uniques = []*schema.Unique{{Columns: []string{"code"}}}
	}
	ts := []*schema.Table{parent}
	if withChild {
		ts = append(ts, &schema.Table{Name: "child", Columns: []*schema.Column{id(), {Name: "parent_code", Type: schema.Varchar(10)}},
			PrimaryKey: pk(), ForeignKeys: []*schema.ForeignKey{fk("parent_code", "parent", "code")}})
	}
	return md(ts...)
}

// dropParent: parent and child (child.parent_id -> parent); then parent is
// removed together with the child's foreign key column.
func dropParent(withParent bool) *schema.MetaData {
	child := &schema.Table{Name: "child", Columns: []*schema.Column{id(), {Name: "name", Type: schema.Text()}}, PrimaryKey: pk()}
	if !withParent {
		return md(child)
	}
	child.Columns = append(child.Columns, &schema.Column{Name: "parent_id", Type: schema.BigInt(), Nullable: true})
	child.ForeignKeys = []*schema.ForeignKey{fk("parent_id", "parent")}
	child.Indexes = []*schema.Index{{Columns: []string{"parent_id"}}}
	return md(child, &schema.Table{Name: "parent", Columns: []*schema.Column{id()}, PrimaryKey: pk()})
}

type planCase struct {
	name     string
	from, to *schema.MetaData
}

func planCases() []planCase {
	return []planCase{
		{"chain", schema.NewMetaData(), chain()},
		{"cycle", schema.NewMetaData(), cycle()},
		{"unique_same_revision", parentChild(false, false), parentChild(true, true)},
		{"drop_parent", dropParent(true), dropParent(false)},
		{"renames", renameModels(false), renameModels(true)},
		{"enum_values", enumModels("sad", "ok", "happy"), enumModels("sad", "ok", "happy", "ecstatic")},
		{"key_column_types", keyTypeModels(schema.Integer()), keyTypeModels(schema.BigInt())},
		{"drop_fk_index", fkIndexModels(true), fkIndexModels(false)},
		{"autoincrement", counterModels(false), counterModels(true)},
		{"rename_key_of_altered_column", renamedKeyModels(false), renamedKeyModels(true)},
		{"deferrability", deferredModels(false), deferredModels(true)},
	}
}

func opLines(ops []migrate.Op) string {
	var b strings.Builder
	for _, op := range ops {
		b.WriteString(op.String() + "\n")
	}
	return b.String()
}

// TestPlanOrdering plans each ordering case both ways, checks that the
// plan is exact (applying it to from gives to) and renders the SQL of
// every dialect into a golden file.
func TestPlanOrdering(t *testing.T) {
	for _, c := range planCases() {
		t.Run(c.name, func(t *testing.T) {
			renames := migrate.RenameHints(c.to)
			up, err := migrate.Plan(c.from, c.to, migrate.PlanOptions{Renames: renames})
			if err != nil {
				t.Fatal(err)
			}
			down, err := migrate.Plan(c.to, c.from, migrate.PlanOptions{Renames: migrate.InvertRenames(renames)})
			if err != nil {
				t.Fatal(err)
			}
			checkExact(t, c.from, up, c.to)
			checkExact(t, c.to, down, c.from)
			var b strings.Builder
			b.WriteString("-- upgrade\n" + opLines(up) + "-- downgrade\n" + opLines(down))
			for _, d := range dialects {
				for _, dir := range []struct {
					name   string
					before *schema.MetaData
					ops    []migrate.Op
				}{{"upgrade", c.from, up}, {"downgrade", c.to, down}} {
					steps, err := migrate.Render(d, dir.before, dir.ops)
					if errors.Is(err, sqlerr.ErrUnsupported) {
						// what a database cannot do is an error, in the golden file too
						b.WriteString("\n-- " + d.Name() + " " + dir.name + "\n-- error: " + err.Error() + "\n")
						continue
					}
					if err != nil {
						t.Fatalf("%s %s: %v", d.Name(), dir.name, err)
					}
					b.WriteString("\n-- " + d.Name() + " " + dir.name + "\n")
					for _, s := range steps {
						b.WriteString(s.String() + ";\n")
					}
				}
			}
			golden.Check(t, "plan_"+c.name+".golden", b.String())
			// determinism: planning again gives the same list
			again, _ := migrate.Plan(c.from, c.to, migrate.PlanOptions{Renames: renames})
			if opLines(again) != opLines(up) {
				t.Fatal("plan is not deterministic")
			}
		})
	}
}

func checkExact(t *testing.T, from *schema.MetaData, ops []migrate.Op, want *schema.MetaData) {
	t.Helper()
	got, err := migrate.ApplyAll(from, ops)
	if err != nil {
		t.Fatal(err)
	}
	again, err := migrate.Plan(got, want, migrate.PlanOptions{})
	if err != nil || len(again) > 0 {
		t.Fatalf("plan is not exact: replanning after applying gives\n%s%v", opLines(again), err)
	}
}

func TestInverseOfEveryOp(t *testing.T) {
	from, to := parentChild(false, false), parentChild(true, true)
	up, err := migrate.Plan(from, to, migrate.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := migrate.InverseAll(up)
	if err != nil {
		t.Fatal(err)
	}
	checkExact(t, to, inv, from)
	if _, err := (migrate.RawSQL{SQL: []string{"SELECT 1"}}).Inverse(); !errors.Is(err, migrate.ErrIrreversible) {
		t.Fatalf("raw SQL without reverse: %v", err)
	}
}

func TestPlanChanges(t *testing.T) {
	base := func() *schema.Table {
		return &schema.Table{Name: "items", Columns: []*schema.Column{id(),
			{Name: "name", Type: schema.Varchar(20)},
			{Name: "qty", Type: schema.Integer(), Nullable: true},
			{Name: "note", Type: schema.Text(), Nullable: true},
		}, PrimaryKey: pk(), Checks: []*schema.Check{{Name: "ck_qty", Expr: "qty > 0"}}}
	}
	from := md(base())
	t2 := base()
	t2.Columns[1].Type = schema.Varchar(10)          // narrowing
	t2.Columns[2].Nullable = false                   // NOT NULL without default
	t2.Columns[2].Default = nil                      //
	t2.Columns[3].Comment = "free text"              // comment
	t2.Columns[3].Default = schema.DefaultStr("n/a") // default
	t2.Columns = append(t2.Columns, &schema.Column{Name: "sku", Type: schema.Varchar(8), RenamedFrom: "name"})
	t2.Columns = deleteColumn(t2.Columns, 1)
	t2.Checks[0].Expr = "qty >= 0"
	t2.Comment = "stock items"
	t2.Indexes = []*schema.Index{{Columns: []string{"sku"}}}
	to := md(t2)
	up, err := migrate.Plan(from, to, migrate.PlanOptions{Renames: migrate.RenameHints(to)})
	if err != nil {
		t.Fatal(err)
	}
	checkExact(t, from, up, to)
	down, err := migrate.Plan(to, from, migrate.PlanOptions{Renames: migrate.InvertRenames(migrate.RenameHints(to))})
	if err != nil {
		t.Fatal(err)
	}
	checkExact(t, to, down, from)
	var b strings.Builder
	b.WriteString("-- upgrade\n" + opLines(up))
	for _, op := range up {
		if r := migrate.Destructive(op); r != "" {
			b.WriteString("destructive: " + r + "\n")
		}
	}
	b.WriteString("-- downgrade\n" + opLines(down))
	for _, d := range dialects {
		steps, err := migrate.Render(d, from, up)
		if err != nil {
			t.Fatalf("%s: %v", d.Name(), err)
		}
		b.WriteString("\n-- " + d.Name() + " upgrade\n")
		for _, s := range steps {
			b.WriteString(s.String() + ";\n")
		}
	}
	golden.Check(t, "plan_changes.golden", b.String())
}

func deleteColumn(cs []*schema.Column, i int) []*schema.Column {
	return append(cs[:i:i], cs[i+1:]...)
}

// renamedKeyModels is a table adopted from PostgreSQL (primary key
// parent_pkey, id not generated), or as the models declare it (pk_parent,
// id autoincrement): the key is renamed and its column altered in one
// plan, which is no cycle.
func renamedKeyModels(declared bool) *schema.MetaData {
	t := &schema.Table{Name: "parent", Columns: []*schema.Column{{Name: "id", Type: schema.BigInt(), AutoIncrement: declared}},
		PrimaryKey: &schema.PrimaryKey{Name: "parent_pkey", Columns: []string{"id"}}}
	if declared {
		t.PrimaryKey.Name = ""
	}
	return md(t)
}
