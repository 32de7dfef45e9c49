package expr

import (
	"reflect"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/sqlerr"
)

// ArrayHas is true when the array column col holds v, an element of the
// column's element type (string, int64, int32, float64, bool or a 16-byte
// UUID, or a named type over one of them):
//
//	PostgreSQL  $1 = ANY(col)
//	MariaDB     JSON_CONTAINS(col, ?)                         v bound as a JSON scalar: "x", 7, true
//	SQLite      EXISTS (SELECT 1 FROM json_each(col) AS "strata_a"
//	            WHERE "strata_a".value = json_extract(?, '$'))  v bound as a JSON scalar
//
// SQLite's json_each returns typed values (text, integer, real, and 1 or
// 0 for booleans) and json_extract gives v the same type, so strings and
// UUIDs compare as text, numbers as numbers and booleans by value, as on
// the other databases. MariaDB's JSON functions compare numbers as
// doubles, which cannot tell large int64 values apart
// (9223372036854775807 equals 9223372036854775806 there), so int64
// elements go through JSON_TABLE(col, '$[*]' COLUMNS (v BIGINT PATH '$'))
// instead. The JSON forms are wrapped in CASE WHEN col IS NULL THEN NULL
// ELSE ... END where needed, so that on every database a NULL column gives
// NULL: it matches neither the operator nor its negation ([Not]). An empty
// array matches nothing. A nil or unsupported v fails the build with an
// error wrapping a *[dialect.ArrayError].
func ArrayHas(col any, v any) Expr { return arrayOp{op: arrayHas, col: col, v: v} }

// ArrayOverlaps is true when the array column col and the Go slice vals
// have an element in common:
//
//	PostgreSQL  (col && $1)                   vals bound as a dialect.Array (a native array)
//	MariaDB     JSON_OVERLAPS(col, ?)         vals bound as JSON array text (MariaDB 10.9+)
//	SQLite      EXISTS (SELECT 1 FROM json_each(col) AS "strata_a", json_each(?) AS "strata_b"
//	            WHERE "strata_a".value = "strata_b".value)
//
// (int64 elements on MariaDB: the same EXISTS over JSON_TABLE; see
// [ArrayHas]). A NULL column gives NULL; an empty array and an empty or
// nil vals match nothing.
func ArrayOverlaps(col any, vals any) Expr { return arrayOp{op: arrayOverlaps, col: col, v: vals} }

// ArrayContainsAll is true when the array column col holds every element
// of the Go slice vals (in any order, any number of times):
//
//	PostgreSQL  (col @> $1)
//	MariaDB     JSON_CONTAINS(col, ?)         vals bound as JSON array text
//	SQLite      NOT EXISTS (SELECT 1 FROM json_each(?) AS "strata_b" WHERE NOT EXISTS
//	            (SELECT 1 FROM json_each(col) AS "strata_a" WHERE "strata_a".value = "strata_b".value))
//
// (int64 elements on MariaDB: the same NOT EXISTS over JSON_TABLE). An
// empty or nil vals matches every row whose column is not NULL; a NULL
// column gives NULL.
func ArrayContainsAll(col any, vals any) Expr {
	return arrayOp{op: arrayContainsAll, col: col, v: vals}
}

// ArrayLength is the number of elements of the array column col: 0 for an
// empty array, NULL for a NULL column.
//
//	PostgreSQL  cardinality(col)
//	MariaDB     JSON_LENGTH(col)
//	SQLite      json_array_length(col)
func ArrayLength(col any) Expr { return arrayOp{op: arrayLength, col: col} }

type arrayOpKind uint8

const (
	arrayHas arrayOpKind = iota
	arrayOverlaps
	arrayContainsAll
	arrayLength
)

var arrayOpNames = [...]string{"ArrayHas", "ArrayOverlaps", "ArrayContainsAll", "ArrayLength"}

type arrayOp struct {
	op  arrayOpKind
	col any
	v   any
}

func (x arrayOp) WriteSQL(w *Writer) {
	style := dialect.ArrayStyleOf(w.d)
	if style == dialect.NoArrays {
		w.Fail(sqlerr.Unsupported(w.d.Name(), "query array columns ("+arrayOpNames[x.op]+")"))
		return
	}
	if x.op == arrayLength {
		switch style {
		case dialect.NativeArrays:
			w.Raw("cardinality(")
		case dialect.JSONContainsArrays:
			w.Raw("JSON_LENGTH(")
		default:
			w.Raw("json_array_length(")
		}
		w.Expr(x.col)
		w.Raw(")")
		return
	}
	arg, ok := x.arg(w, style)
	if !ok {
		return
	}
	switch {
	case style == dialect.NativeArrays:
		switch x.op {
		case arrayHas:
			w.Arg(arg)
			w.Raw(" = ANY(")
			w.Expr(x.col)
			w.Raw(")")
		case arrayOverlaps, arrayContainsAll:
			w.Raw("(")
			w.Expr(x.col)
			if x.op == arrayOverlaps {
				w.Raw(" && ")
			} else {
				w.Raw(" @> ")
			}
			w.Arg(arg)
			w.Raw(")")
		}
	case style == dialect.JSONContainsArrays && !x.int64Elems():
		if x.op == arrayOverlaps {
			w.Raw("JSON_OVERLAPS(")
		} else {
			w.Raw("JSON_CONTAINS(")
		}
		w.Expr(x.col)
		w.Raw(", ")
		w.Arg(arg)
		w.Raw(")")
	case style == dialect.JSONContainsArrays || style == dialect.JSONEachArrays:
		x.writeUnnested(w, style, arg)
	default:
		w.Failf("%s: unknown array style %d of %s", arrayOpNames[x.op], style, w.d.Name())
	}
}

