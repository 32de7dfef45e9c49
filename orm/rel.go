package orm

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"unsafe"
)

// Relationships are struct fields of two types: [Ref] for one related
// object (many-to-one, or the scalar side of a one-to-one) and [List] for
// many (one-to-many). Go has no hidden attribute loads, and Strata never
// pretends it does: a relationship of an object read from the database is
// "not loaded" until [Load] or a query's With loads it, and reading or
// replacing it before then is an error ([ErrNotLoaded]), never a silent
// nil or empty slice. That is what makes delete-orphan safe: an unloaded
// collection is never taken for an emptied one.
//
// The zero value of a Ref or List is known and empty: a new object has no
// parent and no children until the program gives it some.
//
// Once the owning object is in a session (added, or loaded), changes are
// kept in sync on both sides in memory: appending a child to a parent's
// List sets the child's back Ref (and takes it out of its old parent's
// loaded List: a move, not a delete), and setting a child's Ref appends it
// to the new parent's loaded List. Foreign-key columns follow the objects
// at flush.

// ErrNotLoaded is matched by every *NotLoadedError.
var ErrNotLoaded = errors.New("orm: relationship not loaded")

// NotLoadedError reports a read or a replacement of a relationship that
// was not loaded.
type NotLoadedError struct {
	Struct, Field string
}

func (e *NotLoadedError) Error() string {
	return fmt.Sprintf("orm: %s.%s is not loaded: load it with orm.Load or a query's With before reading or replacing it", e.Struct, e.Field)
}

// Is makes errors.Is(err, ErrNotLoaded) true.
func (e *NotLoadedError) Is(target error) bool { return target == ErrNotLoaded }

type relState uint8

const (
	relKnown    relState = iota // set by the program, or loaded: readable
	relUnloaded                 // the owner came from the database without it
)

// binding ties a relationship field to its owner, once the owner is in a
// session, so that changes can reach the other side.
type binding struct {
	owner unsafe.Pointer
	rel   *relation
}

// Ref is a reference to one related object: the parent of a many-to-one
// relationship, or the other side of a one-to-one. Declare it as a field:
//
//	type FolderItem struct {
//		FolderID int64          `db:"folder_id,fk:folder.id"`
//		Folder   orm.Ref[Folder] `rel:"backref:Items"`
//	}
type Ref[T any] struct {
	c refCore // the only field: a *Ref[T] is a *refCore at the same address
}

// List is a collection of related objects: the children of a one-to-many
// relationship. Its order is the order the program gives it (and, when
// loaded, the relationship's order_by); with an ordering column the
// position of every child is kept equal to its index.
type List[T any] struct {
	c listCore // the only field: a *List[T] is a *listCore at the same address
}

// refCore and listCore are the whole of a Ref[T] and a List[T], without T:
// the session handles every relationship field, of whatever target type,
// as a *refCore or *listCore at the field's offset (see relation.refAt),
// with one piece of code. There is one definition of each, so nothing has
// to be kept in step by hand: a pointer to a struct is a pointer to its
// first field, and the typed methods convert an unsafe.Pointer to a *T and
// back, both conversions that the rules of package unsafe allow.
type refCore struct {
	state relState
	v     unsafe.Pointer // a *T
	b     binding
}

type listCore struct {
	state relState
	owned bool             // items' array was made by the session (see listInsert)
	items []unsafe.Pointer // []*T
	b     binding
}

// RefTo returns a Ref holding v, for struct literals.
func RefTo[T any](v *T) Ref[T] { return Ref[T]{c: refCore{v: unsafe.Pointer(v)}} }

// ListOf returns a List holding items, for struct literals.
func ListOf[T any](items ...*T) List[T] { return List[T]{c: listCore{items: untyped(items)}} }

// untyped and typed convert between a []*T and a []unsafe.Pointer sharing
// one backing array: a *T and an unsafe.Pointer have the same size and
// layout, so each element is a legal conversion of an unsafe.Pointer to a
// *T (or back). Length, capacity and nil-ness are kept.
func untyped[T any](s []*T) []unsafe.Pointer {
	if s == nil {
		return nil
	}
	return unsafe.Slice((*unsafe.Pointer)(unsafe.Pointer(unsafe.SliceData(s))), cap(s))[:len(s)]
}

func typed[T any](s []unsafe.Pointer) []*T {
	if s == nil {
		return nil
	}
	return unsafe.Slice((**T)(unsafe.Pointer(unsafe.SliceData(s))), cap(s))[:len(s)]
}

func notLoaded(b binding) error {
	if b.rel == nil {
		return &NotLoadedError{Struct: "?", Field: "?"}
	}
	return &NotLoadedError{Struct: b.rel.owner.Type.Name(), Field: b.rel.field}
}

// Loaded reports whether the reference can be read.
func (r *Ref[T]) Loaded() bool { return r.c.state != relUnloaded }

