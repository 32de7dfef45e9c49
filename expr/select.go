package expr

import "github.com/strata-go/strata/dialect"

// SelectStmt is a SELECT. Build it with [Select]; it is also an Expr (a
// parenthesised subquery) usable in In, Exists and select lists.
type SelectStmt struct {
	distinct  bool
	cols      []Expr
	from      []*TableRef
	joins     []join
	where     []Expr
	groupBy   []Expr
	having    []Expr
	orderBy   []Order
	limit     *int64
	offset    *int64
	forUpdate bool
}

type join struct {
	kind string
	t    *TableRef
	on   Expr
}

// Select starts a SELECT of the given columns (all columns when none).
func Select(cols ...Expr) *SelectStmt { return &SelectStmt{cols: cols} }

// Distinct makes it SELECT DISTINCT.
func (s *SelectStmt) Distinct() *SelectStmt { s.distinct = true; return s }

// Columns appends to the select list.
func (s *SelectStmt) Columns(cols ...Expr) *SelectStmt { s.cols = append(s.cols, cols...); return s }

// From adds tables to the FROM list.
func (s *SelectStmt) From(t ...*TableRef) *SelectStmt { s.from = append(s.from, t...); return s }

// Join adds an INNER JOIN.
func (s *SelectStmt) Join(t *TableRef, on Expr) *SelectStmt {
	s.joins = append(s.joins, join{"JOIN", t, on})
	return s
}

// LeftJoin adds a LEFT JOIN.
func (s *SelectStmt) LeftJoin(t *TableRef, on Expr) *SelectStmt {
	s.joins = append(s.joins, join{"LEFT JOIN", t, on})
	return s
}

// RightJoin adds a RIGHT JOIN.
func (s *SelectStmt) RightJoin(t *TableRef, on Expr) *SelectStmt {
	s.joins = append(s.joins, join{"RIGHT JOIN", t, on})
	return s
}

// CrossJoin adds a CROSS JOIN.
func (s *SelectStmt) CrossJoin(t *TableRef) *SelectStmt {
	s.joins = append(s.joins, join{"CROSS JOIN", t, nil})
	return s
}

// Where adds conditions, joined with AND to those already there.
func (s *SelectStmt) Where(conds ...Expr) *SelectStmt { s.where = append(s.where, conds...); return s }

// GroupBy adds GROUP BY terms.
func (s *SelectStmt) GroupBy(e ...Expr) *SelectStmt { s.groupBy = append(s.groupBy, e...); return s }

// Having adds HAVING conditions, joined with AND.
func (s *SelectStmt) Having(conds ...Expr) *SelectStmt {
	s.having = append(s.having, conds...)
	return s
}

// OrderBy adds ORDER BY terms.
func (s *SelectStmt) OrderBy(o ...Order) *SelectStmt { s.orderBy = append(s.orderBy, o...); return s }

// Limit sets LIMIT (bound as a parameter).
func (s *SelectStmt) Limit(n int64) *SelectStmt { s.limit = &n; return s }

// Offset sets OFFSET (bound as a parameter).
func (s *SelectStmt) Offset(n int64) *SelectStmt { s.offset = &n; return s }

// ForUpdate adds FOR UPDATE where the dialect has row locks
// ([dialect.RowLocking]); SQLite has none and needs none, since a write
// transaction locks the whole database.
func (s *SelectStmt) ForUpdate() *SelectStmt { s.forUpdate = true; return s }

// WriteSQL writes the statement as a parenthesised subquery.
func (s *SelectStmt) WriteSQL(w *Writer) {
	w.Raw("(")
	s.WriteStatement(w)
	w.Raw(")")
}

// maxLimit stands in for "no limit" when only OFFSET is given: MariaDB and
// SQLite need a LIMIT before OFFSET.
const maxLimit = int64(9223372036854775807)

