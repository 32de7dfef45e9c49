package expr

import (
	"reflect"
	"strings"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/schema"
)

// Expr is an SQL expression. Plain Go values passed where an Expr is
// expected become bind parameters.
type Expr interface {
	WriteSQL(w *Writer)
}

// TableRef is a table in a FROM, JOIN, INSERT, UPDATE or DELETE, possibly
// aliased. Made from a name ([T]) or from metadata ([Of]), which lets C
// check column names.
type TableRef struct {
	schema string // "" for the current one
	name   string
	alias  string
	meta   *schema.Table
	sub    *SelectStmt
}

// T refers to a table by name.
func T(name string) *TableRef { return &TableRef{name: name} }

// Of refers to a table described by metadata (qualified by its Schema);
// C then rejects unknown columns (when the statement is built).
func Of(t *schema.Table) *TableRef { return &TableRef{schema: t.Schema, name: t.Name, meta: t} }

// InSchema returns a copy of the reference to the table of that name in
// schema sch ("" for the current one): written "sch"."t", and its columns
// "sch"."t"."c" unless it has an alias.
func (t *TableRef) InSchema(sch string) *TableRef {
	c := *t
	c.schema = sch
	return &c
}

// Schema is the table's schema ("" for the current one).
func (t *TableRef) Schema() string { return t.schema }

// As returns a copy of the reference with an alias.
func (t *TableRef) As(alias string) *TableRef {
	c := *t
	c.alias = alias
	return &c
}

// Name is the table's name.
func (t *TableRef) Name() string { return t.name }

// C refers to a column of the table, qualified by the alias or table name.
func (t *TableRef) C(name string) Column {
	c := Column{table: t, name: name}
	if t.meta != nil && t.meta.Column(name) == nil {
		c.unknown = true
	}
	return c
}

// writeFrom writes the reference as it appears in FROM: "t" or "t" AS "a".
func (t *TableRef) writeFrom(w *Writer) {
	if t.sub != nil {
		w.Raw("(")
		t.sub.WriteStatement(w)
		w.Raw(")")
	} else {
		t.writeName(w)
	}
	if t.alias != "" {
		w.Raw(" AS ")
		w.Ident(t.alias)
	}
}

// writeName writes the table's name, qualified by its schema if it has one.
func (t *TableRef) writeName(w *Writer) {
	if t.schema != "" {
		w.Ident(t.schema)
		w.Raw(".")
	}
	w.Ident(t.name)
}

// writeQualifier writes what qualifies the table's columns: the alias, or
// the (schema-qualified) name.
func (t *TableRef) writeQualifier(w *Writer) {
	if t.alias != "" {
		w.Ident(t.alias)
		return
	}
	t.writeName(w)
}

// Subquery makes a SELECT usable in FROM; it must be given an alias.
func Subquery(s *SelectStmt, alias string) *TableRef {
	return &TableRef{sub: s, alias: alias}
}

// Column is a column reference.
type Column struct {
	table   *TableRef
	name    string
	unknown bool
}

// C refers to a column by name alone, unqualified.
func C(name string) Column { return Column{name: name} }

// Name is the column's name.
func (c Column) Name() string { return c.name }

func (c Column) WriteSQL(w *Writer) {
	if c.unknown {
		w.Failf("table %q has no column %q", c.table.name, c.name)
		return
	}
	if c.table != nil {
		c.table.writeQualifier(w)
		w.Raw(".")
	}
	w.Ident(c.name)
}

// Value is an explicit bind parameter (useful where a plain value would be
// ambiguous, such as the left side of a comparison).
func Value(v any) Expr { return value{v} }

type value struct{ v any }

func (v value) WriteSQL(w *Writer) { w.Arg(v.v) }

// Raw is an SQL fragment written by the program's author. Each ? in it is
// replaced by the dialect's placeholder for the next argument; write ?? for
// a literal question mark.
func Raw(sql string, args ...any) Expr { return raw{sql, args} }

type raw struct {
	sql  string
	args []any
}

