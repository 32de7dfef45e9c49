package orm

import (
	"reflect"
	"slices"
	"unsafe"
)

// The undo log of a flush: every change a flush makes to the objects is
// recorded, and a failed flush runs the log backwards.
//
// Entries are typed rather than closures, and the first few live in the
// log itself: a flush of one row records one or two, and allocates
// nothing for them. An entry is 48 bytes: a flush that hands keys to
// 10,000 children records 10,000 of them, and the old value of a field of
// at most 8 bytes holding no pointer (integers, the usual keys) is kept in
// the entry rather than in a copy of its own.

// undo restores what a failed flush changed in the objects.
type undo struct {
	log []undoEntry
	buf [4]undoEntry
}

type undoKind uint8

const (
	undoWord     undoKind = iota // set f at ptr back to the bytes in word
	undoSet                      // set f at ptr back to the value at old
	undoStatus                   // the state at ptr: status (and gone) back to word
	undoZero                     // zero the word fields at old of the object at ptr
	undoZeroRows                 // zero the fields at old (word's low half) of the rows at ptr (high half)
	undoObject                   // copy the struct at old over the object of the state at ptr
	undoFunc                     // call fn
)

// An entry holds no slice header: the fields and rows of a zeroing entry
// are kept as a pointer to their first element and a length, which keeps
// their array alive as well.
type undoEntry struct {
	kind undoKind
	f    *Field
	ptr  unsafe.Pointer
	word uint64         // undoWord: the old bytes; undoStatus: the old status and gone; lengths
	old  unsafe.Pointer // undoSet: a copy of the old value; undoObject: of the struct; the fields
	fn   func()
}

func (u *undo) add(e undoEntry) {
	if u.log == nil {
		u.log = u.buf[:0]
	}
	u.log = append(u.log, e)
}

// grow makes room for n more entries.
func (u *undo) grow(n int) {
	if u.log == nil {
		u.log = u.buf[:0]
	}
	if cap(u.log)-len(u.log) < n {
		u.log = slices.Grow(u.log, n)
	}
}

// set records f's value in the object at ptr and sets it to v.
func (u *undo) set(f *Field, ptr unsafe.Pointer, v reflect.Value) {
	at := unsafe.Add(ptr, f.offset)
	if f.word {
		u.add(undoEntry{kind: undoWord, f: f, ptr: ptr, word: loadWord(at, f.Type.Size())})
	} else {
		old := reflect.New(f.Type)
		old.Elem().Set(reflect.NewAt(f.Type, at).Elem())
		u.add(undoEntry{kind: undoSet, f: f, ptr: ptr, old: old.UnsafePointer()})
	}
	reflect.NewAt(f.Type, at).Elem().Set(v)
}

// status records st's status and gone flag, to be restored.
func (u *undo) status(st *state) {
	w := uint64(st.status)
	if st.gone {
		w |= 1 << 8
	}
	u.add(undoEntry{kind: undoStatus, ptr: unsafe.Pointer(st), word: w})
}

// wordType reports whether a value of type t fits a word and holds no
// pointer, so that its bytes can be kept in an undo entry.
func wordType(t reflect.Type) bool {
	if t.Size() > 8 {
		return false
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64:
		return true
	case reflect.Array:
		return wordType(t.Elem())
	}
	return false
}

// loadWord and storeWord copy the n (at most 8) bytes at p to and from a
// word.
func loadWord(p unsafe.Pointer, n uintptr) uint64 {
	var w uint64
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&w)), n), unsafe.Slice((*byte)(p), n))
	return w
}

func storeWord(p unsafe.Pointer, n uintptr, w uint64) {
	copy(unsafe.Slice((*byte)(p), n), unsafe.Slice((*byte)(unsafe.Pointer(&w)), n))
}

// fn records an arbitrary undo action.
func (u *undo) fn(f func()) { u.add(undoEntry{kind: undoFunc, fn: f}) }

// zero records that fields of the object at ptr, which hold their zero
// values, are about to be written: undoing zeroes them again.
func (u *undo) zero(ptr unsafe.Pointer, fields []*Field) {
	if len(fields) > 0 {
		u.add(undoEntry{kind: undoZero, ptr: ptr, old: unsafe.Pointer(&fields[0]), word: uint64(len(fields))})
	}
}

// zeroRows is zero for the same fields of many objects.
func (u *undo) zeroRows(rows []*state, fields []*Field) {
	if len(rows) > 0 && len(fields) > 0 {
		u.add(undoEntry{kind: undoZeroRows, ptr: unsafe.Pointer(&rows[0]), old: unsafe.Pointer(&fields[0]),
			word: uint64(len(rows))<<32 | uint64(len(fields))})
	}
}

// saveObject records the whole object, for code (hooks) that may change
// any of it.
func (u *undo) saveObject(st *state) {
	u.add(undoEntry{kind: undoObject, ptr: unsafe.Pointer(st), old: st.m.snapshot(st.ptr)})
}

// run undoes every recorded change, the last first.
func (u *undo) run() {
	for i := len(u.log) - 1; i >= 0; i-- {
		e := &u.log[i]
		switch e.kind {
		case undoWord:
			storeWord(unsafe.Add(e.ptr, e.f.offset), e.f.Type.Size(), e.word)
		case undoSet:
			e.f.rv(e.ptr).Set(reflect.NewAt(e.f.Type, e.old).Elem())
		case undoStatus:
			st := (*state)(e.ptr)
			st.status, st.gone = Status(e.word&0xff), e.word&(1<<8) != 0
		case undoZero:
			for _, f := range unsafe.Slice((**Field)(e.old), e.word) {
				f.rv(e.ptr).SetZero()
			}
		case undoZeroRows:
			fields := unsafe.Slice((**Field)(e.old), e.word&(1<<32-1))
			for _, st := range unsafe.Slice((**state)(e.ptr), e.word>>32) {
				for _, f := range fields {
					f.rv(st.ptr).SetZero()
				}
			}
		case undoObject:
			st := (*state)(e.ptr)
			reflect.NewAt(st.m.Type, st.ptr).Elem().Set(reflect.NewAt(st.m.Type, e.old).Elem())
		case undoFunc:
			e.fn()
		}
	}
}

func isZero(f *Field, ptr unsafe.Pointer) bool {
	if f.word {
		switch f.Type.Kind() {
		case reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Array:
			// -0.0 is zero too (and arrays may hold floats)
		default:
			// integers and bools: zero when every bit is
			return loadWord(unsafe.Add(ptr, f.offset), f.Type.Size()) == 0
		}
	}
	return reflect.NewAt(f.Type, unsafe.Add(ptr, f.offset)).Elem().IsZero()
}