// WriteStatement writes the SELECT.
func (s *SelectStmt) WriteStatement(w *Writer) {
	w.Raw("SELECT ")
	if s.distinct {
		w.Raw("DISTINCT ")
	}
	if len(s.cols) == 0 {
		w.Raw("*")
	} else {
		w.exprList(s.cols)
	}
	if len(s.from) > 0 {
		w.Raw(" FROM ")
		for i, t := range s.from {
			if i > 0 {
				w.Raw(", ")
			}
			t.writeFrom(w)
		}
	}
	for _, j := range s.joins {
		w.Raw(" ")
		w.Raw(j.kind)
		w.Raw(" ")
		j.t.writeFrom(w)
		if j.on != nil {
			w.Raw(" ON ")
			j.on.WriteSQL(w)
		}
	}
	writeWhere(w, s.where)
	if len(s.groupBy) > 0 {
		w.Raw(" GROUP BY ")
		w.exprList(s.groupBy)
	}
	if len(s.having) > 0 {
		w.Raw(" HAVING ")
		And(s.having...).WriteSQL(w)
	}
	if len(s.orderBy) > 0 {
		w.Raw(" ORDER BY ")
		for i, o := range s.orderBy {
			if i > 0 {
				w.Raw(", ")
			}
			o.WriteSQL(w)
		}
	}
	switch {
	case s.limit != nil:
		w.Raw(" LIMIT ")
		w.Arg(*s.limit)
	case s.offset != nil:
		w.Raw(" LIMIT ")
		w.Arg(maxLimit)
	}
	if s.offset != nil {
		w.Raw(" OFFSET ")
		w.Arg(*s.offset)
	}
	if s.forUpdate && w.d.Features().Has(dialect.RowLocking) {
		w.Raw(" FOR UPDATE")
	}
}

func writeWhere(w *Writer, conds []Expr) {
	if len(conds) == 0 {
		return
	}
	w.Raw(" WHERE ")
	if len(conds) == 1 {
		conds[0].WriteSQL(w)
		return
	}
	for i, c := range conds {
		if i > 0 {
			w.Raw(" AND ")
		}
		c.WriteSQL(w)
	}
}

// Clone returns a copy that can be changed without changing s (the
// expressions inside are shared; they are immutable).
func (s *SelectStmt) Clone() *SelectStmt {
	c := *s
	c.cols = append([]Expr(nil), s.cols...)
	c.from = append([]*TableRef(nil), s.from...)
	c.joins = append([]join(nil), s.joins...)
	c.where = append([]Expr(nil), s.where...)
	c.groupBy = append([]Expr(nil), s.groupBy...)
	c.having = append([]Expr(nil), s.having...)
	c.orderBy = append([]Order(nil), s.orderBy...)
	return &c
}

// HasLimit reports whether LIMIT was set.
func (s *SelectStmt) HasLimit() bool { return s.limit != nil }

// LimitValue returns the LIMIT, if the statement has one.
func (s *SelectStmt) LimitValue() (int64, bool) {
	if s.limit == nil {
		return 0, false
	}
	return *s.limit, true
}

// IsForUpdate reports whether FOR UPDATE was asked for.
func (s *SelectStmt) IsForUpdate() bool { return s.forUpdate }

// CountStmt returns a SELECT COUNT(*) of the rows s would return. A plain
// query is counted in place (its select list and ORDER BY dropped); one
// with DISTINCT, GROUP BY, LIMIT or OFFSET is counted as a subquery, so the
// count is what s would return.
func (s *SelectStmt) CountStmt() *SelectStmt {
	if !s.distinct && len(s.groupBy) == 0 && s.limit == nil && s.offset == nil {
		c := s.Clone()
		c.cols = []Expr{CountAll()}
		c.orderBy = nil
		c.forUpdate = false
		return c
	}
	inner := s.Clone()
	inner.forUpdate = false
	return Select(CountAll()).From(Subquery(inner, "counted"))
}
