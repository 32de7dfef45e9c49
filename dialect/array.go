package dialect

import (
	"database/sql/driver"
	"encoding"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"unicode/utf8"
)

// Array binds a Go slice to an array column ([schema.Array]). The element
// type is one of string, int64, int32, float64, bool or a 16-byte array
// (a UUID, such as github.com/google/uuid's UUID), or a named type over
// one of them; a nil slice (or a nil Slice) binds NULL.
//
// PostgreSQL binds the slice itself as a native array (text[], bigint[],
// integer[], double precision[], boolean[], uuid[]): pgdialect replaces
// every Array argument by its Slice before pgx sees it. MariaDB and SQLite
// store an array as the text of a JSON array of the elements, which is
// what [Array.Value] returns (see [AppendArrayJSON] for the exact form).
type Array struct{ Slice any }

// ArrayDest scans an array column into a Go slice: Ptr points to a slice
// of one of the element types [Array] accepts. A NULL column sets the
// slice to nil, an empty array to an empty, non-nil slice.
//
// PostgreSQL scans natively: pgdialect replaces every ArrayDest (and
// *ArrayDest) destination by its Ptr. On MariaDB and SQLite [ArrayDest.Scan]
// decodes the JSON text.
type ArrayDest struct{ Ptr any }

// ErrArrayValue is matched by every [*ArrayError].
var ErrArrayValue = errors.New("dialect: invalid array value")

// ArrayError reports a Go value that cannot be bound to or scanned from an
// array column: a type that is not a slice of a supported element, an
// element JSON cannot carry portably, or stored text that is not a JSON
// array of that element type.
type ArrayError struct {
	Op   string // "bind" or "scan"
	Type string // the Go type involved
	Err  error
}

func (e *ArrayError) Error() string {
	return fmt.Sprintf("dialect: array %s %s: %v", e.Op, e.Type, e.Err)
}

// Unwrap returns the cause.
func (e *ArrayError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrArrayValue) true.
func (e *ArrayError) Is(target error) bool { return target == ErrArrayValue }

