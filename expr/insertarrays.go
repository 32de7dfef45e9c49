package expr

import (
	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

// InsertArraysStmt inserts many rows given column by column, one array
// parameter per column, on dialects with [dialect.ArrayParams]
// (PostgreSQL):
//
//	INSERT INTO "t" ("a", "b") SELECT * FROM unnest($1::text[], $2::bigint[]) RETURNING "id"
//
// The statement has as many parameters as columns whatever the number of
// rows, so one statement carries a batch of any size, and the server parses
// and plans one small statement: the fastest insert that can still return
// generated keys. Rows are inserted in array order. Build it with
// [InsertArrays]. Array columns ([schema.Array]) cannot be carried (unnest
// would flatten them) and fail the build with sqlerr.ErrUnsupported.
type InsertArraysStmt struct {
	t         *TableRef
	cols      []string
	types     []schema.Type
	arrays    []any
	returning []Expr
}

// InsertArrays starts an array insert into t: arrays[i] is a Go slice
// holding column cols[i] of every row (all of one length), of the column's
// type types[i].
func InsertArrays(t *TableRef, cols []string, types []schema.Type, arrays []any) *InsertArraysStmt {
	return &InsertArraysStmt{t: t, cols: cols, types: types, arrays: arrays}
}

// Returning adds a RETURNING clause.
func (s *InsertArraysStmt) Returning(cols ...Expr) *InsertArraysStmt {
	s.returning = append(s.returning, cols...)
	return s
}

// WriteStatement writes the INSERT.
func (s *InsertArraysStmt) WriteStatement(w *Writer) {
	if !w.d.Features().Has(dialect.ArrayParams) {
		w.Fail(sqlerr.Unsupported(w.d.Name(), "INSERT ... SELECT FROM unnest(array parameters)"))
		return
	}
	if len(s.cols) == 0 || len(s.cols) != len(s.types) || len(s.cols) != len(s.arrays) {
		w.Failf("InsertArrays into %s: %d columns, %d types, %d arrays", s.t.name, len(s.cols), len(s.types), len(s.arrays))
		return
	}
	w.Raw("INSERT INTO ")
	s.t.writeFrom(w)
	w.Raw(" (")
	w.identList(s.cols)
	w.Raw(") SELECT * FROM ")
	if !writeUnnest(w, s.cols, s.types, s.arrays, "insert", "a multi-row INSERT") {
		return
	}
	writeReturning(w, dialect.InsertReturning, "INSERT", s.returning)
}

// writeUnnest writes unnest($1::type[], ...) of one array parameter per
// column, typed as the column. An array column fails the build (verb, and
// what to use instead, name it in the error): unnest would flatten a
// two-dimensional array parameter into one row per element (and ragged
// rows cannot be one). It reports whether it wrote the call.
func writeUnnest(w *Writer, cols []string, types []schema.Type, arrays []any, verb, instead string) bool {
	w.Raw("unnest(")
	for i, a := range arrays {
		if i > 0 {
			w.Raw(", ")
		}
		if types[i].Kind == schema.KindArray {
			w.Fail(sqlerr.Unsupported(w.d.Name(), verb+" array column "+cols[i]+" through unnest(array parameters); use "+instead))
			return false
		}
		typ, err := w.d.TypeSQL(types[i])
		if err != nil {
			w.Fail(err)
			return false
		}
		w.Arg(a)
		w.Raw("::")
		w.Raw(typ)
		w.Raw("[]")
	}
	w.Raw(")")
	return true
}
