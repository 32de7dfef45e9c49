package orm

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"reflect"
	"time"
	"unsafe"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/schema"
)

// A codec turns a field's Go value into what the driver binds, and what
// the driver scans back into the field, for Go types no driver handles
// itself: JSON documents held as maps, slices and structs. Fields of the
// types drivers know (numbers, strings, times, []byte, Valuers and
// Scanners) have none, and cost nothing.
type codec uint8

const (
	codecNone  codec = iota
	codecJSON        // marshalled with encoding/json; NULL <-> nil
	codecArray       // a dialect.Array: native on PostgreSQL, a JSON array elsewhere
)

// chooseCodec picks the codec of a field of Go type t mapped to a column
// of type ct, or reports why no database could bind or scan it. It runs
// at registration, so that a model the driver cannot carry fails there,
// with the field named, and never at Commit.
func chooseCodec(t reflect.Type, ct schema.Type) (codec, error) {
	if carriesItself(t) {
		return codecNone, nil
	}
	if ct.Kind == schema.KindJSON {
		if err := jsonable(t, map[reflect.Type]bool{}); err != nil {
			return 0, fmt.Errorf("JSON column: %w", err)
		}
		return codecJSON, nil
	}
	if ct.Kind == schema.KindArray {
		if t.Kind() != reflect.Slice {
			return 0, fmt.Errorf("an array column needs a slice field, not %s", t)
		}
		et, ok := arrayElemType(t.Elem())
		if !ok {
			return 0, fmt.Errorf("no array column holds %s elements (string, int64, int32, float64, bool or a 16-byte UUID); declare the column type:json", t.Elem())
		}
		if !et.Equal(ct.Elem()) {
			return 0, fmt.Errorf("a %s field cannot hold a %s column; its elements make it %s", t, ct, schema.Array(et))
		}
		return codecArray, nil
	}
	if ct.Kind == schema.KindCustom {
		// the program chose the database type; the driver decides
		return codecNone, nil
	}
	if !scalar(t) {
		return 0, fmt.Errorf("a %s field cannot be bound or scanned as a %s column; declare the column type:json (or implement driver.Valuer and sql.Scanner)", t, ct)
	}
	return codecNone, nil
}

// arrayElemType returns the element type of the array column a slice of
// t maps to, if dialect.Array carries such elements.
func arrayElemType(t reflect.Type) (schema.Type, bool) {
	switch t.Kind() {
	case reflect.String:
		return schema.Text(), true
	case reflect.Int64:
		return schema.BigInt(), true
	case reflect.Int32:
		return schema.Integer(), true
	case reflect.Float64:
		return schema.Double(), true
	case reflect.Bool:
		return schema.Boolean(), true
	case reflect.Array:
		if t.Len() == 16 && t.Elem().Kind() == reflect.Uint8 {
			return schema.UUID(), true
		}
	}
	return schema.Type{}, false
}

// carriesItself reports whether the driver binds and scans t as it is:
// a Valuer whose pointer is a Scanner, []byte and json.RawMessage, or
// (through pointers and sql.Null) a predeclared scalar, a time or a
// 16-byte UUID array.
func carriesItself(t reflect.Type) bool {
	if t.Implements(valuerType) && reflect.PointerTo(t).Implements(scannerType) {
		return true
	}
	if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
		return true
	}
	return scalar(t)
}

// scalar reports whether t is a type drivers bind and scan: bools,
// numbers, strings, times, 16-byte arrays (UUIDs), []byte, interfaces
// (the driver's own values), through pointers and sql.Null wrappers.
func scalar(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Struct && t.PkgPath() == "database/sql" && t.NumField() == 2 && t.Field(1).Name == "Valid" {
		t = t.Field(0).Type
	}
	if t == timeType || reflect.PointerTo(t).Implements(scannerType) {
		return true
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.String, reflect.Interface:
		return true
	case reflect.Array:
		return t.Len() == 16 && t.Elem().Kind() == reflect.Uint8
	case reflect.Slice:
		return t.Elem().Kind() == reflect.Uint8
	}
	return false
}

