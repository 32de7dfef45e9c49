package orm

import (
	"reflect"
	"testing"
	"time"
	"unsafe"
)

type scanDestRow struct {
	ID    int64 `db:"id,pk"`
	S     string
	I32   int32
	I     int
	I16   int16
	B     bool
	F64   float64
	F32   float32
	T     time.Time
	Named scanDestName // a named type keeps its own pointer type
	U8    uint8
}

type scanDestName string

// A field's scan destination is a pointer of the field's own type at the
// field, whether the typed shortcut or reflection makes it: the driver
// must see the same dynamic type (a named type's Scan methods included).
func TestScanDestinationsArePointersOfTheFieldsType(t *testing.T) {
	m, err := Register[scanDestRow](NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	var row scanDestRow
	p := unsafe.Pointer(&row)
	shortcuts := 0
	for _, f := range m.Fields {
		got := f.ptrAt(p)
		want := reflect.NewAt(f.Type, unsafe.Add(p, f.offset)).Interface()
		if reflect.TypeOf(got) != reflect.TypeOf(want) {
			t.Errorf("%s: destination is a %T, want %T", f.Name, got, want)
			continue
		}
		if reflect.ValueOf(got).UnsafePointer() != reflect.ValueOf(want).UnsafePointer() {
			t.Errorf("%s: destination points elsewhere than the field", f.Name)
		}
		if f.typed.ptr != nil {
			shortcuts++
		}
	}
	// every predeclared type above but uint8 has the shortcut; the named
	// type and uint8 go through reflection
	if shortcuts != 9 {
		t.Errorf("%d fields have a typed destination, want 9", shortcuts)
	}
	*m.FieldByName("F64").ptrAt(p).(*float64) = 2.5
	if row.F64 != 2.5 {
		t.Errorf("a write through the destination did not reach the field: %v", row.F64)
	}
}

// The array an unnest INSERT binds per column holds the rows' values in
// order, in a slice of the field's own type, whether copied directly or
// built through reflection.
func TestColumnArraysMatchReflection(t *testing.T) {
	m, err := Register[scanDestRow](NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	objs := make([]scanDestRow, 3)
	rows := make([]*state, len(objs))
	at := time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	for i := range objs {
		objs[i] = scanDestRow{ID: int64(i + 1), S: string(rune('a' + i)), I32: int32(-i), I: 10 * i, I16: int16(i),
			B: i%2 == 0, F64: float64(i) / 4, F32: float32(i) / 2, T: at.Add(time.Duration(i) * time.Hour),
			Named: scanDestName("n" + string(rune('0'+i))), U8: uint8(i)}
		rows[i] = &state{m: m, ptr: unsafe.Pointer(&objs[i])}
	}
	for _, f := range m.Fields {
		got := columnArray(f, rows)
		want := reflect.MakeSlice(reflect.SliceOf(f.Type), len(rows), len(rows))
		for j, st := range rows {
			want.Index(j).Set(f.rv(st.ptr))
		}
		if !reflect.DeepEqual(got, want.Interface()) {
			t.Errorf("%s: column array %#v, want %#v", f.Name, got, want.Interface())
		}
	}
}

type intAtRow struct {
	ID  int64 `db:"id,pk"`
	I   int
	I32 int32
	I16 int16
	I8  int8
	N   intAtName
	P   *int64
	S   string
}

type intAtName int32

// A load's key index reads integer keys of every signed kind, named
// types included, straight from the object, as reflection would; other
// kinds are left to reflection.
func TestIntegerFieldsReadWithoutReflectionMatchReflection(t *testing.T) {
	m, err := Register[intAtRow](NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	five := int64(5)
	row := intAtRow{ID: -1 << 40, I: -7, I32: 1 << 30, I16: -300, I8: -8, N: 77, P: &five, S: "x"}
	for _, f := range m.Fields {
		got, ok := intAt(f, unsafe.Pointer(&row))
		v := f.rv(unsafe.Pointer(&row))
		if want := v.CanInt(); ok != want {
			t.Errorf("%s: read %v, want %v", f.Name, ok, want)
			continue
		}
		if ok && got != v.Int() {
			t.Errorf("%s: %d, want %d", f.Name, got, v.Int())
		}
	}
}