// int64Elems reports whether the operator compares int64 elements, which
// MariaDB's JSON functions compare as doubles (9223372036854775807 would
// equal 9223372036854775806): those go through JSON_TABLE's BIGINT
// columns instead.
func (x arrayOp) int64Elems() bool {
	t := reflect.TypeOf(x.v)
	if t != nil && x.op != arrayHas {
		t = t.Elem()
	}
	return t != nil && t.Kind() == reflect.Int64
}

// writeUnnested writes the operator over the array's elements as rows:
// SQLite's json_each (typed values: text, integer, real, 1 and 0 for
// booleans) or MariaDB's JSON_TABLE with a BIGINT column. A NULL column
// gives NULL, as the native operators do, so that NOT(op) matches no NULL
// column either:
//
//	CASE WHEN col IS NULL THEN NULL ELSE <EXISTS ...> END
func (x arrayOp) writeUnnested(w *Writer, style dialect.ArrayStyle, arg any) {
	const a, b = "strata_a", "strata_b"
	from := func(src func(), alias string) {
		if style == dialect.JSONEachArrays {
			w.Raw("json_each(")
			src()
			w.Raw(") AS ")
		} else {
			w.Raw("JSON_TABLE(")
			src()
			w.Raw(", '$[*]' COLUMNS (v BIGINT PATH '$')) AS ")
		}
		w.Ident(alias)
	}
	val := func(alias string) {
		w.Ident(alias)
		if style == dialect.JSONEachArrays {
			w.Raw(".value")
		} else {
			w.Raw(".v")
		}
	}
	col := func() { w.Expr(x.col) }
	param := func() { w.Arg(arg) }
	w.Raw("CASE WHEN ")
	col()
	w.Raw(" IS NULL THEN NULL ELSE ")
	switch x.op {
	case arrayHas:
		w.Raw("EXISTS (SELECT 1 FROM ")
		from(col, a)
		w.Raw(" WHERE ")
		val(a)
		if style == dialect.JSONEachArrays {
			// The JSON scalar, typed as json_each types the elements.
			w.Raw(" = json_extract(")
			param()
			w.Raw(", '$'))")
		} else {
			w.Raw(" = ")
			w.Arg(reflect.ValueOf(x.v).Int())
			w.Raw(")")
		}
	case arrayOverlaps:
		w.Raw("EXISTS (SELECT 1 FROM ")
		from(col, a)
		w.Raw(", ")
		from(param, b)
		w.Raw(" WHERE ")
		val(a)
		w.Raw(" = ")
		val(b)
		w.Raw(")")
	case arrayContainsAll:
		w.Raw("NOT EXISTS (SELECT 1 FROM ")
		from(param, b)
		w.Raw(" WHERE NOT EXISTS (SELECT 1 FROM ")
		from(col, a)
		w.Raw(" WHERE ")
		val(a)
		w.Raw(" = ")
		val(b)
		w.Raw("))")
	}
	w.Raw(" END")
}

// arg is the bind argument of the operator for the style: v itself or, for
// a slice, a dialect.Array (native arrays), or the JSON text of v (JSON
// styles). A nil slice is bound as an empty one, so that it matches what
// an empty slice matches everywhere. v's type is checked on every style,
// so that a type one database would refuse fails the build on all of
// them; values JSON cannot hold (NaN, strings with NUL) fail on the JSON
// styles only.
func (x arrayOp) arg(w *Writer, style dialect.ArrayStyle) (any, bool) {
	name := arrayOpNames[x.op]
	if x.op == arrayHas {
		if style == dialect.NativeArrays {
			if err := dialect.CheckArrayElem(x.v); err != nil {
				w.Failf("%s: %w", name, err)
				return nil, false
			}
			return x.v, true
		}
		text, err := dialect.AppendElemJSON(nil, x.v)
		if err != nil {
			w.Failf("%s: %w", name, err)
			return nil, false
		}
		return string(text), true
	}
	rv := reflect.ValueOf(x.v)
	if rv.Kind() != reflect.Slice {
		w.Failf("%s needs a slice, got %T", name, x.v)
		return nil, false
	}
	vals := x.v
	if rv.IsNil() {
		vals = reflect.MakeSlice(rv.Type(), 0, 0).Interface()
	}
	a := dialect.Array{Slice: vals}
	if style == dialect.NativeArrays {
		if _, err := a.Native(); err != nil {
			w.Failf("%s: %w", name, err)
			return nil, false
		}
		return a, true
	}
	text, err := a.Value()
	if err != nil {
		w.Failf("%s: %w", name, err)
		return nil, false
	}
	return text, true
}
