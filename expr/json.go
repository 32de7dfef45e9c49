package expr

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/sqlerr"
)

// JSONPathError reports a JSON path key Strata cannot express: a key that
// is neither a string nor an integer, or a negative array index on MariaDB
// (then Err matches [sqlerr.ErrUnsupported]). [Build] returns it; match it
// with errors.As.
type JSONPathError struct {
	Key     any    // the offending key
	Dialect string // the dialect the path was written for, if it matters
	Reason  string
	Err     error // the underlying error, if any
}

// Unwrap returns Err.
func (e *JSONPathError) Unwrap() error { return e.Err }

func (e *JSONPathError) Error() string {
	if e.Dialect != "" {
		return fmt.Sprintf("expr: JSON path key %#v on %s: %s", e.Key, e.Dialect, e.Reason)
	}
	return fmt.Sprintf("expr: JSON path key %#v: %s", e.Key, e.Reason)
}

// JSONExpr is the value found in a JSON document by following a path of
// object keys and array indexes; build it with [JSONPath]. Written as an
// expression it is that JSON value itself (jsonb on PostgreSQL, JSON text
// on MariaDB and SQLite; SQL NULL when the path leads nowhere), for
// selecting it, testing it with [IsNull], or comparing it with [JSONEqual]
// (not [Eq]: MariaDB's = on two JSON values is unreliable). Its methods read it as an SQL scalar for
// comparisons and ORDER BY: [JSONExpr.Text], [JSONExpr.Int],
// [JSONExpr.Float], [JSONExpr.Bool]; [JSONExpr.Len] counts an array's
// elements and [JSONExpr.Exists] tests that the path leads somewhere.
type JSONExpr struct {
	doc  any
	keys []any
}

// JSONPath follows keys into the JSON document doc (a column or any
// expression holding JSON): a string key is an object member, an int key an
// array element (a negative index counts from the end, -1 being the last,
// on PostgreSQL and SQLite; MariaDB resolves its [last] paths once per
// statement, so there a negative index fails the build with a
// [*JSONPathError] matching [sqlerr.ErrUnsupported]).
// JSONPath(JSONPath(doc, "a"), "b") is JSONPath(doc, "a", "b").
//
// The path is always one bind parameter: a text[] of the keys on
// PostgreSQL (doc #> $1::text[]), a JSON path string such as $."a"[0]
// built in Go with every key quoted and escaped on MariaDB and SQLite. Keys
// never enter the SQL text. A key of another type fails the build with a
// [*JSONPathError].
func JSONPath(doc any, keys ...any) JSONExpr {
	if j, ok := doc.(JSONExpr); ok {
		all := make([]any, 0, len(j.keys)+len(keys))
		all = append(append(all, j.keys...), keys...)
		return JSONExpr{doc: j.doc, keys: all}
	}
	return JSONExpr{doc: doc, keys: keys}
}

// JSONHasKey is true when the JSON object doc has the member key, whatever
// its value (JSON null included). It is JSONPath(doc, key).Exists(); see
// [JSONExpr.Exists].
func JSONHasKey(doc any, key string) Expr { return JSONPath(doc, key).Exists() }

// JSONContains is true when the JSON document doc contains want, a Go
// value marshalled with encoding/json and bound as one parameter (a Go
// string is a JSON string; pass JSON text as a json.RawMessage): every
// member of a wanted object is in doc's object with a contained value,
// every element of a wanted array is contained in some element of doc's
// array, and scalars are equal. PostgreSQL: doc @> $1::text::jsonb;
// MariaDB: JSON_CONTAINS(doc, ?). doc may be a [JSONExpr] to test a part
// of a document. SQLite has no containment: building it there fails with
// an error matching [sqlerr.ErrUnsupported] (test keys with [JSONPath]
// instead).
func JSONContains(doc any, want any) Expr { return jsonContains{doc, want} }

type jsonContains struct{ doc, want any }

func (c jsonContains) WriteSQL(w *Writer) {
	f := w.d.Features()
	if !f.Has(dialect.JSONB) && !f.Has(dialect.JSONFunctions) {
		w.Fail(sqlerr.Unsupported(w.d.Name(), "JSON containment (JSONContains)"))
		return
	}
	b, err := json.Marshal(c.want)
	if err != nil {
		w.Failf("JSONContains: marshal %T: %v", c.want, err)
		return
	}
	if f.Has(dialect.JSONB) {
		w.Raw("(")
		w.Expr(c.doc)
		w.Raw(" @> ")
		w.Arg(string(b))
		w.Raw("::text::jsonb)")
		return
	}
	w.Raw("JSON_CONTAINS(")
	w.Expr(c.doc)
	w.Raw(", ")
	w.Arg(string(b))
	w.Raw(")")
}

