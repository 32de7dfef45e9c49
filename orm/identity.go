package orm

import (
	"database/sql/driver"
	"fmt"
	"reflect"
	"time"
	"unsafe"
)

// Identity. A row's identity in a session is its mapper and its primary
// key, compared as Go compares the key's values: the value itself for a
// one-column key, a compositeKey for several. Keys are never encoded into
// strings: string encodings without a separator make ("a","bc") and
// ("ab","c") one identity, and a change to the displaced object is then
// silently never written (SQLAlchemy keys identities by tuples for the
// same reason). Registration refuses key fields whose values Go cannot
// compare, so a key is always a valid map key.

// maxKeyCols is the most columns a primary key may have.
const maxKeyCols = 8

// compositeKey is the identity of a row with a primary key of several
// columns: the values in key order, as the fields hold them.
type compositeKey struct {
	n uint8
	v [maxKeyCols]any
}

func (k compositeKey) String() string { return fmt.Sprint(k.v[:k.n]) }

// identityKey is a row's identity: its mapper and primary key.
type identityKey struct {
	m   *Mapper
	key any
}

// keyOf returns the identity key of the object at ptr.
func keyOf(m *Mapper, ptr unsafe.Pointer) any {
	if len(m.PK) == 1 {
		return m.PK[0].valueAt(ptr)
	}
	var k compositeKey
	k.n = uint8(len(m.PK))
	for i, f := range m.PK {
		k.v[i] = f.valueAt(ptr)
	}
	return k
}

// keyFrom is keyOf for key values already read (of the key fields' types,
// in key order).
func keyFrom(vals []any) any {
	if len(vals) == 1 {
		return vals[0]
	}
	var k compositeKey
	k.n = uint8(len(vals))
	copy(k.v[:], vals)
	return k
}

// keyValues returns the primary key values of the object at ptr.
func keyValues(m *Mapper, ptr unsafe.Pointer) []any {
	k := make([]any, len(m.PK))
	for i, f := range m.PK {
		k[i] = f.valueAt(ptr)
	}
	return k
}

// keyLess orders identity keys: by value for the common types, column by
// column for composite keys. It only orders statements (so concurrent
// flushes lock rows in the same order); equal keys never reach it.
func keyLess(a, b any) bool {
	if ca, ok := a.(compositeKey); ok {
		if cb, ok := b.(compositeKey); ok {
			for i := 0; i < int(ca.n) && i < int(cb.n); i++ {
				if ca.v[i] != cb.v[i] {
					return keyLess(ca.v[i], cb.v[i])
				}
			}
			return ca.n < cb.n
		}
	}
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.IsValid() && vb.IsValid() && va.Kind() == vb.Kind() {
		switch va.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			return va.Int() < vb.Int()
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			return va.Uint() < vb.Uint()
		case reflect.String:
			return va.String() < vb.String()
		case reflect.Float32, reflect.Float64:
			return va.Float() < vb.Float()
		case reflect.Bool:
			return !va.Bool() && vb.Bool()
		}
	}
	return fmt.Sprintf("%T%v", a, a) < fmt.Sprintf("%T%v", b, b)
}

// intKey returns a single integer primary key as an int64, for the
// identity map's integer table. Sessions holding few objects keep them all
// in the small inline map (no map allocated at all).
func intKey(m *Mapper, key any) (int64, bool) {
	if !m.intPK {
		return 0, false
	}
	switch k := key.(type) {
	case int64:
		return k, true
	case int:
		return int64(k), true
	case int32:
		return int64(k), true
	case int16:
		return int64(k), true
	case int8:
		return int64(k), true
	case uint32:
		return int64(k), true
	case uint16:
		return int64(k), true
	case uint8:
		return int64(k), true
	}
	return 0, false
}