func (r raw) WriteSQL(w *Writer) {
	n := 0
	s := r.sql
	for {
		i := strings.IndexByte(s, '?')
		if i < 0 {
			w.Raw(s)
			break
		}
		w.Raw(s[:i])
		if i+1 < len(s) && s[i+1] == '?' {
			w.Raw("?")
			s = s[i+2:]
			continue
		}
		if n >= len(r.args) {
			w.Failf("raw SQL %q has more placeholders than its %d arguments", r.sql, len(r.args))
			return
		}
		w.Expr(r.args[n])
		n++
		s = s[i+1:]
	}
	if n != len(r.args) {
		w.Failf("raw SQL %q has %d placeholders for %d arguments", r.sql, n, len(r.args))
	}
}

// Star is *, or t.* with [StarOf].
var Star Expr = raw{sql: "*"}

// StarOf is "t".*.
func StarOf(t *TableRef) Expr { return starOf{t} }

type starOf struct{ t *TableRef }

func (s starOf) WriteSQL(w *Writer) { s.t.writeQualifier(w); w.Raw(".*") }

type binary struct {
	op   string
	l, r any
}

func (b binary) WriteSQL(w *Writer) {
	w.Expr(b.l)
	w.Raw(b.op)
	w.Expr(b.r)
}

// Comparisons. Either side may be an Expr or a plain value (bound).
func Eq(l, r any) Expr { return binary{" = ", l, r} }
func Ne(l, r any) Expr { return binary{" <> ", l, r} }
func Lt(l, r any) Expr { return binary{" < ", l, r} }
func Le(l, r any) Expr { return binary{" <= ", l, r} }
func Gt(l, r any) Expr { return binary{" > ", l, r} }
func Ge(l, r any) Expr { return binary{" >= ", l, r} }

// Like is l LIKE pattern.
func Like(l, pattern any) Expr { return binary{" LIKE ", l, pattern} }

// Arithmetic.
func Add(l, r any) Expr { return paren{binary{" + ", l, r}} }
func Sub(l, r any) Expr { return paren{binary{" - ", l, r}} }
func Mul(l, r any) Expr { return paren{binary{" * ", l, r}} }

type paren struct{ e Expr }

func (p paren) WriteSQL(w *Writer) { w.Raw("("); p.e.WriteSQL(w); w.Raw(")") }

type logical struct {
	op    string
	parts []Expr
	empty string
}

func (l logical) WriteSQL(w *Writer) {
	switch len(l.parts) {
	case 0:
		w.Raw(l.empty)
	case 1:
		l.parts[0].WriteSQL(w)
	default:
		w.Raw("(")
		for i, p := range l.parts {
			if i > 0 {
				w.Raw(l.op)
			}
			p.WriteSQL(w)
		}
		w.Raw(")")
	}
}

// And joins conditions with AND; with none it is true.
func And(parts ...Expr) Expr { return logical{" AND ", parts, "(1 = 1)"} }

// Or joins conditions with OR; with none it is false.
func Or(parts ...Expr) Expr { return logical{" OR ", parts, "(1 = 0)"} }

// Not negates a condition.
func Not(e Expr) Expr { return prefix{"NOT (", e, ")"} }

type prefix struct {
	pre  string
	e    any
	post string
}

func (p prefix) WriteSQL(w *Writer) { w.Raw(p.pre); w.Expr(p.e); w.Raw(p.post) }

// IsNull is e IS NULL.
func IsNull(e any) Expr { return prefix{"", e, " IS NULL"} }

// IsNotNull is e IS NOT NULL.
func IsNotNull(e any) Expr { return prefix{"", e, " IS NOT NULL"} }

// Exists is EXISTS (subquery).
func Exists(s *SelectStmt) Expr { return prefix{"EXISTS ", s, ""} }

// NotExists is NOT EXISTS (subquery).
func NotExists(s *SelectStmt) Expr { return prefix{"NOT EXISTS ", s, ""} }

// In is e IN (values). values is a slice of any element type or a
// *SelectStmt. On dialects with [dialect.ArrayParams] (PostgreSQL) a typed
// slice is bound as one array parameter, e = ANY($1), so the statement text
// and its prepared plan do not depend on the number of values; elsewhere
// each value gets its own placeholder. An empty slice is false. Lists longer
// than the dialect's parameter limit fail with [ErrTooManyParams]: split
// them with [Chunk].
func In(e any, values any) Expr { return in{e: e, values: values} }

