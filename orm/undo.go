package orm

import (
	"reflect"
	"unsafe"
)

// The undo log of a flush: every change a flush makes to the objects is
// recorded, and a failed flush runs the log backwards.

// undo restores what a failed flush changed in the objects.
type undo []func()

func (u *undo) set(f *Field, ptr unsafe.Pointer, v reflect.Value) {
	fv := reflect.NewAt(f.Type, unsafe.Add(ptr, f.offset)).Elem()
	old := reflect.New(f.Type).Elem()
	old.Set(fv)
	*u = append(*u, func() { fv.Set(old) })
	fv.Set(v)
}

// fn records an arbitrary undo action.
func (u *undo) fn(f func()) { *u = append(*u, f) }

// zero records that fields of the object at ptr, which hold their zero
// values, are about to be written: undoing zeroes them again.
func (u *undo) zero(ptr unsafe.Pointer, fields []*Field) {
	*u = append(*u, func() {
		for _, f := range fields {
			f.rv(ptr).SetZero()
		}
	})
}

// zeroRows is zero for the same fields of many objects.
func (u *undo) zeroRows(rows []*state, fields []*Field) {
	*u = append(*u, func() {
		for _, st := range rows {
			for _, f := range fields {
				f.rv(st.ptr).SetZero()
			}
		}
	})
}

// saveObject records the whole object, for code (hooks) that may change
// any of it.
func (u *undo) saveObject(st *state) {
	pre := st.m.snapshot(st.ptr)
	m, ptr := st.m, st.ptr
	*u = append(*u, func() { reflect.NewAt(m.Type, ptr).Elem().Set(reflect.NewAt(m.Type, pre).Elem()) })
}

func (u undo) run() {
	for i := len(u) - 1; i >= 0; i-- {
		u[i]()
	}
}

func isZero(f *Field, ptr unsafe.Pointer) bool {
	return reflect.NewAt(f.Type, unsafe.Add(ptr, f.offset)).Elem().IsZero()
}