// JSONEqual is true when the JSON values a and b are equal. Each side is
// an expression holding JSON (a column, a [JSONExpr]) or a Go value,
// marshalled with encoding/json and bound (json.RawMessage for JSON text). PostgreSQL compares jsonb
// (a = b); MariaDB uses (JSON_EQUALS(a, b) = 1), because its = on two
// JSON_EXTRACT results compares strings wrongly and its WHERE takes a bare
// JSON_EQUALS of a missing path for true; SQLite compares the minified
// texts (json(a) = json(b)), so there two objects are equal only with their
// keys in the same order (encoding/json writes a map's keys sorted, a
// struct's in field order). NULL when either side is NULL (a missing path).
func JSONEqual(a, b any) Expr { return jsonEqual{a, b} }

type jsonEqual struct{ a, b any }

func (e jsonEqual) WriteSQL(w *Writer) {
	switch flavour := jsonFlavour(w); flavour {
	case dialect.JSONB:
		w.Raw("(")
		writeJSONOperand(w, flavour, e.a)
		w.Raw(" = ")
		writeJSONOperand(w, flavour, e.b)
		w.Raw(")")
	case dialect.JSONFunctions:
		// = 1: MariaDB 10.11's WHERE takes a bare JSON_EQUALS that is
		// NULL (a missing path) for true.
		w.Raw("(JSON_EQUALS(")
		writeJSONOperand(w, flavour, e.a)
		w.Raw(", ")
		writeJSONOperand(w, flavour, e.b)
		w.Raw(") = 1)")
	case dialect.JSON1:
		w.Raw("(json(")
		writeJSONOperand(w, flavour, e.a)
		w.Raw(") = json(")
		writeJSONOperand(w, flavour, e.b)
		w.Raw("))")
	}
}

// writeJSONOperand writes an expression as it is and a Go value as its
// bound JSON text (cast to jsonb on PostgreSQL).
func writeJSONOperand(w *Writer, flavour dialect.Feature, v any) {
	if e, ok := v.(Expr); ok {
		e.WriteSQL(w)
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		w.Failf("JSON value: marshal %T: %v", v, err)
		return
	}
	w.Arg(string(b))
	if flavour == dialect.JSONB {
		w.Raw("::text::jsonb")
	}
}

// jsonFlavour is the dialect's JSON support, or 0 (and a recorded error)
// when it has none Strata knows.
func jsonFlavour(w *Writer) dialect.Feature {
	f := w.d.Features()
	for _, x := range []dialect.Feature{dialect.JSONB, dialect.JSONFunctions, dialect.JSON1} {
		if f.Has(x) {
			return x
		}
	}
	w.Fail(sqlerr.Unsupported(w.d.Name(), "JSON paths"))
	return 0
}

// writePath binds the path: a text[] on PostgreSQL, a '$...' string
// elsewhere.
func (j JSONExpr) writePath(w *Writer, flavour dialect.Feature) {
	if flavour == dialect.JSONB {
		keys := make([]string, len(j.keys))
		for i, k := range j.keys {
			switch k := k.(type) {
			case string:
				keys[i] = k
			default:
				n, ok := jsonIndex(k)
				if !ok {
					w.Fail(&JSONPathError{Key: k, Reason: "want a string (object key) or an integer (array index)"})
					return
				}
				keys[i] = strconv.FormatInt(n, 10)
			}
		}
		w.Arg(keys)
		w.Raw("::text[]")
		return
	}
	var b strings.Builder
	b.WriteByte('$')
	for _, k := range j.keys {
		switch k := k.(type) {
		case string:
			// A quoted key, escaped as encoding/json escapes a string
			// (short escapes first). SQLite (3.45 and later) decodes
			// escapes on both sides; MariaDB compares the key with the
			// document's text as written, escapes included, so this
			// matches documents that escape keys the usual way.
			b.WriteString(`."`)
			for _, r := range k {
				switch {
				case r == '"' || r == '\\':
					b.WriteByte('\\')
					b.WriteRune(r)
				case r < 0x20 && shortEscapes[r] != 0:
					b.WriteByte('\\')
					b.WriteByte(shortEscapes[r])
				case r < 0x20:
					fmt.Fprintf(&b, `\u%04x`, r)
				default:
					b.WriteRune(r)
				}
			}
			b.WriteByte('"')
		default:
			n, ok := jsonIndex(k)
			if !ok {
				w.Fail(&JSONPathError{Key: k, Reason: "want a string (object key) or an integer (array index)"})
				return
			}
			b.WriteByte('[')
			switch {
			case n >= 0:
				b.WriteString(strconv.FormatInt(n, 10))
			case flavour == dialect.JSON1:
				b.WriteString("#")
				b.WriteString(strconv.FormatInt(n, 10))
			default:
				// MariaDB 10.11 has [last-N], but resolves it against the
				// first row it reads and keeps that index for the rest of
				// the statement (and NULLIF's second evaluation loses it):
				// wrong answers, so no negative indexes there.
				w.Fail(&JSONPathError{Key: k, Dialect: w.d.Name(),
					Reason: "negative array indexes are not supported", Err: sqlerr.Unsupported(w.d.Name(), "negative JSON array indexes")})
				return
			}
			b.WriteByte(']')
		}
	}
	w.Arg(b.String())
}