// fieldsKey is a map key for the values of fields of the object at ptr,
// comparable across fields of different Go types holding the same column
// values (a child's *int64 foreign key and its parent's int64 key):
// pointers are followed, integers widened, driver.Valuers asked for their
// value. It is nil when a field is NULL: NULL matches nothing.
func fieldsKey(fs []*Field, ptr unsafe.Pointer) any {
	if len(fs) == 1 {
		return normValue(fs[0].rv(ptr))
	}
	var k compositeKey
	k.n = uint8(len(fs))
	for i, f := range fs {
		v := normValue(f.rv(ptr))
		if v == nil {
			return nil
		}
		k.v[i] = v
	}
	return k
}

// normValue is one value of fieldsKey.
func normValue(v reflect.Value) any {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint()
	case reflect.String:
		return v.String()
	}
	x := v.Interface()
	if t, ok := x.(time.Time); ok {
		return t.UTC() // one instant, whatever the location
	}
	if vr, ok := x.(driver.Valuer); ok {
		if dv, err := vr.Value(); err == nil {
			if dv == nil {
				return nil
			}
			x = dv
		}
	}
	if b, ok := x.([]byte); ok {
		return string(b) // comparable, and equal bytes are one value
	}
	if !reflect.TypeOf(x).Comparable() {
		return fmt.Sprintf("%T\x00%#v", x, x)
	}
	return x
}

// keyBoxes boxes a load's integer keys without an allocation each. Boxing
// an integer of 256 or more (converting it to an any, as an identity key
// is) allocates eight bytes; a load of 10,000 rows made 10,000 such
// allocations, half of all it made. keyBoxes instead writes each key into
// the next cell of a chunk of int64s and makes an any of the key field's
// type whose data word points at that cell: the value Go would have
// boxed, compared and hashed as Go compares and hashes it. A cell is
// written once, before its any exists, and never again (cells are not
// reused), so the boxed value never changes, as Go requires of a boxed
// value. A chunk stays alive while any of its keys does.
type keyBoxes struct {
	typ   unsafe.Pointer // the type word of an any holding the key field's type
	kind  reflect.Kind
	chunk []int64 // the cells not yet used
	size  int     // the last chunk's length
}

// eface is the layout of an any: its type word and its data word.
type eface struct {
	typ, data unsafe.Pointer
}

// intKeyField is m's key field if it is a single key whose identity key
// keyBoxes can make and intKey reads back: of type int64, int, int32,
// int16 or int8 itself (not a named type), with no codec. It is nil
// otherwise.
func intKeyField(m *Mapper) *Field {
	if !m.intPK {
		return nil
	}
	f := m.PK[0]
	if f.codec != codecNone {
		return nil
	}
	switch f.Type {
	case reflect.TypeFor[int64](), reflect.TypeFor[int](), reflect.TypeFor[int32](),
		reflect.TypeFor[int16](), reflect.TypeFor[int8]():
		return f
	}
	return nil
}

// newKeyBoxes boxes keys of f, a field intKeyField returned.
func newKeyBoxes(f *Field) keyBoxes {
	z := reflect.Zero(f.Type).Interface()
	return keyBoxes{typ: (*eface)(unsafe.Pointer(&z)).typ, kind: f.Type.Kind()}
}

// box returns v, a value of the key field (read by intAt), as an any of
// the field's type.
func (b *keyBoxes) box(v int64) any {
	if len(b.chunk) == 0 {
		b.size = min(max(2*b.size, 8), slabMax)
		b.chunk = make([]int64, b.size)
	}
	cell := unsafe.Pointer(&b.chunk[0])
	b.chunk = b.chunk[1:]
	switch b.kind { // the field's own width, at the cell's start
	case reflect.Int64:
		*(*int64)(cell) = v
	case reflect.Int:
		*(*int)(cell) = int(v)
	case reflect.Int32:
		*(*int32)(cell) = int32(v)
	case reflect.Int16:
		*(*int16)(cell) = int16(v)
	case reflect.Int8:
		*(*int8)(cell) = int8(v)
	}
	var k any
	e := (*eface)(unsafe.Pointer(&k))
	e.typ, e.data = b.typ, cell
	return k
}