// jsonable reports why encoding/json could not marshal or unmarshal every
// value of t, or nil.
func jsonable(t reflect.Type, seen map[reflect.Type]bool) error {
	if seen[t] {
		return nil
	}
	seen[t] = true
	if t.Implements(jsonMarshalerType) || reflect.PointerTo(t).Implements(jsonUnmarshalerType) ||
		t.Implements(textMarshalerType) && reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return nil
	}
	switch t.Kind() {
	case reflect.Chan, reflect.Func, reflect.Complex64, reflect.Complex128, reflect.UnsafePointer:
		return fmt.Errorf("encoding/json cannot carry a %s", t)
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return jsonable(t.Elem(), seen)
	case reflect.Map:
		switch k := t.Key(); {
		case k.Kind() == reflect.String, k.Kind() >= reflect.Int && k.Kind() <= reflect.Uintptr,
			k.Implements(textMarshalerType) && reflect.PointerTo(k).Implements(textUnmarshalerType):
		default:
			return fmt.Errorf("encoding/json cannot carry map keys of type %s", k)
		}
		return jsonable(t.Elem(), seen)
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if !sf.IsExported() && !sf.Anonymous || sf.Tag.Get("json") == "-" {
				continue
			}
			if err := jsonable(sf.Type, seen); err != nil {
				return fmt.Errorf("field %s: %w", sf.Name, err)
			}
		}
	}
	return nil
}

var (
	jsonMarshalerType   = reflect.TypeFor[json.Marshaler]()
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textMarshalerType   = reflect.TypeFor[interface{ MarshalText() ([]byte, error) }]()
	textUnmarshalerType = reflect.TypeFor[interface{ UnmarshalText([]byte) error }]()
)

// isNil reports whether v holds a nil map, slice, pointer or interface.
func isNil(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Map, reflect.Slice, reflect.Pointer, reflect.Interface:
		return v.IsNil()
	}
	return false
}

// jsonArg binds a field's value as its JSON text. A nil map, slice or
// pointer binds NULL in a nullable column and JSON null otherwise.
type jsonArg struct {
	v    any
	null bool
}

func (a jsonArg) Value() (driver.Value, error) {
	if a.null {
		return nil, nil
	}
	b, err := json.Marshal(a.v)
	if err != nil {
		return nil, fmt.Errorf("orm: marshalling a JSON column: %w", err)
	}
	return string(b), nil
}

// jsonDest scans a JSON column into the field at p, of type t: NULL is
// the zero value, a document is unmarshalled into a fresh value (never
// merged into what the field held).
type jsonDest struct {
	p unsafe.Pointer
	t reflect.Type
}

func (d *jsonDest) Scan(src any) error {
	field := reflect.NewAt(d.t, d.p).Elem()
	var b []byte
	switch v := src.(type) {
	case nil:
		field.SetZero()
		return nil
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("orm: scanning a JSON column: got %T", src)
	}
	fresh := reflect.New(d.t)
	if err := json.Unmarshal(b, fresh.Interface()); err != nil {
		return fmt.Errorf("orm: scanning a JSON column into %s: %w", d.t, err)
	}
	field.Set(fresh.Elem())
	return nil
}

// encode returns what the driver binds for v, a value of f's type.
func (f *Field) encode(v reflect.Value) any {
	switch f.codec {
	case codecJSON:
		return jsonArg{v: v.Interface(), null: f.Column.Nullable && isNil(v)}
	case codecArray:
		if v.IsNil() && !f.Column.Nullable {
			// NOT NULL: a nil slice is the empty array
			return dialect.Array{Slice: reflect.MakeSlice(f.Type, 0, 0).Interface()}
		}
		return dialect.Array{Slice: v.Interface()}
	}
	return v.Interface()
}