// NotIn is the negation of [In]; an empty slice is true.
func NotIn(e any, values any) Expr { return in{e: e, values: values, not: true} }

type in struct {
	e      any
	values any
	not    bool
}

func (x in) WriteSQL(w *Writer) {
	if s, ok := x.values.(*SelectStmt); ok {
		w.Expr(x.e)
		if x.not {
			w.Raw(" NOT IN ")
		} else {
			w.Raw(" IN ")
		}
		s.WriteSQL(w)
		return
	}
	rv := reflect.ValueOf(x.values)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		w.Failf("In needs a slice or a subquery, got %T", x.values)
		return
	}
	n := rv.Len()
	if n == 0 {
		if x.not {
			w.Raw("(1 = 1)")
		} else {
			w.Raw("(1 = 0)")
		}
		return
	}
	if w.d.Features().Has(dialect.ArrayParams) && arrayBindable(rv.Type().Elem()) {
		w.Expr(x.e)
		if x.not {
			w.Raw(" <> ALL(")
		} else {
			w.Raw(" = ANY(")
		}
		w.Arg(x.values)
		w.Raw(")")
		return
	}
	w.Expr(x.e)
	if x.not {
		w.Raw(" NOT IN (")
	} else {
		w.Raw(" IN (")
	}
	for i := 0; i < n; i++ {
		if i > 0 {
			w.Raw(", ")
		}
		w.Arg(rv.Index(i).Interface())
	}
	w.Raw(")")
}

// arrayBindable reports whether a slice of t binds as a typed array
// parameter: basic kinds and fixed-size byte arrays (UUIDs), not
// interfaces, whose element types the driver cannot know.
func arrayBindable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Float32, reflect.Float64, reflect.String:
		return true
	case reflect.Array:
		return t.Elem().Kind() == reflect.Uint8
	}
	return false
}

// Func is a function call name(args...). name is written verbatim; it is
// the author's SQL, never input.
func Func(name string, args ...any) Expr { return fn{name, args} }

type fn struct {
	name string
	args []any
}

func (f fn) WriteSQL(w *Writer) {
	w.Raw(f.name)
	w.Raw("(")
	for i, a := range f.args {
		if i > 0 {
			w.Raw(", ")
		}
		w.Expr(a)
	}
	w.Raw(")")
}

// Aggregates and common functions.
func Count(e any) Expr          { return Func("COUNT", e) }
func CountAll() Expr            { return raw{sql: "COUNT(*)"} }
func Sum(e any) Expr            { return Func("SUM", e) }
func Min(e any) Expr            { return Func("MIN", e) }
func Max(e any) Expr            { return Func("MAX", e) }
func Avg(e any) Expr            { return Func("AVG", e) }
func Lower(e any) Expr          { return Func("LOWER", e) }
func Coalesce(args ...any) Expr { return Func("COALESCE", args...) }

// As gives an expression a name in a select list.
func As(e Expr, name string) Expr { return alias{e, name} }

type alias struct {
	e    Expr
	name string
}

func (a alias) WriteSQL(w *Writer) { a.e.WriteSQL(w); w.Raw(" AS "); w.Ident(a.name) }

// Order is an ORDER BY term.
type Order struct {
	e    Expr
	desc bool
}

// Asc orders by e ascending.
func Asc(e Expr) Order { return Order{e: e} }

// Desc orders by e descending.
func Desc(e Expr) Order { return Order{e: e, desc: true} }

func (o Order) WriteSQL(w *Writer) {
	o.e.WriteSQL(w)
	if o.desc {
		w.Raw(" DESC")
	} else {
		w.Raw(" ASC")
	}
}

// Excluded refers, in an upsert's update list, to the value the INSERT
// tried to write into col: excluded."col" on PostgreSQL and SQLite,
// VALUES(`col`) on MariaDB.
func Excluded(col string) Expr { return excluded(col) }

type excluded string

func (e excluded) WriteSQL(w *Writer) {
	if w.d.Features().Has(dialect.OnConflict) {
		w.Raw("excluded.")
		w.Ident(string(e))
		return
	}
	w.Raw("VALUES(")
	w.Ident(string(e))
	w.Raw(")")
}