var (
	textMarshalerType   = reflect.TypeFor[encoding.TextMarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

const elemKinds = "string, int64, int32, float64, bool or a [16]byte UUID"

// checkElem reports whether t can be an array element.
func checkElem(t reflect.Type) error {
	switch t.Kind() {
	case reflect.String, reflect.Int64, reflect.Int32, reflect.Float64, reflect.Bool:
		return nil
	case reflect.Array:
		if t.Len() == 16 && t.Elem().Kind() == reflect.Uint8 {
			return nil
		}
	}
	return fmt.Errorf("element type %s is not supported (%s)", t, elemKinds)
}

// CheckArrayElem returns an *[ArrayError] unless v's type can be an array
// element (see [Array]). It checks the type only: a NaN passes, which
// PostgreSQL stores and [AppendElemJSON] refuses.
func CheckArrayElem(v any) error {
	if v == nil {
		return &ArrayError{Op: "bind", Type: "nil", Err: errors.New("an array element cannot be NULL")}
	}
	if err := checkElem(reflect.TypeOf(v)); err != nil {
		return &ArrayError{Op: "bind", Type: reflect.TypeOf(v).String(), Err: err}
	}
	return nil
}

// Native returns the slice to bind where the driver binds Go slices as
// arrays natively (pgx): Slice itself, nil for a nil slice, or an
// *[ArrayError] when Slice is not a slice of a supported element type.
func (a Array) Native() (any, error) {
	if a.Slice == nil {
		return nil, nil
	}
	v := reflect.ValueOf(a.Slice)
	if v.Kind() != reflect.Slice {
		return nil, &ArrayError{Op: "bind", Type: v.Type().String(), Err: errors.New("not a slice")}
	}
	if err := checkElem(v.Type().Elem()); err != nil {
		return nil, &ArrayError{Op: "bind", Type: v.Type().String(), Err: err}
	}
	if v.IsNil() {
		return nil, nil
	}
	return a.Slice, nil
}

// Value implements driver.Valuer: the JSON array text of the slice (as
// [AppendArrayJSON] writes it), or NULL for a nil slice.
func (a Array) Value() (driver.Value, error) {
	s, err := a.Native()
	if err != nil || s == nil {
		return nil, err
	}
	b, err := AppendArrayJSON(nil, s)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// AppendArrayJSON appends the JSON array MariaDB and SQLite store for
// slice: strings as JSON strings (only '"', '\' and control characters
// escaped; a string that is not valid UTF-8 or holds NUL, which
// PostgreSQL's text cannot store either, is refused), integers in decimal,
// float64 in Go's shortest form ('g'; NaN and infinities, which JSON
// cannot carry, are refused), booleans as true and false, and 16-byte
// UUIDs as JSON strings: MarshalText's output when the element type
// implements encoding.TextMarshaler, else the canonical lower-case
// 8-4-4-4-12 form. There is no space between elements. A nil slice is
// written as [].
func AppendArrayJSON(b []byte, slice any) ([]byte, error) {
	v := reflect.ValueOf(slice)
	if v.Kind() != reflect.Slice {
		return b, &ArrayError{Op: "bind", Type: fmt.Sprintf("%T", slice), Err: errors.New("not a slice")}
	}
	b = append(b, '[')
	for i := range v.Len() {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = AppendElemJSON(b, v.Index(i).Interface()); err != nil {
			return b, &ArrayError{Op: "bind", Type: v.Type().String(), Err: fmt.Errorf("element %d: %w", i, errors.Unwrap(err))}
		}
	}
	return append(b, ']'), nil
}

// AppendElemJSON appends one array element as [AppendArrayJSON] writes it
// inside an array: the JSON scalar the array operators of MariaDB and
// SQLite compare with.
func AppendElemJSON(b []byte, elem any) ([]byte, error) {
	v := reflect.ValueOf(elem)
	if !v.IsValid() {
		return b, &ArrayError{Op: "bind", Type: "nil", Err: errors.New("an array element cannot be NULL")}
	}
	fail := func(err error) ([]byte, error) {
		return b, &ArrayError{Op: "bind", Type: v.Type().String(), Err: err}
	}
	if err := checkElem(v.Type()); err != nil {
		return fail(err)
	}
	switch v.Kind() {
	case reflect.String:
		return appendJSONString(b, v.String(), fail)
	case reflect.Int64, reflect.Int32:
		return strconv.AppendInt(b, v.Int(), 10), nil
	case reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fail(fmt.Errorf("%v cannot be stored in a JSON array", f))
		}
		return strconv.AppendFloat(b, f, 'g', -1, 64), nil
	case reflect.Bool:
		return strconv.AppendBool(b, v.Bool()), nil
	}
	// A 16-byte UUID.
	if v.Type().Implements(textMarshalerType) {
		text, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		if err != nil {
			return fail(err)
		}
		return appendJSONString(b, string(text), fail)
	}
	var u [16]byte
	reflect.Copy(reflect.ValueOf(&u).Elem(), v)
	b = append(b, '"')
	b = append(b, formatUUID(u)...)
	return append(b, '"'), nil
}

func formatUUID(u [16]byte) string {
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return string(s[:])
}

func parseUUID(s string) ([16]byte, bool) {
	var u [16]byte
	if len(s) == 32 { // hex without dashes
		_, err := hex.Decode(u[:], []byte(s))
		return u, err == nil
	}
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	h := []byte(s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:])
	_, err := hex.Decode(u[:], h)
	return u, err == nil
}

const hexDigits = "0123456789abcdef"

func appendJSONString(b []byte, s string, fail func(error) ([]byte, error)) ([]byte, error) {
	if !utf8.ValidString(s) {
		return fail(errors.New("a string element is not valid UTF-8"))
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == 0:
			return fail(errors.New("a string element holds NUL, which PostgreSQL's text cannot store"))
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			switch c {
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
		default:
			b = append(b, c)
		}
	}
	return append(b, '"'), nil
}

// Native returns the destination to scan into where the driver scans
// arrays into Go slices natively (pgx): Ptr itself, or an *[ArrayError]
// when Ptr is not a non-nil pointer to a slice of a supported element type.
func (d ArrayDest) Native() (any, error) {
	if _, err := d.slice(); err != nil {
		return nil, err
	}
	return d.Ptr, nil
}

func (d ArrayDest) slice() (reflect.Value, error) {
	v := reflect.ValueOf(d.Ptr)
	if !v.IsValid() {
		return v, &ArrayError{Op: "scan", Type: "nil", Err: errors.New("Ptr must point to a slice")}
	}
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Slice {
		return v, &ArrayError{Op: "scan", Type: v.Type().String(), Err: errors.New("Ptr must be a non-nil pointer to a slice")}
	}
	if err := checkElem(v.Type().Elem().Elem()); err != nil {
		return v, &ArrayError{Op: "scan", Type: v.Type().String(), Err: err}
	}
	return v.Elem(), nil
}

// Scan implements sql.Scanner: NULL sets the slice to nil, the text of a
// JSON array ([]byte or string) is decoded into it element by element.
// Anything else, a JSON null element, or an element of the wrong JSON
// type or out of the element type's range is an *[ArrayError]; the slice
// is then left as it was.
func (d ArrayDest) Scan(src any) error {
	s, err := d.slice()
	if err != nil {
		return err
	}
	var text []byte
	switch src := src.(type) {
	case nil:
		s.SetZero()
		return nil
	case []byte:
		text = src
	case string:
		text = []byte(src)
	default:
		return &ArrayError{Op: "scan", Type: s.Type().String(), Err: fmt.Errorf("cannot scan a %T (want the text of a JSON array)", src)}
	}
	fail := func(err error) error { return &ArrayError{Op: "scan", Type: s.Type().String(), Err: err} }
	var raw []json.RawMessage
	if err := json.Unmarshal(text, &raw); err != nil || raw == nil {
		if err == nil {
			err = errors.New("the JSON value is null, not an array")
		}
		return fail(fmt.Errorf("%q is not a JSON array: %w", truncate(text), err))
	}
	et := s.Type().Elem()
	out := reflect.MakeSlice(s.Type(), len(raw), len(raw))
	uuidText := et.Kind() == reflect.Array && reflect.PointerTo(et).Implements(textUnmarshalerType)
	for i, r := range raw {
		if string(r) == "null" {
			return fail(fmt.Errorf("element %d is null", i))
		}
		e := out.Index(i)
		switch {
		case et.Kind() == reflect.Array && !uuidText:
			var str string
			if err := json.Unmarshal(r, &str); err != nil {
				return fail(fmt.Errorf("element %d: %s is not a UUID string", i, r))
			}
			u, ok := parseUUID(str)
			if !ok {
				return fail(fmt.Errorf("element %d: %q is not a UUID", i, str))
			}
			reflect.Copy(e, reflect.ValueOf(u[:]))
		default:
			if err := json.Unmarshal(r, e.Addr().Interface()); err != nil {
				return fail(fmt.Errorf("element %d: %w", i, err))
			}
		}
	}
	s.Set(out)
	return nil
}

func truncate(b []byte) string {
	if len(b) > 64 {
		return string(b[:61]) + "..."
	}
	return string(b)
}

// ArrayStyle says how a dialect stores array columns, which decides how
// package expr writes the array operators (ArrayHas, ArrayOverlaps,
// ArrayContainsAll, ArrayLength). It is a capability, like [Feature]: a
// new dialect picks the style it supports, or none.
type ArrayStyle uint8

// The array styles.
const (
	// NoArrays: the dialect has no array columns.
	NoArrays ArrayStyle = iota
	// NativeArrays are SQL arrays queried with = ANY, &&, @> and
	// cardinality (PostgreSQL).
	NativeArrays
	// JSONContainsArrays are JSON arrays queried with JSON_CONTAINS,
	// JSON_OVERLAPS and JSON_LENGTH (MariaDB 10.9 and later, MySQL 8.0.17
	// and later).
	JSONContainsArrays
	// JSONEachArrays are JSON arrays queried through the json_each table
	// function and json_array_length (SQLite).
	JSONEachArrays
)

// ArrayStyler is implemented by dialects with array columns.
type ArrayStyler interface {
	ArrayStyle() ArrayStyle
}

// ArrayStyleOf returns d's array style, NoArrays if it has none.
func ArrayStyleOf(d Dialect) ArrayStyle {
	if s, ok := d.(ArrayStyler); ok {
		return s.ArrayStyle()
	}
	return NoArrays
}
