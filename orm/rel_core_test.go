package orm

import (
	"reflect"
	"testing"
	"unsafe"
)

type coreTarget struct{ N int }

// The session reads a Ref[T] or List[T] field as its core at the field's
// address: the core must stay the types' only field.
func TestRefAndListAreTheirCore(t *testing.T) {
	refCoreT, listCoreT := reflect.TypeFor[refCore](), reflect.TypeFor[listCore]()
	for typ, core := range map[reflect.Type]reflect.Type{
		reflect.TypeFor[Ref[coreTarget]]():  refCoreT,
		reflect.TypeFor[Ref[int]]():         refCoreT,
		reflect.TypeFor[List[coreTarget]](): listCoreT,
		reflect.TypeFor[List[string]]():     listCoreT,
	} {
		if typ.NumField() != 1 || typ.Field(0).Offset != 0 || typ.Field(0).Type != core || typ.Size() != core.Size() {
			t.Errorf("%s: want its %s as its only field", typ, core)
		}
	}
}

func TestTypedSlicesShareTheirArray(t *testing.T) {
	a, b := &coreTarget{1}, &coreTarget{2}
	in := make([]*coreTarget, 2, 5)
	in[0], in[1] = a, b
	l := ListOf(in...)
	all, err := l.All()
	if err != nil || len(all) != 2 || cap(all) != 2 || all[0] != a || all[1] != b || &all[0] != &in[0] {
		t.Fatalf("All %v (cap %d), %v", all, cap(all), err)
	}
	if untyped[coreTarget](nil) != nil || typed[coreTarget](nil) != nil {
		t.Fatal("nil slices must stay nil")
	}
	if s := typed[coreTarget](untyped([]*coreTarget{})); s == nil || len(s) != 0 {
		t.Fatal("an empty slice must stay empty, not nil")
	}
	r := RefTo(a)
	if got, _ := r.Get(); got != a || (*refCore)(unsafe.Pointer(&r)).v != unsafe.Pointer(a) {
		t.Fatal("Ref is not its core")
	}
}

// Appends fill a List's spare capacity only where no other view of its
// array reaches: a copy of the List taken before (as a snapshot is) keeps
// its items, and the copy's own append does not overwrite the original's;
// the slice a program passed to ListOf and the slice All returned are
// never written through.
func TestListAppendsNeverChangeAnotherViewOfTheItems(t *testing.T) {
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	objs := make([]*coreTarget, 8)
	for i := range objs {
		objs[i] = &coreTarget{i}
	}
	in := make([]*coreTarget, 1, 8)
	in[0] = objs[0]
	l := ListOf(in...)
	check(l.Append(objs[1]))
	if in[:2][1] != nil {
		t.Fatal("Append wrote into the program's array")
	}
	check(l.Append(objs[2]))
	snap := l // a copy: same array, shorter or equal view
	check(l.Append(objs[3]))
	check(snap.Append(objs[4]))
	got, _ := l.All()
	old, _ := snap.All()
	if want := objs[:4]; !reflect.DeepEqual(got, want) {
		t.Errorf("list %v, want %v", got, want)
	}
	if want := []*coreTarget{objs[0], objs[1], objs[2], objs[4]}; !reflect.DeepEqual(old, want) {
		t.Errorf("copy %v, want %v", old, want)
	}
	check(l.Append(objs[6])) // a new array, with room
	view, _ := l.All()
	check(l.Append(objs[7]))      // in place
	mine := append(view, objs[5]) // a program building its own slice from All's
	if got, _ := l.All(); got[5] != objs[7] || mine[5] != objs[5] {
		t.Errorf("the program's append and the List's changed each other: %v, %v", got, mine)
	}
}
