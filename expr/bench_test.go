package expr_test

import (
	"testing"

	"github.com/strata-go/strata/dialect/pgdialect"
	"github.com/strata-go/strata/expr"
)

// BenchmarkBuildSelectByKey measures rendering the ORM's hottest statement:
// one row by primary key.
func BenchmarkBuildSelectByKey(b *testing.B) {
	d := pgdialect.New()
	t := expr.T("users")
	b.ReportAllocs()
	for b.Loop() {
		q := expr.Select(t.C("id"), t.C("name"), t.C("age")).From(t).Where(expr.Eq(t.C("id"), 42))
		if _, _, err := expr.Build(d, q); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuildInsert100 measures a 100-row, 3-column INSERT.
func BenchmarkBuildInsert100(b *testing.B) {
	d := pgdialect.New()
	t := expr.T("users")
	b.ReportAllocs()
	for b.Loop() {
		q := expr.Insert(t).Columns("id", "name", "age")
		for i := range 100 {
			q.Values(i, "name", i)
		}
		if _, _, err := expr.Build(d, q); err != nil {
			b.Fatal(err)
		}
	}
}
