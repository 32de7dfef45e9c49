package orm

import (
	"math"
	"reflect"
	"testing"
	"time"
	"unsafe"
)

type undoThing struct {
	A   int8
	B   uint16
	C   int32
	D   float32
	E   bool
	F   [3]int16
	G   int64
	H   string
	I   time.Time
	J   *int
	K   []byte
	L   complex64
	Tag uint8
}

// A failed flush restores every field it set, whatever its type: the
// small pointer-free ones kept as raw bytes in the entry (without touching
// their neighbours), the others as copies; and the states whose status it
// changed.
func TestUndoRestoresFieldsOfEveryKindAndStatuses(t *testing.T) {
	seven := 7
	before := undoThing{A: -3, B: 65000, C: -70000, D: 1.5, E: true, F: [3]int16{1, -2, 3}, G: 1 << 40,
		H: "old", I: time.Date(2020, 1, 2, 3, 4, 5, 6, time.UTC), J: &seven, K: []byte("old"), L: complex(1, -1), Tag: 0xAB}
	after := undoThing{A: 100, B: 1, C: 2, D: -2.25, E: false, F: [3]int16{9, 9, 9}, G: -1,
		H: "new", I: time.Now(), J: nil, K: []byte("new!"), L: complex(-3, 4), Tag: 0xAB}
	obj := before
	ptr := unsafe.Pointer(&obj)
	typ := reflect.TypeFor[undoThing]()
	var u undo
	words := 0
	for i := range typ.NumField() - 1 { // all but Tag, the neighbour that must survive
		sf := typ.Field(i)
		f := &Field{Name: sf.Name, Type: sf.Type, offset: sf.Offset, word: wordType(sf.Type)}
		if f.word {
			words++
		}
		u.set(f, ptr, reflect.ValueOf(after).Field(i))
	}
	if words != 8 {
		t.Errorf("%d fields kept as words, want 8 (A to G and L)", words)
	}
	if !reflect.DeepEqual(obj, after) {
		t.Fatalf("set wrote %+v, want %+v", obj, after)
	}
	sts := []*state{{status: Persistent}, {status: Pending, gone: true}}
	for _, st := range sts {
		u.status(st)
		st.status, st.gone = Deleted, !st.gone
	}
	// zeroing entries, for one object and for rows, whole-object and
	// function entries
	field := func(name string) *Field {
		sf, _ := typ.FieldByName(name)
		return &Field{Name: name, Type: sf.Type, offset: sf.Offset}
	}
	var one undoThing
	rows := []undoThing{{}, {}}
	u.zero(unsafe.Pointer(&one), []*Field{field("G"), field("H")})
	u.zero(unsafe.Pointer(&one), nil)
	u.zeroRows([]*state{{ptr: unsafe.Pointer(&rows[0])}, {ptr: unsafe.Pointer(&rows[1])}}, []*Field{field("C"), field("K"), field("A")})
	one.G, one.H = 5, "written"
	rows[0].C, rows[0].K, rows[1].C, rows[1].K, rows[1].A = 1, []byte("a"), 2, []byte("b"), 3
	whole := undoThing{H: "before the hook", Tag: 1}
	wm := &Mapper{Type: typ}
	u.saveObject(&state{m: wm, ptr: unsafe.Pointer(&whole)})
	whole.H, whole.Tag = "hook wrote", 2
	called := 0
	u.fn(func() { called++ })
	u.run()
	if !reflect.DeepEqual(one, undoThing{}) || !reflect.DeepEqual(rows, []undoThing{{}, {}}) {
		t.Errorf("zeroing entries left %+v and %+v", one, rows)
	}
	if whole.H != "before the hook" || whole.Tag != 1 || called != 1 {
		t.Errorf("object entry left %q/%d, function entry ran %d times", whole.H, whole.Tag, called)
	}
	if !reflect.DeepEqual(obj, before) {
		t.Errorf("undo left %+v, want %+v", obj, before)
	}
	if sts[0].status != Persistent || sts[0].gone || sts[1].status != Pending || !sts[1].gone {
		t.Errorf("undo left statuses %v/%v and %v/%v", sts[0].status, sts[0].gone, sts[1].status, sts[1].gone)
	}
	if s := unsafe.Sizeof(undoEntry{}); s > 48 {
		t.Errorf("an undo entry is %d bytes, want at most 48", s)
	}
}

type undoModel struct {
	ID    int64  `db:"id,pk"`
	Score int32  `db:"score"`
	Name  string `db:"name"`
}

// Registration marks the fields an undo entry can hold by value.
func TestRegisteredSmallScalarFieldsAreUndoneByValue(t *testing.T) {
	m, err := Register[undoModel](NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"ID": true, "Score": true, "Name": false} {
		if f := m.FieldByName(name); f == nil || f.word != want {
			t.Errorf("%s: word %v, want %v", name, f != nil && f.word, want)
		}
	}
}

// isZero reads the bytes of a small pointer-free field and says what
// reflect's IsZero says of it, for every field of undoThing, zero or not,
// -0.0 (not zero) included; a neighbour's bytes never count.
func TestIsZeroAgreesWithReflectForEveryKind(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	seven := 7
	values := []undoThing{
		{Tag: 0xFF},
		{A: -3, B: 65000, C: -70000, D: 1.5, E: true, F: [3]int16{0, 0, 3}, G: 1 << 40, H: "x",
			I: time.Unix(1, 0), J: &seven, K: []byte{}, L: complex(0, -1), Tag: 0xFF},
		{D: negZero, L: complex(negZero, 0), Tag: 0xFF},
	}
	typ := reflect.TypeFor[undoThing]()
	for vi := range values {
		obj := values[vi]
		ptr := unsafe.Pointer(&obj)
		for i := range typ.NumField() {
			sf := typ.Field(i)
			f := &Field{Name: sf.Name, Type: sf.Type, offset: sf.Offset, word: wordType(sf.Type)}
			want := reflect.ValueOf(obj).Field(i).IsZero()
			if got := isZero(f, ptr); got != want {
				t.Errorf("value %d, field %s: isZero %v, reflect says %v", vi, sf.Name, got, want)
			}
		}
	}
}
