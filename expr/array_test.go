package expr_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/golden"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

type uuidBytes [16]byte

// TestGoldenArraySQL renders the array operators for every dialect into
// testdata/array_<dialect>.golden (-update rewrites them).
func TestGoldenArraySQL(t *testing.T) {
	a := expr.T("arrays").As("a")
	cases := []struct {
		name string
		cond expr.Expr
	}{
		{"has text", expr.ArrayHas(a.C("tags"), `it's "x"`)},
		{"has bigint", expr.ArrayHas(a.C("ids"), int64(math.MaxInt64))},
		{"has int32", expr.ArrayHas(a.C("ns"), int32(7))},
		{"has bool", expr.ArrayHas(a.C("flags"), true)},
		{"has double", expr.ArrayHas(a.C("xs"), 0.5)},
		{"has uuid", expr.ArrayHas(a.C("refs"), uuidBytes{15: 1})},
		{"overlaps text", expr.ArrayOverlaps(a.C("tags"), []string{"a", "b,c"})},
		{"overlaps bigint", expr.ArrayOverlaps(a.C("ids"), []int64{1, 2})},
		{"overlaps nil", expr.ArrayOverlaps(a.C("tags"), []string(nil))},
		{"contains all text", expr.ArrayContainsAll(a.C("tags"), []string{"a", "b"})},
		{"contains all bigint", expr.ArrayContainsAll(a.C("ids"), []int64{1})},
		{"contains all empty", expr.ArrayContainsAll(a.C("tags"), []string{})},
		{"length", expr.Gt(expr.ArrayLength(a.C("tags")), 2)},
		{"not has", expr.Not(expr.ArrayHas(a.C("tags"), "x"))},
	}
	for _, d := range dialects {
		t.Run(d.Name(), func(t *testing.T) {
			var b strings.Builder
			for _, c := range cases {
				q, args, err := expr.Build(d, expr.Select(a.C("id")).From(a).Where(c.cond))
				fmt.Fprintf(&b, "-- %s\n", c.name)
				if err != nil {
					fmt.Fprintf(&b, "error: %v\n\n", err)
					continue
				}
				fmt.Fprintf(&b, "%s\nargs: %#v\n\n", q, args)
			}
			golden.Check(t, "array_"+d.Name()+".golden", b.String())
		})
	}
}

// TestArrayOperatorValuesAreBound checks that no value reaches the SQL
// text of an array operator on any dialect.
func TestArrayOperatorValuesAreBound(t *testing.T) {
	evil := "'); DROP TABLE arrays; --"
	for _, d := range dialects {
		for _, cond := range []expr.Expr{
			expr.ArrayHas(expr.C("tags"), evil),
			expr.ArrayOverlaps(expr.C("tags"), []string{evil}),
			expr.ArrayContainsAll(expr.C("tags"), []string{evil}),
		} {
			q, args, err := expr.Build(d, expr.Select(expr.C("id")).From(expr.T("arrays")).Where(cond))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(q, "DROP") || len(args) != 1 {
				t.Errorf("%s: value leaked into SQL: %s %v", d.Name(), q, args)
			}
		}
	}
}

// TestArrayOperatorErrors checks that a value no database can compare
// fails the build with a typed error on every dialect, and that a value
// only JSON cannot hold (NaN) fails where the arrays are JSON.
func TestArrayOperatorErrors(t *testing.T) {
	for _, d := range dialects {
		for _, c := range []struct {
			cond  expr.Expr
			want  string
			array bool // an *ArrayError in the chain
		}{
			{expr.ArrayHas(expr.C("tags"), nil), "ArrayHas", true},
			{expr.ArrayHas(expr.C("tags"), []string{"a"}), "element type []string is not supported", true},
			{expr.ArrayHas(expr.C("tags"), uint8(1)), "element type uint8 is not supported", true},
			{expr.ArrayOverlaps(expr.C("tags"), "a"), "ArrayOverlaps needs a slice, got string", false},
			{expr.ArrayContainsAll(expr.C("tags"), nil), "ArrayContainsAll needs a slice, got <nil>", false},
			{expr.ArrayContainsAll(expr.C("tags"), []uint{1}), "element type uint is not supported", true},
		} {
			_, _, err := expr.Build(d, expr.Select(expr.C("id")).From(expr.T("arrays")).Where(c.cond))
			if err == nil || !strings.Contains(err.Error(), c.want) || errors.Is(err, dialect.ErrArrayValue) != c.array {
				t.Errorf("%s: got %v, want an error containing %q (array error: %v)", d.Name(), err, c.want, c.array)
			}
		}
		_, _, err := expr.Build(d, expr.Select(expr.C("id")).From(expr.T("arrays")).Where(expr.ArrayHas(expr.C("xs"), math.NaN())))
		if json := dialect.ArrayStyleOf(d) != dialect.NativeArrays; json != errors.Is(err, dialect.ErrArrayValue) {
			t.Errorf("%s: ArrayHas(NaN): %v", d.Name(), err)
		}
	}
}

// noArrays is a dialect without array columns.
type noArrays struct{ dialect.Dialect }

func TestArrayOperatorsNeedArrayColumns(t *testing.T) {
	d := noArrays{dialects[0]}
	_, _, err := expr.Build(d, expr.Select(expr.C("id")).From(expr.T("arrays")).Where(expr.ArrayHas(expr.C("tags"), "x")))
	if !errors.Is(err, sqlerr.ErrUnsupported) {
		t.Errorf("got %v, want ErrUnsupported", err)
	}
}

// TestInsertArraysRefusesArrayColumns: unnest of a two-dimensional array
// parameter yields one row per element, so an array column cannot go
// through InsertArrays; the build says so instead of inserting wrong rows.
func TestInsertArraysRefusesArrayColumns(t *testing.T) {
	s := expr.InsertArrays(expr.T("arrays"), []string{"id", "tags"}, []schema.Type{schema.BigInt(), schema.Array(schema.Text())},
		[]any{[]int64{1}, [][]string{{"a", "b"}}})
	_, _, err := expr.Build(dialects[0], s)
	if !errors.Is(err, sqlerr.ErrUnsupported) || !strings.Contains(err.Error(), "array column tags") {
		t.Errorf("got %v, want ErrUnsupported naming the column", err)
	}
}

// UpdateArrays refuses array columns for the same reason as InsertArrays,
// and a statement whose arrays do not match its columns.
func TestUpdateArraysRefusesArrayColumnsAndMismatchedArrays(t *testing.T) {
	s := expr.UpdateArrays(expr.T("arrays"), []string{"id"}, []string{"tags"}, nil,
		[]schema.Type{schema.BigInt(), schema.Array(schema.Text())}, []any{[]int64{1}, [][]string{{"a", "b"}}})
	_, _, err := expr.Build(dialects[0], s)
	if !errors.Is(err, sqlerr.ErrUnsupported) || !strings.Contains(err.Error(), "array column tags") {
		t.Errorf("got %v, want ErrUnsupported naming the column", err)
	}
	s = expr.UpdateArrays(expr.T("t"), []string{"id"}, []string{"n"}, []string{"version"},
		[]schema.Type{schema.BigInt(), schema.Integer(), schema.Integer()}, []any{[]int64{1}, []int32{2}})
	if _, _, err := expr.Build(dialects[0], s); err == nil || !strings.Contains(err.Error(), "2 arrays for 3 columns") {
		t.Errorf("got %v, want the count of arrays refused", err)
	}
}