// shortEscapes are JSON's two-character escapes of control characters.
var shortEscapes = [0x20]byte{'\b': 'b', '\f': 'f', '\n': 'n', '\r': 'r', '\t': 't'}

// jsonIndex returns an integer key's value.
func jsonIndex(k any) (int64, bool) {
	v := reflect.ValueOf(k)
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if v.Uint() <= 1<<62 {
			return int64(v.Uint()), true
		}
	}
	return 0, false
}

// call writes name(doc, path): the shape of every MariaDB and SQLite
// function taking a document and a path.
func (j JSONExpr) call(w *Writer, flavour dialect.Feature, name string) {
	w.Raw(name)
	w.Raw("(")
	w.Expr(j.doc)
	w.Raw(", ")
	j.writePath(w, flavour)
	w.Raw(")")
}

// pg writes (doc op path) on PostgreSQL.
func (j JSONExpr) pg(w *Writer, op string) {
	w.Raw("(")
	w.Expr(j.doc)
	w.Raw(op)
	j.writePath(w, dialect.JSONB)
	w.Raw(")")
}

// WriteSQL writes the JSON value: (doc #> $1::text[]) on PostgreSQL,
// JSON_EXTRACT(doc, ?) on MariaDB, (doc -> ?) on SQLite (which, unlike
// json_extract, keeps strings and booleans as JSON text).
func (j JSONExpr) WriteSQL(w *Writer) {
	switch flavour := jsonFlavour(w); flavour {
	case dialect.JSONB:
		j.pg(w, " #> ")
	case dialect.JSONFunctions:
		j.call(w, flavour, "JSON_EXTRACT")
	case dialect.JSON1:
		w.Raw("(")
		w.Expr(j.doc)
		w.Raw(" -> ")
		j.writePath(w, flavour)
		w.Raw(")")
	}
}

// Text is the value as text, the same on every database for scalars: a
// string unquoted, a number as text, true and false as 'true' and 'false',
// JSON null and a missing path as SQL NULL. An object or array is its JSON
// text, whose spacing and key order differ between databases, and a
// number's spelling may be normalised (SQLite reads 1E2 as 100.0).
// PostgreSQL: (doc #>> $1::text[]); MariaDB:
// JSON_UNQUOTE(NULLIF(CAST(JSON_EXTRACT(doc, ?) AS CHAR), 'null')); SQLite,
// whose json_extract returns booleans as 1 and 0:
// CASE json_type(doc, ?) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'
// ELSE CAST(json_extract(doc, ?) AS TEXT) END. Comparing it with a string
// follows the database's text comparison (case-insensitive on MariaDB's
// default collation).
func (j JSONExpr) Text() Expr { return jsonScalar{j, jsonText} }

// Int is the value as a 64-bit integer, for numeric comparison and
// ordering: CAST(... AS bigint / SIGNED / INTEGER) of the scalar. It is
// meant for integers: PostgreSQL rejects a fractional number or a string
// that is not one, where MariaDB and SQLite truncate (use [JSONExpr.Float]
// for fractions). A missing path or JSON null is NULL.
func (j JSONExpr) Int() Expr { return jsonScalar{j, jsonInt} }

// Float is the value as a double precision number (double precision,
// DOUBLE, REAL). A missing path or JSON null is NULL.
func (j JSONExpr) Float() Expr { return jsonScalar{j, jsonFloat} }