// Get returns the referenced object (nil for none), or a *NotLoadedError.
func (r *Ref[T]) Get() (*T, error) {
	if r.c.state == relUnloaded {
		return nil, notLoaded(r.c.b)
	}
	return (*T)(r.c.v), nil
}

// Set makes the reference point at v (nil for none). On an object in a
// session the other side follows: v's List gains the owner, the old
// parent's List loses it. Replacing a reference that was not loaded is an
// error when the old object matters (a one-to-one whose key is on the
// other side, or delete-orphan): load it first.
func (r *Ref[T]) Set(v *T) error { return setRef(&r.c, unsafe.Pointer(v)) }

// Loaded reports whether the collection can be read.
func (l *List[T]) Loaded() bool { return l.c.state != relUnloaded }

// All returns the objects in order, or a *NotLoadedError. The slice is the
// List's own: change the List through its methods, never through it.
func (l *List[T]) All() ([]*T, error) {
	if l.c.state == relUnloaded {
		return nil, notLoaded(l.c.b)
	}
	// clipped: an append to it must not write into the List's spare
	// capacity, where the List appends (see listInsert)
	return typed[T](slices.Clip(l.c.items)), nil
}

// Len returns the number of objects, or a *NotLoadedError.
func (l *List[T]) Len() (int, error) {
	if l.c.state == relUnloaded {
		return 0, notLoaded(l.c.b)
	}
	return len(l.c.items), nil
}

// Append adds objects at the end.
func (l *List[T]) Append(items ...*T) error {
	return l.Insert(len(l.c.items), items...)
}

// Insert adds objects at index i (0 <= i <= Len).
func (l *List[T]) Insert(i int, items ...*T) error {
	v := &l.c
	if v.state == relUnloaded {
		return notLoaded(v.b)
	}
	if i < 0 || i > len(v.items) {
		return fmt.Errorf("orm: List.Insert at %d of a list of %d", i, len(v.items))
	}
	for _, it := range items {
		if it == nil {
			return errors.New("orm: List.Insert of a nil object")
		}
	}
	listInsert(v, i, untyped(items))
	return nil
}

// Remove takes obj out of the collection. It is an error if obj is not in
// it. With delete-orphan the object is deleted at the next flush unless it
// has found another parent by then; without, its foreign key is set to
// NULL.
func (l *List[T]) Remove(obj *T) error {
	v := &l.c
	if v.state == relUnloaded {
		return notLoaded(v.b)
	}
	i := slices.Index(v.items, unsafe.Pointer(obj))
	if i < 0 {
		return errors.New("orm: List.Remove of an object not in the list")
	}
	listRemoveAt(v, i, true)
	return nil
}

// RemoveAt takes out the object at index i.
func (l *List[T]) RemoveAt(i int) error {
	v := &l.c
	if v.state == relUnloaded {
		return notLoaded(v.b)
	}
	if i < 0 || i >= len(v.items) {
		return fmt.Errorf("orm: List.RemoveAt %d of a list of %d", i, len(v.items))
	}
	listRemoveAt(v, i, true)
	return nil
}

// Move moves the object at index from to index to, shifting those between.
func (l *List[T]) Move(from, to int) error {
	v := &l.c
	if v.state == relUnloaded {
		return notLoaded(v.b)
	}
	if from < 0 || from >= len(v.items) || to < 0 || to >= len(v.items) {
		return fmt.Errorf("orm: List.Move %d -> %d of a list of %d", from, to, len(v.items))
	}
	items := slices.Clone(v.items)
	x := items[from]
	items = slices.Delete(items, from, from+1)
	items = slices.Insert(items, to, x)
	v.items = items
	return nil
}

// Set replaces the whole collection. Objects no longer in it are removed
// as by [List.Remove]. Replacing a collection that was not loaded is an
// error.
func (l *List[T]) Set(items []*T) error {
	ptrs := make([]unsafe.Pointer, len(items))
	for i, it := range items {
		if it == nil {
			return errors.New("orm: List.Set with a nil object")
		}
		ptrs[i] = unsafe.Pointer(it)
	}
	return listSet(&l.c, ptrs)
}

func listSet(v *listCore, items []unsafe.Pointer) error {
	if v.state == relUnloaded {
		return notLoaded(v.b)
	}
	keep := make(map[unsafe.Pointer]bool, len(items))
	for _, it := range items {
		keep[it] = true
	}
	for i := len(v.items) - 1; i >= 0; i-- {
		if !keep[v.items[i]] {
			listRemoveAt(v, i, true)
		}
	}
	have := make(map[unsafe.Pointer]bool, len(v.items))
	for _, p := range v.items {
		have[p] = true
	}
	var add []unsafe.Pointer
	for _, it := range items {
		if !have[it] {
			add = append(add, it)
		}
	}
	listInsert(v, len(v.items), add)
	// then the order asked for
	v.items = slices.Clone(items)
	return nil
}

// The functions below change one side and, when bound, the other. They
// never write into the items a slice header already shows: a snapshot of
// the owner shares the old header and must keep seeing the membership of
// the last flush. They build new slices, except that listInsert appends at
// the end in place (see appendInPlace).

