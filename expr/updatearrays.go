package expr

import (
	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

// UpdateArraysStmt is [UpdateRowsStmt] with the rows given column by
// column, one array parameter per column, on dialects with
// [dialect.ArrayParams] (PostgreSQL):
//
//	UPDATE "t" SET "c" = "strata_v"."s0"
//	FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS "strata_v"("k0", "s0", "m0")
//	WHERE "t"."id" = "strata_v"."k0" AND "t"."version" = "strata_v"."m0"
//
// Its parameters are as many as its columns whatever the number of rows,
// so the server binds and plans one small statement where a VALUES list
// of a thousand rows has two thousand parameters or more to bind and a
// plan of its size to make. Build it with [UpdateArrays]. Array columns
// ([schema.Array]) cannot be carried (unnest would flatten them) and fail
// the build with sqlerr.ErrUnsupported.
type UpdateArraysStmt struct {
	t         *TableRef
	key, set  []string
	match     []string
	types     []schema.Type // key, set, match
	arrays    []any
	returning []Expr
}

// UpdateArrays starts an array update of t: key columns find each row,
// set columns get the row's values, match columns (a version) must equal
// the given values for the row to be updated, as for [UpdateRows].
// arrays[i] is a Go slice holding column i (in the order key, set,
// match) of every row, all of one length, of the column's type types[i].
func UpdateArrays(t *TableRef, key, set, match []string, types []schema.Type, arrays []any) *UpdateArraysStmt {
	return &UpdateArraysStmt{t: t, key: key, set: set, match: match, types: types, arrays: arrays}
}

// Returning adds a RETURNING clause (columns of the updated table).
func (u *UpdateArraysStmt) Returning(cols ...Expr) *UpdateArraysStmt {
	u.returning = append(u.returning, cols...)
	return u
}

// WriteStatement writes the UPDATE.
func (u *UpdateArraysStmt) WriteStatement(w *Writer) {
	if !w.d.Features().Has(dialect.ArrayParams) {
		w.Fail(sqlerr.Unsupported(w.d.Name(), "UPDATE ... FROM unnest(array parameters)"))
		return
	}
	n := len(u.key) + len(u.set) + len(u.match)
	switch {
	case len(u.key) == 0 || len(u.set) == 0:
		w.Failf("UpdateArrays of %s needs key and set columns", u.t.name)
		return
	case len(u.types) != n || len(u.arrays) != n:
		w.Failf("UpdateArrays of %s: %d types and %d arrays for %d columns", u.t.name, len(u.types), len(u.arrays), n)
		return
	}
	cols := make([]string, 0, n)
	cols = append(append(append(cols, u.key...), u.set...), u.match...)
	names := (&UpdateRowsStmt{key: u.key, set: u.set, match: u.match}).names()
	v := T(valuesAlias)
	w.Raw("UPDATE ")
	u.t.writeFrom(w)
	w.Raw(" SET ")
	writeSetFromValues(w, u.set, names[len(u.key):])
	w.Raw(" FROM ")
	if !writeUnnest(w, cols, u.types, u.arrays, "update", "UpdateRows") {
		return
	}
	w.Raw(" AS ")
	writeValuesAlias(w, names)
	w.Raw(" WHERE ")
	first := true
	for i, c := range cols {
		if i >= len(u.key) && i < len(u.key)+len(u.set) {
			continue // set columns are not matched
		}
		if !first {
			w.Raw(" AND ")
		}
		first = false
		u.t.C(c).WriteSQL(w)
		w.Raw(" = ")
		v.C(names[i]).WriteSQL(w)
	}
	writeReturning(w, dialect.UpdateReturning, "UPDATE", u.returning)
}
