package expr

import (
	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/sqlerr"
)

// InsertStmt is an INSERT. Build it with [Insert].
type InsertStmt struct {
	t         *TableRef
	cols      []string
	rows      [][]any
	sel       *SelectStmt
	returning []Expr
	conflict  *Conflict
}

// Insert starts an INSERT into t.
func Insert(t *TableRef) *InsertStmt { return &InsertStmt{t: t} }

// Columns sets the column list.
func (s *InsertStmt) Columns(cols ...string) *InsertStmt { s.cols = append(s.cols, cols...); return s }

// Values adds one row; call it again for a multi-row INSERT. Each value is
// bound, or written as SQL if it is an Expr.
func (s *InsertStmt) Values(vals ...any) *InsertStmt { s.rows = append(s.rows, vals); return s }

// Select makes it INSERT INTO t (cols) SELECT ...
func (s *InsertStmt) Select(q *SelectStmt) *InsertStmt { s.sel = q; return s }

// Returning adds a RETURNING clause; building fails on dialects without
// [dialect.InsertReturning].
func (s *InsertStmt) Returning(cols ...Expr) *InsertStmt {
	s.returning = append(s.returning, cols...)
	return s
}

// OnConflict turns the INSERT into an upsert, and is the only way to get
// one: on a conflict with the unique key over target columns, the row is
// skipped ([Conflict.DoNothing]) or the existing row updated
// ([Conflict.DoUpdate]). PostgreSQL and SQLite write ON CONFLICT (target);
// MariaDB writes ON DUPLICATE KEY UPDATE, which fires on a conflict with
// any unique key, whatever the target says.
func (s *InsertStmt) OnConflict(target ...string) *Conflict {
	s.conflict = &Conflict{stmt: s, target: target}
	return s.conflict
}

// Conflict is an upsert's conflict clause.
type Conflict struct {
	stmt    *InsertStmt
	target  []string
	nothing bool
	set     []assignment
}

// DoNothing skips conflicting rows.
func (c *Conflict) DoNothing() *InsertStmt { c.nothing = true; return c.stmt }

// DoUpdate updates the conflicting row with the assignments; use
// [Excluded] to refer to the value that was being inserted, and qualify
// columns of the existing row with the table (T("t").C("n")): PostgreSQL
// rejects an unqualified column there as ambiguous.
func (c *Conflict) DoUpdate(set ...Assignment) *InsertStmt {
	for _, a := range set {
		c.set = append(c.set, assignment(a))
	}
	return c.stmt
}

// DoUpdateColumns updates each named column to the value being inserted.
func (c *Conflict) DoUpdateColumns(cols ...string) *InsertStmt {
	for _, col := range cols {
		c.set = append(c.set, assignment{col, Excluded(col)})
	}
	return c.stmt
}

// Assignment is col = value in an UPDATE or upsert.
type Assignment struct {
	Col   string
	Value any
}

type assignment Assignment

// Set is a shorthand for an Assignment.
func Set(col string, v any) Assignment { return Assignment{col, v} }

// WriteStatement writes the INSERT.
func (s *InsertStmt) WriteStatement(w *Writer) {
	if s.sel != nil && len(s.rows) > 0 {
		w.Failf("INSERT into %q has both VALUES and SELECT", s.t.name)
		return
	}
	w.Raw("INSERT INTO ")
	s.t.writeName(w)
	if len(s.cols) > 0 {
		w.Raw(" (")
		w.identList(s.cols)
		w.Raw(")")
	}
	switch {
	case s.sel != nil:
		w.Raw(" ")
		s.sel.WriteStatement(w)
	case len(s.rows) == 0:
		if w.d.Features().Has(dialect.DefaultValues) {
			w.Raw(" DEFAULT VALUES")
		} else {
			w.Raw(" VALUES ()")
		}
	default:
		w.Raw(" VALUES ")
		for i, row := range s.rows {
			if len(s.cols) > 0 && len(row) != len(s.cols) {
				w.Failf("INSERT into %q: row %d has %d values for %d columns", s.t.name, i, len(row), len(s.cols))
				return
			}
			if i > 0 {
				w.Raw(", ")
			}
			w.Raw("(")
			for j, v := range row {
				if j > 0 {
					w.Raw(", ")
				}
				w.Expr(v)
			}
			w.Raw(")")
		}
	}
	if c := s.conflict; c != nil {
		s.writeConflict(w, c)
	}
	writeReturning(w, dialect.InsertReturning, "INSERT", s.returning)
}

