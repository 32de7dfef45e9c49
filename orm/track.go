package orm

import (
	"bytes"
	"math"
	"reflect"
	"time"
	"unsafe"
)

// Change tracking compares each mapped field of an object with a snapshot
// taken when it was loaded or last flushed. The snapshot is a copy of the
// whole struct (one allocation), with the fields that share memory with
// the object (pointers, slices, maps) copied deeply so that changes made
// through them are seen. Each field carries a comparator chosen at
// registration from its type, so a dirty check boxes nothing.

// at returns the address of the field inside the struct at obj.
func (f *Field) at(obj unsafe.Pointer) unsafe.Pointer { return unsafe.Add(obj, f.offset) }

// rv returns the field inside the struct at obj as a settable value.
func (f *Field) rv(obj unsafe.Pointer) reflect.Value {
	return reflect.NewAt(f.Type, unsafe.Add(obj, f.offset)).Elem()
}

// equalFunc returns a comparator for values of type t held at two
// addresses. Zero values are values: false and 0 differ from true and 1
// like any other pair, and NULL (a nil pointer) differs from a pointer to
// a zero value.
func equalFunc(t reflect.Type) func(a, b unsafe.Pointer) bool {
	switch t {
	case timeType:
		return func(a, b unsafe.Pointer) bool { return (*time.Time)(a).Equal(*(*time.Time)(b)) }
	}
	switch t.Kind() {
	case reflect.Bool:
		return eqOf[bool]
	case reflect.Int:
		return eqOf[int]
	case reflect.Int8:
		return eqOf[int8]
	case reflect.Int16:
		return eqOf[int16]
	case reflect.Int32:
		return eqOf[int32]
	case reflect.Int64:
		return eqOf[int64]
	case reflect.Uint:
		return eqOf[uint]
	case reflect.Uint8:
		return eqOf[uint8]
	case reflect.Uint16:
		return eqOf[uint16]
	case reflect.Uint32:
		return eqOf[uint32]
	case reflect.Uint64:
		return eqOf[uint64]
	case reflect.String:
		return eqOf[string]
	case reflect.Float32:
		// by bits: NaN equals NaN, so an unchanged NaN is not rewritten
		return func(a, b unsafe.Pointer) bool {
			return math.Float32bits(*(*float32)(a)) == math.Float32bits(*(*float32)(b))
		}
	case reflect.Float64:
		return func(a, b unsafe.Pointer) bool {
			return math.Float64bits(*(*float64)(a)) == math.Float64bits(*(*float64)(b))
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 { // []byte, json.RawMessage
			return func(a, b unsafe.Pointer) bool {
				x, y := *(*[]byte)(a), *(*[]byte)(b)
				return (x == nil) == (y == nil) && bytes.Equal(x, y)
			}
		}
	case reflect.Pointer:
		elem := equalFunc(t.Elem())
		return func(a, b unsafe.Pointer) bool {
			x, y := *(*unsafe.Pointer)(a), *(*unsafe.Pointer)(b)
			if x == nil || y == nil {
				return x == y
			}
			return x == y || elem(x, y)
		}
	}
	if t.Comparable() && !hasInterface(t) {
		return func(a, b unsafe.Pointer) bool {
			return reflect.NewAt(t, a).Elem().Equal(reflect.NewAt(t, b).Elem())
		}
	}
	return func(a, b unsafe.Pointer) bool {
		return reflect.DeepEqual(reflect.NewAt(t, a).Elem().Interface(), reflect.NewAt(t, b).Elem().Interface())
	}
}

func eqOf[T comparable](a, b unsafe.Pointer) bool { return *(*T)(a) == *(*T)(b) }

// hasInterface reports whether comparing t with == could panic at run
// time (an interface holding an incomparable value).
func hasInterface(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if hasInterface(t.Field(i).Type) {
				return true
			}
		}
	case reflect.Array:
		return hasInterface(t.Elem())
	}
	return false
}

