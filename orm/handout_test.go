package orm

import (
	"reflect"
	"slices"
	"testing"
)

type handOutRow struct {
	ID    int64 `db:"id,pk"`
	Small int32
	Code  string
}

// The keys an INSERT of many rows read back are handed to the rows in
// ascending key order whatever order RETURNING gave them in, plain values
// copied as bytes and others set through reflect.
func TestInsertedKeysAreHandedOutInKeyOrder(t *testing.T) {
	m, err := Register[handOutRow](NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	field := func(name string) *Field {
		for _, f := range m.Fields {
			if f.Name == name {
				return f
			}
		}
		t.Fatalf("no field %s", name)
		return nil
	}
	objs := make([]handOutRow, 4)
	rows := make([]*state, len(objs))
	for i := range objs {
		rows[i] = &state{m: m, ptr: reflect.ValueOf(&objs[i]).UnsafePointer()}
	}
	hand := func(keys []int64, smalls []int32, codes []string) {
		order := keyOrder(reflect.ValueOf(keys))
		handOut(field("ID"), reflect.ValueOf(keys), rows, order)
		handOut(field("Small"), reflect.ValueOf(smalls), rows, order)
		handOut(field("Code"), reflect.ValueOf(codes), rows, order)
	}

	if keyOrder(reflect.ValueOf([]int64{3, 5, 9, 10})) != nil {
		t.Fatal("keys already ascending were given an order")
	}
	hand([]int64{3, 5, 9, 10}, []int32{30, 50, 90, 100}, []string{"c", "e", "i", "j"})
	want := []handOutRow{{3, 30, "c"}, {5, 50, "e"}, {9, 90, "i"}, {10, 100, "j"}}
	if !slices.Equal(objs, want) {
		t.Fatalf("in order: got %v, want %v", objs, want)
	}

	// the same rows come back shuffled: each row still gets its own
	hand([]int64{10, 3, 9, 5}, []int32{100, 30, 90, 50}, []string{"j", "c", "i", "e"})
	if !slices.Equal(objs, want) {
		t.Fatalf("shuffled: got %v, want %v", objs, want)
	}

	// keys of another integer width are ordered too
	if got := keyOrder(reflect.ValueOf([]int32{7, 2, 5})); !slices.Equal(got, []int{1, 2, 0}) {
		t.Fatalf("int32 keys: order %v, want [1 2 0]", got)
	}
}
