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
	if err != nil || len(all) != 2 || cap(all) != 5 || all[0] != a || all[1] != b || &all[0] != &in[0] {
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
