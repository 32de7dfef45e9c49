package schema_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/strata-go/strata/schema"
)

func tbl(name string, fks ...*schema.ForeignKey) *schema.Table {
	t := &schema.Table{
		Name:       name,
		Columns:    []*schema.Column{{Name: "id", Type: schema.BigInt()}},
		PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
	}
	for _, fk := range fks {
		col := fk.Columns[0]
		if t.Column(col) == nil {
			t.Columns = append(t.Columns, &schema.Column{Name: col, Type: schema.BigInt(), Nullable: true})
		}
		t.ForeignKeys = append(t.ForeignKeys, fk)
	}
	return t
}

func fk(col, ref string) *schema.ForeignKey {
	return &schema.ForeignKey{Columns: []string{col}, RefTable: ref, RefColumns: []string{"id"}}
}

func names(ts []*schema.Table) string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return strings.Join(out, " ")
}

func TestPlanCreateOrdersByDependencyWithNameTies(t *testing.T) {
	md := schema.NewMetaData()
	md.MustAdd(
		tbl("z_child", fk("a_id", "a_parent"), fk("m_id", "m_mid")),
		tbl("m_mid", fk("a_id", "a_parent")),
		tbl("a_parent"),
		tbl("b_free"),
		tbl("tree", fk("parent_id", "tree")), // self-reference stays inline
	)
	for range 5 { // map iteration must not leak into the order
		plan, err := schema.PlanCreate(md, true)
		if err != nil {
			t.Fatal(err)
		}
		if got := names(plan.Tables); got != "a_parent b_free m_mid tree z_child" {
			t.Fatalf("order = %s", got)
		}
		if len(plan.Deferred) != 0 {
			t.Fatalf("deferred %v without a cycle", plan.Deferred)
		}
	}
}

func TestPlanCreateDefersOnlyCycleForeignKeys(t *testing.T) {
	md := schema.NewMetaData()
	md.MustAdd(
		tbl("a", fk("b_id", "b"), fk("root_id", "root")),
		tbl("b", fk("c_id", "c")),
		tbl("c", fk("a_id", "a"), fk("root_id", "root")),
		tbl("root"),
		tbl("leaf", fk("a_id", "a")),
	)
	plan, err := schema.PlanCreate(md, true)
	if err != nil {
		t.Fatal(err)
	}
	var deferred []string
	for _, d := range plan.Deferred {
		deferred = append(deferred, d.FK.Name)
	}
	// a->b, b->c, c->a are on the cycle; the edges to root and from leaf are not.
	if got := strings.Join(deferred, " "); got != "fk_a_b_id_b fk_b_c_id_c fk_c_a_id_a" {
		t.Fatalf("deferred = %s", got)
	}
	if got := names(plan.Tables); got != "b root a c leaf" {
		t.Fatalf("order = %s", got)
	}
	inline, _ := schema.PlanCreate(md, false)
	if len(inline.Deferred) != 0 {
		t.Fatal("deferCycles=false deferred something")
	}
}

func TestGraphCyclesAndSort(t *testing.T) {
	g := schema.NewGraph()
	n := func(s string) schema.Node { return schema.Node{Kind: schema.NodeTable, Table: s} }
	g.Depend(n("a"), n("b"))
	g.Depend(n("b"), n("a"))
	g.Depend(n("c"), n("a"))
	g.Depend(n("d"), n("d"))
	cycles := g.Cycles()
	if fmt.Sprint(cycles) != "[[{2 a } {2 b }] [{2 d }]]" {
		t.Fatalf("cycles = %v", cycles)
	}
	if _, ok := g.Sort(); ok {
		t.Fatal("Sort succeeded on a cyclic graph")
	}
	h := schema.NewGraph()
	h.Depend(n("x"), n("y"))
	h.Add(n("a"))
	order, ok := h.Sort()
	if !ok || fmt.Sprint(order) != "[{2 a } {2 y } {2 x }]" {
		t.Fatalf("order = %v %v", order, ok)
	}
}

func TestDependencyGraphForeignKeyDependsOnExactKey(t *testing.T) {
	md := schema.NewMetaData()
	parent := tbl("parent")
	parent.Columns = append(parent.Columns, &schema.Column{Name: "code", Type: schema.Varchar(10)})
	parent.Uniques = []*schema.Unique{{Columns: []string{"code"}}}
	child := tbl("child")
	child.Columns = append(child.Columns, &schema.Column{Name: "parent_code", Type: schema.Varchar(10)})
	child.ForeignKeys = []*schema.ForeignKey{{Columns: []string{"parent_code"}, RefTable: "parent", RefColumns: []string{"code"}}}
	md.MustAdd(parent, child)
	g := schema.DependencyGraph(md)
	deps := g.Deps(schema.Node{Kind: schema.NodeForeignKey, Table: "child", Name: "fk_child_parent_code_parent"})
	want := "[{2 child } {3 parent uq_parent_code}]"
	if fmt.Sprint(deps) != want {
		t.Fatalf("deps = %v, want %s", deps, want)
	}
	order, ok := g.Sort()
	if !ok {
		t.Fatal("constraint graph has a cycle")
	}
	pos := map[schema.Node]int{}
	for i, x := range order {
		pos[x] = i
	}
	if pos[schema.Node{Kind: schema.NodeKey, Table: "parent", Name: "uq_parent_code"}] > pos[schema.Node{Kind: schema.NodeForeignKey, Table: "child", Name: "fk_child_parent_code_parent"}] {
		t.Fatal("foreign key sorted before the unique key it references")
	}
}

