package pgdialect

import (
	"bytes"
	"encoding/binary"
	"math"
	"reflect"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// Large array arguments (the columns of an unnest INSERT: one array per
// column, a row per element) are encoded by pgdialect itself, into one
// buffer grown once. pgx encodes a []string element by element through
// an interface (a boxed copy of each string, and a buffer that grows as
// it goes): for 10,000 rows of four text columns that is most of the
// client's time in the statement.
//
// The encoding is PostgreSQL's binary array format, and the one pgx
// writes: a header (one dimension, no NULLs, the element type's OID, the
// length, lower bound 1), then each element as its length and its binary
// form. It is used only for slices of the predeclared types whose binary
// form is their natural one (string as text, varchar or bpchar; int16,
// int32, int64 as int2, int4, int8; bool; float32, float64 as float4,
// float8), and only where pgx itself would send that element type in
// binary: each plan asks pgx's own plan to encode a one-element array
// first, and keeps to pgx's plan unless its own bytes are the same.
// Anything else (another element type, the text format of the simple
// protocol, a nil or empty slice) goes to pgx unchanged.

// binArrayMin is the length from which a slice argument is encoded by
// pgdialect: below it, the wrapper costs about what it saves.
const binArrayMin = 16

// binElem is an element type encoded by pgdialect.
type binElem interface {
	string | int16 | int32 | int64 | bool | float32 | float64
}

// binArray marks a slice argument for pgdialect's encoder. It is a named
// slice type, which pgx would still encode correctly (by reflection) on a
// connection without the encoder; binArgs wraps arguments only after
// installing it.
type binArray[T binElem] []T

// binArrayArg is what every binArray has: its plan and the plain slice
// pgx's own plan encodes.
type binArrayArg interface {
	binPlan() (pgtype.WrappedEncodePlanNextSetter, any)
}

func (a binArray[T]) binPlan() (pgtype.WrappedEncodePlanNextSetter, any) {
	return &binArrayPlan[T]{}, []T(a)
}

// tryWrapBinArray is the pgtype hook that plans a binArray: pgx plans
// the plain slice (for the parameter's type and format) and hands that
// plan to SetNext.
func tryWrapBinArray(value any) (pgtype.WrappedEncodePlanNextSetter, any, bool) {
	if a, ok := value.(binArrayArg); ok {
		p, next := a.binPlan()
		return p, next, true
	}
	return nil, nil, false
}

// tryWrapBinArrayPC identifies tryWrapBinArray among a map's hooks.
var tryWrapBinArrayPC = reflect.ValueOf(tryWrapBinArray).Pointer()

// installBinArrays puts pgdialect's array hook first among m's encode
// hooks, if it is not there: before pgx's own, which would plan a named
// slice by reflection. It only ever plans a binArray, which no other code
// passes, so nothing else m encodes changes.
func installBinArrays(m *pgtype.Map) {
	if hooks := m.TryWrapEncodePlanFuncs; len(hooks) > 0 && reflect.ValueOf(hooks[0]).Pointer() == tryWrapBinArrayPC {
		return
	}
	m.TryWrapEncodePlanFuncs = append([]pgtype.TryWrapEncodePlanFunc{tryWrapBinArray}, m.TryWrapEncodePlanFuncs...)
}

// binMark reports whether a is a slice pgdialect encodes (one of a
// binElem type, of binArrayMin elements or more) and, when mark is set,
// returns it marked as a binArray. Without mark it allocates nothing:
// every statement's arguments are asked.
func binMark(a any, mark bool) (any, bool) {
	switch v := a.(type) {
	case []string:
		return markAs(v, mark)
	case []int64:
		return markAs(v, mark)
	case []int32:
		return markAs(v, mark)
	case []int16:
		return markAs(v, mark)
	case []bool:
		return markAs(v, mark)
	case []float64:
		return markAs(v, mark)
	case []float32:
		return markAs(v, mark)
	}
	return nil, false
}

func markAs[T binElem](v []T, mark bool) (any, bool) {
	switch {
	case len(v) < binArrayMin:
		return nil, false
	case !mark:
		return nil, true
	}
	return binArray[T](v), true
}

// wantsBinArrays reports whether args (after nativeArgs) hold a slice
// pgdialect would encode.
func wantsBinArrays(args []any) bool {
	for _, a := range args {
		if _, ok := binMark(a, false); ok {
			return true
		}
	}
	return false
}

// binArgs returns args with every large slice of a binElem type marked
// for pgdialect's encoder, which it installs on c's type map first. args
// is copied only when a slice is marked.
func binArgs(c *pgx.Conn, args []any) []any { return binArgsOn(c.TypeMap(), args) }

// binArgsOn is binArgs for the connection whose type map is m.
func binArgsOn(m *pgtype.Map, args []any) []any {
	if !wantsBinArrays(args) {
		return args
	}
	installBinArrays(m)
	out := slices.Clone(args)
	for i, a := range out {
		if marked, ok := binMark(a, true); ok {
			out[i] = marked
		}
	}
	return out
}

// binArrayPlan encodes a binArray[T] for one parameter type and format
// (pgx keeps a plan per type, format and Go type). next is pgx's plan for
// the plain []T.
type binArrayPlan[T binElem] struct {
	next   pgtype.EncodePlan
	probed bool
	fast   bool   // pgdialect's bytes are pgx's: encode here
	elem   uint32 // the element type's OID, when fast
}

func (p *binArrayPlan[T]) SetNext(next pgtype.EncodePlan) { p.next = next }

// isFast reports whether the plan encodes by itself (for tests).
func (p *binArrayPlan[T]) isFast() bool {
	if !p.probed {
		p.probe()
	}
	return p.fast
}

func (p *binArrayPlan[T]) Encode(value any, buf []byte) ([]byte, error) {
	s := []T(value.(binArray[T]))
	if !p.probed {
		p.probe()
	}
	if p.fast && len(s) > 0 && len(s) <= math.MaxInt32 {
		if out, ok := appendBinArray(buf, p.elem, s); ok {
			return out, nil
		}
	}
	return p.next.Encode(s, buf)
}

// probe decides whether the plan encodes here: pgx's plan must write a
// binary array (not the text format) of an element type whose binary
// form is T's natural one, byte for byte what appendBinArray writes for a
// one-element array of T's zero value.
func (p *binArrayPlan[T]) probe() {
	p.probed = true
	sample := []T{*new(T)}
	want, err := p.next.Encode(sample, nil)
	if err != nil || len(want) < 12 || binary.BigEndian.Uint32(want) != 1 {
		return // an error, or not a one-dimensional binary array
	}
	elem := binary.BigEndian.Uint32(want[8:])
	if !naturalElem[T](elem) {
		return
	}
	if got, _ := appendBinArray(nil, elem, sample); !bytes.Equal(got, want) {
		return
	}
	p.fast, p.elem = true, elem
}

// naturalElem reports whether elem is a PostgreSQL type whose binary form
// is T's natural one: the bytes of a string; the big-endian integer or
// IEEE 754 value of T's width; one byte for a bool.
func naturalElem[T binElem](elem uint32) bool {
	switch any(*new(T)).(type) {
	case string:
		return elem == pgtype.TextOID || elem == pgtype.VarcharOID || elem == pgtype.BPCharOID
	case int16:
		return elem == pgtype.Int2OID
	case int32:
		return elem == pgtype.Int4OID
	case int64:
		return elem == pgtype.Int8OID
	case bool:
		return elem == pgtype.BoolOID
	case float32:
		return elem == pgtype.Float4OID
	case float64:
		return elem == pgtype.Float8OID
	}
	return false
}

// appendBinArray appends s as a one-dimensional binary array of element
// type elem without NULLs: the header, then each element's length and
// bytes. The buffer grows once. It reports false, and appends nothing,
// for a string too long for an element's length word (which PostgreSQL
// would refuse anyway).
func appendBinArray[T binElem](buf []byte, elem uint32, s []T) ([]byte, bool) {
	size := 20
	switch v := any(s).(type) {
	case []string:
		for _, x := range v {
			if len(x) > math.MaxInt32 {
				return buf, false
			}
			size += 4 + len(x)
		}
	default:
		size += len(s) * (4 + int(reflect.TypeFor[T]().Size()))
	}
	buf = slices.Grow(buf, size)
	buf = binary.BigEndian.AppendUint32(buf, 1) // dimensions
	buf = binary.BigEndian.AppendUint32(buf, 0) // no NULLs
	buf = binary.BigEndian.AppendUint32(buf, elem)
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(s)))
	buf = binary.BigEndian.AppendUint32(buf, 1) // lower bound
	switch v := any(s).(type) {
	case []string:
		for _, x := range v {
			buf = binary.BigEndian.AppendUint32(buf, uint32(len(x)))
			buf = append(buf, x...)
		}
	case []int64:
		for _, x := range v {
			buf = binary.BigEndian.AppendUint32(buf, 8)
			buf = binary.BigEndian.AppendUint64(buf, uint64(x))
		}
	case []int32:
		for _, x := range v {
			buf = binary.BigEndian.AppendUint32(buf, 4)
			buf = binary.BigEndian.AppendUint32(buf, uint32(x))
		}
	case []int16:
		for _, x := range v {
			buf = binary.BigEndian.AppendUint32(buf, 2)
			buf = binary.BigEndian.AppendUint16(buf, uint16(x))
		}
	case []bool:
		for _, x := range v {
			b := byte(0)
			if x {
				b = 1
			}
			buf = binary.BigEndian.AppendUint32(buf, 1)
			buf = append(buf, b)
		}
	case []float64:
		for _, x := range v {
			buf = binary.BigEndian.AppendUint32(buf, 8)
			buf = binary.BigEndian.AppendUint64(buf, math.Float64bits(x))
		}
	case []float32:
		for _, x := range v {
			buf = binary.BigEndian.AppendUint32(buf, 4)
			buf = binary.BigEndian.AppendUint32(buf, math.Float32bits(x))
		}
	}
	return buf, true
}