func listInsert(v *listCore, i int, ptrs []unsafe.Pointer) {
	if i < len(v.items) || !appendInPlace(v, ptrs) {
		// a new array, with room to append in place after it
		n := len(v.items) + len(ptrs)
		items := make([]unsafe.Pointer, 0, max(n+n/2, 4))
		items = append(items, v.items[:i]...)
		items = append(items, ptrs...)
		items = append(items, v.items[i:]...)
		v.items, v.owned = items, true
	}
	rel := v.b.rel
	if rel == nil || rel.back == nil {
		return
	}
	if rel.kind == manyToMany {
		for _, t := range ptrs {
			if bl := rel.back.listAt(t); bl.state != relUnloaded && !slices.Contains(bl.items, v.b.owner) {
				bl.items = append(slices.Clip(bl.items), v.b.owner)
			}
		}
		return
	}
	for _, child := range ptrs {
		// the child's reference to its parent follows, leaving its old
		// parent's loaded list
		back := rel.back.refAt(child)
		old := back.v
		back.v, back.state = v.b.owner, relKnown
		if old != nil && old != v.b.owner {
			if ol := rel.listAt(old); ol.state != relUnloaded {
				if j := slices.Index(ol.items, child); j >= 0 {
					listRemoveAt(ol, j, false)
				}
			}
		}
	}
}

// appendInPlace appends ptrs to v's items in their array's spare capacity
// when that is safe: the array is the session's (not one a program passed
// to ListOf, which it may append to itself), and the slots are empty.
// Every header of the array shows a prefix of it (items are only ever
// appended, removal builds a new array), so an empty slot is one no header
// shows: no snapshot sees the append, and a second header appending into
// the same array (a restored snapshot, a copied List) finds the slot taken
// and builds a new array instead. Items are never nil (Insert refuses
// nil), so nil marks an empty slot. All clips what it returns, so a
// program's append to it never fills a slot.
func appendInPlace(v *listCore, ptrs []unsafe.Pointer) bool {
	n := len(v.items)
	if !v.owned || cap(v.items)-n < len(ptrs) {
		return false
	}
	for _, p := range v.items[n : n+len(ptrs)] {
		if p != nil {
			return false
		}
	}
	v.items = append(v.items, ptrs...)
	return true
}

// listRemoveAt removes the i-th item; unref also clears the child's back
// reference if it still points at this owner.
func listRemoveAt(v *listCore, i int, unref bool) {
	child := v.items[i]
	items := make([]unsafe.Pointer, 0, len(v.items)-1)
	items = append(items, v.items[:i]...)
	items = append(items, v.items[i+1:]...)
	v.items = items
	rel := v.b.rel
	if !unref || rel == nil || rel.back == nil {
		return
	}
	if rel.kind == manyToMany {
		if bl := rel.back.listAt(child); bl.state != relUnloaded {
			if j := slices.Index(bl.items, v.b.owner); j >= 0 {
				listRemoveAt(bl, j, false)
			}
		}
		return
	}
	if back := rel.back.refAt(child); back.v == v.b.owner {
		back.v = nil
	}
}

func setRef(r *refCore, target unsafe.Pointer) error {
	rel := r.b.rel
	if r.state == relUnloaded && rel != nil && (rel.kind == oneToOneRemote || rel.cascade.has(cascadeDeleteOrphan)) {
		return notLoaded(r.b)
	}
	if rel != nil && rel.singleParent && rel.back != nil && rel.back.kind == oneToOneRemote && target != nil && target != r.v {
		// taking it from the object holding it would break single_parent
		if nb := rel.back.refAt(target); nb.state != relUnloaded && nb.v != nil && nb.v != r.b.owner {
			return &SingleParentError{Rel: rel.String(), Object: reflect.NewAt(rel.target.Type, target).Interface()}
		}
	}
	old := r.v
	r.v, r.state = target, relKnown
	if rel == nil || rel.back == nil || old == target {
		return nil
	}
	child := r.b.owner
	switch rel.back.kind {
	case oneToMany: // r is a many-to-one; the parent side is a list
		if old != nil {
			if ol := rel.back.listAt(old); ol.state != relUnloaded {
				if j := slices.Index(ol.items, child); j >= 0 {
					listRemoveAt(ol, j, false)
				}
			}
		}
		if target != nil {
			if nl := rel.back.listAt(target); nl.state != relUnloaded && !slices.Contains(nl.items, child) {
				nl.items = append(slices.Clip(nl.items), child)
			}
		}
	default: // one-to-one: both sides are references
		if old != nil {
			if ob := rel.back.refAt(old); ob.v == child {
				ob.v = nil
			}
		}
		if target != nil {
			nb := rel.back.refAt(target)
			if prev := nb.v; prev != nil && prev != child {
				if pb := rel.refAt(prev); pb.v == target {
					pb.v = nil
				}
			}
			nb.v, nb.state = child, relKnown
		}
	}
	return nil
}