func TestNamingConventionAndShorten(t *testing.T) {
	md := schema.NewMetaData()
	long := strings.Repeat("ü", 30) // 60 bytes
	tb := &schema.Table{
		Name:       "orders",
		Columns:    []*schema.Column{{Name: "id", Type: schema.Integer()}, {Name: long, Type: schema.Integer()}},
		PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
		Uniques:    []*schema.Unique{{Columns: []string{long}}},
		Indexes:    []*schema.Index{{Columns: []string{"id", long}}},
		Checks:     []*schema.Check{{Expr: "id > 0"}},
	}
	md.MustAdd(tb)
	if tb.PrimaryKey.Name != "pk_orders" {
		t.Errorf("pk name %q", tb.PrimaryKey.Name)
	}
	for _, n := range []string{tb.Uniques[0].Name, tb.Indexes[0].Name, tb.Checks[0].Name} {
		if len(n) > schema.MaxIdentifierLen {
			t.Errorf("name %q is %d bytes", n, len(n))
		}
		if !strings.HasPrefix(n, "uq_orders_") && !strings.HasPrefix(n, "ix_orders_") && !strings.HasPrefix(n, "ck_orders_") {
			t.Errorf("name %q lost its prefix", n)
		}
	}
	if tb.Uniques[0].Name == tb.Indexes[0].Name {
		t.Error("two long names collapsed into one")
	}
	if a, b := schema.Shorten(strings.Repeat("x", 100), 63), schema.Shorten(strings.Repeat("x", 100), 63); a != b || len(a) != 63 {
		t.Errorf("Shorten not deterministic or wrong length: %q", a)
	}
	if s := schema.Shorten("short", 63); s != "short" {
		t.Errorf("Shorten changed a short name: %q", s)
	}
}

func TestValidationNamesTheField(t *testing.T) {
	cases := []struct {
		t    *schema.Table
		want string
	}{
		{&schema.Table{Name: "t"}, `table "t": has no columns`},
		{&schema.Table{Name: "t", Columns: []*schema.Column{{Name: "a", Type: schema.Varchar(0)}}}, `column a: varchar needs a positive length`},
		{&schema.Table{Name: "t", Columns: []*schema.Column{{Name: "a"}}}, `column a: no type given`},
		{&schema.Table{Name: "t", Columns: []*schema.Column{{Name: "a", Type: schema.Integer()}, {Name: "a", Type: schema.Integer()}}}, `column a: defined twice`},
		{&schema.Table{Name: "t", Columns: []*schema.Column{{Name: "a", Type: schema.Text(), AutoIncrement: true}}}, `column a: autoincrement needs an integer`},
		{&schema.Table{Name: "t", Columns: []*schema.Column{{Name: "a", Type: schema.Integer(), Nullable: true}}, PrimaryKey: &schema.PrimaryKey{Columns: []string{"a"}}}, `column "a" is nullable`},
		{&schema.Table{Name: "t", Columns: []*schema.Column{{Name: "a", Type: schema.Integer()}}, PrimaryKey: &schema.PrimaryKey{Columns: []string{"b"}}}, `unknown column "b"`},
		{&schema.Table{Name: "t", Columns: []*schema.Column{{Name: "a", Type: schema.Integer()}}, ForeignKeys: []*schema.ForeignKey{{Columns: []string{"a"}, RefTable: "u", RefColumns: []string{"id"}, OnDelete: schema.SetNull}}}, `SET NULL on NOT NULL column "a"`},
		{&schema.Table{Name: "t", Columns: []*schema.Column{{Name: "a", Type: schema.Integer(), Default: &schema.Default{Kind: schema.DefaultNumber, Value: "1; DROP TABLE x"}}}}, `is not a number`},
		{&schema.Table{Name: "t", Columns: []*schema.Column{{Name: "a", Type: schema.Enum("e")}}}, `enum e has no values`},
		{&schema.Table{Name: "t", Columns: []*schema.Column{{Name: "a", Type: schema.Enum("e", "x", "x")}}}, `lists "x" twice`},
		{&schema.Table{Name: strings.Repeat("t", 64), Columns: []*schema.Column{{Name: "a", Type: schema.Integer()}}}, `longer than 63`},
		{&schema.Table{Name: "t", Columns: []*schema.Column{{Name: "a ", Type: schema.Integer()}}}, `ends with a space`},
	}
	for _, c := range cases {
		err := schema.NewMetaData().Add(c.t)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
		var ve *schema.ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, schema.ErrInvalid) {
			t.Errorf("%v is not a *ValidationError matching ErrInvalid", err)
		}
	}
}

