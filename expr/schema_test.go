package expr_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/golden"
	"github.com/strata-go/strata/schema"
)

// TestTableInSchema: a table of a named schema (from metadata, or by
// InSchema) is written "sch"."t" in FROM, JOIN, INSERT, UPDATE and DELETE,
// and its columns "sch"."t"."c" unless it has an alias (a golden file for
// PostgreSQL, the dialect with schemas).
func TestTableInSchema(t *testing.T) {
	orders := &schema.Table{Schema: "sales", Name: "orders", Columns: []*schema.Column{
		{Name: "id", Type: schema.BigInt()}, {Name: "total", Type: schema.Integer()}}}
	o := expr.Of(orders)
	c := expr.T("customers").InSchema("crm").As("c")
	if o.Schema() != "sales" || c.Schema() != "crm" || expr.T("x").Schema() != "" {
		t.Fatalf("schemas: %q %q", o.Schema(), c.Schema())
	}
	stmts := []expr.Statement{
		expr.Select(o.C("id"), c.C("name"), expr.StarOf(o)).From(o).Join(c, expr.Eq(c.C("id"), o.C("id"))).Where(expr.Gt(o.C("total"), 10)),
		expr.Insert(o).Columns("id", "total").Values(1, 2).Returning(o.C("id")),
		expr.Update(o).Set("total", 3).Where(expr.Eq(o.C("id"), 1)),
		expr.Delete(o).Where(expr.Eq(o.C("id"), 1)),
	}
	var b strings.Builder
	for _, s := range stmts {
		q, args, err := expr.Build(dialects[0], s)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s\nargs: %v\n\n", q, args)
	}
	golden.Check(t, "schema_postgres.golden", b.String())
}