// sharesMemory reports whether a copy of a t value still shares memory
// with the original, so a snapshot must copy it deeply.
func sharesMemory(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return true
	case reflect.Struct:
		if t == timeType {
			return false // its *Location is never mutated
		}
		for i := 0; i < t.NumField(); i++ {
			if sharesMemory(t.Field(i).Type) {
				return true
			}
		}
	case reflect.Array:
		return sharesMemory(t.Elem())
	}
	return false
}

// deepCopy returns a copy of v sharing no mutable memory with it.
func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(deepCopy(v.Elem()))
		return c
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		if !sharesMemory(v.Type().Elem()) {
			reflect.Copy(c, v)
			return c
		}
		for i := 0; i < v.Len(); i++ {
			c.Index(i).Set(deepCopy(v.Index(i)))
		}
		return c
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeMapWithSize(v.Type(), v.Len())
		it := v.MapRange()
		for it.Next() {
			c.SetMapIndex(it.Key(), deepCopy(it.Value()))
		}
		return c
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type()).Elem()
		c.Set(deepCopy(v.Elem()))
		return c
	case reflect.Struct:
		if !sharesMemory(v.Type()) {
			return v
		}
		c := reflect.New(v.Type()).Elem()
		c.Set(v)
		for i := 0; i < v.NumField(); i++ {
			if c.Field(i).CanSet() {
				c.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
		return c
	case reflect.Array:
		if !sharesMemory(v.Type()) {
			return v
		}
		c := reflect.New(v.Type()).Elem()
		for i := 0; i < v.Len(); i++ {
			c.Index(i).Set(deepCopy(v.Index(i)))
		}
		return c
	}
	return v
}

// snapshot copies the struct at ptr for change tracking.
func (m *Mapper) snapshot(ptr unsafe.Pointer) unsafe.Pointer {
	if m.typed.alloc != nil {
		return m.snapshotInto(m.typed.alloc(), ptr)
	}
	return m.snapshotInto(reflect.New(m.Type).UnsafePointer(), ptr)
}

// newPair allocates an object and room for its snapshot at once (a
// [2]T): a read of one row makes one allocation, not two. The snapshot
// stays alive as long as the object.
func (m *Mapper) newPair() (obj, snap unsafe.Pointer) {
	var p unsafe.Pointer
	if m.typed.pair != nil {
		p = m.typed.pair()
	} else {
		p = reflect.New(m.arrayOf(2)).UnsafePointer()
	}
	return p, unsafe.Add(p, m.Type.Size())
}

// snapshotInto is snapshot into memory the caller provides.
func (m *Mapper) snapshotInto(cp, ptr unsafe.Pointer) unsafe.Pointer {
	if m.typed.copy != nil {
		m.typed.copy(cp, ptr)
	} else {
		reflect.NewAt(m.Type, cp).Elem().Set(reflect.NewAt(m.Type, ptr).Elem())
	}
	for _, f := range m.deep {
		fv := f.rv(cp)
		fv.Set(deepCopy(fv))
	}
	return cp
}

// changed reports whether field f of the object differs from the snapshot.
func (f *Field) changed(obj, snap unsafe.Pointer) bool {
	return !f.eq(f.at(obj), f.at(snap))
}

// copyFields sets the mapped fields of dst from src (deeply), leaving
// unmapped fields alone.
func (m *Mapper) copyFields(dst, src unsafe.Pointer) {
	for _, f := range m.Fields {
		v := f.rv(src)
		if f.deepCopy {
			v = deepCopy(v)
		}
		f.rv(dst).Set(v)
	}
}

// copyRels sets the relationship fields (Ref and List headers) of dst from
// src: what they held, loaded or not.
func (m *Mapper) copyRels(dst, src unsafe.Pointer) {
	for _, rel := range m.rels {
		if rel.isList() {
			*rel.listAt(dst) = *rel.listAt(src)
		} else {
			*rel.refAt(dst) = *rel.refAt(src)
		}
	}
}