func (s *InsertStmt) writeConflict(w *Writer, c *Conflict) {
	f := w.d.Features()
	if !c.nothing && len(c.set) == 0 {
		w.Failf("upsert into %q: say DoNothing or DoUpdate", s.t.name)
		return
	}
	switch {
	case f.Has(dialect.OnConflict):
		w.Raw(" ON CONFLICT")
		if len(c.target) > 0 {
			w.Raw(" (")
			for i, col := range c.target {
				if i > 0 {
					w.Raw(", ")
				}
				w.Ident(col)
			}
			w.Raw(")")
		} else if !c.nothing {
			w.Failf("upsert into %q: DoUpdate needs the conflict target columns", s.t.name)
			return
		}
		if c.nothing {
			w.Raw(" DO NOTHING")
			return
		}
		w.Raw(" DO UPDATE SET ")
		writeAssignments(w, c.set)
	case f.Has(dialect.OnDuplicateKey):
		w.Raw(" ON DUPLICATE KEY UPDATE ")
		if c.nothing {
			// A no-op assignment: the row stays as it was, and unlike
			// INSERT IGNORE no other error (NOT NULL, FK) is swallowed.
			col := first(c.target, s.cols)
			if col == "" {
				w.Failf("upsert into %q: DoNothing needs a target or column list on %s", s.t.name, w.d.Name())
				return
			}
			w.Ident(col)
			w.Raw(" = ")
			w.Ident(col)
			return
		}
		writeAssignments(w, c.set)
	default:
		w.Fail(sqlerr.Unsupported(w.d.Name(), "upsert"))
	}
}

func first(lists ...[]string) string {
	for _, l := range lists {
		if len(l) > 0 {
			return l[0]
		}
	}
	return ""
}

func writeAssignments(w *Writer, set []assignment) {
	for i, a := range set {
		if i > 0 {
			w.Raw(", ")
		}
		w.Ident(a.Col)
		w.Raw(" = ")
		w.Expr(a.Value)
	}
}

func writeReturning(w *Writer, need dialect.Feature, verb string, cols []Expr) {
	if len(cols) == 0 {
		return
	}
	if !w.d.Features().Has(need) {
		w.Fail(sqlerr.Unsupported(w.d.Name(), verb+" ... RETURNING"))
		return
	}
	w.Raw(" RETURNING ")
	w.exprList(cols)
}

// UpdateStmt is an UPDATE. Build it with [Update].
type UpdateStmt struct {
	t         *TableRef
	set       []assignment
	where     []Expr
	all       bool
	returning []Expr
}

// Update starts an UPDATE of t.
func Update(t *TableRef) *UpdateStmt { return &UpdateStmt{t: t} }

// Set adds col = v (bound, or SQL if v is an Expr).
func (s *UpdateStmt) Set(col string, v any) *UpdateStmt {
	if s.set == nil {
		s.set = make([]assignment, 0, 8)
	}
	s.set = append(s.set, assignment{col, v})
	return s
}

// Where adds conditions, joined with AND.
func (s *UpdateStmt) Where(conds ...Expr) *UpdateStmt { s.where = append(s.where, conds...); return s }

// All allows an UPDATE without WHERE.
func (s *UpdateStmt) All() *UpdateStmt { s.all = true; return s }

// Returning adds RETURNING; building fails without
// [dialect.UpdateReturning].
func (s *UpdateStmt) Returning(cols ...Expr) *UpdateStmt {
	s.returning = append(s.returning, cols...)
	return s
}

// WriteStatement writes the UPDATE.
func (s *UpdateStmt) WriteStatement(w *Writer) {
	if len(s.set) == 0 {
		w.Failf("UPDATE of %q sets nothing", s.t.name)
		return
	}
	if len(s.where) == 0 && !s.all {
		w.Fail(ErrNoWhere)
		return
	}
	w.Raw("UPDATE ")
	s.t.writeFrom(w)
	w.Raw(" SET ")
	writeAssignments(w, s.set)
	writeWhere(w, s.where)
	writeReturning(w, dialect.UpdateReturning, "UPDATE", s.returning)
}

// DeleteStmt is a DELETE. Build it with [Delete].
type DeleteStmt struct {
	t         *TableRef
	where     []Expr
	all       bool
	returning []Expr
}

// Delete starts a DELETE from t.
func Delete(t *TableRef) *DeleteStmt { return &DeleteStmt{t: t} }

// Where adds conditions, joined with AND.
func (s *DeleteStmt) Where(conds ...Expr) *DeleteStmt { s.where = append(s.where, conds...); return s }

// All allows a DELETE without WHERE.
func (s *DeleteStmt) All() *DeleteStmt { s.all = true; return s }

// Returning adds RETURNING; building fails without
// [dialect.DeleteReturning].
func (s *DeleteStmt) Returning(cols ...Expr) *DeleteStmt {
	s.returning = append(s.returning, cols...)
	return s
}

// WriteStatement writes the DELETE.
func (s *DeleteStmt) WriteStatement(w *Writer) {
	if len(s.where) == 0 && !s.all {
		w.Fail(ErrNoWhere)
		return
	}
	w.Raw("DELETE FROM ")
	s.t.writeFrom(w)
	writeWhere(w, s.where)
	writeReturning(w, dialect.DeleteReturning, "DELETE", s.returning)
}