func TestValidateCrossTable(t *testing.T) {
	md := schema.NewMetaData()
	p := tbl("p")
	p.Columns = append(p.Columns, &schema.Column{Name: "code", Type: schema.Text()})
	c := tbl("c")
	c.Columns = append(c.Columns, &schema.Column{Name: "pc", Type: schema.Text()}, &schema.Column{Name: "pid", Type: schema.Text()})
	c.ForeignKeys = []*schema.ForeignKey{
		{Columns: []string{"pc"}, RefTable: "p", RefColumns: []string{"code"}}, // not a key
		{Columns: []string{"pid"}, RefTable: "p", RefColumns: []string{"id"}},  // type mismatch
		{Columns: []string{"pid"}, RefTable: "nope", RefColumns: []string{"id"}},
	}
	md.MustAdd(p, c)
	err := md.Validate()
	for _, want := range []string{"neither its primary key nor a unique constraint", "column pid is text but references p.id of type bigint", `unknown table "nope"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want %q", err, want)
		}
	}
}

func TestNormalizeExpr(t *testing.T) {
	for _, c := range [][2]string{
		{"qty > 0 AND qty < 1000", "((qty > 0) AND (qty < 1000))"},
		{`"weight" > 10`, "(weight > (10)::double precision)"},
		{"status = 'A b'", "((status)::text = 'A b'::text)"},
		{"`qty` > 0", "qty>0"},
		{`"it's" > 'a'`, `("it's" > 'a'::text)`},
	} {
		if a, b := schema.NormalizeExpr(c[0]), schema.NormalizeExpr(c[1]); a != b {
			t.Errorf("NormalizeExpr(%q) = %q, NormalizeExpr(%q) = %q", c[0], a, c[1], b)
		}
	}
	if schema.NormalizeExpr("a = 'X'") == schema.NormalizeExpr("a = 'x'") {
		t.Error("NormalizeExpr folded case inside a string literal")
	}
}

func TestArrayTypeStringEqualElem(t *testing.T) {
	a := schema.Array(schema.Text())
	if a.Kind != schema.KindArray || a.String() != "text[]" {
		t.Fatalf("Array(Text()) = %v %q", a.Kind, a.String())
	}
	if got := schema.Array(schema.BigInt()).String(); got != "bigint[]" {
		t.Errorf("String = %q, want bigint[]", got)
	}
	if !a.Elem().Equal(schema.Text()) {
		t.Errorf("Elem = %v, want text", a.Elem())
	}
	if e := schema.Text().Elem(); e.Kind != schema.KindInvalid {
		t.Errorf("Text().Elem() = %v, want the invalid type", e)
	}
	if !a.Equal(schema.Array(schema.Text())) {
		t.Error("text[] != text[]")
	}
	for _, u := range []schema.Type{schema.Array(schema.BigInt()), schema.Text(), schema.JSON(), {Kind: schema.KindArray}} {
		if a.Equal(u) || u.Equal(a) {
			t.Errorf("text[] equals %v", u)
		}
	}
	// A copy of the table keeps its array types, element included.
	tb := &schema.Table{Name: "t", Columns: []*schema.Column{{Name: "tags", Type: a}}}
	if c := tb.Clone(); !c.Columns[0].Type.Equal(a) || c.Columns[0].Type.String() != "text[]" {
		t.Errorf("Clone lost the element: %v", c.Columns[0].Type)
	}
}

func TestArrayValidationRefusesUnportableElements(t *testing.T) {
	ok := []schema.Type{schema.Text(), schema.BigInt(), schema.Integer(), schema.Double(), schema.Boolean(), schema.UUID()}
	for _, e := range ok {
		tb := &schema.Table{Name: "t", Columns: []*schema.Column{{Name: "a", Type: schema.Array(e)}}}
		if err := schema.NewMetaData().Add(tb); err != nil {
			t.Errorf("Array(%s): %v", e, err)
		}
	}
	bad := []struct {
		typ  schema.Type
		want string
	}{
		{schema.Array(schema.Array(schema.Text())), "arrays of arrays are not supported"},
		{schema.Array(schema.Enum("mood", "sad", "happy")), "arrays of enum mood(sad,happy) are not portable"},
		{schema.Array(schema.JSON()), "arrays of json are not portable"},
		{schema.Array(schema.Custom("point")), "arrays of custom point are not portable"},
		{schema.Array(schema.Varchar(10)), "arrays of varchar(10) are not portable"},
		{schema.Array(schema.Timestamp()), "arrays of timestamp are not portable"},
		{schema.Array(schema.Type{}), "array has no element type"},
		{schema.Type{Kind: schema.KindArray}, "array has no element type"},
	}
	for _, c := range bad {
		tb := &schema.Table{Name: "t", Columns: []*schema.Column{{Name: "a", Type: c.typ}}}
		err := schema.NewMetaData().Add(tb)
		if err == nil || !strings.Contains(err.Error(), "column a: "+c.want) || !errors.Is(err, schema.ErrInvalid) {
			t.Errorf("%v: got %v, want %q", c.typ, err, c.want)
		}
	}
}