// arg returns what the driver binds for a value the program gave for f
// (in UpdateWhere's Set, say): values of f's type go through its codec;
// expressions and anything else are bound as they are.
func (f *Field) arg(v any) any {
	if f.codec == codecNone || v == nil {
		return v
	}
	rv := reflect.ValueOf(v)
	if rv.Type() != f.Type {
		return v
	}
	return f.encode(rv)
}

// jsonEqual is the change-tracking comparator of JSON fields: equal Go
// values, or values that marshal to the same document (a number held as
// an int after a program's change and as a float64 after a load, say),
// are unchanged.
func jsonEqual(t reflect.Type) func(a, b unsafe.Pointer) bool {
	return func(a, b unsafe.Pointer) bool {
		x, y := reflect.NewAt(t, a).Elem(), reflect.NewAt(t, b).Elem()
		if reflect.DeepEqual(x.Interface(), y.Interface()) {
			return true
		}
		if isNil(x) != isNil(y) {
			return false
		}
		bx, err1 := json.Marshal(x.Interface())
		by, err2 := json.Marshal(y.Interface())
		return err1 == nil && err2 == nil && bytes.Equal(bx, by)
	}
}

// typedFuncs reach a field of a predeclared type (or time.Time) without
// reflection. Named types get none: they keep their own type for the
// driver.
type typedFuncs struct {
	// box puts the value at an address into an interface: the compiler's
	// conversions are faster than reflect.Value.Interface and allocate
	// nothing for booleans, small integers and empty strings.
	box func(unsafe.Pointer) any
	// ptr is a typed pointer to the value at an address, as
	// reflect.NewAt(t, p).Interface() gives (a scan destination; a row of
	// a big load asks for one per column).
	ptr func(unsafe.Pointer) any
	// slice is the values at offset off in the rows' objects as one []T,
	// the array parameter of an unnest INSERT.
	slice func(rows []*state, off uintptr) any
}

// typedOf makes the typedFuncs of T around box, which the caller writes
// with its concrete type so that the compiler's boxing fast paths apply.
func typedOf[T any](box func(unsafe.Pointer) any) typedFuncs {
	return typedFuncs{
		box: box,
		ptr: func(p unsafe.Pointer) any { return (*T)(p) },
		slice: func(rows []*state, off uintptr) any {
			a := make([]T, len(rows))
			for j, st := range rows {
				a[j] = *(*T)(unsafe.Add(st.ptr, off))
			}
			return a
		},
	}
}

// typedFuncsOf returns the typedFuncs of t, all nil for a type other than
// the predeclared ones and time.Time.
func typedFuncsOf(t reflect.Type) typedFuncs {
	switch t {
	case reflect.TypeFor[string]():
		return typedOf[string](func(p unsafe.Pointer) any { return *(*string)(p) })
	case reflect.TypeFor[int64]():
		return typedOf[int64](func(p unsafe.Pointer) any { return *(*int64)(p) })
	case reflect.TypeFor[int32]():
		return typedOf[int32](func(p unsafe.Pointer) any { return *(*int32)(p) })
	case reflect.TypeFor[int]():
		return typedOf[int](func(p unsafe.Pointer) any { return *(*int)(p) })
	case reflect.TypeFor[int16]():
		return typedOf[int16](func(p unsafe.Pointer) any { return *(*int16)(p) })
	case reflect.TypeFor[bool]():
		return typedOf[bool](func(p unsafe.Pointer) any { return *(*bool)(p) })
	case reflect.TypeFor[float64]():
		return typedOf[float64](func(p unsafe.Pointer) any { return *(*float64)(p) })
	case reflect.TypeFor[float32]():
		return typedOf[float32](func(p unsafe.Pointer) any { return *(*float32)(p) })
	case timeType:
		return typedOf[time.Time](func(p unsafe.Pointer) any { return *(*time.Time)(p) })
	}
	return typedFuncs{}
}
