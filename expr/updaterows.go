package expr

import (
	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/schema"
)

// UpdateRowsStmt updates many rows, each by its key and each with its own
// values, in one statement. It is what a unit of work sends for a group of
// objects whose same columns changed. Build it with [UpdateRows].
//
// PostgreSQL and SQLite ([dialect.UpdateFrom]) get
//
//	WITH "strata_v"("k0", "s0", "m0") AS (VALUES (?, ?, ?), ...)
//	UPDATE "t" SET "c" = "strata_v"."s0" FROM "strata_v"
//	WHERE "t"."id" = "strata_v"."k0" AND "t"."version" = "strata_v"."m0"
//
// (PostgreSQL casts the first row's parameters to the column types,
// [dialect.CastParams], since a bare parameter in VALUES has none), and
// MariaDB gets
//
//	UPDATE `t` JOIN (SELECT ? AS `k0`, ? AS `s0`, ? AS `m0` UNION ALL SELECT ?, ?, ?) AS `strata_v`
//	ON `t`.`id` = `strata_v`.`k0` AND ... SET `t`.`c` = `strata_v`.`s0`
type UpdateRowsStmt struct {
	t         *TableRef
	key, set  []string
	match     []string
	types     []schema.Type // key, set, match
	rows      [][]any
	returning []Expr
}

// UpdateRows starts a keyed multi-row UPDATE of t: key columns find each
// row, set columns get the row's values, match columns (a version) must
// equal the given values for the row to be updated. types gives the column
// types in that order (key, set, match), for dialects whose parameters
// need a cast.
func UpdateRows(t *TableRef, key, set, match []string, types []schema.Type) *UpdateRowsStmt {
	return &UpdateRowsStmt{t: t, key: key, set: set, match: match, types: types}
}

// Row adds one row: its key values, new values and match values, in the
// order of the columns given to UpdateRows.
func (u *UpdateRowsStmt) Row(vals ...any) *UpdateRowsStmt {
	u.rows = append(u.rows, vals)
	return u
}

// Returning adds a RETURNING clause (columns of the updated table), on
// dialects with [dialect.UpdateReturning].
func (u *UpdateRowsStmt) Returning(cols ...Expr) *UpdateRowsStmt {
	u.returning = append(u.returning, cols...)
	return u
}

const valuesAlias = "strata_v"

func (u *UpdateRowsStmt) names() []string {
	var out []string
	for i := range u.key {
		out = append(out, "k"+itoa(i))
	}
	for i := range u.set {
		out = append(out, "s"+itoa(i))
	}
	for i := range u.match {
		out = append(out, "m"+itoa(i))
	}
	return out
}

// writeValuesAlias writes "strata_v"("k0", ...): the rows' alias and
// their column names.
func writeValuesAlias(w *Writer, names []string) {
	w.Ident(valuesAlias)
	w.Raw("(")
	w.identList(names)
	w.Raw(")")
}

// writeSetFromValues writes "c" = "strata_v"."s0", ... for the set
// columns, names being their columns in the rows' alias.
func writeSetFromValues(w *Writer, set, names []string) {
	v := T(valuesAlias)
	for i, c := range set {
		if i > 0 {
			w.Raw(", ")
		}
		w.Ident(c)
		w.Raw(" = ")
		v.C(names[i]).WriteSQL(w)
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + itoa(i%10)
}

// WriteStatement writes the UPDATE.
func (u *UpdateRowsStmt) WriteStatement(w *Writer) {
	n := len(u.key) + len(u.set) + len(u.match)
	switch {
	case len(u.rows) == 0:
		w.Failf("UpdateRows of %s without rows", u.t.name)
		return
	case len(u.key) == 0 || len(u.set) == 0:
		w.Failf("UpdateRows of %s needs key and set columns", u.t.name)
		return
	case len(u.types) != n:
		w.Failf("UpdateRows of %s: %d types for %d columns", u.t.name, len(u.types), n)
		return
	}
	for _, r := range u.rows {
		if len(r) != n {
			w.Failf("UpdateRows of %s: a row of %d values for %d columns", u.t.name, len(r), n)
			return
		}
	}
	names := u.names()
	v := T(valuesAlias)
	cond := func() {
		cols := append(append([]string(nil), u.key...), u.match...)
		vcols := append(append([]string(nil), names[:len(u.key)]...), names[len(u.key)+len(u.set):]...)
		for i, c := range cols {
			if i > 0 {
				w.Raw(" AND ")
			}
			u.t.C(c).WriteSQL(w)
			w.Raw(" = ")
			v.C(vcols[i]).WriteSQL(w)
		}
	}
	if w.d.Features().Has(dialect.UpdateFrom) {
		w.Raw("WITH ")
		writeValuesAlias(w, names)
		w.Raw(" AS (VALUES ")
		cast := w.d.Features().Has(dialect.CastParams)
		for i, r := range u.rows {
			if i > 0 {
				w.Raw(", ")
			}
			w.Raw("(")
			for j, val := range r {
				if j > 0 {
					w.Raw(", ")
				}
				if cast && i == 0 {
					w.Raw("CAST(")
					w.Expr(val)
					w.Raw(" AS ")
					typ, err := w.d.TypeSQL(u.types[j])
					if err != nil {
						w.Fail(err)
						return
					}
					w.Raw(typ)
					w.Raw(")")
				} else {
					w.Expr(val)
				}
			}
			w.Raw(")")
		}
		w.Raw(") UPDATE ")
		u.t.writeFrom(w)
		w.Raw(" SET ")
		writeSetFromValues(w, u.set, names[len(u.key):])
		w.Raw(" FROM ")
		w.Ident(valuesAlias)
		w.Raw(" WHERE ")
		cond()
	} else {
		w.Raw("UPDATE ")
		u.t.writeFrom(w)
		w.Raw(" JOIN (")
		for i, r := range u.rows {
			if i > 0 {
				w.Raw(" UNION ALL ")
			}
			w.Raw("SELECT ")
			for j, val := range r {
				if j > 0 {
					w.Raw(", ")
				}
				w.Expr(val)
				if i == 0 {
					w.Raw(" AS ")
					w.Ident(names[j])
				}
			}
		}
		w.Raw(") AS ")
		w.Ident(valuesAlias)
		w.Raw(" ON ")
		cond()
		w.Raw(" SET ")
		for i, c := range u.set {
			if i > 0 {
				w.Raw(", ")
			}
			u.t.C(c).WriteSQL(w)
			w.Raw(" = ")
			v.C(names[len(u.key)+i]).WriteSQL(w)
		}
	}
	writeReturning(w, dialect.UpdateReturning, "UPDATE", u.returning)
}
