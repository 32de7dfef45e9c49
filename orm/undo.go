package orm

import (
	"reflect"
	"unsafe"
)

// The undo log of a flush: every change a flush makes to the objects is
// recorded, and a failed flush runs the log backwards.
//
// Entries are typed rather than closures, and the first few live in the
// log itself: a flush of one row records one or two, and allocates
// nothing for them.

// undo restores what a failed flush changed in the objects.
type undo struct {
	log []undoEntry
	buf [4]undoEntry
}

type undoKind uint8

const (
	undoSet      undoKind = iota // set f at ptr back to old
	undoZero                     // zero fields at ptr
	undoZeroRows                 // zero fields of every row
	undoObject                   // copy the struct at pre over ptr
	undoFunc                     // call fn
)

type undoEntry struct {
	kind   undoKind
	f      *Field
	ptr    unsafe.Pointer
	old    reflect.Value // undoSet: a copy of the old value
	fields []*Field
	rows   []*state
	m      *Mapper        // undoObject
	pre    unsafe.Pointer // undoObject: the saved struct
	fn     func()
}

func (u *undo) add(e undoEntry) {
	if u.log == nil {
		u.log = u.buf[:0]
	}
	u.log = append(u.log, e)
}

func (u *undo) set(f *Field, ptr unsafe.Pointer, v reflect.Value) {
	fv := f.rv(ptr)
	old := reflect.New(f.Type).Elem()
	old.Set(fv)
	u.add(undoEntry{kind: undoSet, f: f, ptr: ptr, old: old})
	fv.Set(v)
}

// fn records an arbitrary undo action.
func (u *undo) fn(f func()) { u.add(undoEntry{kind: undoFunc, fn: f}) }

// zero records that fields of the object at ptr, which hold their zero
// values, are about to be written: undoing zeroes them again.
func (u *undo) zero(ptr unsafe.Pointer, fields []*Field) {
	u.add(undoEntry{kind: undoZero, ptr: ptr, fields: fields})
}

// zeroRows is zero for the same fields of many objects.
func (u *undo) zeroRows(rows []*state, fields []*Field) {
	u.add(undoEntry{kind: undoZeroRows, rows: rows, fields: fields})
}

// saveObject records the whole object, for code (hooks) that may change
// any of it.
func (u *undo) saveObject(st *state) {
	u.add(undoEntry{kind: undoObject, m: st.m, ptr: st.ptr, pre: st.m.snapshot(st.ptr)})
}

// run undoes every recorded change, the last first.
func (u *undo) run() {
	for i := len(u.log) - 1; i >= 0; i-- {
		e := &u.log[i]
		switch e.kind {
		case undoSet:
			e.f.rv(e.ptr).Set(e.old)
		case undoZero:
			for _, f := range e.fields {
				f.rv(e.ptr).SetZero()
			}
		case undoZeroRows:
			for _, st := range e.rows {
				for _, f := range e.fields {
					f.rv(st.ptr).SetZero()
				}
			}
		case undoObject:
			reflect.NewAt(e.m.Type, e.ptr).Elem().Set(reflect.NewAt(e.m.Type, e.pre).Elem())
		case undoFunc:
			e.fn()
		}
	}
}

func isZero(f *Field, ptr unsafe.Pointer) bool {
	return reflect.NewAt(f.Type, unsafe.Add(ptr, f.offset)).Elem().IsZero()
}