// Bool is a condition true when the value is JSON true, false when it is
// anything else (false, a string "true", 1), NULL when the path leads
// nowhere. PostgreSQL: ((doc #> $1::text[]) = 'true'::jsonb); MariaDB:
// (CAST(JSON_EXTRACT(doc, ?) AS CHAR) = 'true'); SQLite:
// (json_type(doc, ?) = 'true').
func (j JSONExpr) Bool() Expr { return jsonScalar{j, jsonBool} }

// Len is the number of elements of a JSON array: jsonb_array_length,
// JSON_LENGTH, json_array_length. Use it on arrays only: PostgreSQL fails
// on other values, MariaDB counts an object's members and a scalar as 1,
// SQLite gives 0. A missing path is NULL.
func (j JSONExpr) Len() Expr { return jsonScalar{j, jsonLen} }

// Exists is true when the path leads to a value, JSON null included:
// ((doc #> $1::text[]) IS NOT NULL) on PostgreSQL,
// JSON_CONTAINS_PATH(doc, 'one', ?) on MariaDB,
// (json_type(doc, ?) IS NOT NULL) on SQLite. (PostgreSQL's jsonb_exists,
// the ? operator, also matches the string elements of an array, which the
// other databases' path tests do not; the path test means the same
// everywhere.)
func (j JSONExpr) Exists() Expr { return jsonScalar{j, jsonExists} }

type jsonKind uint8

const (
	jsonText jsonKind = iota
	jsonInt
	jsonFloat
	jsonBool
	jsonLen
	jsonExists
)

type jsonScalar struct {
	j    JSONExpr
	kind jsonKind
}

func (s jsonScalar) WriteSQL(w *Writer) {
	j := s.j
	flavour := jsonFlavour(w)
	switch flavour {
	case dialect.JSONB:
		switch s.kind {
		case jsonText:
			j.pg(w, " #>> ")
		case jsonInt, jsonFloat:
			w.Raw("CAST(")
			j.pg(w, " #>> ")
			if s.kind == jsonInt {
				w.Raw(" AS bigint)")
			} else {
				w.Raw(" AS double precision)")
			}
		case jsonBool:
			w.Raw("(")
			j.pg(w, " #> ")
			w.Raw(" = 'true'::jsonb)")
		case jsonLen:
			w.Raw("jsonb_array_length")
			j.pg(w, " #> ")
		case jsonExists:
			w.Raw("(")
			j.pg(w, " #> ")
			w.Raw(" IS NOT NULL)")
		}
	case dialect.JSONFunctions:
		switch s.kind {
		case jsonText:
			w.Raw("JSON_UNQUOTE(NULLIF(CAST(")
			j.call(w, flavour, "JSON_EXTRACT")
			w.Raw(" AS CHAR), 'null'))")
		case jsonInt:
			// through DECIMAL: CAST('1e2' AS SIGNED) stops at the e (1),
			// and DOUBLE would round integers past 2^53
			w.Raw("CAST(TRUNCATE(CAST(")
			j.call(w, flavour, "JSON_VALUE")
			w.Raw(" AS DECIMAL(65,10)), 0) AS SIGNED)")
		case jsonFloat:
			w.Raw("CAST(")
			j.call(w, flavour, "JSON_VALUE")
			w.Raw(" AS DOUBLE)")
		case jsonBool:
			w.Raw("(CAST(")
			j.call(w, flavour, "JSON_EXTRACT")
			w.Raw(" AS CHAR) = 'true')")
		case jsonLen:
			j.call(w, flavour, "JSON_LENGTH")
		case jsonExists:
			w.Raw("JSON_CONTAINS_PATH(")
			w.Expr(j.doc)
			w.Raw(", 'one', ")
			j.writePath(w, flavour)
			w.Raw(")")
		}
	case dialect.JSON1:
		switch s.kind {
		case jsonText:
			w.Raw("CASE ")
			j.call(w, flavour, "json_type")
			w.Raw(" WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(")
			j.call(w, flavour, "json_extract")
			w.Raw(" AS TEXT) END")
		case jsonInt, jsonFloat:
			w.Raw("CAST(")
			j.call(w, flavour, "json_extract")
			if s.kind == jsonInt {
				w.Raw(" AS INTEGER)")
			} else {
				w.Raw(" AS REAL)")
			}
		case jsonBool:
			w.Raw("(")
			j.call(w, flavour, "json_type")
			w.Raw(" = 'true')")
		case jsonLen:
			j.call(w, flavour, "json_array_length")
		case jsonExists:
			w.Raw("(")
			j.call(w, flavour, "json_type")
			w.Raw(" IS NOT NULL)")
		}
	}
}
